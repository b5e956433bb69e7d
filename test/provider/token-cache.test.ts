/**
 * The verified-token cache, through the middleware with a real local JWKS server and a fake bridge clock:
 * hits cost no signature check, and no entry outlives the token, its maximum age, or the key that signed it.
 */
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError, type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { TokenCache } from '../helpers/internals.js';
import { createSigningKey, mintToken, tamperPayload } from '../helpers/tokens.js';

describe.each(expressVersions)('%s: verified-token cache', (_name, express) => {
  let provider: ProviderFixture;
  const clock = { t: 0 };
  beforeEach(async () => {
    provider = await startProvider();
    clock.t = Date.now();
  });
  afterEach(async () => {
    await provider.server.close();
  });

  function app(
    extra: Parameters<ProviderFixture['options']>[0] = {},
    tokenCache?: { negativeTtlMs?: number },
  ) {
    const bridge = makeBridge({
      provider: provider.options({ jwksCacheMaxAgeMs: 600_000, ...extra }),
      now: () => clock.t,
      ...(tokenCache ? { tokenCache } : {}),
    });
    return buildApp(express, bridge);
  }
  const get = (server: ReturnType<typeof app>, token: string) =>
    request(server).get('/me').set('Authorization', `Bearer ${token}`);

  it('refuses an expired token even when it was cached while valid', async () => {
    const server = app();
    const token = await provider.mint({ exp: Math.floor(clock.t / 1000) + 60 });
    authFrom(await get(server, token));
    authFrom(await get(server, token));
    clock.t += 59_000;
    authFrom(await get(server, token));
    clock.t += 7_000; // past exp plus the 5 s clock tolerance
    expectBridgeError(await get(server, token), 401, 'ERR_BRIDGE_TOKEN_EXPIRED');
  });

  it('refuses a cached token past maxTokenAgeSeconds', async () => {
    const server = app({ maxTokenAgeSeconds: 120 });
    const token = await provider.mint({ iat: Math.floor(clock.t / 1000) });
    authFrom(await get(server, token));
    clock.t += 126_000; // past the maximum age plus the 5 s clock tolerance
    expectBridgeError(await get(server, token), 401, 'ERR_BRIDGE_TOKEN_EXPIRED');
  });

  it('stops accepting cached tokens of a key removed from the JWKS after the next refresh', async () => {
    const server = app({ jwksCacheMaxAgeMs: 60_000 });
    const token = await provider.mint();
    authFrom(await get(server, token));
    const next = await createSigningKey();
    provider.server.rotate(next, { dropOld: true });
    // Within the keys' freshness the cached token still passes, as its key would.
    authFrom(await get(server, token));
    clock.t += 60_001;
    expectBridgeError(await get(server, token), 401, 'ERR_BRIDGE_TOKEN_INVALID');
  });

  it('drops tokens of a removed key when a new kid makes the bridge refetch the JWKS early', async () => {
    const server = app({ jwksCooldownMs: 0 });
    const old = await provider.mint();
    authFrom(await get(server, old));
    const next = await createSigningKey();
    provider.server.rotate(next, { dropOld: true });
    const fresh = await mintToken(next, { iss: provider.issuer, aud: 'https://api.example.test' });
    authFrom(await get(server, fresh)); // unknown kid: refetch, the old key is gone
    expectBridgeError(await get(server, old), 401, 'ERR_BRIDGE_TOKEN_INVALID');
  });

  it('serves a reused token without another key lookup, and a refused one without another check', async () => {
    const server = app();
    const token = await provider.mint();
    for (let i = 0; i < 20; i++) authFrom(await get(server, token));
    expect(provider.server.counts.jwks).toBe(1);
    const forged = tamperPayload(token, { sub: 'someone-else' });
    for (let i = 0; i < 5; i++) expectBridgeError(await get(server, forged), 401, 'ERR_BRIDGE_TOKEN_INVALID');
  });

  it('forgets a refusal after negativeTtlMs', async () => {
    const server = app({}, { negativeTtlMs: 1000 });
    const early = await provider.mint({ nbf: Math.floor(clock.t / 1000) + 30 });
    expectBridgeError(await get(server, early), 401, 'ERR_BRIDGE_TOKEN_INVALID');
    clock.t += 31_000;
    authFrom(await get(server, early));
  });

  it('keeps a cached token to the place it was accepted: a Bearer-only provider refuses it from a cookie', async () => {
    const server = app({ cookieName: 'idp', bearer: true });
    const token = await provider.mint();
    authFrom(await get(server, token));
    authFrom(await request(server).get('/me').set('Cookie', `idp=${token}`));
    const bearerOnly = app({ bearer: true });
    authFrom(await get(bearerOnly, token));
    expect((await request(bearerOnly).get('/me').set('Cookie', `idp=${token}`)).status).toBe(401);
  });
});

describe('TokenCache bounds', () => {
  it('holds at most max entries and maxBytes of tokens', () => {
    const cache = new TokenCache<string>({ max: 1000, maxBytes: 200_000, negativeTtlMs: 1000 });
    const header = { alg: 'RS256', kid: 'k' };
    for (let i = 0; i < 100_000; i++) {
      cache.set(`token-${i}-${'x'.repeat(i % 500)}`, { owner: 'p', payload: {}, header, until: 2 }, 1);
    }
    expect(cache.stats.entries).toBeLessThanOrEqual(1000);
    expect(cache.stats.bytes).toBeLessThanOrEqual(200_000);
    for (let i = 0; i < 100_000; i++) cache.refuse(`bad-${i}`, 'p', 'ERR_BRIDGE_TOKEN_INVALID', 'no', 1);
    expect(cache.stats.refused).toBeLessThanOrEqual(1000);
  });
});

describe('checkProvider with the token cache', () => {
  it('answers a reused token from the cache without asking the key source again', async () => {
    const { parseOptions, buildProviders, checkProvider } = await import('../helpers/internals.js');
    const fixture = await startProvider();
    try {
      const now = Date.now();
      for (const tokenCache of [undefined, false] as const) {
        const config = parseOptions({
          provider: fixture.options(),
          ...(tokenCache === false ? { tokenCache } : {}),
        });
        const { runtimes, cache } = buildProviders(
          config.providers,
          () => now,
          () => {},
          config.tokenCache,
        );
        const token = await fixture.mint();
        const credential = { type: 'token' as const, token, source: 'header' as const };
        expect((await checkProvider(credential, runtimes, now, cache)).state).toBe('ok');
        // Break the key source: only a cache hit can still verify the token.
        Object.defineProperty(runtimes[0]?.keys, 'getKey', {
          value: () => Promise.reject(new Error('key source asked again')),
        });
        const again = await checkProvider(credential, runtimes, now, cache);
        expect(again.state).toBe(tokenCache === false ? 'invalid' : 'ok');
      }
    } finally {
      await fixture.server.close();
    }
  });
});
