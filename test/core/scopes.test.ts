/** `requireUser({ scopes, anyScope, check, mode })`: RFC 6750 section 3.1 answers on real requests. */
import type { RequestHandler } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeAuth } from '../../src/index.js';
import { makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { type ProviderFixture, parseWwwAuthenticate, startProvider } from '../helpers/fixtures.js';
import { createLegacyLogin, memoryStore } from '../helpers/legacy.js';

const SECRET = 'legacy-secret';

describe.each(expressVersions)('%s: scopes and route rules', (_name, express) => {
  let provider: ProviderFixture;
  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(async () => {
    await provider.server.close();
  });

  function app(legacyScopes?: (session: unknown) => string[]) {
    const store = memoryStore();
    const bridge = makeBridge({
      legacy: { store, secret: SECRET, ...(legacyScopes ? { scopes: legacyScopes } : {}) },
      provider: provider.options(),
    });
    const server = express();
    const ok: RequestHandler = (req, res) => {
      res.json({ userId: (req as unknown as { auth: BridgeAuth }).auth.userId });
    };
    server.get('/orders', bridge.requireUser({ scopes: ['read:orders'] }) as unknown as RequestHandler, ok);
    server.get(
      '/both',
      bridge.requireUser({ scopes: ['read:orders', 'write:orders'] }) as unknown as RequestHandler,
      ok,
    );
    server.get(
      '/either',
      bridge.requireUser({ scopes: ['admin', 'write:orders'], anyScope: true }) as unknown as RequestHandler,
      ok,
    );
    server.get(
      '/acme',
      bridge.requireUser({ check: (auth) => auth.payload?.org === 'acme' }) as unknown as RequestHandler,
      ok,
    );
    server.get('/admin', bridge.requireUser({ mode: 'provider-only' }) as unknown as RequestHandler, ok);
    return { server, login: createLegacyLogin({ store, secret: SECRET }) };
  }

  const bearer = (token: string) => ['Authorization', `Bearer ${token}`] as const;

  it('lets a token with the scope through, from a space-separated scope or an scp array', async () => {
    const { server } = app();
    const viaScope = await provider.mint({ claims: { scope: 'openid read:orders' } });
    const viaScp = await provider.mint({ claims: { scp: ['read:orders'] } });
    expect(
      (
        await request(server)
          .get('/orders')
          .set(...bearer(viaScope))
      ).status,
    ).toBe(200);
    expect(
      (
        await request(server)
          .get('/orders')
          .set(...bearer(viaScp))
      ).status,
    ).toBe(200);
  });

  it('answers 403 insufficient_scope with the RFC 6750 challenge naming the required scopes', async () => {
    const { server } = app();
    const token = await provider.mint({ claims: { scope: 'read:orders' } });
    const res = await request(server)
      .get('/both')
      .set(...bearer(token));
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'insufficient_scope', code: 'ERR_BRIDGE_INSUFFICIENT_SCOPE' });
    const www = parseWwwAuthenticate(res.headers['www-authenticate']);
    expect(www.scheme).toBe('Bearer');
    expect(www.params).toMatchObject({
      realm: 'api',
      error: 'insufficient_scope',
      scope: 'read:orders write:orders',
    });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('accepts one of the scopes with anyScope', async () => {
    const { server } = app();
    const token = await provider.mint({ claims: { scope: 'write:orders' } });
    expect(
      (
        await request(server)
          .get('/either')
          .set(...bearer(token))
      ).status,
    ).toBe(200);
    const none = await provider.mint({ claims: { scope: 'read:orders' } });
    expect(
      (
        await request(server)
          .get('/either')
          .set(...bearer(none))
      ).status,
    ).toBe(403);
  });

  it('still answers 401 without credentials on a scoped route', async () => {
    const { server } = app();
    const res = await request(server).get('/orders');
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('ERR_BRIDGE_UNAUTHENTICATED');
  });

  it('gives a legacy session no scopes unless legacy.scopes maps it', async () => {
    const plain = app();
    const { cookie } = await plain.login.login('u-1');
    const res = await request(plain.server).get('/orders').set('Cookie', cookie);
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ERR_BRIDGE_INSUFFICIENT_SCOPE');

    const mapped = app((session) =>
      (session as { userId?: string }).userId === 'u-2' ? ['read:orders'] : [],
    );
    const u2 = await mapped.login.login('u-2');
    const u3 = await mapped.login.login('u-3');
    expect((await request(mapped.server).get('/orders').set('Cookie', u2.cookie)).status).toBe(200);
    expect((await request(mapped.server).get('/orders').set('Cookie', u3.cookie)).status).toBe(403);
  });

  it('answers 403 ERR_BRIDGE_FORBIDDEN when check returns false', async () => {
    const { server } = app();
    const acme = await provider.mint({ claims: { org: 'acme' } });
    const other = await provider.mint({ claims: { org: 'other' } });
    expect(
      (
        await request(server)
          .get('/acme')
          .set(...bearer(acme))
      ).status,
    ).toBe(200);
    const res = await request(server)
      .get('/acme')
      .set(...bearer(other));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ERR_BRIDGE_FORBIDDEN');
  });

  it('refuses a legacy session on a provider-only route while other routes still accept it', async () => {
    const { server, login } = app((_s) => ['read:orders']);
    const { cookie } = await login.login('u-1');
    const res = await request(server).get('/admin').set('Cookie', cookie);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ code: 'ERR_BRIDGE_LEGACY_DISABLED', hint: 'provider_login_required' });
    expect((await request(server).get('/orders').set('Cookie', cookie)).status).toBe(200);
    const token = await provider.mint();
    expect(
      (
        await request(server)
          .get('/admin')
          .set(...bearer(token))
      ).status,
    ).toBe(200);
  });

  it('validates requireUser options when the route is built', () => {
    const bridge = makeBridge({ provider: provider.options() });
    expect(() => bridge.requireUser({ scopes: ['has space'] })).toThrow(TypeError);
    expect(() => bridge.requireUser({ scopes: 'read' as unknown as string[] })).toThrow(TypeError);
    expect(() => bridge.requireUser({ mode: 'bridge' as 'provider-only' })).toThrow(TypeError);
    expect(() => bridge.requireUser({ nope: true } as never)).toThrow(/unknown option/);
  });
});
