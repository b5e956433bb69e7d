/**
 * The `authgear()` preset against a local stand-in of an Authgear endpoint: JWT access tokens (issuer and
 * audience the endpoint, keys found through `/.well-known/openid-configuration` -> `/oauth2/jwks`) and the
 * `session` cookie checked through `/_resolver/resolve`, which answers with `X-Authgear-*` headers.
 */
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { authgear, type BridgeOptions, type ProviderOptions } from '../../src/index.js';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError } from '../helpers/fixtures.js';
import { APP_SECRETS, appCookies, expectOnlyForwarded } from '../helpers/forwarded.js';
import { type AuthgearStandin, startAuthgearStandin } from '../helpers/provider-standins.js';
import { createSigningKey, mintToken, nowSeconds } from '../helpers/tokens.js';

const USER = '0b2a3f5e-8c1d-4e6f-9a7b-1c2d3e4f5a6b';

describe.each(expressVersions)('%s: authgear() preset', (_name, express) => {
  let project: AuthgearStandin;
  beforeAll(async () => {
    project = await startAuthgearStandin();
  });
  beforeEach(() => {
    project.server.mode = 'ok';
    project.server.requests.length = 0;
  });
  afterAll(async () => {
    await project.close();
  });

  function app(extra: Partial<ProviderOptions> = {}, options: BridgeOptions = {}) {
    return buildApp(
      express,
      makeBridge({ provider: authgear({ endpoint: project.endpoint, ...extra }), ...options }),
    );
  }
  const resolverCalls = () => project.server.requests.filter((r) => r.path === '/_resolver/resolve');

  describe('JWT access tokens', () => {
    it('accepts an access token with keys found through discovery: iss and aud are the endpoint', async () => {
      const token = await project.mint();
      const auth = authFrom(await request(app()).get('/me').set('Authorization', `Bearer ${token}`));
      expect(auth).toMatchObject({
        kind: 'provider',
        provider: 'authgear',
        userId: USER,
        token,
        header: { alg: 'RS256', kid: project.key.kid },
        payload: { iss: project.endpoint, aud: project.endpoint, sub: USER, client_id: 'web' },
      });
      expect(project.server.requests.map((r) => r.path)).toEqual([
        '/.well-known/openid-configuration',
        '/oauth2/jwks',
      ]);
      expect(resolverCalls()).toEqual([]);
    });

    it('refuses a token whose aud is not the endpoint with ERR_BRIDGE_TOKEN_INVALID', async () => {
      const token = await project.mint({ aud: 'https://other.authgear.cloud' });
      expectBridgeError(
        await request(app()).get('/me').set('Authorization', `Bearer ${token}`),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });

    it('refuses a token of another Authgear project as an untrusted issuer', async () => {
      const other = await createSigningKey();
      const token = await mintToken(other, {
        iss: 'https://other.authgear.cloud',
        aud: 'https://other.authgear.cloud',
        sub: USER,
      });
      expectBridgeError(
        await request(app()).get('/me').set('Authorization', `Bearer ${token}`),
        401,
        'ERR_BRIDGE_UNTRUSTED_ISSUER',
      );
    });

    it('refuses an expired access token with ERR_BRIDGE_TOKEN_EXPIRED', async () => {
      const token = await project.mint({ iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 });
      expectBridgeError(
        await request(app()).get('/me').set('Authorization', `Bearer ${token}`),
        401,
        'ERR_BRIDGE_TOKEN_EXPIRED',
      );
    });
  });

  describe('the session cookie through the resolver', () => {
    it('accepts a valid session cookie: providerSession holds the X-Authgear-* headers, no token or header', async () => {
      project.sessions.set('ag-sess-1', USER);
      const auth = authFrom(await request(app()).get('/me').set('Cookie', 'session=ag-sess-1'));
      expect(auth).toMatchObject({
        kind: 'provider',
        provider: 'authgear',
        userId: USER,
        payload: { iss: project.endpoint, sub: USER },
        providerSession: {
          'x-authgear-session-valid': 'true',
          'x-authgear-user-id': USER,
          'x-authgear-user-verified': 'true',
          'x-authgear-session-amr': 'pwd',
        },
      });
      expect(auth).not.toHaveProperty('token');
      expect(auth).not.toHaveProperty('header');
      expect(auth?.payload).not.toHaveProperty('exp');
    });

    it('refuses X-Authgear-Session-Valid: false with ERR_BRIDGE_TOKEN_INVALID', async () => {
      const res = await request(app()).get('/me').set('Cookie', 'session=signed-out-elsewhere');
      expectBridgeError(res, 401, 'ERR_BRIDGE_TOKEN_INVALID');
      expect(resolverCalls()).toHaveLength(1);
    });

    it("forwards only Authgear's session cookie: not the app's other cookies, not X-Api-Key", async () => {
      project.sessions.set('ag-sess-2', USER);
      authFrom(
        await request(app())
          .get('/whoami')
          .set('Cookie', [...appCookies(), 'session=ag-sess-2'])
          .set('X-Api-Key', APP_SECRETS.apiKey),
      );
      expect(resolverCalls()).toHaveLength(1);
      expectOnlyForwarded(resolverCalls()[0], { cookie: 'session=ag-sess-2' });
    });

    it('never sends a non-JWT Bearer value to the resolver: the session cookie next to it decides', async () => {
      project.sessions.set('ag-sess-7', USER);
      const auth = authFrom(
        await request(app())
          .get('/me')
          .set('Authorization', 'Bearer sk_live_51HxAbCdEfGhIjKlMnOpQrStUv')
          .set('Cookie', 'session=ag-sess-7'),
      );
      expect(auth).toMatchObject({ kind: 'provider', provider: 'authgear', userId: USER });
      expect(resolverCalls()).toHaveLength(1);
      expectOnlyForwarded(resolverCalls()[0], { cookie: 'session=ag-sess-7' });
      const alone = await request(app()).get('/whoami').set('Authorization', 'Bearer opaque-value');
      expect(alone.status).toBe(200);
      expect(alone.body).toBeNull();
      expect(resolverCalls()).toHaveLength(1);
    });

    it('refuses a session cookie value no header can carry without calling the resolver or opening the breaker', async () => {
      project.sessions.set('ag-sess-6', USER);
      const bridged = app({
        session: { check: 'authgear-resolver', endpoint: project.endpoint, failureThreshold: 1 },
      });
      expectBridgeError(
        await request(bridged).get('/me').set('Cookie', 'session=%E2%82%AC%0A'),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
      expect(resolverCalls()).toEqual([]);
      expect(authFrom(await request(bridged).get('/me').set('Cookie', 'session=ag-sess-6'))).toMatchObject({
        userId: USER,
      });
    });

    it('answers 503 ERR_BRIDGE_PROVIDER_UNAVAILABLE when the resolver fails', async () => {
      project.sessions.set('ag-sess-3', USER);
      project.server.mode = 'fail';
      expectBridgeError(
        await request(app()).get('/me').set('Cookie', 'session=ag-sess-3'),
        503,
        'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
      );
    });

    it('reads a renamed session cookie (sessionCookie) and ignores a cookie named session then', async () => {
      project.sessions.set('ag-sess-4', USER);
      const renamed = buildApp(
        express,
        makeBridge({ provider: authgear({ endpoint: project.endpoint, sessionCookie: 'ag_session' }) }),
      );
      expect(authFrom(await request(renamed).get('/whoami').set('Cookie', 'session=ag-sess-4'))).toBeNull();
      expect(resolverCalls()).toEqual([]);
      // The resolver reads `session`: the bridge forwards the cookie under the name it was configured with.
      await request(renamed).get('/whoami').set('Cookie', 'ag_session=ag-sess-4');
      expectOnlyForwarded(resolverCalls()[0], { cookie: 'ag_session=ag-sess-4' });
    });

    it('with resolver: false, a session cookie is no credential', async () => {
      project.sessions.set('ag-sess-5', USER);
      const jwtOnly = buildApp(
        express,
        makeBridge({ provider: authgear({ endpoint: project.endpoint, resolver: false }) }),
      );
      expect(authFrom(await request(jwtOnly).get('/whoami').set('Cookie', 'session=ag-sess-5'))).toBeNull();
      expect(resolverCalls()).toEqual([]);
    });
  });
});

describe('authgear(): configuration', () => {
  it('uses the endpoint (without a trailing slash) as issuer, audience and resolver base', () => {
    expect(authgear({ endpoint: 'https://myapp.authgear.cloud/' })).toMatchObject({
      name: 'authgear',
      issuer: 'https://myapp.authgear.cloud',
      audience: 'https://myapp.authgear.cloud',
      session: {
        check: 'authgear-resolver',
        endpoint: 'https://myapp.authgear.cloud',
        cookieName: 'session',
      },
    });
  });
});
