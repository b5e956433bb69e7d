import type { RequestHandler } from 'express';
/** `provider.link` and `provider.linkClaim` on real requests (local JWKS, real express-session login). */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderIdentity } from '../../src/index.js';
import { buildApp, eventRecorder, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError, type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { createLegacyLogin, memoryStore } from '../helpers/legacy.js';

const SECRET = 'legacy-secret';

describe.each(expressVersions)('%s: linking at first sign-in', (_name, express) => {
  let provider: ProviderFixture;
  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(async () => {
    await provider.server.close();
  });

  function setup(link: (identity: ProviderIdentity, legacy: { userId: string }) => unknown, cookie = false) {
    const store = memoryStore();
    const links = new Map<string, string>();
    const calls: Array<{ identity: ProviderIdentity; legacy: { userId: string } }> = [];
    const recorder = eventRecorder();
    const debug: string[] = [];
    const bridge = makeBridge({
      legacy: { store, secret: SECRET },
      provider: provider.options({
        ...(cookie ? { cookieName: 'idp', bearer: false } : {}),
        userId: (claims) => links.get(String(claims.sub)) ?? null,
        link: async (identity, legacy) => {
          calls.push({ identity, legacy });
          const answer = await link(identity, legacy);
          if (answer === true) links.set(identity.sub, legacy.userId);
          return answer as boolean;
        },
      }),
      onEvent: recorder.onEvent,
      debug: (m) => debug.push(m),
    });
    return {
      app: buildApp(express, bridge),
      login: createLegacyLogin({ store, secret: SECRET }),
      calls,
      recorder,
      debug,
    };
  }

  it('links an unlinked identity presented with a valid legacy session, once', async () => {
    const { app, login, calls, recorder } = setup(() => true);
    const { cookie } = await login.login('u-42');
    const token = await provider.mint({ sub: 'idp-7' });
    const auth = authFrom(
      await request(app).get('/me').set('Cookie', cookie).set('Authorization', `Bearer ${token}`),
    );
    expect(auth).toMatchObject({ userId: 'u-42', kind: 'provider', presented: ['legacy', 'provider'] });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.identity).toMatchObject({
      iss: provider.issuer,
      sub: 'idp-7',
      provider: provider.issuer,
    });
    expect(calls[0]?.legacy.userId).toBe('u-42');
    const alone = authFrom(await request(app).get('/me').set('Authorization', `Bearer ${token}`));
    expect(alone).toMatchObject({ userId: 'u-42', kind: 'provider', presented: ['provider'] });
    expect(calls).toHaveLength(1);
    const events = await recorder.waitFor(2);
    expect(events[0]).toMatchObject({ legacyUserId: 'u-42', providerUserId: 'u-42', userId: 'u-42' });
  });

  it('never asks link without a valid legacy session', async () => {
    const { app, calls } = setup(() => true);
    const token = await provider.mint({ sub: 'idp-8' });
    expectBridgeError(
      await request(app).get('/me').set('Authorization', `Bearer ${token}`),
      401,
      'ERR_BRIDGE_IDENTITY_UNLINKED',
    );
    expect(calls).toHaveLength(0);
  });

  it.each([
    ['returns false', () => false],
    [
      'throws',
      () => {
        throw new Error('db down');
      },
    ],
    ['returns something other than true', () => 'yes'],
  ])('keeps the identity unlinked when link %s: a header credential is refused', async (_label, link) => {
    const { app, login, debug } = setup(link);
    const { cookie } = await login.login('u-1');
    const token = await provider.mint({ sub: 'idp-9' });
    expectBridgeError(
      await request(app).get('/me').set('Cookie', cookie).set('Authorization', `Bearer ${token}`),
      401,
      'ERR_BRIDGE_IDENTITY_UNLINKED',
    );
    if (_label === 'throws') expect(debug.some((m) => m.includes('provider.link failed'))).toBe(true);
  });

  it('lets an unlinked provider cookie give way to the legacy session when link says no', async () => {
    const { app, login } = setup(() => false, true);
    const { cookie } = await login.login('u-1');
    const token = await provider.mint({ sub: 'idp-10' });
    const auth = authFrom(await request(app).get('/me').set('Cookie', `${cookie}; idp=${token}`));
    expect(auth).toMatchObject({ userId: 'u-1', kind: 'legacy' });
  });

  it('passes where the provider credential came from, so a cookie-borne identity can be treated with care', async () => {
    const { app, login, calls } = setup(() => true, true);
    const { cookie } = await login.login('u-5');
    const token = await provider.mint({ sub: 'idp-cookie' });
    authFrom(await request(app).get('/me').set('Cookie', `${cookie}; idp=${token}`));
    expect(calls[0]?.identity.source).toBe('cookie');
  });

  it.each([
    ['provider-only', { mode: 'provider-only' as const }],
    ['observe', { mode: 'observe' as const }],
    ['a user already moved by the cutover ramp', { cutover: { percent: 100 } }],
  ])('never links with a legacy session in %s', async (_label, extra) => {
    const store = memoryStore();
    const calls: unknown[] = [];
    const bridge = makeBridge({
      legacy: { store, secret: SECRET },
      provider: provider.options({
        userId: () => null,
        link: () => {
          calls.push(1);
          return true;
        },
      }),
      ...extra,
    });
    const app = buildApp(express, bridge);
    const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-6');
    const token = await provider.mint({ sub: 'idp-late' });
    const res = await request(app)
      .get('/whoami')
      .set('Cookie', cookie)
      .set('Authorization', `Bearer ${token}`);
    expect(res.body?.userId).not.toBe('u-6');
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toHaveLength(0);
  });

  it('refuses on a provider-only route a request whose provider identity the legacy session linked just now', async () => {
    const store = memoryStore();
    const links = new Map<string, string>();
    const bridge = makeBridge({
      legacy: { store, secret: SECRET },
      provider: provider.options({
        userId: (claims) => links.get(String(claims.sub)) ?? null,
        link: (identity, legacy) => {
          links.set(identity.sub, legacy.userId);
          return true;
        },
      }),
    });
    const app = express();
    app.use(bridge as unknown as RequestHandler);
    app.get(
      '/admin',
      bridge.requireUser({ mode: 'provider-only' }) as unknown as RequestHandler,
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-7');
    const token = await provider.mint({ sub: 'idp-admin' });
    const first = await request(app)
      .get('/admin')
      .set('Cookie', cookie)
      .set('Authorization', `Bearer ${token}`);
    expect(first.status).toBe(401);
    expect(first.body.code).toBe('ERR_BRIDGE_LEGACY_DISABLED');
    // Later, the provider credential alone (linked now) is a provider login.
    expect((await request(app).get('/admin').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  });

  it('refuses link without linkClaim or userId at construction', () => {
    expect(() => makeBridge({ provider: provider.options({ link: () => true }) })).toThrow(
      /needs `linkClaim` or `userId`/,
    );
  });

  it('reads the app user id from linkClaim, a dot path or an array for claim names with dots', async () => {
    const byPath = buildApp(
      express,
      makeBridge({ provider: provider.options({ linkClaim: 'app.user_id' }) }),
    );
    const t1 = await provider.mint({ claims: { app: { user_id: 'u-77' } } });
    expect(authFrom(await request(byPath).get('/me').set('Authorization', `Bearer ${t1}`))?.userId).toBe(
      'u-77',
    );
    const byKeys = buildApp(
      express,
      makeBridge({ provider: provider.options({ linkClaim: ['https://example.com/legacy_id'] }) }),
    );
    const t2 = await provider.mint({ claims: { 'https://example.com/legacy_id': 1234 } });
    expect(authFrom(await request(byKeys).get('/me').set('Authorization', `Bearer ${t2}`))?.userId).toBe(
      '1234',
    );
    const t3 = await provider.mint();
    expectBridgeError(
      await request(byKeys).get('/me').set('Authorization', `Bearer ${t3}`),
      401,
      'ERR_BRIDGE_IDENTITY_UNLINKED',
    );
  });
});
