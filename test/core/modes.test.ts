import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BridgeOptions } from '../../src/index.js';
import { buildApp, eventRecorder, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import {
  AUDIENCE,
  authFrom,
  expectBridgeError,
  type ProviderFixture,
  startProvider,
} from '../helpers/fixtures.js';
import { createLegacyLogin, type LegacyLogin, memoryStore } from '../helpers/legacy.js';
import { nowSeconds, wrongKeyToken } from '../helpers/tokens.js';

const SECRET = 'legacy-secret';

describe.each(expressVersions)('%s: modes', (_name, express) => {
  let provider: ProviderFixture;
  let store: ReturnType<typeof memoryStore>;
  let legacy: LegacyLogin;

  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(async () => {
    await provider.server.close();
  });
  beforeEach(() => {
    store = memoryStore();
    legacy = createLegacyLogin({ store, secret: SECRET });
  });

  function subject(extra: BridgeOptions) {
    const recorder = eventRecorder();
    const bridge = makeBridge({
      legacy: { store: store, secret: SECRET },
      provider: provider.options(),
      onEvent: recorder.onEvent,
      ...extra,
    });
    return { app: buildApp(express, bridge), recorder };
  }

  describe("observe: never sets req.auth, never rejects, reports what 'bridge' would decide", () => {
    it('reports a legacy login without setting req.auth', async () => {
      const { cookie } = await legacy.login('u-1');
      const { app, recorder } = subject({ mode: 'observe' });
      expect(authFrom(await request(app).get('/auth-is-undefined').set('Cookie', cookie))).toBe(true);
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({
        mode: 'observe',
        outcome: 'authenticated',
        resolvedKind: 'legacy',
        userId: 'u-1',
        legacyUserId: 'u-1',
      });
    });

    it('reports a provider login without setting req.auth', async () => {
      const { app, recorder } = subject({ mode: 'observe' });
      const res = await request(app)
        .get('/auth-is-undefined')
        .set('Authorization', `Bearer ${await provider.mint({ sub: 'p-1' })}`);
      expect(authFrom(res)).toBe(true);
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({
        mode: 'observe',
        outcome: 'authenticated',
        resolvedKind: 'provider',
        userId: 'p-1',
      });
    });

    it('lets an invalid Bearer token through and reports the rejection', async () => {
      const token = await wrongKeyToken(provider.key, { iss: provider.issuer, aud: AUDIENCE });
      const { app, recorder } = subject({ mode: 'observe' });
      expect(authFrom(await request(app).get('/whoami').set('Authorization', `Bearer ${token}`))).toBeNull();
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({
        mode: 'observe',
        outcome: 'rejected',
        code: 'ERR_BRIDGE_TOKEN_INVALID',
        sent: { legacy: false, provider: true },
      });
    });

    it('lets an expired Bearer token through and reports ERR_BRIDGE_TOKEN_EXPIRED', async () => {
      const token = await provider.mint({ exp: nowSeconds() - 300, iat: nowSeconds() - 900 });
      const { app, recorder } = subject({ mode: 'observe' });
      expect(authFrom(await request(app).get('/whoami').set('Authorization', `Bearer ${token}`))).toBeNull();
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({ outcome: 'rejected', code: 'ERR_BRIDGE_TOKEN_EXPIRED' });
    });

    it('lets an empty Bearer header through and reports ERR_BRIDGE_INVALID_REQUEST', async () => {
      const { app, recorder } = subject({ mode: 'observe' });
      expect(authFrom(await request(app).get('/whoami').set('Authorization', 'Bearer'))).toBeNull();
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({ outcome: 'rejected', code: 'ERR_BRIDGE_INVALID_REQUEST' });
    });

    it('lets a conflict through and reports it', async () => {
      const { cookie } = await legacy.login('legacy-user');
      const { app, recorder } = subject({ mode: 'observe' });
      const res = await request(app)
        .get('/whoami')
        .set('Cookie', cookie)
        .set('Authorization', `Bearer ${await provider.mint({ sub: 'provider-user' })}`);
      expect(authFrom(res)).toBeNull();
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({
        outcome: 'conflict',
        code: 'ERR_BRIDGE_CONFLICT',
        legacyUserId: 'legacy-user',
        providerUserId: 'provider-user',
      });
    });

    it('lets the request through when the JWKS is unavailable and reports it', async () => {
      const { app, recorder } = subject({
        mode: 'observe',
        provider: provider.options({ jwksUri: `${provider.server.origin}/missing-jwks.json` }),
      });
      const res = await request(app)
        .get('/whoami')
        .set('Authorization', `Bearer ${await provider.mint()}`);
      expect(authFrom(res)).toBeNull();
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({ outcome: 'unavailable', code: 'ERR_BRIDGE_JWKS_UNAVAILABLE' });
    });

    it('reports each request exactly once', async () => {
      const { cookie } = await legacy.login('u-1');
      const { app, recorder } = subject({ mode: 'observe' });
      await request(app).get('/whoami').set('Cookie', cookie);
      await request(app).get('/whoami');
      await request(app).get('/whoami').set('Authorization', 'Bearer nope');
      const events = await recorder.waitFor(3);
      expect(events.map((event) => event.outcome)).toEqual(['authenticated', 'anonymous', 'rejected']);
    });
  });

  describe('provider-only: legacy sessions recognised and reported, not accepted', () => {
    it('leaves req.auth undefined for a legacy session and reports the legacy user', async () => {
      const { cookie } = await legacy.login('u-legacy');
      const { app, recorder } = subject({ mode: 'provider-only' });
      expect(authFrom(await request(app).get('/auth-is-undefined').set('Cookie', cookie))).toBe(true);
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({
        mode: 'provider-only',
        legacyUserId: 'u-legacy',
        sent: { legacy: true, provider: false },
        code: 'ERR_BRIDGE_LEGACY_DISABLED',
      });
      expect(event?.outcome).not.toBe('authenticated');
      expect(event?.userId).toBeUndefined();
    });

    it('answers requireUser() with 401 ERR_BRIDGE_LEGACY_DISABLED and a machine-readable hint', async () => {
      const { cookie } = await legacy.login('u-legacy');
      const { app } = subject({ mode: 'provider-only' });
      const body = expectBridgeError(
        await request(app).get('/me').set('Cookie', cookie),
        401,
        'ERR_BRIDGE_LEGACY_DISABLED',
      );
      expect(body.hint).toMatch(/^[a-z_]+$/);
      expect(body.hint).toMatch(/provider/);
    });

    it('still authenticates provider tokens', async () => {
      const { app } = subject({ mode: 'provider-only' });
      const res = await request(app)
        .get('/me')
        .set('Authorization', `Bearer ${await provider.mint({ sub: 'p-2' })}`);
      expect(authFrom(res)).toMatchObject({ userId: 'p-2', kind: 'provider' });
    });

    it('authenticates with the provider token when a legacy session for the same user is also sent', async () => {
      const { cookie } = await legacy.login('user-1');
      const { app } = subject({ mode: 'provider-only' });
      const res = await request(app)
        .get('/me')
        .set('Cookie', cookie)
        .set('Authorization', `Bearer ${await provider.mint({ sub: 'user-1' })}`);
      expect(authFrom(res)).toMatchObject({ userId: 'user-1', kind: 'provider' });
    });

    it('answers requireUser() without credentials with a plain 401 and no hint', async () => {
      const { app } = subject({ mode: 'provider-only' });
      const body = expectBridgeError(await request(app).get('/me'), 401, 'ERR_BRIDGE_UNAUTHENTICATED');
      expect(body.hint).toBeUndefined();
    });

    it('still rejects invalid Bearer tokens', async () => {
      const { app } = subject({ mode: 'provider-only' });
      expectBridgeError(
        await request(app).get('/me').set('Authorization', 'Bearer not.a.jwt'),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });
  });

  describe('bridge (the default)', () => {
    it('accepts both kinds without a mode option', async () => {
      const { cookie } = await legacy.login('u-1');
      const { app, recorder } = subject({});
      expect(authFrom(await request(app).get('/me').set('Cookie', cookie))).toMatchObject({ kind: 'legacy' });
      const res = await request(app)
        .get('/me')
        .set('Authorization', `Bearer ${await provider.mint()}`);
      expect(authFrom(res)).toMatchObject({ kind: 'provider' });
      const events = await recorder.waitFor(2);
      expect(events.every((event) => event.mode === 'bridge')).toBe(true);
    });
  });
});
