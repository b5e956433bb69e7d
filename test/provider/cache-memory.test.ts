/**
 * The request path's caches stay within their bounds however many distinct credentials go through them:
 * 1,000,000 distinct verified tokens through the token cache, 1,000,000 distinct signed session cookies through
 * the legacy reader. Heap is measured after full GCs and printed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sign } from 'cookie-signature';
import { describe, expect, it } from 'vitest';
import { type LegacyConfig, LegacyReader, TokenCache } from '../helpers/internals.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1048576;
}

const MILLION = 1_000_000;

describe('request-path cache bounds', () => {
  it('keeps the verified-token cache within max entries and bytes for 1,000,000 distinct tokens', () => {
    const cache = new TokenCache<string>({ max: 10_000, maxBytes: 16 * 1024 * 1024, negativeTtlMs: 5000 });
    const header = { alg: 'RS256', kid: 'k1', typ: 'at+jwt' };
    const body = 'x'.repeat(700); // a realistic access token is 700 to 1200 characters
    const now = Date.now();
    const heaps: number[] = [];
    for (let i = 0; i < MILLION; i++) {
      const token = `eyJ.${i}.${body}`;
      const payload = {
        iss: 'https://tenant.auth0.com/',
        sub: `auth0|${i}`,
        aud: 'https://api',
        exp: now / 1000 + 600,
      };
      cache.set(token, { owner: 'auth0', payload, header, until: now + 600_000 }, now);
      if (i % 10 === 0) cache.refuse(`bad-${i}-${body}`, 'auth0', 'ERR_BRIDGE_TOKEN_INVALID', 'no', now);
      if (i + 1 === 20_000 || i + 1 === MILLION) heaps.push(heapMb());
    }
    const [early = 0, late = 0] = heaps;
    console.log(
      `token cache: ${cache.stats.entries} entries, ${(cache.stats.bytes / 1048576).toFixed(1)} MB counted, ` +
        `${cache.stats.refused} refusals; heap ${early.toFixed(1)} MB at 20,000 tokens, ${late.toFixed(1)} MB at 1,000,000`,
    );
    expect(cache.stats.entries).toBeLessThanOrEqual(10_000);
    expect(cache.stats.bytes).toBeLessThanOrEqual(16 * 1024 * 1024);
    expect(cache.stats.refused).toBeLessThanOrEqual(10_000);
    expect(late - early).toBeLessThan(8);
  }, 120_000);

  it('keeps the legacy reader within its session-id bound for 1,000,000 distinct session cookies', () => {
    const secret = 'legacy-secret';
    // A store that answers at once: the reader's own caches are what is measured.
    const store = {
      get: (_sid: string, cb: (err: unknown, session?: object | null) => void) => cb(null, null),
    };
    const config: LegacyConfig = {
      type: 'store',
      store,
      secrets: [secret],
      cookieName: 'connect.sid',
      userId: () => undefined,
      timeoutMs: 2000,
      scopes: undefined,
      breaker: undefined,
      drain: undefined,
    };
    const reader = new LegacyReader(config, () => {});
    const req = { headers: {} } as never;
    const heaps: number[] = [];
    for (let i = 0; i < MILLION; i++) {
      const cookies = { 'connect.sid': `s:${sign(`session-${i}-padding-to-32-chars`, secret)}` };
      const result = reader.check(req, Date.now(), () => cookies);
      if (result instanceof Promise) throw new Error('a synchronous store must be read synchronously');
      if (i + 1 === 20_000 || i + 1 === MILLION) heaps.push(heapMb());
    }
    const [early = 0, late = 0] = heaps;
    console.log(
      `legacy reader: heap ${early.toFixed(1)} MB at 20,000 sessions, ${late.toFixed(1)} MB at 1,000,000`,
    );
    expect(late - early).toBeLessThan(8);
  }, 180_000);
});
