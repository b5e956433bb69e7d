/**
 * The opaque-session policy through the middleware, against stand-ins that can be slowed, stopped and
 * restarted (Ory's whoami, an RFC 7662 introspection endpoint): refused is 401, undecidable is 503 with
 * Retry-After, the breaker answers at once while the provider is down and recovers on its own, a failing
 * provider *cookie* gives way to a valid legacy session while a failing *header* credential is final, and
 * the positive cache spares the provider without outliving the session.
 */
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BridgeOptions, introspection, ory, type ProviderSessionTuning } from '../../../src/index.js';
import { buildApp, makeBridge, sleep } from '../../helpers/apps.js';
import { expressVersions } from '../../helpers/express-versions.js';
import { authFrom, expectBridgeError } from '../../helpers/fixtures.js';
import { APP_SECRETS, appCookies, expectOnlyForwarded } from '../../helpers/forwarded.js';
import { createLegacyLogin, type LegacyLogin, memoryStore } from '../../helpers/legacy.js';
import { type OryStandin, startOryStandin } from '../../helpers/ory-standin.js';
import { type IntrospectionStandin, startIntrospectionStandin } from '../../helpers/provider-standins.js';

const SECRET = 'legacy-secret';
/** Short enough for a fast suite, long enough to tell "waited for the timeout" from "answered at once". */
const TIMEOUT_MS = 500;

describe.each(expressVersions)('%s: opaque provider sessions through the middleware', (_name, express) => {
  let project: OryStandin;
  let legacy: LegacyLogin;
  let store: ReturnType<typeof memoryStore>;
  beforeAll(async () => {
    project = await startOryStandin();
    store = memoryStore();
    legacy = createLegacyLogin({ store, secret: SECRET });
  });
  beforeEach(async () => {
    project.server.mode = 'ok';
    project.server.delayMs = 0;
    project.throttle = undefined;
    await project.server.start();
    project.server.requests.length = 0;
  });
  afterAll(async () => {
    await project.close();
  });

  function app(session: ProviderSessionTuning = {}, options: BridgeOptions = {}) {
    const base = ory({ url: project.url });
    const provider = {
      ...base,
      session: { check: 'ory-whoami' as const, url: project.url, timeoutMs: TIMEOUT_MS, ...session },
    };
    return buildApp(express, makeBridge({ provider, ...options }));
  }
  const whoami = () => project.server.requests.length;
  const oryCookie = (value: string) => `ory_session_playground=${value}`;

  describe('refused and undecidable', () => {
    it('answers 401 invalid_token for a session Ory refuses', async () => {
      expectBridgeError(
        await request(app()).get('/me').set('Cookie', oryCookie('ory_st_revoked')),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });

    it('answers 503 ERR_BRIDGE_PROVIDER_UNAVAILABLE with Retry-After when Ory is down', async () => {
      const { value } = project.addSession();
      await project.server.stop();
      expectBridgeError(
        await request(app()).get('/me').set('Cookie', oryCookie(value)),
        503,
        'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
      );
    });

    it('answers 503 when Ory answers 500', async () => {
      const { value } = project.addSession();
      project.server.mode = 'fail';
      expectBridgeError(
        await request(app()).get('/me').set('X-Session-Token', value),
        503,
        'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
      );
    });

    it('answers 503 after session.timeoutMs when Ory is slower, without waiting for its answer', async () => {
      const { value } = project.addSession();
      project.server.delayMs = 3_000;
      const started = Date.now();
      const res = await request(app()).get('/me').set('X-Session-Token', value);
      const took = Date.now() - started;
      expectBridgeError(res, 503, 'ERR_BRIDGE_PROVIDER_UNAVAILABLE');
      expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
      expect(took).toBeLessThan(2_000);
    });
  });

  describe('circuit breaker', () => {
    it('refuses a cookie value no header can carry without asking Ory, so such requests never open the breaker', async () => {
      const { value, identityId } = project.addSession();
      const bridged = app({ failureThreshold: 2 });
      // Percent-decoded, these are a line break, a non-Latin-1 character and NUL: fetch cannot send them.
      for (const bad of ['%0D%0Aevil', '%E2%82%AC', '%00', '%0A']) {
        expectBridgeError(
          await request(bridged).get('/me').set('Cookie', oryCookie(bad)),
          401,
          'ERR_BRIDGE_TOKEN_INVALID',
        );
      }
      expect(whoami()).toBe(0);
      expect(authFrom(await request(bridged).get('/me').set('Cookie', oryCookie(value)))).toMatchObject({
        userId: identityId,
      });
    });

    it('answers 503 at once after failureThreshold failures on distinct credentials and recovers after coolDownMs without a restart', async () => {
      const { value, identityId } = project.addSession();
      const another = project.addSession();
      const coolDownMs = 600;
      const bridged = app({ failureThreshold: 2, coolDownMs });
      project.server.mode = 'hang';
      for (const token of [value, another.value]) {
        const started = Date.now();
        expectBridgeError(
          await request(bridged).get('/me').set('X-Session-Token', token),
          503,
          'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
        );
        expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
      }
      expect(whoami()).toBe(2);
      project.server.mode = 'ok';
      // Open: answered without asking Ory, well under the timeout, and told when to come back.
      const started = Date.now();
      const open = await request(bridged).get('/me').set('X-Session-Token', value);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS / 2);
      expectBridgeError(open, 503, 'ERR_BRIDGE_PROVIDER_UNAVAILABLE');
      expect(open.headers['retry-after']).toBe('1');
      expect(whoami()).toBe(2);
      await sleep(coolDownMs + 50);
      // The probe goes through, succeeds and closes the breaker.
      expect(authFrom(await request(bridged).get('/me').set('X-Session-Token', value))).toMatchObject({
        kind: 'provider',
        userId: identityId,
      });
      expect(authFrom(await request(bridged).get('/me').set('X-Session-Token', another.value))).toMatchObject(
        { userId: another.identityId },
      );
      expect(whoami()).toBe(4);
    });

    it('one client with 5 failing credentials, and one flooding junk, never shut out a legitimate new user', async () => {
      const bridged = app({}, { legacy: { store, secret: SECRET } });
      const { cookie: legacyCookie } = await legacy.login('u-legacy-flood');
      const cachedUser = project.addSession();
      await request(bridged).get('/me').set('X-Session-Token', cachedUser.value).expect(200);
      for (let round = 0; round < 3; round++) {
        // Five credentials that make Ory answer 500, sent again and again (default failureThreshold: 5).
        const crafted = Array.from({ length: 5 }, (_, i) => `ory_st_crash_${round}_${i}`);
        for (const token of crafted) project.crashOn.add(token);
        for (let repeat = 0; repeat < 2; repeat++) {
          for (const token of crafted) {
            expectBridgeError(
              await request(bridged).get('/me').set('X-Session-Token', token),
              503,
              'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
            );
          }
        }
        const newcomer = project.addSession();
        expect(
          authFrom(await request(bridged).get('/me').set('X-Session-Token', newcomer.value)),
        ).toMatchObject({ kind: 'provider', userId: newcomer.identityId });
      }
      // A flood of junk makes Ory rate-limit us: 429 throttles lookups, it never opens the breaker.
      project.throttle = { retryAfter: '1' };
      const before = whoami();
      const flood = [];
      for (let i = 0; i < 20; i++)
        flood.push(await request(bridged).get('/me').set('X-Session-Token', `ory_st_junk_${i}`));
      for (const res of flood) {
        expectBridgeError(res, 503, 'ERR_BRIDGE_PROVIDER_UNAVAILABLE');
        expect(res.headers['retry-after']).toBe('1');
      }
      // Once Ory said 429, the rest of the flood was refused without asking it.
      expect(whoami() - before).toBe(1);
      // Cached and legacy users are not affected while we are throttled.
      expect(
        authFrom(await request(bridged).get('/me').set('X-Session-Token', cachedUser.value)),
      ).toMatchObject({ userId: cachedUser.identityId });
      expect(authFrom(await request(bridged).get('/me').set('Cookie', legacyCookie))).toMatchObject({
        kind: 'legacy',
      });
      project.throttle = undefined;
      await sleep(1050);
      const newcomer = project.addSession();
      expect(
        authFrom(await request(bridged).get('/me').set('X-Session-Token', newcomer.value)),
      ).toMatchObject({ kind: 'provider', userId: newcomer.identityId });
    });

    it('reopens when the probe after the cool-down fails, and recovers once Ory is back', async () => {
      const { value } = project.addSession();
      const coolDownMs = 300;
      const bridged = app({ failureThreshold: 1, coolDownMs });
      await project.server.stop();
      expectBridgeError(
        await request(bridged).get('/me').set('X-Session-Token', value),
        503,
        'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
      );
      await sleep(coolDownMs + 50);
      expectBridgeError(
        await request(bridged).get('/me').set('X-Session-Token', value),
        503,
        'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
      );
      await project.server.start();
      // Open again right after the failed probe.
      expectBridgeError(
        await request(bridged).get('/me').set('X-Session-Token', value),
        503,
        'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
      );
      expect(whoami()).toBe(0);
      await sleep(coolDownMs + 50);
      authFrom(await request(bridged).get('/me').set('X-Session-Token', value));
      expect(whoami()).toBe(1);
    });
  });

  describe('next to a legacy session', () => {
    const withLegacy = (session: ProviderSessionTuning = {}) =>
      app(session, { legacy: { store, secret: SECRET } });

    it('a refused Ory cookie gives way to a valid legacy session', async () => {
      const { cookie } = await legacy.login('u-legacy-1');
      const auth = authFrom(
        await request(withLegacy())
          .get('/me')
          .set('Cookie', [cookie, oryCookie('ory_st_stale')]),
      );
      expect(auth).toMatchObject({ kind: 'legacy', userId: 'u-legacy-1', presented: ['legacy'] });
    });

    it('an Ory cookie that cannot be checked (Ory down) gives way to a valid legacy session', async () => {
      const { cookie } = await legacy.login('u-legacy-2');
      const { value } = project.addSession();
      await project.server.stop();
      const auth = authFrom(
        await request(withLegacy())
          .get('/me')
          .set('Cookie', [cookie, oryCookie(value)]),
      );
      expect(auth).toMatchObject({ kind: 'legacy', userId: 'u-legacy-2' });
    });

    it('an Ory cookie slower than timeoutMs gives way to a valid legacy session', async () => {
      const { cookie } = await legacy.login('u-legacy-3');
      const { value } = project.addSession();
      project.server.mode = 'hang';
      const auth = authFrom(
        await request(withLegacy())
          .get('/me')
          .set('Cookie', [cookie, `ory_kratos_session=${value}`]),
      );
      expect(auth).toMatchObject({ kind: 'legacy', userId: 'u-legacy-3' });
    });

    it('a refused X-Session-Token is final: 401 although the legacy session is valid', async () => {
      const { cookie } = await legacy.login('u-legacy-4');
      expectBridgeError(
        await request(withLegacy()).get('/me').set('Cookie', cookie).set('X-Session-Token', 'ory_st_stale'),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });

    it('a refused Bearer session token is final: 401 although the legacy session is valid', async () => {
      const { cookie } = await legacy.login('u-legacy-5');
      expectBridgeError(
        await request(withLegacy())
          .get('/me')
          .set('Cookie', cookie)
          .set('Authorization', 'Bearer ory_st_stale'),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });

    it('an X-Session-Token or Bearer that cannot be checked is final: 503 although the legacy session is valid', async () => {
      const { cookie } = await legacy.login('u-legacy-6');
      const { value } = project.addSession();
      await project.server.stop();
      const bridged = withLegacy();
      expectBridgeError(
        await request(bridged).get('/me').set('Cookie', cookie).set('X-Session-Token', value),
        503,
        'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
      );
      expectBridgeError(
        await request(bridged).get('/me').set('Cookie', cookie).set('Authorization', `Bearer ${value}`),
        503,
        'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
      );
    });
  });

  describe('positive cache', () => {
    it('answers a second request for the same session without asking Ory', async () => {
      const { value, identityId } = project.addSession();
      const bridged = app({ cacheTtlMs: 60_000 });
      for (let i = 0; i < 3; i++) {
        expect(authFrom(await request(bridged).get('/me').set('Cookie', oryCookie(value)))).toMatchObject({
          userId: identityId,
          providerSession: { identity: { id: identityId } },
        });
      }
      expect(whoami()).toBe(1);
    });

    it('still answers from the cache while Ory is down, within cacheTtlMs', async () => {
      const { value, identityId } = project.addSession();
      const bridged = app({ cacheTtlMs: 60_000 });
      authFrom(await request(bridged).get('/me').set('X-Session-Token', value));
      await project.server.stop();
      expect(authFrom(await request(bridged).get('/me').set('X-Session-Token', value))).toMatchObject({
        userId: identityId,
      });
    });

    it('never reuses an answer beyond the session expiry, even within cacheTtlMs', async () => {
      const clock = { t: Date.now() };
      const expiresAt = new Date(clock.t + 60_000);
      const { value } = project.addSession({ expiresAt });
      const bridged = app({ cacheTtlMs: 600_000 }, { now: () => clock.t });
      const first = authFrom(await request(bridged).get('/me').set('Cookie', oryCookie(value)));
      expect(first).toMatchObject({ payload: { exp: Math.floor(expiresAt.getTime() / 1000) } });
      clock.t += 59_000;
      authFrom(await request(bridged).get('/me').set('Cookie', oryCookie(value)));
      expect(whoami()).toBe(1);
      clock.t += 2_000;
      expectBridgeError(
        await request(bridged).get('/me').set('Cookie', oryCookie(value)),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
      expect(whoami()).toBe(2);
    });

    it('asks Ory again once cacheTtlMs has passed', async () => {
      const clock = { t: Date.now() };
      const { value } = project.addSession();
      const bridged = app({ cacheTtlMs: 1_000 }, { now: () => clock.t });
      authFrom(await request(bridged).get('/me').set('X-Session-Token', value));
      clock.t += 1_001;
      authFrom(await request(bridged).get('/me').set('X-Session-Token', value));
      expect(whoami()).toBe(2);
    });

    it('remembers a refused credential for negativeTtlMs without asking Ory again', async () => {
      const bridged = app({ negativeTtlMs: 60_000 });
      for (let i = 0; i < 3; i++) {
        expectBridgeError(
          await request(bridged).get('/me').set('X-Session-Token', 'ory_st_bad'),
          401,
          'ERR_BRIDGE_TOKEN_INVALID',
        );
      }
      expect(whoami()).toBe(1);
    });
  });
});

describe.each(expressVersions)('%s: introspection() preset through the middleware', (_name, express) => {
  let server: IntrospectionStandin;
  beforeAll(async () => {
    server = await startIntrospectionStandin();
  });
  beforeEach(() => {
    server.server.requests.length = 0;
    server.server.mode = 'ok';
  });
  afterAll(async () => {
    await server.close();
  });

  const app = (audience: string | null = null, extra: BridgeOptions = {}) =>
    buildApp(
      express,
      makeBridge({
        provider: introspection({
          endpoint: server.endpoint,
          clientId: server.clientId,
          clientSecret: server.clientSecret,
          audience,
        }),
        ...extra,
      }),
    );
  const issuer = () => new URL(server.endpoint).origin;

  it("refuses an active answer naming another issuer, or a refresh token, with 401; accepts its own issuer's", async () => {
    const api = 'https://api.example.test';
    server.tokens.set('at-foreign', { sub: 'svc-1', aud: api, iss: 'https://other-idp.example.test' });
    server.tokens.set('rt-1', { sub: 'svc-1', aud: api, iss: issuer(), token_type: 'refresh_token' });
    server.tokens.set('at-own', { sub: 'svc-1', aud: api, iss: issuer(), token_type: 'Bearer' });
    for (const token of ['at-foreign', 'rt-1']) {
      expectBridgeError(
        await request(app(api)).get('/me').set('Authorization', `Bearer ${token}`),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    }
    const auth = authFrom(await request(app(api)).get('/me').set('Authorization', 'Bearer at-own'));
    expect(auth).toMatchObject({ kind: 'provider', userId: 'svc-1' });
  });

  it('refuses an nbf in the future beyond the clock tolerance, and accepts one within it', async () => {
    const now = Math.floor(Date.now() / 1000);
    server.tokens.set('at-later', { sub: 'svc-2', nbf: now + 60 });
    server.tokens.set('at-skewed', { sub: 'svc-2', nbf: now + 3 });
    expectBridgeError(
      await request(app()).get('/me').set('Authorization', 'Bearer at-later'),
      401,
      'ERR_BRIDGE_TOKEN_INVALID',
    );
    const auth = authFrom(await request(app()).get('/me').set('Authorization', 'Bearer at-skewed'));
    expect(auth).toMatchObject({ kind: 'provider', userId: 'svc-2' });
  });

  it('refuses a token whose aud does not name the configured audience', async () => {
    server.tokens.set('at-other-aud', { sub: 'svc-3', aud: 'https://another-api.example.test' });
    expectBridgeError(
      await request(app('https://api.example.test')).get('/me').set('Authorization', 'Bearer at-other-aud'),
      401,
      'ERR_BRIDGE_TOKEN_INVALID',
    );
  });

  it('requires an audience at construction unless null is passed knowingly', () => {
    const options = {
      endpoint: server.endpoint,
      clientId: server.clientId,
      clientSecret: server.clientSecret,
    };
    const build = () =>
      makeBridge({ provider: introspection(options as Parameters<typeof introspection>[0]) });
    expect(build).toThrow(TypeError);
    expect(build).toThrow(/session\.audience` is required/);
    expect(() => makeBridge({ provider: introspection({ ...options, audience: null }) })).not.toThrow();
  });

  it('accepts an active token: payload from the answer (iss the endpoint origin, sub, exp, scope)', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    server.tokens.set('at-active-1', { sub: 'svc-7', exp, scope: 'read:orders', client_id: 'cli' });
    const auth = authFrom(await request(app()).get('/me').set('Authorization', 'Bearer at-active-1'));
    expect(auth).toMatchObject({
      kind: 'provider',
      provider: 'introspection',
      userId: 'svc-7',
      payload: { iss: new URL(server.endpoint).origin, sub: 'svc-7', exp, scope: 'read:orders' },
      providerSession: { active: true, sub: 'svc-7', client_id: 'cli' },
    });
    expect(auth).not.toHaveProperty('token');
  });

  it('refuses active: false with 401 invalid_token', async () => {
    expectBridgeError(
      await request(app()).get('/me').set('Authorization', 'Bearer at-unknown'),
      401,
      'ERR_BRIDGE_TOKEN_INVALID',
    );
  });

  it("sends only the token and this API's client credentials: none of the app's cookies or headers", async () => {
    server.tokens.set('at-active-2', { sub: 'svc-8' });
    authFrom(
      await request(app())
        .get('/whoami')
        .set('Authorization', 'Bearer at-active-2')
        .set('Cookie', appCookies())
        .set('X-Api-Key', APP_SECRETS.apiKey),
    );
    const [seen] = server.server.requests;
    expectOnlyForwarded(seen, {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(server.clientId)}:${encodeURIComponent(server.clientSecret)}`).toString('base64')}`,
    });
    expect(Object.fromEntries(new URLSearchParams(seen?.body))).toEqual({
      token: 'at-active-2',
      token_type_hint: 'access_token',
    });
  });

  it('answers 503 when the introspection endpoint fails', async () => {
    server.tokens.set('at-active-3', { sub: 'svc-9' });
    server.server.mode = 'fail';
    expectBridgeError(
      await request(app()).get('/me').set('Authorization', 'Bearer at-active-3'),
      503,
      'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
    );
  });
});
