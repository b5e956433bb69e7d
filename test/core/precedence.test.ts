import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BridgeOptions, ConflictPolicy } from '../../src/index.js';
import { buildApp, eventRecorder, makeBridge } from '../helpers/apps.js';
import { type ExpressFactory, expressVersions } from '../helpers/express-versions.js';
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
const PROVIDER_COOKIE = 'stytch_session_jwt';

describe.each(expressVersions)('%s: a legacy session and a provider token together', (_name, express) => {
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

  function subject(extra: BridgeOptions = {}, expressFactory: ExpressFactory = express) {
    const recorder = eventRecorder();
    const bridge = makeBridge({
      legacy: { store: store, secret: SECRET },
      provider: provider.options({ cookieName: PROVIDER_COOKIE }),
      onEvent: recorder.onEvent,
      ...extra,
    });
    return { app: buildApp(expressFactory, bridge), recorder };
  }

  describe('both valid', () => {
    it('authenticates as provider with presented [legacy, provider] when both name the same user', async () => {
      const { sid, cookie } = await legacy.login('user-1');
      const token = await provider.mint({ sub: 'user-1' });
      const { app, recorder } = subject();
      const auth = authFrom(
        await request(app).get('/me').set('Cookie', cookie).set('Authorization', `Bearer ${token}`),
      );
      expect(auth).toMatchObject({
        userId: 'user-1',
        kind: 'provider',
        presented: ['legacy', 'provider'],
        token,
      });
      expect(auth?.sessionId === undefined || auth?.sessionId === sid).toBe(true);
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({
        outcome: 'authenticated',
        resolvedKind: 'provider',
        userId: 'user-1',
        legacyUserId: 'user-1',
        providerUserId: 'user-1',
        sent: { legacy: true, provider: true },
      });
    });

    it('treats a provider identity linked to the legacy id as the same user', async () => {
      const { cookie } = await legacy.login('legacy-9');
      const token = await provider.mint({ sub: 'auth0|nine' });
      const { app } = subject({
        provider: provider.options({ userId: (claims) => (claims.sub === 'auth0|nine' ? 'legacy-9' : null) }),
      });
      const auth = authFrom(
        await request(app).get('/whoami').set('Cookie', cookie).set('Authorization', `Bearer ${token}`),
      );
      expect(auth).toMatchObject({ userId: 'legacy-9', kind: 'provider', presented: ['legacy', 'provider'] });
    });

    it('accepts the provider cookie next to the legacy cookie for the same user', async () => {
      const { cookie } = await legacy.login('user-1');
      const token = await provider.mint({ sub: 'user-1' });
      const { app } = subject();
      const auth = authFrom(
        await request(app).get('/whoami').set('Cookie', `${cookie}; ${PROVIDER_COOKIE}=${token}`),
      );
      expect(auth).toMatchObject({ userId: 'user-1', kind: 'provider', presented: ['legacy', 'provider'] });
    });
  });

  describe('both valid, different users', () => {
    async function conflictingRequest(policy: ConflictPolicy | undefined) {
      const { cookie } = await legacy.login('legacy-user');
      const token = await provider.mint({ sub: 'provider-user' });
      const { app, recorder } = subject(policy === undefined ? {} : { onConflict: policy });
      const res = await request(app).get('/me').set('Cookie', cookie).set('Authorization', `Bearer ${token}`);
      return { res, recorder };
    }

    it('rejects by default with 400 invalid_request ERR_BRIDGE_CONFLICT', async () => {
      const { res, recorder } = await conflictingRequest(undefined);
      expectBridgeError(res, 400, 'ERR_BRIDGE_CONFLICT');
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({
        outcome: 'conflict',
        code: 'ERR_BRIDGE_CONFLICT',
        legacyUserId: 'legacy-user',
        providerUserId: 'provider-user',
        sent: { legacy: true, provider: true },
      });
      expect(event?.userId).toBeUndefined();
    });

    it("rejects with onConflict: 'reject'", async () => {
      const { res } = await conflictingRequest('reject');
      expectBridgeError(res, 400, 'ERR_BRIDGE_CONFLICT');
    });

    it("uses the provider user with onConflict: 'prefer-provider'", async () => {
      const { res } = await conflictingRequest('prefer-provider');
      expect(authFrom(res)).toMatchObject({
        userId: 'provider-user',
        kind: 'provider',
        presented: ['legacy', 'provider'],
      });
    });

    it("uses the legacy user with onConflict: 'prefer-legacy'", async () => {
      const { res, recorder } = await conflictingRequest('prefer-legacy');
      expect(authFrom(res)).toMatchObject({
        userId: 'legacy-user',
        kind: 'legacy',
        presented: ['legacy', 'provider'],
      });
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({
        resolvedKind: 'legacy',
        legacyUserId: 'legacy-user',
        providerUserId: 'provider-user',
      });
    });
  });

  describe('an invalid Bearer token never falls back to the legacy session', () => {
    it('answers 401 ERR_BRIDGE_TOKEN_EXPIRED for an expired Bearer token next to a valid legacy cookie', async () => {
      const { cookie } = await legacy.login('user-1');
      const token = await provider.mint({ sub: 'user-1', exp: nowSeconds() - 300, iat: nowSeconds() - 900 });
      const { app } = subject();
      const res = await request(app).get('/me').set('Cookie', cookie).set('Authorization', `Bearer ${token}`);
      expectBridgeError(res, 401, 'ERR_BRIDGE_TOKEN_EXPIRED');
    });

    it('answers 401 ERR_BRIDGE_TOKEN_INVALID for a forged Bearer token next to a valid legacy cookie', async () => {
      const { cookie } = await legacy.login('user-1');
      const token = await wrongKeyToken(provider.key, { iss: provider.issuer, aud: AUDIENCE, sub: 'user-1' });
      const { app, recorder } = subject();
      const res = await request(app).get('/me').set('Cookie', cookie).set('Authorization', `Bearer ${token}`);
      const body = expectBridgeError(res, 401, 'ERR_BRIDGE_TOKEN_INVALID');
      expect(body.error).toBe('invalid_token');
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({ outcome: 'rejected', code: 'ERR_BRIDGE_TOKEN_INVALID' });
    });

    it('answers 400 invalid_request for an empty Bearer token next to a valid legacy cookie', async () => {
      const { cookie } = await legacy.login('user-1');
      const { app } = subject();
      const res = await request(app).get('/me').set('Cookie', cookie).set('Authorization', 'Bearer');
      expectBridgeError(res, 400, 'ERR_BRIDGE_INVALID_REQUEST');
    });
  });

  describe('a stale provider cookie', () => {
    it('uses the legacy session when the provider cookie is expired', async () => {
      const { cookie } = await legacy.login('user-1');
      const token = await provider.mint({ sub: 'user-1', exp: nowSeconds() - 300, iat: nowSeconds() - 900 });
      const { app } = subject();
      const res = await request(app).get('/me').set('Cookie', `${cookie}; ${PROVIDER_COOKIE}=${token}`);
      expect(authFrom(res)).toMatchObject({ userId: 'user-1', kind: 'legacy', presented: ['legacy'] });
    });

    it('uses the legacy session when the provider cookie is garbage', async () => {
      const { cookie } = await legacy.login('user-1');
      const { app } = subject();
      const res = await request(app).get('/me').set('Cookie', `${PROVIDER_COOKIE}=not-a-jwt; ${cookie}`);
      expect(authFrom(res)).toMatchObject({ userId: 'user-1', kind: 'legacy' });
    });

    it('answers 401 ERR_BRIDGE_TOKEN_EXPIRED for an expired provider cookie sent alone', async () => {
      const token = await provider.mint({ exp: nowSeconds() - 300, iat: nowSeconds() - 900 });
      const { app } = subject();
      const res = await request(app).get('/me').set('Cookie', `${PROVIDER_COOKIE}=${token}`);
      expectBridgeError(res, 401, 'ERR_BRIDGE_TOKEN_EXPIRED');
    });

    it('answers 401 ERR_BRIDGE_TOKEN_INVALID for a forged provider cookie sent alone', async () => {
      const token = await wrongKeyToken(provider.key, { iss: provider.issuer, aud: AUDIENCE });
      const { app } = subject();
      const res = await request(app).get('/me').set('Cookie', `${PROVIDER_COOKIE}=${token}`);
      expectBridgeError(res, 401, 'ERR_BRIDGE_TOKEN_INVALID');
    });
  });
});
