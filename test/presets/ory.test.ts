/**
 * The `ory()` preset against a local stand-in of Ory's `GET /sessions/whoami` (Ory Network / Kratos wire
 * shape): the `ory_session_{slug}` and `ory_kratos_session` cookies, `X-Session-Token`, `Authorization: Bearer
 * ory_st_...`, and tokenized session JWTs (`?tokenize_as=`) signed with a key set of the app's own.
 */
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BridgeOptions, ory, type ProviderOptions } from '../../src/index.js';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError } from '../helpers/fixtures.js';
import { APP_SECRETS, appCookies, expectOnlyForwarded } from '../helpers/forwarded.js';
import { type JwksServer, startJwksServer } from '../helpers/jwks-server.js';
import { type OryStandin, startOryStandin } from '../helpers/ory-standin.js';
import { createSigningKey, mintToken, nowSeconds, type SigningKey } from '../helpers/tokens.js';

const TEMPLATE_AUDIENCE = 'https://api.example.com';

describe.each(expressVersions)('%s: ory() preset', (_name, express) => {
  let project: OryStandin;
  let templateKeys: JwksServer;
  let templateKey: SigningKey;
  beforeAll(async () => {
    project = await startOryStandin();
    // Tokenized sessions are signed with the key set the app gave its token template (ES256 advised).
    templateKey = await createSigningKey({ alg: 'ES256' });
    templateKeys = await startJwksServer({ keys: [templateKey] });
  });
  beforeEach(() => {
    project.server.requests.length = 0;
  });
  afterAll(async () => {
    await Promise.all([project.close(), templateKeys.close()]);
  });

  function app(
    extra: Partial<ProviderOptions> & { tokenized?: { jwksUri: string; audience?: string } } = {},
    options: BridgeOptions = {},
  ) {
    return buildApp(express, makeBridge({ provider: ory({ url: project.url, ...extra }), ...options }));
  }
  const whoamiCalls = () => project.server.requests.filter((r) => r.path === '/sessions/whoami');

  describe('credentials Ory issues', () => {
    it('accepts the Ory Network cookie ory_session_{slug}: providerSession is the whoami answer, exp from expires_at', async () => {
      const expiresAt = new Date(Date.now() + 3_600_000);
      const { value, identityId } = project.addSession({ expiresAt });
      const auth = authFrom(await request(app()).get('/me').set('Cookie', `ory_session_playground=${value}`));
      expect(auth).toMatchObject({
        kind: 'provider',
        provider: 'ory',
        userId: identityId,
        payload: { iss: project.url, sub: identityId, exp: Math.floor(expiresAt.getTime() / 1000) },
        providerSession: {
          active: true,
          expires_at: expiresAt.toISOString(),
          authenticator_assurance_level: 'aal1',
          identity: { id: identityId, schema_id: 'default', traits: { email: 'user@example.test' } },
        },
      });
      expect(auth).not.toHaveProperty('token');
      expect(auth).not.toHaveProperty('header');
    });

    it('accepts the self-hosted Kratos cookie ory_kratos_session', async () => {
      const { value, identityId } = project.addSession();
      const auth = authFrom(await request(app()).get('/me').set('Cookie', `ory_kratos_session=${value}`));
      expect(auth).toMatchObject({ kind: 'provider', provider: 'ory', payload: { sub: identityId } });
      expect(whoamiCalls()[0]?.headers.cookie).toBe(`ory_kratos_session=${value}`);
    });

    it('accepts a native app session token sent as X-Session-Token', async () => {
      const { value, identityId } = project.addSession();
      const auth = authFrom(await request(app()).get('/me').set('X-Session-Token', value));
      expect(auth).toMatchObject({ kind: 'provider', provider: 'ory', userId: identityId });
      expect(auth).not.toHaveProperty('token');
    });

    it('accepts a native app session token sent as Authorization: Bearer ory_st_...', async () => {
      const { value, identityId } = project.addSession();
      expect(value).toMatch(/^ory_st_/);
      const auth = authFrom(await request(app()).get('/me').set('Authorization', `Bearer ${value}`));
      expect(auth).toMatchObject({ kind: 'provider', provider: 'ory', userId: identityId });
      expect(whoamiCalls()[0]?.headers['x-session-token']).toBe(value);
    });
  });

  describe('refused sessions', () => {
    it('refuses a session token Ory does not know (whoami 401) with ERR_BRIDGE_TOKEN_INVALID', async () => {
      expectBridgeError(
        await request(app()).get('/me').set('X-Session-Token', 'ory_st_unknown0000'),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });

    it('refuses a session Ory reports as no longer active', async () => {
      const { value } = project.addSession({ active: false });
      expectBridgeError(
        await request(app()).get('/me').set('Cookie', `ory_session_playground=${value}`),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });

    it('refuses an expired session, whether Ory says so (401) or expires_at has passed on the bridge clock', async () => {
      const gone = project.addSession({ expiresAt: new Date(Date.now() - 1_000) });
      expectBridgeError(
        await request(app()).get('/me').set('Cookie', `ory_kratos_session=${gone.value}`),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
      const ending = project.addSession({ expiresAt: new Date(Date.now() + 60_000) });
      const later = app({}, { now: () => Date.now() + 120_000 });
      expectBridgeError(
        await request(later).get('/me').set('Cookie', `ory_kratos_session=${ending.value}`),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
    });
  });

  describe('what goes to whoami', () => {
    it("forwards only the Ory cookie: not the app's other cookies, not X-Api-Key", async () => {
      const { value } = project.addSession();
      authFrom(
        await request(app())
          .get('/whoami')
          .set('Cookie', [...appCookies({ withForeignOry: false }), `ory_session_playground=${value}`])
          .set('X-Api-Key', APP_SECRETS.apiKey),
      );
      expect(whoamiCalls()).toHaveLength(1);
      expectOnlyForwarded(whoamiCalls()[0], { cookie: `ory_session_playground=${value}` });
    });

    it('forwards only X-Session-Token, never the cookies sent with it', async () => {
      const { value } = project.addSession();
      authFrom(
        await request(app())
          .get('/whoami')
          .set('X-Session-Token', value)
          .set('Cookie', appCookies())
          .set('X-Api-Key', APP_SECRETS.apiKey),
      );
      expectOnlyForwarded(whoamiCalls()[0], { 'x-session-token': value });
    });

    it('turns a Bearer session token into X-Session-Token and forwards no Authorization header', async () => {
      const { value } = project.addSession();
      authFrom(
        await request(app())
          .get('/whoami')
          .set('Authorization', `Bearer ${value}`)
          .set('Cookie', appCookies())
          .set('X-Api-Key', APP_SECRETS.apiKey),
      );
      expectOnlyForwarded(whoamiCalls()[0], { 'x-session-token': value });
    });
  });

  describe('several Ory session cookies', () => {
    it('uses the first valid one when junk planted from a sibling subdomain comes first (provider-only)', async () => {
      const { value, identityId } = project.addSession();
      const auth = authFrom(
        await request(app({}, { mode: 'provider-only' }))
          .get('/me')
          .set('Cookie', `ory_session_planted=junk-value; ory_session_playground=${value}`),
      );
      expect(auth).toMatchObject({ kind: 'provider', userId: identityId });
      expect(whoamiCalls().map((r) => r.headers.cookie)).toEqual([
        'ory_session_planted=junk-value',
        `ory_session_playground=${value}`,
      ]);
    });

    it('checks at most three, in order: the third is still used', async () => {
      const { value, identityId } = project.addSession();
      const cookie = `ory_session_a=junk1; ory_session_b=junk2; ory_session_c=${value}`;
      const auth = authFrom(await request(app()).get('/me').set('Cookie', cookie));
      expect(auth).toMatchObject({ kind: 'provider', userId: identityId });
      expect(whoamiCalls()).toHaveLength(3);
    });

    it('answers 400 invalid_request to more than three, without asking Ory', async () => {
      const { value } = project.addSession();
      const cookie = `ory_session_a=j1; ory_session_b=j2; ory_kratos_session=j3; ory_session_c=${value}`;
      const res = await request(app({}, { mode: 'provider-only' }))
        .get('/me')
        .set('Cookie', cookie);
      expectBridgeError(res, 400, 'ERR_BRIDGE_INVALID_REQUEST');
      expect(whoamiCalls()).toEqual([]);
    });
  });

  describe('Bearer values that are not Ory session tokens', () => {
    it.each([
      ['another service secret', 'sk_live_51HxAbCdEfGhIjKlMnOpQrStUv'],
      ['the password hook API key', 'hook-key-0123456789abcdef'],
    ])('never sends %s to whoami: the request is judged as if it were absent', async (_what, value) => {
      const anonymous = await request(app()).get('/whoami').set('Authorization', `Bearer ${value}`);
      expect(anonymous.status).toBe(200);
      expect(anonymous.body).toBeNull();
      // The Ory cookie next to it still authenticates.
      const { value: session, identityId } = project.addSession();
      const auth = authFrom(
        await request(app())
          .get('/me')
          .set('Authorization', `Bearer ${value}`)
          .set('Cookie', `ory_session_playground=${session}`),
      );
      expect(auth).toMatchObject({ kind: 'provider', userId: identityId });
      expect(whoamiCalls()).toHaveLength(1);
      expectOnlyForwarded(whoamiCalls()[0], { cookie: `ory_session_playground=${session}` });
    });
  });

  describe('tokenized sessions', () => {
    const tokenized = () => ({ jwksUri: templateKeys.jwksUri, audience: TEMPLATE_AUDIENCE });
    /** A JWT as `/sessions/whoami?tokenize_as={template}` returns it, signed by the template's key. */
    const tokenize = (identityId: string, overrides: Parameters<typeof mintToken>[1] = {}) =>
      mintToken(templateKey, {
        iss: project.url,
        aud: TEMPLATE_AUDIENCE,
        sub: identityId,
        jti: crypto.randomUUID(),
        nbf: nowSeconds(),
        claims: { sid: crypto.randomUUID(), session: { authenticator_assurance_level: 'aal1' } },
        ...overrides,
      });

    it('verifies a tokenized session JWT locally with ory({ url, tokenized: { jwksUri, audience } })', async () => {
      const token = await tokenize('9f425a8d-7efc-4768-8f23-7647a74fdf13');
      const auth = authFrom(
        await request(app({ tokenized: tokenized() }))
          .get('/me')
          .set('Authorization', `Bearer ${token}`),
      );
      expect(auth).toMatchObject({
        kind: 'provider',
        provider: 'ory',
        userId: '9f425a8d-7efc-4768-8f23-7647a74fdf13',
        token,
        header: { alg: 'ES256' },
        payload: { iss: project.url, sub: '9f425a8d-7efc-4768-8f23-7647a74fdf13' },
      });
      expect(whoamiCalls()).toEqual([]);
    });

    it('keeps checking session cookies and tokens with whoami when tokenized is set', async () => {
      const { value, identityId } = project.addSession();
      const withTokens = app({ tokenized: tokenized() });
      expect(
        authFrom(await request(withTokens).get('/me').set('Cookie', `ory_session_playground=${value}`)),
      ).toMatchObject({ userId: identityId });
      expect(
        authFrom(await request(withTokens).get('/me').set('Authorization', `Bearer ${value}`)),
      ).toMatchObject({ userId: identityId });
    });

    it('refuses a tokenized session for another audience, and an expired one', async () => {
      const withTokens = app({ tokenized: tokenized() });
      const otherAudience = await tokenize('id-1', { aud: 'https://other.example.com' });
      expectBridgeError(
        await request(withTokens).get('/me').set('Authorization', `Bearer ${otherAudience}`),
        401,
        'ERR_BRIDGE_TOKEN_INVALID',
      );
      const expired = await tokenize('id-1', {
        iat: nowSeconds() - 600,
        nbf: nowSeconds() - 600,
        exp: nowSeconds() - 60,
      });
      expectBridgeError(
        await request(withTokens).get('/me').set('Authorization', `Bearer ${expired}`),
        401,
        'ERR_BRIDGE_TOKEN_EXPIRED',
      );
    });

    it('accepts a tokenized session without aud when the template sets none (tokenized without audience)', async () => {
      const token = await tokenize('id-2', { aud: null });
      const auth = authFrom(
        await request(app({ tokenized: { jwksUri: templateKeys.jwksUri } }))
          .get('/me')
          .set('Authorization', `Bearer ${token}`),
      );
      expect(auth).toMatchObject({ kind: 'provider', userId: 'id-2' });
    });

    it('without tokenized, refuses a JWT Bearer instead of verifying it', async () => {
      const token = await tokenize('id-3');
      expectBridgeError(
        await request(app()).get('/me').set('Authorization', `Bearer ${token}`),
        401,
        'ERR_BRIDGE_UNTRUSTED_ISSUER',
      );
      expect(whoamiCalls()).toEqual([]);
    });
  });

  describe('linkClaim', () => {
    it("resolves linkClaim 'metadata_public.legacy_user_id' from the whoami identity to the app's user id", async () => {
      const { value, identityId } = project.addSession({
        identity: { metadata_public: { legacy_user_id: 'u-1001' } },
      });
      const auth = authFrom(
        await request(app({ linkClaim: 'metadata_public.legacy_user_id' }))
          .get('/me')
          .set('Cookie', `ory_session_playground=${value}`),
      );
      expect(auth).toMatchObject({ kind: 'provider', userId: 'u-1001', payload: { sub: identityId } });
    });

    it('refuses an identity without the metadata when no userId callback can link it: ERR_BRIDGE_IDENTITY_UNLINKED', async () => {
      const { value } = project.addSession({ identity: { metadata_public: null } });
      expectBridgeError(
        await request(app({ linkClaim: 'metadata_public.legacy_user_id' }))
          .get('/me')
          .set('X-Session-Token', value),
        401,
        'ERR_BRIDGE_IDENTITY_UNLINKED',
      );
    });
  });
});

describe('ory(): configuration', () => {
  it('uses the project URL as issuer and whoami base, and accepts no JWT unless tokenized', () => {
    expect(ory({ url: 'https://playground.projects.oryapis.com/' })).toMatchObject({
      name: 'ory',
      issuer: 'https://playground.projects.oryapis.com',
      jwt: false,
      session: { check: 'ory-whoami', url: 'https://playground.projects.oryapis.com' },
    });
  });

  it('logs no issuer warning for ory({ url }), and one for a plain issuer with a path', () => {
    const messages: string[] = [];
    makeBridge({
      provider: ory({ url: 'https://playground.projects.oryapis.com' }),
      debug: (m) => messages.push(m),
    });
    expect(messages).toEqual([]);
    makeBridge({
      provider: { issuer: 'https://playground.projects.oryapis.com/api', audience: 'x' },
      debug: (m) => messages.push(m),
    });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('ory({ url })');
  });
});
