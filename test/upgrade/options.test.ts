/** `upgrade` and the adapters are validated once, at construction, with errors that say what to pass. */
import { describe, expect, it } from 'vitest';
import {
  auth0TokenExchange,
  authgearCreateSession,
  type BridgeOptions,
  jwtBearerGrant,
  sessionBridge,
  stytchAttest,
  tokenExchange,
  type UpgradeOptions,
} from '../../src/index.js';
import { memoryStore } from '../helpers/legacy.js';
import { upgradeSigningKey } from '../helpers/upgrade-app.js';

const exchange = tokenExchange({
  tokenEndpoint: 'https://id.example.test/oauth/token',
  clientId: 'c',
  clientSecret: 's',
});

async function build(upgrade: Partial<UpgradeOptions>, extra: Partial<BridgeOptions> = {}) {
  const signingKey = await upgradeSigningKey();
  return () =>
    sessionBridge({
      legacy: { store: memoryStore(), secret: 'secret' },
      provider: {
        issuer: 'https://id.example.test/',
        jwksUri: 'https://id.example.test/jwks',
        audience: 'api',
      },
      stats: false,
      ...extra,
      upgrade: {
        signingKey,
        issuer: 'https://app.example.test',
        audience: 'aud',
        exchange,
        ...upgrade,
      } as UpgradeOptions,
    });
}

describe('upgrade options', () => {
  it('accepts a complete configuration and serves the keys and endpoint', async () => {
    const bridge = (await build({}))();
    expect(typeof bridge.upgradeKeys()).toBe('function');
    expect(bridge.upgradeEndpoint()).toBe(bridge.upgradeEndpoint());
  });

  it.each([
    ['a missing signingKey', { signingKey: undefined }, /upgrade\.signingKey` is required/],
    [
      'a public key as signingKey',
      { signingKey: { kty: 'RSA', n: 'x', e: 'AQAB', kid: 'k', alg: 'RS256' } },
      /signingKey` is required/,
    ],
    [
      'an HMAC alg',
      { signingKey: { kty: 'oct', k: 'c2VjcmV0', d: 'x', kid: 'k', alg: 'HS256' } },
      /alg` must be one of 'RS256', 'ES256' \(got "HS256"\)/,
    ],
    ['a missing issuer', { issuer: undefined }, /upgrade\.issuer` is required/],
    [
      'a missing audience',
      { audience: undefined },
      /upgrade\.audience` is required: this adapter sends an assertion/,
    ],
    ['a lifetime over 300 s', { lifetimeSeconds: 301 }, /lifetimeSeconds` \(301\) cannot exceed/],
    ['no adapter', { exchange: undefined }, /upgrade\.exchange` is required/],
    ["deliver: 'cookie' with no cookie to set", { deliver: 'cookie' }, /needs a cookie to set/],
    [
      'an allowed origin with a path',
      { allowedOrigins: ['https://app.example.test/login'] },
      /allowedOrigins\[0\]` must be an origin/,
    ],
    ['an unknown option', { lifetime: 60 } as Partial<UpgradeOptions>, /unknown option `upgrade\.lifetime`/],
    [
      'an unknown provider name',
      { provider: 'nope' },
      /upgrade\.provider` must be the name of a configured provider/,
    ],
  ])('refuses %s with a TypeError', async (_name, upgrade, message) => {
    expect(await build(upgrade as Partial<UpgradeOptions>)).toThrow(message);
  });

  it('refuses a previous key that carries private members', async () => {
    const previous = await upgradeSigningKey('ES256', 'old');
    expect(await build({ previousKeys: [previous] })).toThrow(/previousKeys\[0\]` holds private key members/);
  });

  it('needs both legacy and provider', async () => {
    expect(await build({}, { legacy: undefined })).toThrow(/needs both `legacy`/);
  });

  it("lets jwtBearerGrant define the assertion's audience", async () => {
    const grant = jwtBearerGrant({
      tokenEndpoint: 'https://hydra.example.test/oauth2/token',
      clientId: 'c',
      clientSecret: 's',
    });
    expect(grant.audience).toBe('https://hydra.example.test/oauth2/token');
    expect(await build({ audience: undefined, exchange: grant })).not.toThrow();
  });

  it('tells where upgradeKeys() and upgradeEndpoint() need the option', () => {
    const bridge = sessionBridge({ legacy: { store: memoryStore(), secret: 'secret' }, stats: false });
    expect(() => bridge.upgradeEndpoint()).toThrow(/needs the `upgrade` option/);
  });
});

describe('adapters', () => {
  it('refuse plain http except on loopback', () => {
    expect(() =>
      tokenExchange({ tokenEndpoint: 'http://id.example.test/token', clientId: 'c', clientSecret: 's' }),
    ).toThrow(/tokenExchange\(\): `tokenEndpoint` must be an https URL/);
    expect(() =>
      tokenExchange({ tokenEndpoint: 'http://127.0.0.1:9/token', clientId: 'c', clientSecret: 's' }),
    ).not.toThrow();
  });

  it("refuse Auth0's reserved subject token type namespaces", () => {
    const base = { domain: 'example.eu.auth0.com', clientId: 'c', clientSecret: 's' };
    for (const type of [
      'urn:ietf:params:oauth:token-type:jwt',
      'urn:auth0:x',
      'https://auth0.com/x',
      'http://example.com/x',
    ]) {
      expect(() => auth0TokenExchange({ ...base, subjectTokenType: type })).toThrow(TypeError);
    }
    expect(() =>
      auth0TokenExchange({ ...base, subjectTokenType: 'urn:example:legacy-session' }),
    ).not.toThrow();
  });

  it('need a Stytch session duration from 5 to 527040 minutes', () => {
    const base = { projectId: 'project-test-123', secret: 's', profileId: 'p' };
    expect(() => stytchAttest({ ...base, sessionDurationMinutes: 4 })).toThrow(/sessionDurationMinutes/);
    expect(() => stytchAttest({ ...base } as never)).toThrow(/no session/);
    expect(() => stytchAttest({ ...base, sessionDurationMinutes: 60 })).not.toThrow();
  });

  it('need an Authgear admin key with its kid', async () => {
    const key = await upgradeSigningKey('RS256');
    const base = { endpoint: 'https://myapp.authgear.cloud', appId: 'myapp', clientId: 'c' };
    const { kid: _kid, ...noKid } = key;
    expect(() => authgearCreateSession({ ...base, adminKey: noKid })).toThrow(/adminKey\.kid` is required/);
    expect(() => authgearCreateSession({ ...base, adminKey: key })).not.toThrow();
  });

  it('word their errors like every other option (unknown, missing, bad value)', () => {
    const base = { tokenEndpoint: 'https://id.example.test/token', clientId: 'c', clientSecret: 's' };
    expect(() => tokenExchange({ ...base, scop: 'x' } as never)).toThrow(
      /^tokenExchange\(\): unknown option `scop`: the known options are /,
    );
    expect(() => tokenExchange({ ...base, clientId: undefined } as never)).toThrow(
      /^tokenExchange\(\): `clientId` is required: pass /,
    );
    expect(() => tokenExchange({ ...base, clientId: 5 } as never)).toThrow(
      /^tokenExchange\(\): `clientId` must be a non-empty string \(got 5\): pass /,
    );
    expect(() => jwtBearerGrant({ ...base, clientAuth: 'jwt' } as never)).toThrow(
      /`clientAuth` must be one of 'basic', 'post' \(got "jwt"\)/,
    );
  });
});
