/**
 * The `auth0()` preset against a local stand-in of a tenant's JWKS, with access tokens shaped like Auth0's:
 * `iss` `https://{tenant}/` (trailing slash), `aud` the API identifier (plus `/userinfo` with `openid`),
 * `sub` `auth0|...`, `azp`, `scope`, namespaced custom claims. Only the key URL points at 127.0.0.1.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Auth0PresetOptions, auth0, type BridgeOptions } from '../../src/index.js';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError } from '../helpers/fixtures.js';
import { APP_SECRETS, appCookies, expectOnlyForwarded } from '../helpers/forwarded.js';
import { type KeyedStandin, startAuth0Standin } from '../helpers/provider-standins.js';
import { createSigningKey, mintToken, nowSeconds } from '../helpers/tokens.js';

const DOMAIN = 'tenant.eu.auth0.com';
const ISSUER = `https://${DOMAIN}/`;
const API = 'https://api.example.com';

describe.each(expressVersions)('%s: auth0() preset', (_name, express) => {
  let tenant: KeyedStandin;
  beforeAll(async () => {
    tenant = await startAuth0Standin({ domain: DOMAIN, audience: API });
  });
  afterAll(async () => {
    await tenant.close();
  });

  function app(extra: Partial<Auth0PresetOptions> = {}, options: BridgeOptions = {}) {
    const provider = auth0({ domain: DOMAIN, audience: API, jwksUri: tenant.jwksUri, ...extra });
    return buildApp(express, makeBridge({ provider, ...options }));
  }
  const bearer = (token: string) => `Bearer ${token}`;

  it('accepts an Auth0 access token: provider auth0, the trailing-slash issuer, sub auth0|..., token and header', async () => {
    const token = await tenant.mint({ aud: [API, `${ISSUER}userinfo`] });
    const auth = authFrom(await request(app()).get('/me').set('Authorization', bearer(token)));
    expect(auth).toMatchObject({
      kind: 'provider',
      provider: 'auth0',
      userId: 'auth0|64f1c2a9e1b2c3d4e5f60718',
      token,
      header: { alg: 'RS256', kid: tenant.key.kid },
      payload: {
        iss: ISSUER,
        sub: 'auth0|64f1c2a9e1b2c3d4e5f60718',
        azp: 'spa-client-id',
        scope: 'openid profile read:orders',
      },
    });
    expect(auth?.providerSession).toBeUndefined();
  });

  it('refuses a token minted for another API (wrong audience) with ERR_BRIDGE_TOKEN_INVALID', async () => {
    const token = await tenant.mint({ aud: 'https://other-api.example.com' });
    expectBridgeError(
      await request(app()).get('/me').set('Authorization', bearer(token)),
      401,
      'ERR_BRIDGE_TOKEN_INVALID',
    );
  });

  it('refuses a token of another Auth0 tenant as an untrusted issuer', async () => {
    const otherTenant = await createSigningKey();
    const token = await mintToken(otherTenant, {
      iss: 'https://other-tenant.eu.auth0.com/',
      aud: API,
      sub: 'auth0|64f1c2a9e1b2c3d4e5f60718',
    });
    expectBridgeError(
      await request(app()).get('/me').set('Authorization', bearer(token)),
      401,
      'ERR_BRIDGE_UNTRUSTED_ISSUER',
    );
  });

  it('refuses an expired token with ERR_BRIDGE_TOKEN_EXPIRED', async () => {
    const token = await tenant.mint({ iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 });
    expectBridgeError(
      await request(app()).get('/me').set('Authorization', bearer(token)),
      401,
      'ERR_BRIDGE_TOKEN_EXPIRED',
    );
  });

  it('reads the token only from Authorization: an Auth0 token in a cookie is no credential', async () => {
    const token = await tenant.mint();
    const res = await request(app()).get('/whoami').set('Cookie', `access_token=${token}`);
    expect(authFrom(res)).toBeNull();
  });

  it("sends none of the app's cookies, headers or the token to the JWKS endpoint", async () => {
    const token = await tenant.mint();
    const before = tenant.server.requests.length;
    // A fresh bridge fetches the keys on its first token.
    const res = await request(app())
      .get('/whoami')
      .set('Authorization', bearer(token))
      .set('Cookie', appCookies())
      .set('X-Api-Key', APP_SECRETS.apiKey);
    authFrom(res);
    const fetched = tenant.server.requests.slice(before);
    expect(fetched.map((r) => r.path)).toEqual(['/.well-known/jwks.json']);
    expectOnlyForwarded(fetched[0], {});
    expect(JSON.stringify(fetched[0]?.headers)).not.toContain(token.slice(0, 40));
  });

  describe('linkClaim', () => {
    it("links through a namespaced claim given as ['https://example.com/claims', 'legacy_id']", async () => {
      const token = await tenant.mint({ claims: { 'https://example.com/claims': { legacy_id: 'u-41' } } });
      const auth = authFrom(
        await request(app({ linkClaim: ['https://example.com/claims', 'legacy_id'] }))
          .get('/me')
          .set('Authorization', bearer(token)),
      );
      expect(auth).toMatchObject({
        kind: 'provider',
        userId: 'u-41',
        payload: { iss: ISSUER, sub: 'auth0|64f1c2a9e1b2c3d4e5f60718' },
      });
    });

    it("links through a claim whose name holds dots, given as ['https://example.com/legacy_id']", async () => {
      const token = await tenant.mint({ claims: { 'https://example.com/legacy_id': 42 } });
      const auth = authFrom(
        await request(app({ linkClaim: ['https://example.com/legacy_id'] }))
          .get('/me')
          .set('Authorization', bearer(token)),
      );
      expect(auth).toMatchObject({ kind: 'provider', provider: 'auth0', userId: '42' });
    });

    it('refuses a token without the link claim when no userId callback can link it: ERR_BRIDGE_IDENTITY_UNLINKED', async () => {
      const token = await tenant.mint();
      expectBridgeError(
        await request(app({ linkClaim: ['https://example.com/claims', 'legacy_id'] }))
          .get('/me')
          .set('Authorization', bearer(token)),
        401,
        'ERR_BRIDGE_IDENTITY_UNLINKED',
      );
    });

    it('asks the userId callback when the link claim is missing', async () => {
      const token = await tenant.mint();
      const auth = authFrom(
        await request(
          app({
            linkClaim: ['https://example.com/claims', 'legacy_id'],
            userId: (claims) => (claims.sub === 'auth0|64f1c2a9e1b2c3d4e5f60718' ? 'u-from-db' : null),
          }),
        )
          .get('/me')
          .set('Authorization', bearer(token)),
      );
      expect(auth).toMatchObject({ userId: 'u-from-db' });
    });
  });
});

describe('auth0(): linkClaim at construction', () => {
  it('refuses a linkClaim string that holds a namespaced claim name, which a dot path would split', () => {
    const build = (linkClaim: string | string[]) => () =>
      makeBridge({ provider: auth0({ domain: DOMAIN, audience: API, linkClaim }) });
    // As a dot path this reads ['https://example', 'com/legacy_id'] and would link no user, ever.
    expect(build('https://example.com/legacy_id')).toThrow(TypeError);
    expect(build('https://example.com/legacy_id')).toThrow(/\['https:\/\/example\.com\/legacy_id'\]/);
    expect(build(['https://example.com/legacy_id'])).not.toThrow();
    expect(build('app_metadata.legacy_id')).not.toThrow();
  });
});

describe('auth0(): issuer form', () => {
  it('builds the trailing-slash issuer and the tenant JWKS URL from the domain', () => {
    expect(auth0({ domain: 'tenant.eu.auth0.com', audience: API })).toMatchObject({
      name: 'auth0',
      issuer: 'https://tenant.eu.auth0.com/',
      jwksUri: 'https://tenant.eu.auth0.com/.well-known/jwks.json',
      algorithms: ['RS256'],
    });
    expect(auth0({ domain: 'https://login.example.com/', audience: API }).issuer).toBe(
      'https://login.example.com/',
    );
  });

  it('warns through debug at construction for an Auth0 issuer without the trailing slash', () => {
    const messages: string[] = [];
    makeBridge({
      provider: { issuer: 'https://tenant.auth0.com', audience: API },
      debug: (m) => messages.push(m),
    });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('https://tenant.auth0.com');
    expect(messages[0]).toContain('auth0({ domain })');
  });

  it('prints the issuer warning once through process.emitWarning when no debug is given', () => {
    const warnings: Error[] = [];
    const listen = (w: Error) => warnings.push(w);
    process.on('warning', listen);
    makeBridge({ provider: { issuer: 'https://tenant.auth0.com', audience: API } });
    // Node emits 'warning' on the next tick.
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        process.off('warning', listen);
        const ours = warnings.filter((w) => w.message.includes('https://tenant.auth0.com'));
        expect(ours).toHaveLength(1);
        expect(ours[0]?.name).toBe('SessionBridgeWarning');
        expect(ours[0]?.message).toContain('auth0({ domain })');
        resolve();
      }),
    );
  });

  it('does not warn for auth0({ domain }) nor for a plain issuer with the trailing slash', () => {
    const messages: string[] = [];
    makeBridge({
      provider: auth0({ domain: 'tenant.auth0.com', audience: API }),
      debug: (m) => messages.push(m),
    });
    makeBridge({
      provider: { issuer: 'https://tenant.auth0.com/', audience: API },
      debug: (m) => messages.push(m),
    });
    expect(messages).toEqual([]);
  });
});
