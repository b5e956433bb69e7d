/**
 * The failure policy for provider keys, through the real middleware and a real local JWKS server (which goes
 * down, comes back, rotates, hangs and answers nonsense): 503 `ERR_BRIDGE_JWKS_UNAVAILABLE` with `Retry-After`
 * when no usable keys are known, the last good keys while the endpoint fails, 401 for an unknown kid once the
 * keys are fresh, and a bounded number of JWKS fetches whatever clients send.
 *
 * The bridge runs on real time here, so cache, cooldown and timeouts are set to a few hundred milliseconds;
 * the backoff (from 1 s) and the 24 h stale limit are covered on a fake clock in provider-keys.test.ts.
 */
import { createServer, type Server } from 'node:http';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderOptions } from '../../src/index.js';
import { buildApp, makeBridge, sleep } from '../helpers/apps.js';
import { type ExpressFactory, expressVersions } from '../helpers/express-versions.js';
import {
  AUDIENCE,
  authFrom,
  expectBridgeError,
  type ProviderFixture,
  startProvider,
} from '../helpers/fixtures.js';
import type { EndpointMode } from '../helpers/jwks-server.js';
import { createSigningKey, mintToken, type SigningKey, wrongKeyToken } from '../helpers/tokens.js';
import { UNUSABLE_ENTRY_ALGORITHMS, type UnusableEntry, unusableEntries } from '../helpers/unusable-keys.js';

let unusable: UnusableEntry[];
/** A key no JWKS here publishes. */
let stranger: SigningKey;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  unusable = await unusableEntries();
  stranger = await createSigningKey({ alg: 'ES256' });
});
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

/** A provider with an ES256 key (quick to generate) behind its own JWKS server. */
async function provider(): Promise<ProviderFixture> {
  const fixture = await startProvider({ alg: 'ES256' });
  cleanups.push(() => fixture.server.close());
  return fixture;
}

/**
 * ES256 provider options on a fast schedule: 100 ms cache and cooldown unless overridden. The timeout stays at
 * a generous 2 s (a busy machine must not turn a slow answer into a test failure) except where a test hangs.
 */
function fast(fixture: ProviderFixture, extra: Partial<ProviderOptions> = {}): ProviderOptions {
  return fixture.options({
    algorithms: ['ES256'],
    jwksTimeoutMs: 2000,
    jwksCacheMaxAgeMs: 100,
    jwksCooldownMs: 100,
    ...extra,
  });
}

/** A correctly signed token for the fixture's issuer whose kid the JWKS does not hold. */
function unknownKid(fixture: ProviderFixture, kid = 'never-published'): Promise<string> {
  return mintToken(stranger, { iss: fixture.issuer, aud: AUDIENCE, kid });
}

/** Sends `count` requests, 50 at a time, with the token `tokenFor(i)`; resolves to their statuses. */
async function flood(
  app: ReturnType<typeof appFor>,
  count: number,
  tokenFor: (i: number) => string,
): Promise<number[]> {
  const server = await listening(app);
  const statuses: number[] = [];
  for (let start = 0; start < count; start += 50) {
    const batch = Array.from({ length: Math.min(50, count - start) }, (_, j) =>
      get(server, tokenFor(start + j)),
    );
    for (const res of await Promise.all(batch)) statuses.push(res.status);
  }
  return statuses;
}

function tally(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const status of statuses) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
}

function appFor(express: ExpressFactory, options: ProviderOptions) {
  return buildApp(express, makeBridge({ provider: options }));
}

function get(app: ReturnType<typeof appFor> | Server, token: string) {
  return request(app).get('/me').set('Authorization', `Bearer ${token}`);
}

/**
 * The app behind one listening server, for floods: supertest on a bare app starts a server per request, which
 * would make 500 requests cost seconds.
 */
async function listening(app: ReturnType<typeof appFor>): Promise<Server> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return server;
}

describe.each(expressVersions)('%s: JWKS faults', (_name, express) => {
  describe('a JWKS that also holds entries no token can be verified with', () => {
    const algorithms = [...UNUSABLE_ENTRY_ALGORITHMS];

    it('accepts a token signed by a good key published next to unusable entries', async () => {
      const fixture = await provider();
      fixture.server.publishRaw([...unusable.map((u) => u.entry), fixture.key.publicJwk]);
      const app = appFor(express, fixture.options({ algorithms }));
      expect(authFrom(await get(app, await fixture.mint({ sub: 'good' })))).toMatchObject({ userId: 'good' });
      expect(fixture.server.counts.jwks).toBe(1);
    });

    it('rejects a token naming an unusable entry with 401, even as the first request, and good tokens keep working', async () => {
      const fixture = await provider();
      fixture.server.publishRaw([fixture.key.publicJwk, ...unusable.map((u) => u.entry)]);
      const named = unusable.filter((u) => u.token !== undefined);
      for (const { label, token } of named) {
        // A fresh bridge each time: the token naming the bad entry is the first thing it sees.
        const app = appFor(express, fixture.options({ algorithms, jwksCooldownMs: 60_000 }));
        const res = await get(app, (await token?.({ iss: fixture.issuer, aud: AUDIENCE })) ?? '');
        expect(res.status, `a token naming ${label}`).toBe(401);
        expectBridgeError(res, 401, 'ERR_BRIDGE_TOKEN_INVALID');
        const good = await get(app, await fixture.mint({ sub: 'good' }));
        expect(good.status, `a good token right after one naming ${label}`).toBe(200);
      }
      // One fetch per bridge: naming an unusable entry neither refetches nor starts a backoff.
      expect(fixture.server.counts.jwks).toBe(named.length);
    });

    it('never verifies with a published private key, even for a token that key signed', async () => {
      const fixture = await provider();
      const leaked = unusable.find((u) => u.label === 'a private key (d)');
      fixture.server.publishRaw([fixture.key.publicJwk, leaked?.entry]);
      const app = appFor(express, fixture.options({ algorithms }));
      const token = await leaked?.token?.({ iss: fixture.issuer, aud: AUDIENCE, sub: 'admin' });
      expectBridgeError(await get(app, token ?? ''), 401, 'ERR_BRIDGE_TOKEN_INVALID');
      expect(authFrom(await get(app, await fixture.mint()))).toMatchObject({ kind: 'provider' });
    });
  });

  describe('the JWKS endpoint fails', () => {
    const faults: Array<[string, EndpointMode]> = [
      ['answers 500', 'fail'],
      ['answers an HTML page', 'html'],
      ['answers an empty body', 'empty'],
      ['answers something that is not JSON', 'garbage'],
      ['answers JSON without a keys array', 'not-jwks'],
      ['streams a body over the 512 KiB cap', 'huge'],
      ['declares a body over the 512 KiB cap', 'oversize'],
      ['hangs past jwksTimeoutMs', 'hang'],
    ];

    it.concurrent.each(faults)(
      'when it %s: 503 with Retry-After without keys; with keys, they keep working and an unknown kid gets 503',
      async (_label, mode) => {
        const fixture = await provider();
        fixture.server.setMode(mode, 'jwks');
        const options = fast(fixture, { jwksTimeoutMs: 500 });
        const cold = appFor(express, options);
        expectBridgeError(await get(cold, await fixture.mint()), 503, 'ERR_BRIDGE_JWKS_UNAVAILABLE');

        fixture.server.setMode('ok', 'jwks');
        const warm = appFor(express, options);
        authFrom(await get(warm, await fixture.mint()));
        fixture.server.setMode(mode, 'jwks');
        await sleep(150); // the cached keys are past jwksCacheMaxAgeMs
        const fetches = fixture.server.counts.jwks;
        expect(authFrom(await get(warm, await fixture.mint({ sub: 'stale' })))).toMatchObject({
          userId: 'stale',
        });
        expect(fixture.server.counts.jwks, 'the refresh was tried').toBe(fetches + 1);
        // A kid the old keys lack may be a rotation the bridge could not see: undecidable, not invalid.
        expectBridgeError(await get(warm, await unknownKid(fixture)), 503, 'ERR_BRIDGE_JWKS_UNAVAILABLE');
        expect(fixture.server.counts.jwks, 'no second try within the backoff').toBe(fetches + 1);
      },
    );

    it('goes down and comes back: the old keys answer meanwhile, and keys rotated during the outage verify afterwards without a restart', async () => {
      const fixture = await provider();
      const app = appFor(express, fast(fixture));
      authFrom(await get(app, await fixture.mint()));
      await fixture.server.stop();
      await sleep(150);
      expect(authFrom(await get(app, await fixture.mint({ sub: 'during' })))).toMatchObject({
        userId: 'during',
      });
      const next = await createSigningKey({ alg: 'ES256' });
      const rotated = await mintToken(next, { iss: fixture.issuer, aud: AUDIENCE, sub: 'rotated' });
      const down = await get(app, rotated);
      expectBridgeError(down, 503, 'ERR_BRIDGE_JWKS_UNAVAILABLE');
      expect(Number(down.headers['retry-after'])).toBeGreaterThanOrEqual(1);

      fixture.server.rotate(next);
      await fixture.server.start();
      // Once the backoff (1 s after the first failure) has passed, the next request fetches the new keys.
      let status = 0;
      for (let attempt = 0; attempt < 40 && status !== 200; attempt += 1) {
        await sleep(100);
        status = (await get(app, rotated)).status;
      }
      expect(authFrom(await get(app, rotated))).toMatchObject({
        userId: 'rotated',
        header: { kid: next.kid },
      });
      expect(authFrom(await get(app, await fixture.mint({ sub: 'old-key' })))).toMatchObject({
        userId: 'old-key',
      });
      // With fresh keys, a kid they do not hold is simply invalid.
      expectBridgeError(await get(app, await unknownKid(fixture)), 401, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('rotation: a newly published kid gets 401 inside jwksCooldownMs and verifies after it', async () => {
      const fixture = await provider();
      const app = appFor(express, fast(fixture, { jwksCooldownMs: 1000, jwksCacheMaxAgeMs: 60_000 }));
      authFrom(await get(app, await fixture.mint()));
      const next = await createSigningKey({ alg: 'ES256' });
      fixture.server.rotate(next);
      const rotated = await mintToken(next, { iss: fixture.issuer, aud: AUDIENCE, sub: 'rotated' });
      expectBridgeError(await get(app, rotated), 401, 'ERR_BRIDGE_TOKEN_INVALID');
      expect(fixture.server.counts.jwks).toBe(1);
      await sleep(1050);
      expect(authFrom(await get(app, rotated))).toMatchObject({ userId: 'rotated' });
      expect(fixture.server.counts.jwks).toBe(2);
      authFrom(await get(app, await fixture.mint()));
    });
  });

  describe('floods', () => {
    it('500 requests with one invalid token (a trusted kid, a foreign signature) fetch no keys, while valid tokens keep working', async () => {
      const fixture = await provider();
      const app = appFor(express, fast(fixture, { jwksCacheMaxAgeMs: 60_000 }));
      const valid = await fixture.mint({ sub: 'steady' });
      authFrom(await get(app, valid));
      const invalid = await wrongKeyToken(fixture.key, { iss: fixture.issuer, aud: AUDIENCE });
      const statuses = await flood(app, 500, (i) => (i % 10 === 0 ? valid : invalid));
      expect(tally(statuses)).toEqual({ 200: 50, 401: 450 });
      expect(fixture.server.counts.jwks).toBe(1);
    });

    it('500 requests with unknown kids refetch at most once per jwksCooldownMs, while valid tokens keep working', async () => {
      const fixture = await provider();
      const cooldownMs = 250;
      const app = appFor(express, fast(fixture, { jwksCooldownMs: cooldownMs, jwksCacheMaxAgeMs: 60_000 }));
      const valid = await fixture.mint({ sub: 'steady' });
      authFrom(await get(app, valid));
      const unknown = await Promise.all(
        Array.from({ length: 500 }, (_, i) => unknownKid(fixture, `unknown-${i}`)),
      );
      const started = Date.now();
      const statuses = await flood(app, 500, (i) => (i % 10 === 0 ? valid : (unknown[i] as string)));
      const elapsed = Date.now() - started;
      expect(tally(statuses)).toEqual({ 200: 50, 401: 450 });
      expect(fixture.server.counts.jwks - 1).toBeLessThanOrEqual(1 + Math.ceil(elapsed / cooldownMs));
    });

    it('500 requests with unknown kids while the endpoint fails fetch at the backoff pace, while valid tokens keep working on the old keys', async () => {
      const fixture = await provider();
      const app = appFor(express, fast(fixture));
      const valid = await fixture.mint({ sub: 'steady' });
      authFrom(await get(app, valid));
      fixture.server.setMode('fail', 'jwks');
      await sleep(150);
      const unknown = await Promise.all(
        Array.from({ length: 500 }, (_, i) => unknownKid(fixture, `unknown-${i}`)),
      );
      const started = Date.now();
      const statuses = await flood(app, 500, (i) => (i % 10 === 0 ? valid : (unknown[i] as string)));
      const elapsed = Date.now() - started;
      expect(tally(statuses)).toEqual({ 200: 50, 503: 450 });
      // Backoff 1 s, 2 s, 4 s ...: at most one fetch to start with and one per second after.
      expect(fixture.server.counts.jwks - 1).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 1000));
    });
  });
});
