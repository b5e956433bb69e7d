import type { JWTPayload } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeErrorCode, BridgeOptions, ProviderOptions } from '../../src/index.js';
import { buildApp, eventRecorder, makeBridge, sleep } from '../helpers/apps.js';
import { type ExpressFactory, expressVersions } from '../helpers/express-versions.js';
import {
  AUDIENCE,
  authFrom,
  bodyOf,
  expectBridgeError,
  type ProviderFixture,
  startProvider,
} from '../helpers/fixtures.js';
import { startJwksServer } from '../helpers/jwks-server.js';
import {
  algNoneToken,
  createSigningKey,
  embeddedJwkToken,
  hs256ConfusionToken,
  infiniteExpToken,
  jkuToken,
  mintToken,
  nowSeconds,
  tamperPayload,
  wrongKeyToken,
} from '../helpers/tokens.js';

function providerApp(
  express: ExpressFactory,
  provider: ProviderOptions | ProviderOptions[],
  extra: BridgeOptions = {},
) {
  const recorder = eventRecorder();
  const bridge = makeBridge({ provider, onEvent: recorder.onEvent, ...extra });
  return { app: buildApp(express, bridge), recorder };
}

function bearer(token: string): [string, string] {
  return ['Authorization', `Bearer ${token}`];
}

describe.each(expressVersions)('%s: provider tokens', (_name, express) => {
  let provider: ProviderFixture;
  const servers: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    provider = await startProvider();
    servers.push(provider.server);
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
  });

  async function freshProvider(...args: Parameters<typeof startProvider>): Promise<ProviderFixture> {
    const fixture = await startProvider(...args);
    servers.push(fixture.server);
    return fixture;
  }

  /** Sends `token` as a Bearer to an app with the default provider options and expects a 401 with `code`. */
  async function expectRejected(token: string, code: BridgeErrorCode): Promise<void> {
    const { app } = providerApp(express, provider.options());
    expectBridgeError(
      await request(app)
        .get('/me')
        .set(...bearer(token)),
      401,
      code,
    );
  }

  describe('accepted credentials', () => {
    it('accepts a valid Bearer token and exposes payload, header and token like express-oauth2-jwt-bearer', async () => {
      const token = await provider.mint({ sub: 'auth0|abc' });
      const { app, recorder } = providerApp(express, provider.options());
      const auth = authFrom(
        await request(app)
          .get('/whoami')
          .set(...bearer(token)),
      );
      expect(auth).toMatchObject({
        userId: 'auth0|abc',
        kind: 'provider',
        presented: ['provider'],
        provider: provider.issuer,
        token,
        payload: { sub: 'auth0|abc', iss: provider.issuer, aud: AUDIENCE },
        header: { alg: 'RS256', kid: provider.key.kid },
      });
      expect(auth).not.toHaveProperty('sessionId');
      expect(
        authFrom(
          await request(app)
            .get('/me')
            .set(...bearer(token)),
        ),
      ).toMatchObject({ userId: 'auth0|abc' });
      const [event] = await recorder.waitFor(2);
      expect(event).toMatchObject({
        outcome: 'authenticated',
        resolvedKind: 'provider',
        userId: 'auth0|abc',
        providerUserId: 'auth0|abc',
        provider: provider.issuer,
        sent: { legacy: false, provider: true },
      });
    });

    it.each(['Bearer', 'bearer', 'BEARER', 'bEaReR'])(
      'accepts the %s scheme (case-insensitive)',
      async (scheme) => {
        const token = await provider.mint();
        const { app } = providerApp(express, provider.options());
        const res = await request(app).get('/whoami').set('Authorization', `${scheme} ${token}`);
        expect(authFrom(res)).toMatchObject({ kind: 'provider', userId: 'user-1' });
      },
    );

    it('accepts the token from the configured provider cookie', async () => {
      const token = await provider.mint({ sub: 'stytch-user' });
      const { app } = providerApp(express, provider.options({ cookieName: 'stytch_session_jwt' }));
      const res = await request(app).get('/whoami').set('Cookie', `other=1; stytch_session_jwt=${token}`);
      expect(authFrom(res)).toMatchObject({ kind: 'provider', userId: 'stytch-user', token });
    });

    it('ignores a JWT cookie when no provider cookieName is configured', async () => {
      const token = await provider.mint();
      const { app } = providerApp(express, provider.options());
      expect(
        authFrom(await request(app).get('/whoami').set('Cookie', `stytch_session_jwt=${token}`)),
      ).toBeNull();
    });

    it('ignores the Authorization header when bearer: false', async () => {
      const token = await provider.mint();
      const { app } = providerApp(express, provider.options({ bearer: false, cookieName: 'jwt' }));
      expect(
        authFrom(
          await request(app)
            .get('/whoami')
            .set(...bearer(token)),
        ),
      ).toBeNull();
      expect(authFrom(await request(app).get('/whoami').set('Cookie', `jwt=${token}`))).toMatchObject({
        kind: 'provider',
      });
    });

    it('accepts ES256 when the allowlist names it', async () => {
      const es = await freshProvider({ alg: 'ES256' });
      const { app } = providerApp(express, es.options({ algorithms: ['ES256'] }));
      const auth = authFrom(
        await request(app)
          .get('/whoami')
          .set(...bearer(await es.mint())),
      );
      expect(auth).toMatchObject({ kind: 'provider', header: { alg: 'ES256' } });
    });
  });

  describe('key discovery and rotation', () => {
    it('reads jwks_uri from {issuer}/.well-known/openid-configuration when jwksUri is not given (issuer with trailing slash)', async () => {
      const fixture = await freshProvider();
      expect(fixture.issuer.endsWith('/')).toBe(true);
      const { app } = providerApp(express, { issuer: fixture.issuer, audience: AUDIENCE });
      const auth = authFrom(
        await request(app)
          .get('/whoami')
          .set(...bearer(await fixture.mint())),
      );
      expect(auth).toMatchObject({ kind: 'provider' });
      expect(fixture.server.counts.discovery).toBeGreaterThanOrEqual(1);
      expect(fixture.server.counts.jwks).toBeGreaterThanOrEqual(1);
      expect(fixture.server.counts.other).toBe(0);
    });

    it('reads the discovery document of an issuer without a trailing slash', async () => {
      const fixture = await freshProvider({ server: { issuer: (origin) => origin } });
      const { app } = providerApp(express, { issuer: fixture.issuer, audience: AUDIENCE });
      const auth = authFrom(
        await request(app)
          .get('/whoami')
          .set(...bearer(await fixture.mint())),
      );
      expect(auth).toMatchObject({ kind: 'provider' });
      expect(fixture.server.counts.other).toBe(0);
    });

    it('fetches discovery once, not per request', async () => {
      const fixture = await freshProvider();
      const { app } = providerApp(express, { issuer: fixture.issuer, audience: AUDIENCE });
      for (let i = 0; i < 3; i += 1) {
        authFrom(
          await request(app)
            .get('/whoami')
            .set(...bearer(await fixture.mint())),
        );
      }
      expect(fixture.server.counts.discovery).toBe(1);
      expect(fixture.server.counts.jwks).toBe(1);
    });

    it('shares one discovery and one JWKS fetch between concurrent first requests', async () => {
      const fixture = await freshProvider();
      const { app } = providerApp(express, { issuer: fixture.issuer, audience: AUDIENCE });
      const token = await fixture.mint();
      const responses = await Promise.all(
        Array.from({ length: 6 }, () =>
          request(app)
            .get('/whoami')
            .set(...bearer(token)),
        ),
      );
      for (const res of responses) expect(authFrom(res)).toMatchObject({ kind: 'provider' });
      expect(fixture.server.counts.discovery).toBe(1);
      expect(fixture.server.counts.jwks).toBe(1);
    });

    it('uses an explicit jwksUri without fetching discovery', async () => {
      const fixture = await freshProvider();
      const { app } = providerApp(express, fixture.options());
      expect(
        authFrom(
          await request(app)
            .get('/whoami')
            .set(...bearer(await fixture.mint())),
        ),
      ).toMatchObject({
        kind: 'provider',
      });
      expect(fixture.server.counts.discovery).toBe(0);
    });

    it('tolerates a trailing-slash difference between the configured issuer and iss', async () => {
      const fixture = await freshProvider();
      const { app } = providerApp(express, fixture.options({ issuer: fixture.issuer.replace(/\/$/, '') }));
      const token = await fixture.mint({ iss: fixture.issuer });
      expect(
        authFrom(
          await request(app)
            .get('/whoami')
            .set(...bearer(token)),
        ),
      ).toMatchObject({ kind: 'provider' });
    });

    it('accepts a token signed with a newly published key after refetching the JWKS (key rotation)', async () => {
      const fixture = await freshProvider();
      const { app } = providerApp(express, fixture.options({ jwksCooldownMs: 20 }));
      expect(
        authFrom(
          await request(app)
            .get('/whoami')
            .set(...bearer(await fixture.mint())),
        ),
      ).toMatchObject({
        kind: 'provider',
      });
      const fetchesBefore = fixture.server.counts.jwks;
      const next = await createSigningKey();
      fixture.server.rotate(next);
      await sleep(60);
      const rotated = await mintToken(next, { iss: fixture.issuer, aud: AUDIENCE, sub: 'rotated' });
      const auth = authFrom(
        await request(app)
          .get('/whoami')
          .set(...bearer(rotated)),
      );
      expect(auth).toMatchObject({ userId: 'rotated', header: { kid: next.kid } });
      expect(fixture.server.counts.jwks).toBe(fetchesBefore + 1);
      // The old key is still published and still works.
      expect(
        authFrom(
          await request(app)
            .get('/whoami')
            .set(...bearer(await fixture.mint())),
        ),
      ).toMatchObject({
        kind: 'provider',
      });
    });

    it('rejects a token whose kid is not in the JWKS after one refetch', async () => {
      const fixture = await freshProvider();
      const { app } = providerApp(express, fixture.options({ jwksCooldownMs: 20 }));
      authFrom(
        await request(app)
          .get('/me')
          .set(...bearer(await fixture.mint())),
      );
      const fetchesBefore = fixture.server.counts.jwks;
      await sleep(60);
      const stranger = await createSigningKey();
      const token = await mintToken(stranger, { iss: fixture.issuer, aud: AUDIENCE });
      expectBridgeError(
        await request(app)
          .get('/me')
          .set(...bearer(token)),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
      expect(fixture.server.counts.jwks).toBe(fetchesBefore + 1);
    });

    it('does not refetch the JWKS for every unknown kid within the cooldown', async () => {
      const fixture = await freshProvider();
      const { app } = providerApp(express, fixture.options({ jwksCooldownMs: 60_000 }));
      authFrom(
        await request(app)
          .get('/me')
          .set(...bearer(await fixture.mint())),
      );
      const fetchesBefore = fixture.server.counts.jwks;
      const stranger = await createSigningKey();
      for (let i = 0; i < 5; i += 1) {
        const token = await mintToken(stranger, { iss: fixture.issuer, aud: AUDIENCE, kid: `unknown-${i}` });
        expectBridgeError(
          await request(app)
            .get('/me')
            .set(...bearer(token)),
          401,
          'ERR_BRIDGE_TOKEN_INVALID',
        );
      }
      expect(fixture.server.counts.jwks - fetchesBefore).toBeLessThanOrEqual(1);
    });
  });

  describe('claims', () => {
    it('rejects an expired token with ERR_BRIDGE_TOKEN_EXPIRED', async () => {
      const token = await provider.mint({ exp: nowSeconds() - 120, iat: nowSeconds() - 720 });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_EXPIRED');
    });

    it('accepts a token expired within clockToleranceSeconds and rejects one beyond it', async () => {
      const { app } = providerApp(express, provider.options({ clockToleranceSeconds: 30 }));
      const within = await provider.mint({ exp: nowSeconds() - 10, iat: nowSeconds() - 600 });
      expect(
        authFrom(
          await request(app)
            .get('/me')
            .set(...bearer(within)),
        ),
      ).toMatchObject({ kind: 'provider' });
      const beyond = await provider.mint({ exp: nowSeconds() - 90, iat: nowSeconds() - 600 });
      expectBridgeError(
        await request(app)
          .get('/me')
          .set(...bearer(beyond)),
        401,
        'ERR_BRIDGE_TOKEN_EXPIRED',
      );
    });

    it('checks exp against the now option', async () => {
      const token = await provider.mint({ exp: nowSeconds() + 600 });
      const { app } = providerApp(express, provider.options(), { now: () => Date.now() + 3_600_000 });
      expectBridgeError(
        await request(app)
          .get('/me')
          .set(...bearer(token)),
        401,
        'ERR_BRIDGE_TOKEN_EXPIRED',
      );
    });

    it('rejects a token that is not valid yet (nbf in the future)', async () => {
      const token = await provider.mint({ nbf: nowSeconds() + 3600 });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('rejects a token minted for another audience', async () => {
      const token = await provider.mint({ aud: 'https://other-api.example.test' });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('accepts any of several configured audiences', async () => {
      const token = await provider.mint({ aud: ['https://other', 'https://second.example.test'] });
      const { app } = providerApp(
        express,
        provider.options({ audience: [AUDIENCE, 'https://second.example.test'] }),
      );
      expect(
        authFrom(
          await request(app)
            .get('/whoami')
            .set(...bearer(token)),
        ),
      ).toMatchObject({ kind: 'provider' });
    });

    it('rejects a token from another issuer, signed with a published key', async () => {
      const token = await provider.mint({ iss: 'https://evil.example.test/' });
      const { app } = providerApp(express, provider.options());
      const res = await request(app)
        .get('/me')
        .set(...bearer(token));
      expect(['ERR_BRIDGE_UNTRUSTED_ISSUER', 'ERR_BRIDGE_TOKEN_INVALID']).toContain(bodyOf(res).code);
      expectBridgeError(res, 401, bodyOf(res).code as 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('requires exp', async () => {
      const token = await provider.mint({ exp: null });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('rejects an exp that parses as Infinity (1e400)', async () => {
      const token = await infiniteExpToken(provider.key, { iss: provider.issuer, aud: AUDIENCE });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it.each([
      ['missing', null],
      ['empty', ''],
      ['a number', 12345],
      ['an object', { id: 'x' }],
    ])('rejects a token whose sub is %s', async (_label, sub) => {
      const token = await provider.mint({ sub });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('requires the claims listed in requiredClaims', async () => {
      const { app } = providerApp(express, provider.options({ requiredClaims: ['org_id'] }));
      const without = await provider.mint();
      expectBridgeError(
        await request(app)
          .get('/me')
          .set(...bearer(without)),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
      const withClaim = await provider.mint({ claims: { org_id: 'org-1' } });
      expect(
        authFrom(
          await request(app)
            .get('/me')
            .set(...bearer(withClaim)),
        ),
      ).toMatchObject({
        payload: { org_id: 'org-1' },
      });
    });
  });

  describe('strict access tokens (RFC 9068)', () => {
    const rfc9068 = { typ: 'at+jwt', client_id: 'client-1', jti: 'jti-1' };

    it('accepts typ at+jwt with the access-token claims', async () => {
      const { app } = providerApp(express, provider.options({ strictAccessToken: true }));
      const token = await provider.mint(rfc9068);
      expect(
        authFrom(
          await request(app)
            .get('/whoami')
            .set(...bearer(token)),
        ),
      ).toMatchObject({
        header: { typ: 'at+jwt' },
      });
    });

    it('rejects typ JWT in strict mode', async () => {
      const { app } = providerApp(express, provider.options({ strictAccessToken: true }));
      const token = await provider.mint({ ...rfc9068, typ: 'JWT' });
      expectBridgeError(
        await request(app)
          .get('/me')
          .set(...bearer(token)),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });

    it('rejects a missing typ in strict mode', async () => {
      const { app } = providerApp(express, provider.options({ strictAccessToken: true }));
      const token = await provider.mint({ ...rfc9068, typ: null });
      expectBridgeError(
        await request(app)
          .get('/me')
          .set(...bearer(token)),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });

    it('rejects an at+jwt without client_id in strict mode', async () => {
      const { app } = providerApp(express, provider.options({ strictAccessToken: true }));
      const token = await provider.mint({ ...rfc9068, client_id: null });
      expectBridgeError(
        await request(app)
          .get('/me')
          .set(...bearer(token)),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });

    it('accepts typ JWT and a missing typ when strict mode is off', async () => {
      const { app } = providerApp(express, provider.options());
      for (const typ of ['JWT', null, 'at+jwt']) {
        const token = await provider.mint({ typ });
        expect(
          authFrom(
            await request(app)
              .get('/whoami')
              .set(...bearer(token)),
          ),
        ).toMatchObject({ kind: 'provider' });
      }
    });
  });

  describe('hostile tokens', () => {
    it('rejects an algorithm outside the allowlist, even with a published key', async () => {
      const es = await createSigningKey({ alg: 'ES256' });
      const fixture = await freshProvider();
      fixture.server.publish(fixture.key, es);
      const token = await mintToken(es, { iss: fixture.issuer, aud: AUDIENCE });
      const { app } = providerApp(express, fixture.options({ algorithms: ['RS256'] }));
      expectBridgeError(
        await request(app)
          .get('/me')
          .set(...bearer(token)),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });

    it('rejects alg none', async () => {
      const token = algNoneToken({ iss: provider.issuer, aud: AUDIENCE });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('rejects HS256 signed with the public key (algorithm confusion)', async () => {
      const token = await hs256ConfusionToken(provider.key, { iss: provider.issuer, aud: AUDIENCE });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('rejects a token signed by another key that names a trusted kid', async () => {
      const token = await wrongKeyToken(provider.key, { iss: provider.issuer, aud: AUDIENCE });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('rejects a token whose payload was altered after signing', async () => {
      const token = tamperPayload(await provider.mint({ sub: 'user-1' }), { sub: 'admin' });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('never trusts a key embedded in the header (jwk)', async () => {
      const token = await embeddedJwkToken({ iss: provider.issuer, aud: AUDIENCE });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('never follows a jku header', async () => {
      const attacker = await createSigningKey();
      const attackerServer = await startJwksServer({ keys: [attacker] });
      servers.push(attackerServer);
      const token = await jkuToken(attacker, attackerServer.jwksUri, { iss: provider.issuer, aud: AUDIENCE });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
      expect(attackerServer.counts).toEqual({ discovery: 0, jwks: 0, other: 0 });
    });

    it.each([
      ['a path traversal kid', '../../../../etc/passwd'],
      ['a long kid', 'k'.repeat(2000)],
      ['a kid with quotes', '"; DROP TABLE keys; --'],
    ])('treats %s as untrusted input (401, not 500)', async (_label, kid) => {
      const token = await provider.mint({ kid });
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it.each([
      ['not a JWT', 'abc'],
      ['three empty parts', '..'],
      ['garbage parts', 'a.b.c'],
      ['a JWE-shaped value', 'a.b.c.d.e'],
    ])('rejects %s with 401 invalid_token', async (_label, token) => {
      await expectRejected(token, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('rejects a Bearer value with spaces in it with 401 or 400, never 500', async () => {
      const token = await provider.mint();
      const { app } = providerApp(express, provider.options());
      const res = await request(app).get('/me').set('Authorization', `Bearer ${token} extra`);
      expect([400, 401]).toContain(res.status);
      expect(bodyOf(res).unexpected).toBeUndefined();
    });

    it('rejects a token whose header is not base64url, even when its payload names the issuer', async () => {
      const claims = { iss: provider.issuer, aud: AUDIENCE, sub: 'x' };
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      const { app } = providerApp(express, provider.options());
      const res = await request(app)
        .get('/me')
        .set(...bearer(`%%%.${payload}.sig`));
      expectBridgeError(res, 401, 'ERR_BRIDGE_TOKEN_INVALID');
    });
  });

  describe('several providers', () => {
    let alpha: ProviderFixture;
    let beta: ProviderFixture;

    beforeAll(async () => {
      alpha = await freshProvider();
      beta = await freshProvider();
    });

    function twoProviders() {
      // Several providers need explicit identity linking: here each subject already is the app's user id.
      const userId = (claims: JWTPayload) => claims.sub;
      return providerApp(express, [
        alpha.options({ name: 'alpha', userId }),
        beta.options({ name: 'beta', userId }),
      ]);
    }

    it('routes each token to the provider named by its iss', async () => {
      const { app } = twoProviders();
      const a = authFrom(
        await request(app)
          .get('/whoami')
          .set(...bearer(await alpha.mint({ sub: 'a-1' }))),
      );
      const b = authFrom(
        await request(app)
          .get('/whoami')
          .set(...bearer(await beta.mint({ sub: 'b-1' }))),
      );
      expect(a).toMatchObject({ provider: 'alpha', userId: 'a-1', kind: 'provider' });
      expect(b).toMatchObject({ provider: 'beta', userId: 'b-1', kind: 'provider' });
    });

    it('rejects an iss that matches no configured provider with ERR_BRIDGE_UNTRUSTED_ISSUER', async () => {
      const { app } = twoProviders();
      const token = await alpha.mint({ iss: 'https://untrusted.example.test/' });
      expectBridgeError(
        await request(app)
          .get('/me')
          .set(...bearer(token)),
        401,
        'ERR_BRIDGE_UNTRUSTED_ISSUER',
      );
    });

    it('names the expected and the received issuer in debug and in the error cause, never in the response', async () => {
      const lines: string[] = [];
      let cause: unknown;
      const userId = (claims: JWTPayload) => claims.sub;
      const bridge = makeBridge({
        provider: [alpha.options({ name: 'alpha', userId }), beta.options({ name: 'beta', userId })],
        debug: (line) => lines.push(line),
        errors: 'next',
      });
      const app = buildApp(express, bridge, {
        errorHandler: (err, _req, res, _next) => {
          cause = (err as { cause?: unknown }).cause;
          res.status((err as { status: number }).status).json({ code: (err as { code: string }).code });
        },
      });
      const token = await alpha.mint({ iss: 'https://untrusted.example.test/' });
      const res = await request(app)
        .get('/me')
        .set(...bearer(token));
      expect(res.status).toBe(401);
      expect(res.text).not.toContain(alpha.issuer);
      expect(res.text).not.toContain('untrusted.example.test');
      expect(cause).toMatchObject({
        name: 'IssuerMismatch',
        expected: [alpha.issuer, beta.issuer],
        received: 'https://untrusted.example.test/',
      });
      const line = lines.find((l) => l.startsWith('ERR_BRIDGE_UNTRUSTED_ISSUER'));
      expect(line).toContain(alpha.issuer);
      expect(line).toContain(beta.issuer);
      expect(line).toContain('https://untrusted.example.test/');
    });

    it('answers an issuer mismatch without naming the trusted issuers in respond mode', async () => {
      const { app } = twoProviders();
      const token = await alpha.mint({ iss: 'https://untrusted.example.test/' });
      const res = await request(app)
        .get('/me')
        .set(...bearer(token));
      expect(bodyOf(res).code).toBe('ERR_BRIDGE_UNTRUSTED_ISSUER');
      expect(res.text).not.toContain(alpha.issuer);
      expect(JSON.stringify(res.headers)).not.toContain(alpha.issuer);
    });

    it("rejects a token claiming one provider's iss but signed with the other provider's key", async () => {
      const { app } = twoProviders();
      const token = await mintToken(beta.key, { iss: alpha.issuer, aud: AUDIENCE });
      expectBridgeError(
        await request(app)
          .get('/me')
          .set(...bearer(token)),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });
  });

  describe('identity linking (provider.userId)', () => {
    it('maps the provider identity to the legacy user id and caches the lookup', async () => {
      const calls: string[] = [];
      const links = new Map([['auth0|abc', 'legacy-7']]);
      const { app } = providerApp(
        express,
        provider.options({
          userId: async (claims) => {
            calls.push(String(claims.sub));
            await sleep(5);
            return links.get(String(claims.sub)) ?? null;
          },
        }),
      );
      for (let i = 0; i < 3; i += 1) {
        const token = await provider.mint({ sub: 'auth0|abc', jti: `t-${i}` });
        const auth = authFrom(
          await request(app)
            .get('/whoami')
            .set(...bearer(token)),
        );
        expect(auth).toMatchObject({ userId: 'legacy-7', kind: 'provider', payload: { sub: 'auth0|abc' } });
      }
      expect(calls).toEqual(['auth0|abc']);
    });

    it.each([
      ['null', null],
      ['undefined', undefined],
    ])('answers 401 ERR_BRIDGE_IDENTITY_UNLINKED when userId returns %s', async (_label, value) => {
      const { app } = providerApp(express, provider.options({ userId: async () => value }));
      expectBridgeError(
        await request(app)
          .get('/me')
          .set(...bearer(await provider.mint())),
        401,
        'ERR_BRIDGE_IDENTITY_UNLINKED',
      );
    });

    it('answers 503 when userId throws, and does not cache the failure', async () => {
      let fail = true;
      const { app } = providerApp(
        express,
        provider.options({
          userId: async (claims) => {
            if (fail) throw new Error('user directory down');
            return `linked-${String(claims.sub)}`;
          },
        }),
      );
      expectBridgeError(
        await request(app)
          .get('/me')
          .set(...bearer(await provider.mint())),
        503,
        'ERR_BRIDGE_RESOLVER_UNAVAILABLE',
      );
      fail = false;
      expect(
        authFrom(
          await request(app)
            .get('/me')
            .set(...bearer(await provider.mint())),
        ),
      ).toMatchObject({
        userId: 'linked-user-1',
      });
    });
  });
});
