import { describe, expect, it } from 'vitest';
import { DistinctCounter, hash53, scanLegacyStore } from '../helpers/internals.js';
import { memoryStore, setSession } from '../helpers/legacy.js';

describe('DistinctCounter', () => {
  it('counts distinct values exactly up to max and tells a repeat', () => {
    const counter = new DistinctCounter(10_000);
    for (let i = 0; i < 10_000; i++) expect(counter.add(`user-${i}`)).toBe(true);
    for (let i = 0; i < 10_000; i += 7) expect(counter.add(`user-${i}`)).toBe(false);
    expect(counter.count).toBe(10_000);
    expect(counter.approximate).toBe(false);
  });

  it('estimates past max, within a few percent, holding at most max entries', () => {
    const counter = new DistinctCounter(4096);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 200_000; i++) counter.add(`user-${i}`);
    }
    expect(counter.approximate).toBe(true);
    // Relative standard error about 1 / sqrt(4096) = 1.6 %: 6 % is nearly four of them.
    expect(Math.abs(counter.count - 200_000) / 200_000).toBeLessThan(0.06);
  });

  it('hashes to whole numbers in [1, 2^53)', () => {
    for (const text of ['', 'a', 'user-1', '\u{1F600}'.repeat(40)]) {
      const hash = hash53(text);
      expect(Number.isSafeInteger(hash)).toBe(true);
      expect(hash).toBeGreaterThan(0);
    }
    expect(hash53('user-1')).not.toBe(hash53('user-2'));
  });
});

describe('scanLegacyStore past the distinct bound', () => {
  it('flags the user count approximate and estimates it', async () => {
    const store = memoryStore();
    for (let i = 0; i < 3000; i++)
      await setSession(store, `s${i}`, { cookie: { expires: null }, userId: `u${i}` });
    const result = await scanLegacyStore({
      store,
      userId: (s) => s.userId,
      userIdTimeoutMs: 1000,
      timeoutMs: 1000,
      now: Date.now(),
      signal: new AbortController().signal,
      maxDistinct: 500,
    });
    expect(result).toMatchObject({ sessions: 3000, loggedIn: 3000, approximate: true });
    expect(result.supported && Math.abs(result.users - 3000) / 3000).toBeLessThan(0.2);
  });
});
