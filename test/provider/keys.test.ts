/**
 * ProviderKeys on an injected clock, against a real local JWKS server: cache age, cooldown, backoff and the
 * stale-keys limit all follow the clock the bridge gives it, so a day of outage takes no real time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeError, type BridgeErrorCode, type ProviderOptions } from '../../src/index.js';
import { AUDIENCE } from '../helpers/fixtures.js';
import {
  ProviderKeys,
  parseOptions,
  STALE_KEYS_MAX_AGE_MS,
  verifyOptionsFor,
  verifyToken,
} from '../helpers/internals.js';
import { type JwksServer, startJwksServer } from '../helpers/jwks-server.js';
import { createSigningKey, mintToken, type SigningKey } from '../helpers/tokens.js';
import { type UnusableEntry, unusableEntries } from '../helpers/unusable-keys.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** A clock that moves only when told to; starts at the real time so nothing else looks odd. */
function fakeClock() {
  let time = Date.now();
  return {
    now: () => time,
    advance(ms: number) {
      time += ms;
    },
  };
}

const servers: JwksServer[] = [];
let keyA: SigningKey;
let keyB: SigningKey;
let keyC: SigningKey;
let stranger: SigningKey;
let unusable: UnusableEntry[];

beforeAll(async () => {
  const key = (kid: string) => createSigningKey({ alg: 'ES256', kid: `kid-${kid}` });
  [keyA, keyB, keyC, stranger] = await Promise.all([key('a'), key('b'), key('c'), key('stranger')]);
  unusable = await unusableEntries();
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function server(...keys: SigningKey[]): Promise<JwksServer> {
  const started = await startJwksServer({ keys });
  servers.push(started);
  return started;
}

/**
 * A ProviderKeys for `jwks` on `clock`, and `verify(key)` that checks a token signed by `key` (valid for ten
 * minutes of the fake clock) the way the bridge does, answering `'ok'` or the error code.
 */
function subject(
  jwks: JwksServer,
  clock: ReturnType<typeof fakeClock>,
  extra: Partial<ProviderOptions> = {},
  debug?: (message: string) => void,
) {
  const provider: ProviderOptions = {
    issuer: jwks.issuer,
    audience: AUDIENCE,
    jwksUri: jwks.jwksUri,
    algorithms: ['ES256'],
    jwksTimeoutMs: 500,
    ...extra,
  };
  const [config] = parseOptions({ provider, stats: false }).providers;
  if (!config) throw new Error('no provider config');
  const keys = new ProviderKeys(config, clock.now, debug);
  const options = verifyOptionsFor(config);
  let lastError: BridgeError | undefined;
  return {
    keys,
    /** The `Retry-After` of the last 503, in seconds. */
    retryAfter: () => Number(lastError?.headers['Retry-After']),
    async verify(key: SigningKey, kid = key.kid): Promise<'ok' | BridgeErrorCode> {
      const iat = Math.floor(clock.now() / 1000);
      const token = await mintToken(key, { iss: jwks.issuer, aud: AUDIENCE, kid, iat, exp: iat + 600 });
      try {
        await verifyToken(token, options, keys, clock.now());
        return 'ok';
      } catch (err) {
        if (!(err instanceof BridgeError)) throw err;
        lastError = err;
        return err.code;
      }
    },
  };
}

describe('ProviderKeys on the bridge clock', () => {
  it('serves keys from its cache until jwksCacheMaxAgeMs has passed on the injected clock, then refetches', async () => {
    const jwks = await server(keyA);
    const clock = fakeClock();
    const { verify } = subject(jwks, clock, { jwksCacheMaxAgeMs: 10 * MINUTE });
    expect(await verify(keyA)).toBe('ok');
    clock.advance(10 * MINUTE - 1);
    expect(await verify(keyA)).toBe('ok');
    expect(jwks.counts.jwks).toBe(1);
    clock.advance(1);
    expect(await verify(keyA)).toBe('ok');
    expect(jwks.counts.jwks).toBe(2);
  });

  describe('stale keys', () => {
    it('keeps verifying with the last good keys while the endpoint fails, up to 24 h after the last good fetch', async () => {
      const jwks = await server(keyA);
      const clock = fakeClock();
      const { verify } = subject(jwks, clock);
      expect(await verify(keyA)).toBe('ok');
      jwks.setMode('fail', 'jwks');
      // Through the day: the endpoint is retried (with backoff) and the old keys keep working.
      for (let hour = 1; hour < 24; hour += 1) {
        clock.advance(HOUR);
        expect(await verify(keyA), `after ${hour} h`).toBe('ok');
      }
      clock.advance(HOUR - 1);
      expect(await verify(keyA), 'at 24 h').toBe('ok');
      expect(jwks.counts.jwks).toBeGreaterThanOrEqual(24);
      clock.advance(2);
      expect(await verify(keyA), 'just past 24 h').toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
      expect(STALE_KEYS_MAX_AGE_MS).toBe(24 * HOUR);
    });

    it('answers 503 with Retry-After for a kid the stale keys do not hold (it may be a fresh rotation)', async () => {
      const jwks = await server(keyA);
      const clock = fakeClock();
      const { verify, retryAfter } = subject(jwks, clock);
      expect(await verify(keyA)).toBe('ok');
      jwks.setMode('fail', 'jwks');
      clock.advance(HOUR);
      expect(await verify(keyA)).toBe('ok');
      expect(await verify(keyB)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
      expect(retryAfter()).toBeGreaterThanOrEqual(1);
    });

    it('counts the 24 h from the last successful fetch, so one good fetch in between extends them', async () => {
      const jwks = await server(keyA);
      const clock = fakeClock();
      const { verify } = subject(jwks, clock);
      expect(await verify(keyA)).toBe('ok');
      jwks.setMode('fail', 'jwks');
      clock.advance(20 * HOUR);
      expect(await verify(keyA)).toBe('ok');
      jwks.setMode('ok', 'jwks');
      clock.advance(2 * MINUTE);
      expect(await verify(keyA)).toBe('ok');
      jwks.setMode('fail', 'jwks');
      clock.advance(23 * HOUR);
      expect(await verify(keyA)).toBe('ok');
      clock.advance(HOUR + 1);
      expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
    });

    it('recovers after the stale limit as soon as the endpoint answers again, without a restart', async () => {
      const jwks = await server(keyA);
      const clock = fakeClock();
      const { verify } = subject(jwks, clock);
      expect(await verify(keyA)).toBe('ok');
      jwks.setMode('fail', 'jwks');
      clock.advance(25 * HOUR);
      expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
      jwks.setMode('ok', 'jwks');
      clock.advance(60_000);
      expect(await verify(keyA)).toBe('ok');
    });
  });

  describe('backoff', () => {
    it('backs off JWKS fetches after failures: 1 s, doubling to 60 s, with a matching Retry-After', async () => {
      const jwks = await server(keyA);
      jwks.setMode('fail', 'jwks');
      const clock = fakeClock();
      const { verify, retryAfter } = subject(jwks, clock);
      expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
      expect(jwks.counts.jwks).toBe(1);
      for (const backoff of [1, 2, 4, 8, 16, 32, 60, 60]) {
        expect(retryAfter(), `Retry-After during the ${backoff} s backoff`).toBe(backoff);
        const fetches = jwks.counts.jwks;
        clock.advance(backoff * 1000 - 1);
        expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
        expect(jwks.counts.jwks, `no fetch within the ${backoff} s backoff`).toBe(fetches);
        expect(retryAfter()).toBe(1);
        clock.advance(1);
        expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
        expect(jwks.counts.jwks, `one fetch after the ${backoff} s backoff`).toBe(fetches + 1);
      }
    });

    it('resets the backoff to 1 s after a successful fetch', async () => {
      const jwks = await server(keyA);
      jwks.setMode('fail', 'jwks');
      const clock = fakeClock();
      const { verify } = subject(jwks, clock, { jwksCacheMaxAgeMs: 10 * MINUTE });
      for (let i = 0; i < 5; i += 1) {
        expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
        clock.advance(60_000);
      }
      jwks.setMode('ok', 'jwks');
      expect(await verify(keyA)).toBe('ok');
      jwks.setMode('fail', 'jwks');
      clock.advance(10 * MINUTE);
      const fetches = jwks.counts.jwks;
      expect(await verify(keyA)).toBe('ok'); // stale keys
      expect(jwks.counts.jwks).toBe(fetches + 1);
      clock.advance(999);
      expect(await verify(keyA)).toBe('ok');
      expect(jwks.counts.jwks).toBe(fetches + 1);
      clock.advance(1);
      expect(await verify(keyA)).toBe('ok');
      expect(jwks.counts.jwks).toBe(fetches + 2);
    });

    it('shares one fetch between concurrent requests', async () => {
      const jwks = await server(keyA);
      const clock = fakeClock();
      const { verify } = subject(jwks, clock);
      expect(await Promise.all(Array.from({ length: 20 }, () => verify(keyA)))).toEqual(
        Array.from({ length: 20 }, () => 'ok'),
      );
      expect(jwks.counts.jwks).toBe(1);
    });
  });

  describe('discovery', () => {
    it('retries a failed discovery with backoff (1 s, then 2 s) and recovers without a restart', async () => {
      const jwks = await server(keyA);
      jwks.setMode('fail', 'discovery');
      const clock = fakeClock();
      const { verify, retryAfter } = subject(jwks, clock, { jwksUri: undefined });
      expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
      expect(retryAfter()).toBe(1);
      expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
      expect(jwks.counts.discovery).toBe(1);
      clock.advance(1000);
      expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
      expect(jwks.counts.discovery).toBe(2);
      expect(retryAfter()).toBe(2);
      jwks.setMode('ok', 'discovery');
      clock.advance(1999);
      expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
      expect(jwks.counts.discovery).toBe(2);
      clock.advance(1);
      expect(await verify(keyA)).toBe('ok');
      expect(await verify(keyA)).toBe('ok');
      expect(jwks.counts).toMatchObject({ discovery: 3, jwks: 1 });
    });
  });

  describe('rotation and unknown kids', () => {
    it('rejects a newly published kid with 401 inside the cooldown and accepts it once the cooldown has passed', async () => {
      const jwks = await server(keyA);
      const clock = fakeClock();
      const { verify } = subject(jwks, clock, { jwksCooldownMs: 30_000 });
      expect(await verify(keyA)).toBe('ok');
      jwks.rotate(keyB);
      clock.advance(30_000 - 1);
      expect(await verify(keyB)).toBe('ERR_BRIDGE_TOKEN_INVALID');
      expect(jwks.counts.jwks).toBe(1);
      clock.advance(1);
      expect(await verify(keyB)).toBe('ok');
      expect(jwks.counts.jwks).toBe(2);
      expect(await verify(keyA)).toBe('ok');
    });

    it('stops accepting a key the provider dropped once the cached set expires', async () => {
      const jwks = await server(keyA);
      const clock = fakeClock();
      const { verify } = subject(jwks, clock, { jwksCacheMaxAgeMs: 10 * MINUTE });
      expect(await verify(keyA)).toBe('ok');
      jwks.rotate(keyC, { dropOld: true });
      clock.advance(10 * MINUTE - 1);
      expect(await verify(keyA)).toBe('ok');
      clock.advance(1);
      expect(await verify(keyA)).toBe('ERR_BRIDGE_TOKEN_INVALID');
      expect(await verify(keyC)).toBe('ok');
      expect(jwks.counts.jwks).toBe(2);
    });

    it('refetches for unknown kids at most once per cooldown', async () => {
      const jwks = await server(keyA);
      const clock = fakeClock();
      const { verify } = subject(jwks, clock, { jwksCooldownMs: 30_000 });
      expect(await verify(keyA)).toBe('ok');
      // Ten cooldown periods with 20 unknown kids spread over each: the first fetch opened the first period,
      // each later period starts with one refetch.
      for (let period = 1; period <= 10; period += 1) {
        for (let i = 0; i < 20; i += 1) {
          expect(await verify(stranger, `unknown-${period}-${i}`)).toBe('ERR_BRIDGE_TOKEN_INVALID');
          clock.advance(1500);
        }
      }
      expect(jwks.counts.jwks).toBe(1 + 9);
    });

    it('answers 503 for an unknown kid whose refetch fails, keeps known kids working, and 401 once a refetch succeeds', async () => {
      const jwks = await server(keyA);
      const clock = fakeClock();
      const { verify } = subject(jwks, clock, { jwksCooldownMs: 30_000 });
      expect(await verify(keyA)).toBe('ok');
      jwks.setMode('fail', 'jwks');
      clock.advance(30_000);
      expect(await verify(stranger)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
      expect(await verify(keyA)).toBe('ok');
      expect(jwks.counts.jwks).toBe(2);
      jwks.setMode('ok', 'jwks');
      expect(await verify(stranger)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE'); // still within the 1 s backoff
      expect(jwks.counts.jwks).toBe(2);
      clock.advance(1000);
      expect(await verify(stranger)).toBe('ERR_BRIDGE_TOKEN_INVALID');
      expect(jwks.counts.jwks).toBe(3);
    });
  });

  describe('documents that are not a key set', () => {
    it.each(['garbage', 'html', 'empty', 'not-jwks', 'huge', 'oversize'] as const)(
      'treats a JWKS answer in mode %s as a failed fetch and keeps the last good keys',
      async (mode) => {
        const jwks = await server(keyA);
        const clock = fakeClock();
        const { verify } = subject(jwks, clock, { jwksCacheMaxAgeMs: 10 * MINUTE });
        jwks.setMode(mode, 'jwks');
        expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
        jwks.setMode('ok', 'jwks');
        clock.advance(1000);
        expect(await verify(keyA)).toBe('ok');
        jwks.setMode(mode, 'jwks');
        clock.advance(10 * MINUTE);
        expect(await verify(keyA)).toBe('ok');
        expect(await verify(keyB)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
        expect(jwks.counts.jwks).toBe(3);
      },
    );
  });

  describe('entries no token can be verified with', () => {
    it('skips and counts them, keeps the good keys, and tells debug once per different set', async () => {
      const jwks = await server();
      jwks.publishRaw([...unusable.map((u) => u.entry), keyA.publicJwk]);
      const clock = fakeClock();
      const messages: string[] = [];
      const { keys, verify } = subject(jwks, clock, { jwksCacheMaxAgeMs: 10 * MINUTE }, (message) => {
        messages.push(message);
      });
      expect(await verify(keyA)).toBe('ok');
      expect(keys.skippedKeys).toBe(unusable.length);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toContain('(kid "leaked-private"): holds private key material');
      expect(messages[0]).not.toMatch(/"d"|"k":/);
      // The same document again: nothing new to say.
      clock.advance(10 * MINUTE);
      expect(await verify(keyA)).toBe('ok');
      expect(jwks.counts.jwks).toBe(2);
      expect(messages).toHaveLength(1);
      jwks.publish(keyA);
      clock.advance(10 * MINUTE);
      expect(await verify(keyA)).toBe('ok');
      expect(keys.skippedKeys).toBe(0);
      expect(messages).toHaveLength(1);
    });

    it('keeps the good keys when the debug logger throws', async () => {
      const jwks = await server();
      jwks.publishRaw([...unusable.map((u) => u.entry), keyA.publicJwk]);
      const { keys, verify } = subject(jwks, fakeClock(), {}, () => {
        throw new Error('logger down');
      });
      expect(await verify(keyA)).toBe('ok');
      expect(keys.skippedKeys).toBe(unusable.length);
    });

    it('treats a JWKS without a single usable key as a failed fetch: the last good keys keep working', async () => {
      const jwks = await server(keyA);
      const clock = fakeClock();
      const { verify } = subject(jwks, clock, { jwksCacheMaxAgeMs: 10 * MINUTE });
      expect(await verify(keyA)).toBe('ok');
      jwks.publishRaw(unusable.map((u) => u.entry));
      clock.advance(10 * MINUTE);
      expect(await verify(keyA)).toBe('ok');
      expect(jwks.counts.jwks).toBe(2);
      clock.advance(STALE_KEYS_MAX_AGE_MS);
      expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
    });

    it('answers 503, not 401, when the first JWKS holds no usable key (empty keys array)', async () => {
      const jwks = await server();
      const clock = fakeClock();
      const { verify, retryAfter } = subject(jwks, clock);
      expect(await verify(keyA)).toBe('ERR_BRIDGE_JWKS_UNAVAILABLE');
      expect(retryAfter()).toBe(1);
    });
  });
});
