/**
 * The `stytch()` preset against a local stand-in of Stytch's JWKS, with session JWTs shaped like Stytch's:
 * `iss` `stytch.com/{project_id}` (not a URL), `aud` `[project_id]`, a 5-minute lifetime, the
 * `https://stytch.com/session` claim, sent in the `stytch_session_jwt` cookie by Stytch's SDK or as Bearer.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BridgeOptions, type StytchPresetOptions, stytch } from '../../src/index.js';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError } from '../helpers/fixtures.js';
import { APP_SECRETS, appCookies, expectOnlyForwarded } from '../helpers/forwarded.js';
import { createLegacyLogin, type LegacyLogin, memoryStore } from '../helpers/legacy.js';
import { type KeyedStandin, startStytchStandin } from '../helpers/provider-standins.js';
import { nowSeconds } from '../helpers/tokens.js';

const PROJECT = 'project-test-9f1c4b2e-6d3a-4e8f-b1a2-0c9d8e7f6a5b';
const ISSUER = `stytch.com/${PROJECT}`;
const SUB = 'user-test-16d9ba61-97a1-4ba4-9720-b03761dc50c6';
const SECRET = 'legacy-secret';

describe.each(expressVersions)('%s: stytch() preset', (_name, express) => {
  let project: KeyedStandin;
  let legacy: LegacyLogin;
  let store: ReturnType<typeof memoryStore>;
  beforeAll(async () => {
    project = await startStytchStandin({ projectId: PROJECT });
    store = memoryStore();
    legacy = createLegacyLogin({ store, secret: SECRET });
  });
  afterAll(async () => {
    await project.close();
  });

  function app(extra: Partial<StytchPresetOptions> = {}, options: BridgeOptions = {}) {
    const provider = stytch({ projectId: PROJECT, jwksUri: project.jwksUri, ...extra });
    return buildApp(express, makeBridge({ provider, ...options }));
  }
  /** A session JWT as Stytch issues it: 5 minutes, freshly refreshed by the SDK. */
  const sessionJwt = (overrides: Parameters<KeyedStandin['mint']>[0] = {}) =>
    project.mint({ iat: nowSeconds(), nbf: nowSeconds(), exp: nowSeconds() + 300, ...overrides });

  it('accepts the stytch_session_jwt cookie: iss stytch.com/{project_id}, aud [project_id], the session claim', async () => {
    const token = await sessionJwt();
    const auth = authFrom(await request(app()).get('/me').set('Cookie', `stytch_session_jwt=${token}`));
    expect(auth).toMatchObject({
      kind: 'provider',
      provider: 'stytch',
      userId: SUB,
      token,
      payload: {
        iss: ISSUER,
        aud: [PROJECT],
        sub: SUB,
        'https://stytch.com/session': {
          id: 'session-test-fe6c042b-6286-479f-8a4f-b046a6c46509',
          authentication_factors: [{ type: 'magic_link', delivery_method: 'email' }],
        },
      },
    });
  });

  it('accepts the same session JWT as a Bearer token (a backend calling with the JWT)', async () => {
    const token = await sessionJwt();
    const auth = authFrom(await request(app()).get('/me').set('Authorization', `Bearer ${token}`));
    expect(auth).toMatchObject({ kind: 'provider', provider: 'stytch', payload: { iss: ISSUER, sub: SUB } });
  });

  it("refuses iss 'https://stytch.com/{project_id}' (a URL is not Stytch's issuer) as an untrusted issuer", async () => {
    const token = await sessionJwt({ iss: `https://stytch.com/${PROJECT}` });
    expectBridgeError(
      await request(app()).get('/me').set('Authorization', `Bearer ${token}`),
      401,
      'ERR_BRIDGE_UNTRUSTED_ISSUER',
    );
  });

  it('refuses a session JWT whose aud is another project with ERR_BRIDGE_TOKEN_INVALID', async () => {
    const token = await sessionJwt({ aud: ['project-test-00000000-other'] });
    expectBridgeError(
      await request(app()).get('/me').set('Cookie', `stytch_session_jwt=${token}`),
      401,
      'ERR_BRIDGE_TOKEN_INVALID',
    );
  });

  it('refuses a session JWT past its 5-minute lifetime with ERR_BRIDGE_TOKEN_EXPIRED', async () => {
    const token = await sessionJwt({
      iat: nowSeconds() - 400,
      nbf: nowSeconds() - 400,
      exp: nowSeconds() - 100,
    });
    expectBridgeError(
      await request(app()).get('/me').set('Authorization', `Bearer ${token}`),
      401,
      'ERR_BRIDGE_TOKEN_EXPIRED',
    );
  });

  it('lets a valid legacy session stand in for an expired stytch_session_jwt cookie', async () => {
    const { cookie } = await legacy.login('u-7');
    const token = await sessionJwt({ iat: nowSeconds() - 400, exp: nowSeconds() - 100 });
    const auth = authFrom(
      await request(app({}, { legacy: { store, secret: SECRET } }))
        .get('/me')
        .set('Cookie', [cookie, `stytch_session_jwt=${token}`]),
    );
    expect(auth).toMatchObject({ kind: 'legacy', userId: 'u-7' });
  });

  it("sends none of the app's cookies or headers to Stytch's JWKS endpoint", async () => {
    const token = await sessionJwt();
    const before = project.server.requests.length;
    authFrom(
      await request(app())
        .get('/whoami')
        .set('Cookie', [...appCookies(), `stytch_session_jwt=${token}`])
        .set('X-Api-Key', APP_SECRETS.apiKey),
    );
    const fetched = project.server.requests.slice(before);
    expect(fetched.map((r) => r.path)).toEqual([`/v1/sessions/jwks/${PROJECT}`]);
    expectOnlyForwarded(fetched[0], {});
  });

  it('with customDomain, accepts iss https://{customDomain} and refuses another domain as an untrusted issuer', async () => {
    const custom = app({ customDomain: 'login.example.com', jwksUri: project.jwksUri });
    const viaDomain = await sessionJwt({ iss: 'https://login.example.com' });
    expect(
      authFrom(await request(custom).get('/me').set('Cookie', `stytch_session_jwt=${viaDomain}`)),
    ).toMatchObject({ kind: 'provider', provider: 'stytch', payload: { iss: 'https://login.example.com' } });
    const otherDomain = await sessionJwt({ iss: 'https://login.other-app.com' });
    expectBridgeError(
      await request(custom).get('/me').set('Cookie', `stytch_session_jwt=${otherDomain}`),
      401,
      'ERR_BRIDGE_UNTRUSTED_ISSUER',
    );
  });
});

describe('stytch(): configuration', () => {
  it('is accepted by sessionBridge although its issuer is not a URL, and logs no issuer warning', () => {
    const messages: string[] = [];
    const config = stytch({ projectId: PROJECT });
    expect(config).toMatchObject({ issuer: ISSUER, plainIssuer: true, audience: [PROJECT] });
    expect(() => makeBridge({ provider: config, debug: (m) => messages.push(m) })).not.toThrow();
    expect(messages).toEqual([]);
  });

  it('still refuses a plain provider with a non-URL issuer unless plainIssuer is set (TypeError)', () => {
    expect(() => makeBridge({ provider: { issuer: ISSUER, audience: [PROJECT] } })).toThrow(TypeError);
    expect(() =>
      makeBridge({ provider: { issuer: 'stytch.com/project-test-x', audience: 'project-test-x' } }),
    ).toThrow(/issuer/);
    // plainIssuer without a jwksUri has no way to find the keys.
    expect(() =>
      makeBridge({ provider: { issuer: ISSUER, plainIssuer: true, audience: [PROJECT] } }),
    ).toThrow(TypeError);
  });

  it('warns when a plain provider writes the Stytch issuer as a URL', () => {
    const messages: string[] = [];
    makeBridge({
      provider: { issuer: `https://stytch.com/${PROJECT}`, audience: [PROJECT] },
      debug: (m) => messages.push(m),
    });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain('stytch({ projectId })');
  });

  it('picks the JWKS host from the project id: test.stytch.com or api.stytch.com', () => {
    expect(stytch({ projectId: 'project-live-abc' }).jwksUri).toBe(
      'https://api.stytch.com/v1/sessions/jwks/project-live-abc',
    );
    expect(stytch({ projectId: 'project-test-abc' }).jwksUri).toBe(
      'https://test.stytch.com/v1/sessions/jwks/project-test-abc',
    );
    expect(stytch({ projectId: 'project-test-abc', environment: 'live' }).jwksUri).toBe(
      'https://api.stytch.com/v1/sessions/jwks/project-test-abc',
    );
  });

  it('switches the issuer to https://{customDomain}, keeping aud [project_id]', () => {
    const config = stytch({ projectId: 'project-live-abc', customDomain: 'login.example.com' });
    expect(config).toMatchObject({ issuer: 'https://login.example.com', audience: ['project-live-abc'] });
    expect(config.plainIssuer).toBeUndefined();
    expect(stytch({ projectId: 'project-live-abc', customDomain: 'https://login.example.com/' }).issuer).toBe(
      'https://login.example.com',
    );
  });

  it('refuses a project id that is not one, naming the option', () => {
    expect(() => stytch({ projectId: 'stytch.com/project-live-abc' })).toThrow(/projectId/);
    expect(() => stytch({ projectId: 'project-live-abc', customDomain: 'login.example.com/path' })).toThrow(
      /customDomain/,
    );
  });
});
