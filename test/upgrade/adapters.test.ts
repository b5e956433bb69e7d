/**
 * Each exchange adapter against its provider's stand-in, through the bridge's upgrade endpoint: the stand-in
 * verifies the assertion through `upgradeKeys()` over HTTP, the bridge delivers what the provider gave, and the
 * next request with only the provider credential is the same user, as a provider user.
 */
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  auth0TokenExchange,
  authgearCreateSession,
  jwtBearerGrant,
  memoryStats,
  stytch,
  stytchAttest,
  tokenExchange,
  type UpgradeLink,
} from '../../src/index.js';
import { createLegacyLogin, memoryStore } from '../helpers/legacy.js';
import {
  bridgeTrust,
  setCookies,
  startUpgradeApp,
  UPGRADE_PATH,
  type UpgradeApp,
  upgradeSigningKey,
} from '../helpers/upgrade-app.js';
import {
  startAuthgearStandin,
  startOAuthStandin,
  startStytchAttestStandin,
} from '../helpers/upgrade-standins.js';

const SECRET = 'legacy-secret-for-upgrade-tests';
const PROJECT_ID = 'project-test-6a1f2b3c-1111-2222-3333-444455556666';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function legacyUser(userId: string, email: string) {
  const store = memoryStore();
  const login = createLegacyLogin({ store, secret: SECRET });
  const session = await login.login(userId, { data: { email } });
  return { store, session };
}

function track<T extends { close(): Promise<void> }>(thing: T): T {
  closers.push(() => thing.close());
  return thing;
}

describe('stytchAttest', () => {
  it('turns a legacy session into stytch_session and stytch_session_jwt cookies the bridge then accepts as the same user', async () => {
    const trust = bridgeTrust('stytch-trusted-auth');
    const standin = track(
      await startStytchAttestStandin({
        projectId: PROJECT_ID,
        secret: 'secret-test-stytch-0123456789',
        profileId: 'trusted-auth-token-profile-test-1',
        trust,
        users: { 'ada@example.com': 'user-test-ada' },
      }),
    );
    const { store, session } = await legacyUser('42', 'ada@example.com');
    const app: UpgradeApp = track(
      await startUpgradeApp(
        express,
        {
          legacy: { store, secret: SECRET },
          provider: stytch({ projectId: PROJECT_ID, jwksUri: standin.jwksUri, linkClaim: 'legacy_user_id' }),
          upgrade: {
            signingKey: await upgradeSigningKey(),
            issuer: trust.issuer,
            audience: trust.audience,
            claims: ({ session: s }) => ({ email: (s as { email: string }).email }),
            exchange: stytchAttest({
              projectId: PROJECT_ID,
              secret: 'secret-test-stytch-0123456789',
              profileId: 'trusted-auth-token-profile-test-1',
              sessionDurationMinutes: 60,
              apiBase: standin.server.origin,
            }),
          },
        },
        trust,
      ),
    );
    const res = await request(app.origin).post(UPGRADE_PATH).set('Cookie', session.cookie).expect(200);
    expect(res.body).toEqual({ upgraded: true, userId: '42', provider: 'stytch' });
    expect(res.headers['cache-control']).toBe('no-store');
    const cookies = setCookies(res.headers['set-cookie']);
    expect(Object.keys(cookies).sort()).toEqual(['stytch_session', 'stytch_session_jwt']);
    for (const { line } of Object.values(cookies)) {
      expect(line).toMatch(/; Max-Age=3600/);
      expect(line).toMatch(/; Path=\//);
      expect(line).toMatch(/; HttpOnly/);
      expect(line).toMatch(/; Secure/);
      expect(line).toMatch(/; SameSite=Lax/);
    }
    expect(standin.accepted).toHaveLength(1);
    const me = await request(app.origin)
      .get('/me')
      .set('Cookie', `stytch_session_jwt=${cookies.stytch_session_jwt?.value}`)
      .expect(200);
    expect(me.body).toEqual({ userId: '42', kind: 'provider' });
  });

  it('answers 403 ERR_BRIDGE_UPGRADE_REFUSED when Stytch knows no user with the email', async () => {
    const trust = bridgeTrust('stytch-trusted-auth');
    const standin = track(
      await startStytchAttestStandin({
        projectId: PROJECT_ID,
        secret: 'secret-test-stytch-0123456789',
        profileId: 'profile-1',
        trust,
        users: {},
      }),
    );
    const { store, session } = await legacyUser('43', 'nobody@example.com');
    const app = track(
      await startUpgradeApp(
        express,
        {
          legacy: { store, secret: SECRET },
          provider: stytch({ projectId: PROJECT_ID, jwksUri: standin.jwksUri, linkClaim: 'legacy_user_id' }),
          upgrade: {
            signingKey: await upgradeSigningKey(),
            issuer: trust.issuer,
            audience: trust.audience,
            claims: ({ session: s }) => ({ email: (s as { email: string }).email }),
            exchange: stytchAttest({
              projectId: PROJECT_ID,
              secret: 'secret-test-stytch-0123456789',
              profileId: 'profile-1',
              sessionDurationMinutes: 60,
              apiBase: standin.server.origin,
            }),
          },
        },
        trust,
      ),
    );
    const res = await request(app.origin).post(UPGRADE_PATH).set('Cookie', session.cookie).expect(403);
    expect(res.body.code).toBe('ERR_BRIDGE_UPGRADE_REFUSED');
    expect(res.headers['set-cookie']).toBeUndefined();
    await request(app.origin)
      .get('/me')
      .set('Cookie', session.cookie)
      .expect(200, { userId: '43', kind: 'legacy' });
  });
});

describe('auth0TokenExchange', () => {
  it("sends Auth0's form (client credentials in the body, the team's subject_token_type) and answers the tokens as JSON", async () => {
    const trust = bridgeTrust('urn:example:legacy-upgrade');
    const standin = track(
      await startOAuthStandin({
        clientId: 'auth0-client',
        clientSecret: 'auth0-client-secret-0123456789',
        clientAuth: 'post',
        trust,
        grants: ['token-exchange'],
        subjectTokenType: 'urn:example:legacy-session',
        apiAudience: 'https://api.example.test',
        linkClaim: 'https://example.test/legacy_user_id',
        flavour: 'auth0',
      }),
    );
    const { store, session } = await legacyUser('7', 'grace@example.com');
    const app = track(
      await startUpgradeApp(
        express,
        {
          legacy: { store, secret: SECRET },
          provider: {
            name: 'auth0',
            issuer: standin.issuer,
            jwksUri: standin.jwksUri,
            audience: 'https://api.example.test',
            linkClaim: ['https://example.test/legacy_user_id'],
          },
          upgrade: {
            signingKey: await upgradeSigningKey('ES256'),
            issuer: trust.issuer,
            audience: trust.audience,
            exchange: auth0TokenExchange({
              domain: standin.server.origin,
              clientId: 'auth0-client',
              clientSecret: 'auth0-client-secret-0123456789',
              subjectTokenType: 'urn:example:legacy-session',
              audience: 'https://api.example.test',
              scope: 'openid',
            }),
          },
        },
        trust,
      ),
    );
    const res = await request(app.origin).post(UPGRADE_PATH).set('Cookie', session.cookie).expect(200);
    expect(res.body).toMatchObject({ upgraded: true, userId: '7', provider: 'auth0' });
    expect(Object.keys(res.body.tokens).sort()).toEqual([
      'access_token',
      'expires_in',
      'id_token',
      'scope',
      'token_type',
    ]);
    const form = new URLSearchParams(standin.server.requests.find((r) => r.method === 'POST')?.body);
    expect(form.get('client_id')).toBe('auth0-client');
    expect(form.get('subject_token_type')).toBe('urn:example:legacy-session');
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
    expect(form.get('audience')).toBe('https://api.example.test');
    expect(res.headers['set-cookie']).toBeUndefined();
    const me = await request(app.origin)
      .get('/me')
      .set('Authorization', `Bearer ${res.body.tokens.access_token}`)
      .expect(200);
    expect(me.body).toEqual({ userId: '7', kind: 'provider' });
  });
});

describe('tokenExchange (RFC 8693)', () => {
  /**
   * An RFC 8693 stand-in whose tokens carry no legacy id (`sub` is `provider|<id>`), and a bridge that links them
   * through `onUpgrade` (stored in `links`, read back by `provider.userId`). `clientSecret` is what the bridge sends.
   */
  async function onUpgradeSetup(legacyId: string, email: string, clientSecret: string) {
    const trust = bridgeTrust('https://id.example.test/exchange');
    const standin = track(
      await startOAuthStandin({
        clientId: 'rfc8693-client',
        clientSecret: 'rfc8693-secret-0123456789',
        clientAuth: 'basic',
        trust,
        grants: ['token-exchange'],
        apiAudience: 'api://orders',
      }),
    );
    const links: UpgradeLink[] = [];
    const { store, session } = await legacyUser(legacyId, email);
    const app = track(
      await startUpgradeApp(
        express,
        {
          legacy: { store, secret: SECRET },
          provider: {
            name: 'idp',
            issuer: standin.issuer,
            jwksUri: standin.jwksUri,
            audience: 'api://orders',
            userId: (claims: { sub?: unknown }) => links.find((l) => l.sub === claims.sub)?.userId ?? null,
          },
          upgrade: {
            signingKey: await upgradeSigningKey(),
            issuer: trust.issuer,
            audience: trust.audience,
            onUpgrade: (link) => {
              links.push(link);
            },
            exchange: tokenExchange({
              tokenEndpoint: `${standin.server.origin}/oauth/token`,
              clientId: 'rfc8693-client',
              clientSecret,
            }),
          },
        },
        trust,
      ),
    );
    return { standin, app, session, links };
  }

  it('links through onUpgrade when the issued token carries no legacy id, and the bridge remembers the link', async () => {
    const { standin, app, session, links } = await onUpgradeSetup(
      '9',
      'lin@example.com',
      'rfc8693-secret-0123456789',
    );
    const res = await request(app.origin).post(UPGRADE_PATH).set('Cookie', session.cookie).expect(200);
    expect(Object.keys(res.body.tokens).sort()).toEqual([
      'access_token',
      'expires_in',
      'issued_token_type',
      'token_type',
    ]);
    expect(links).toEqual([{ userId: '9', provider: 'idp', iss: standin.issuer, sub: 'provider|9' }]);
    const me = await request(app.origin)
      .get('/me')
      .set('Authorization', `Bearer ${res.body.tokens.access_token}`)
      .expect(200);
    expect(me.body).toEqual({ userId: '9', kind: 'provider' });
  });

  it('is refused when the client secret is wrong (invalid_client), and no link is stored', async () => {
    const { standin, app, session, links } = await onUpgradeSetup(
      '10',
      'x@example.com',
      'wrong-secret-0123456789',
    );
    const res = await request(app.origin).post(UPGRADE_PATH).set('Cookie', session.cookie).expect(403);
    expect(res.body.code).toBe('ERR_BRIDGE_UPGRADE_REFUSED');
    expect(links).toEqual([]);
    expect(standin.accepted).toEqual([]);
  });
});

describe('jwtBearerGrant (RFC 7523)', () => {
  it("uses the token endpoint as the assertion's aud, and the issued token's sub is the legacy user id", async () => {
    const trust = bridgeTrust('unused');
    const standin = track(
      await startOAuthStandin({
        clientId: 'hydra-client',
        clientSecret: 'hydra-secret-0123456789',
        clientAuth: 'basic',
        trust,
        grants: ['jwt-bearer'],
        apiAudience: 'api://orders',
      }),
    );
    const { store, session } = await legacyUser('11', 'h@example.com');
    const app = track(
      await startUpgradeApp(
        express,
        {
          legacy: { store, secret: SECRET },
          provider: {
            name: 'hydra',
            issuer: standin.issuer,
            jwksUri: standin.jwksUri,
            audience: 'api://orders',
          },
          upgrade: {
            signingKey: await upgradeSigningKey(),
            issuer: trust.issuer,
            exchange: jwtBearerGrant({
              tokenEndpoint: standin.tokenEndpoint,
              clientId: 'hydra-client',
              clientSecret: 'hydra-secret-0123456789',
              scope: 'openid',
            }),
          },
        },
        trust,
      ),
    );
    const res = await request(app.origin).post(UPGRADE_PATH).set('Cookie', session.cookie).expect(200);
    expect(res.body.tokens.token_type).toBe('bearer');
    const me = await request(app.origin)
      .get('/me')
      .set('Authorization', `Bearer ${res.body.tokens.access_token}`)
      .expect(200);
    expect(me.body).toEqual({ userId: '11', kind: 'provider' });
    // Hydra refuses a used jti: the same assertion twice would fail; each upgrade signs a fresh one.
    const again = await request(app.origin).post(UPGRADE_PATH).set('Cookie', session.cookie).expect(200);
    expect(again.body.upgraded).toBe(true);
    expect(new Set(standin.accepted).size).toBe(2);
  });
});

describe('authgearCreateSession', () => {
  async function authgearSetup(enabled: boolean) {
    const { privateKey, publicKey } = await (await import('jose')).generateKeyPair('RS256', {
      extractable: true,
    });
    const { exportJWK } = await import('jose');
    const adminKey = { ...(await exportJWK(privateKey)), kid: 'admin-key-1' };
    const standin = track(
      await startAuthgearStandin({
        appId: 'myapp',
        adminPublicKey: { ...(await exportJWK(publicKey)), kid: 'admin-key-1', alg: 'RS256' },
        clientIds: ['first-party-client'],
        users: { 'ann@example.com': '0b1c2d3e-aaaa-bbbb-cccc-0123456789ab' },
        createSessionEnabled: enabled,
      }),
    );
    const links: UpgradeLink[] = [];
    const { store, session } = await legacyUser('12', 'ann@example.com');
    const stats = memoryStats();
    const app = track(
      await startUpgradeApp(express, {
        legacy: { store, secret: SECRET },
        provider: {
          name: 'authgear',
          issuer: standin.issuer,
          jwksUri: standin.jwksUri,
          audience: standin.issuer,
          userId: (claims: { sub?: unknown }) => links.find((l) => l.sub === claims.sub)?.userId ?? null,
        },
        stats,
        upgrade: {
          signingKey: await upgradeSigningKey(),
          issuer: 'https://app.example.test',
          claims: ({ session: s }) => ({ email: (s as { email: string }).email }),
          onUpgrade: (link) => {
            links.push(link);
          },
          exchange: authgearCreateSession({
            endpoint: standin.server.origin,
            appId: 'myapp',
            adminKey,
            clientId: 'first-party-client',
          }),
        },
      }),
    );
    return { standin, app, session, links };
  }

  it('finds the user by login id, creates a session with an admin JWT (aud = appId, at most 5 minutes) and links it', async () => {
    const { standin, app, session, links } = await authgearSetup(true);
    const res = await request(app.origin).post(UPGRADE_PATH).set('Cookie', session.cookie).expect(200);
    expect(Object.keys(res.body.tokens).sort()).toEqual([
      'accessToken',
      'expiresIn',
      'refreshToken',
      'tokenType',
    ]);
    expect(standin.admin.jwts).toHaveLength(2);
    for (const jwt of standin.admin.jwts)
      expect((jwt.exp as number) - (jwt.iat as number)).toBeLessThanOrEqual(300);
    expect(links).toEqual([
      {
        userId: '12',
        provider: 'authgear',
        iss: standin.issuer,
        sub: '0b1c2d3e-aaaa-bbbb-cccc-0123456789ab',
      },
    ]);
    const me = await request(app.origin)
      .get('/me')
      .set('Authorization', `Bearer ${res.body.tokens.accessToken}`)
      .expect(200);
    expect(me.body).toEqual({ userId: '12', kind: 'provider' });
  });

  it('answers 403 ERR_BRIDGE_UPGRADE_REFUSED on the GraphQL error "CreateSession is disabled"', async () => {
    const { app, session, links } = await authgearSetup(false);
    const res = await request(app.origin).post(UPGRADE_PATH).set('Cookie', session.cookie).expect(403);
    expect(res.body.code).toBe('ERR_BRIDGE_UPGRADE_REFUSED');
    expect(links).toEqual([]);
  });
});
