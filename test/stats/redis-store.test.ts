import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { memoryStats, type RedisStatsOptions, redisStats, type StatsStore } from '../../src/index.js';
import type { AnyStatsEvent, StatsEvent, StatsQuery, StatsSnapshot } from '../../src/stats-store.js';
import { PASSWORD_MIGRATION_RESULTS } from '../helpers/internals.js';
import {
  alignedNow,
  DAY,
  HOUR,
  type Population,
  scriptedPopulation,
  sortLabels,
} from '../helpers/population.js';
import {
  connectIoredis,
  connectNodeRedis,
  deleteKeys,
  describeRedis,
  dumpKeys,
  type RedisConnection,
  type SendCommand,
  scanKeys,
  testPrefix,
} from '../helpers/redis.js';

const WINDOW_DAYS = [1, 2, 7, 14, 30, 60];

function populationQuery(now: number, seriesBucket: 'hour' | 'day', seriesFrom: number): StatsQuery {
  const windows: Record<string, number> = {};
  for (const d of WINDOW_DAYS) windows[`${d}d`] = d * DAY;
  return { now, windows, seriesBucket, seriesFrom };
}

async function recordInBatches(
  store: StatsStore,
  events: readonly AnyStatsEvent[],
  size = 1000,
): Promise<void> {
  for (let i = 0; i < events.length; i += size) await store.record(events.slice(i, i + size));
}

/** Asserts a snapshot against the population's closed-form answers, for every window and both series. */
async function expectPopulationAnswers(store: StatsStore, pop: Population, now: number): Promise<void> {
  const daySeriesFrom = now - 100 * DAY;
  const snapshot = await store.query(populationQuery(now, 'day', daySeriesFrom));
  expect(snapshot.approximate).toBe(false);
  expect(snapshot.totals).toEqual(pop.expected.totals);
  for (const d of WINDOW_DAYS) {
    expect(snapshot.windows[`${d}d`], `window ${d}d`).toEqual({
      ...pop.expected.window(d),
      approximate: false,
    });
  }
  expect(snapshot.lastLegacyAt).toBe(pop.expected.lastLegacyAt);
  expect(sortLabels(snapshot.requestsByLabel)).toEqual(pop.expected.requestsByLabel);
  // The day series is clamped to the retention (90 days), like the memory store's.
  expect(snapshot.series).toEqual(pop.expected.series('day', now - 90 * DAY));

  const hourSeriesFrom = now - 6 * DAY;
  const hourly = await store.query(populationQuery(now, 'hour', hourSeriesFrom));
  expect(hourly.series).toEqual(pop.expected.series('hour', hourSeriesFrom));
  expect(hourly.series.length).toBe(6 * 24 + 1);
}

describe('redisStats options', () => {
  const sendCommand: SendCommand = async () => null;

  it('requires sendCommand and says how to bind it for node-redis and ioredis', () => {
    expect(() => redisStats({} as RedisStatsOptions)).toThrow(TypeError);
    expect(() => redisStats({} as RedisStatsOptions)).toThrow(/client\.sendCommand\(args\).*client\.call/);
    expect(() => redisStats(undefined as unknown as RedisStatsOptions)).toThrow(TypeError);
  });

  it('rejects unknown option names', () => {
    expect(() => redisStats({ sendCommand, prefx: 'x:' } as RedisStatsOptions)).toThrow(
      /unknown option `prefx`/,
    );
  });

  it('rejects an empty prefix or hashKey, non-positive retentions and maxUsers', () => {
    expect(() => redisStats({ sendCommand, prefix: '' })).toThrow(/prefix/);
    expect(() => redisStats({ sendCommand, hashKey: '' })).toThrow(/hashKey/);
    expect(() => redisStats({ sendCommand, retentionDays: 0 })).toThrow(/retentionDays/);
    expect(() => redisStats({ sendCommand, hourlyRetentionDays: 100 })).toThrow(/hourlyRetentionDays/);
    expect(() => redisStats({ sendCommand, maxUsers: 1.5 })).toThrow(/maxUsers/);
    expect(() => redisStats({ sendCommand, maxUsers: 0 })).toThrow(/maxUsers/);
  });

  it('accepts the documented options', () => {
    const store = redisStats({
      sendCommand,
      prefix: '{esb}:',
      hashKey: 'k'.repeat(32),
      retentionDays: 30,
      hourlyRetentionDays: 2,
      maxUsers: 10,
    });
    expect(typeof store.record).toBe('function');
    expect(typeof store.query).toBe('function');
  });
});

await describeRedis('redisStats against a real Redis', () => {
  let nodeRedis: RedisConnection;
  let ioredis: RedisConnection;

  beforeAll(async () => {
    nodeRedis = await connectNodeRedis();
    ioredis = await connectIoredis();
  });
  afterAll(async () => {
    await nodeRedis?.close();
    await ioredis?.close();
  });

  /** A fresh prefix whose keys are deleted when the test finishes. */
  function freshPrefix(name: string): string {
    const prefix = testPrefix(`redis-store:${name}`);
    onTestFinished(() => deleteKeys(nodeRedis.sendCommand, prefix));
    return prefix;
  }

  it('answers the scripted population exactly: every window, totals, migrated/legacy-only, series, lastLegacyAt (node-redis)', async () => {
    const now = alignedNow();
    const pop = scriptedPopulation({ legacyOnly: 40, migrated: 30, providerOnly: 20, days: 35, now });
    const store = redisStats({ sendCommand: nodeRedis.sendCommand, prefix: freshPrefix('population') });
    await recordInBatches(store, pop.events);
    await expectPopulationAnswers(store, pop, now);
  });

  it('answers the scripted population exactly through ioredis, over the whole 90-day retention', async () => {
    const now = alignedNow();
    const pop = scriptedPopulation({ legacyOnly: 25, migrated: 41, providerOnly: 13, days: 90, now });
    const store = redisStats({ sendCommand: ioredis.sendCommand, prefix: freshPrefix('ioredis') });
    await recordInBatches(store, pop.events, 777);
    await expectPopulationAnswers(store, pop, now);
  });

  it('answers the password migration and session upgrade decisions of the scripted population exactly, in the batches of the requests', async () => {
    const now = alignedNow();
    const pop = scriptedPopulation({
      legacyOnly: 20,
      migrated: 15,
      providerOnly: 10,
      days: 35,
      now,
      passwords: true,
      upgrades: true,
    });
    const calls: string[] = [];
    const counting: SendCommand = (...args) => {
      calls.push(args[0]!);
      return nodeRedis.sendCommand(...args);
    };
    const store = redisStats({ sendCommand: counting, prefix: freshPrefix('passwords') });
    await recordInBatches(store, pop.allEvents, 500);
    // One script call per batch (plus one EVAL the first time the script is not cached yet).
    const batches = Math.ceil(pop.allEvents.length / 500);
    expect(calls.filter((c) => c === 'EVALSHA')).toHaveLength(batches);
    expect(calls.filter((c) => c !== 'EVALSHA' && c !== 'EVAL')).toEqual([]);
    await expectPopulationAnswers(store, pop, now);
    expect(pop.expected.totals.passwordMigrations.match).toBeGreaterThan(0);
    expect(pop.expected.totals.sessionUpgrades.upgraded).toBeGreaterThan(0);
  });

  it('gives exact totals from either of two instances on separate clients that each recorded half the population', async () => {
    const now = alignedNow();
    const pop = scriptedPopulation({ legacyOnly: 60, migrated: 50, providerOnly: 40, days: 30, now });
    const prefix = freshPrefix('two-instances');
    const a = redisStats({ sendCommand: nodeRedis.sendCommand, prefix });
    const b = redisStats({ sendCommand: ioredis.sendCommand, prefix });
    // Sticky sessions: each user is served by one instance; requests without a user alternate.
    const halves: [StatsEvent[], StatsEvent[]] = [[], []];
    let alternate = 0;
    for (const event of pop.events) {
      const id = event.legacyUserId ?? event.providerUserId;
      const side = id === undefined ? alternate++ % 2 : createHash('md5').update(id).digest()[0]! % 2;
      halves[side]!.push(event);
    }
    expect(halves[0].length).toBeGreaterThan(pop.events.length / 4);
    expect(halves[1].length).toBeGreaterThan(pop.events.length / 4);
    // Both instances flush concurrently, in small batches, as their recorders would.
    await Promise.all([recordInBatches(a, halves[0], 100), recordInBatches(b, halves[1], 100)]);
    await expectPopulationAnswers(a, pop, now);
    await expectPopulationAnswers(b, pop, now);
  });

  it('answers exactly like memoryStats for random streams of requests and password migration decisions recorded in time order', async () => {
    const now = alignedNow();
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6'];
    // Times crowd into a few days and hours so users meet themselves in buckets. They avoid the days around
    // the hourly retention edge, where the stores drop hour buckets by different clocks (memoryStats by the
    // newest event, Redis by its own clock).
    const offset = fc
      .tuple(
        fc.constantFrom(0, 1, 2, 5, 9, 20, 35),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: HOUR - 1 }),
      )
      .map(([d, h, ms]) => d * DAY + h * HOUR + ms);
    const request = fc.record({
      offset,
      kind: fc.constantFrom<StatsEvent['kind']>('legacy', 'provider', 'anonymous'),
      outcome: fc.constantFrom<StatsEvent['outcome']>(
        'ok',
        'anonymous',
        'invalid',
        'conflict',
        'unavailable',
      ),
      legacyUserId: fc.option(fc.constantFrom(...users), { nil: undefined }),
      providerUserId: fc.option(fc.constantFrom(...users), { nil: undefined }),
    });
    const password = fc.record({
      offset,
      result: fc.constantFrom(...PASSWORD_MIGRATION_RESULTS),
    });
    const event = fc.oneof({ arbitrary: request, weight: 3 }, { arbitrary: password, weight: 1 });
    const query: StatsQuery = {
      now,
      windows: { '3h': 3 * HOUR, '1d': DAY, '7d': 7 * DAY, '30d': 30 * DAY },
      seriesBucket: 'day',
      seriesFrom: now - 45 * DAY,
    };
    await fc.assert(
      fc.asyncProperty(
        fc.array(event, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 25 }),
        async (raw, batch) => {
          const events: AnyStatsEvent[] = raw
            .map((drawn): AnyStatsEvent => {
              if ('result' in drawn) {
                return { type: 'password-migration', time: now - drawn.offset, result: drawn.result };
              }
              const { offset: o, legacyUserId, providerUserId, ...rest } = drawn;
              const e: StatsEvent = { time: now - o, ...rest };
              if (legacyUserId !== undefined) e.legacyUserId = legacyUserId;
              if (providerUserId !== undefined) e.providerUserId = providerUserId;
              return e;
            })
            .sort((x, y) => x.time - y.time);
          const prefix = testPrefix('redis-store:vs-memory');
          try {
            const redis = redisStats({ sendCommand: nodeRedis.sendCommand, prefix });
            const memory = memoryStats();
            await recordInBatches(redis, events, batch);
            await recordInBatches(memory, events, batch);
            expect(await redis.query(query)).toEqual(await memory.query(query));
            const hourly = { ...query, seriesBucket: 'hour' as const, seriesFrom: now - 3 * DAY };
            expect(await redis.query(hourly)).toEqual(await memory.query(hourly));
          } finally {
            await deleteKeys(nodeRedis.sendCommand, prefix);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('never stores a user id in clear; with hashKey, not even its plain SHA-256 digest', async () => {
    const now = alignedNow();
    const pop = scriptedPopulation({ legacyOnly: 5, migrated: 4, providerOnly: 3, days: 3, now });
    const ids = new Set<string>();
    for (const e of pop.events) {
      if (e.legacyUserId) ids.add(e.legacyUserId);
      if (e.providerUserId) ids.add(e.providerUserId);
    }
    const plain = freshPrefix('clear-plain');
    const keyed = freshPrefix('clear-keyed');
    const hashKey = 'test-secret-0123456789abcdef0123456789';
    await redisStats({ sendCommand: nodeRedis.sendCommand, prefix: plain }).record(pop.events);
    await redisStats({ sendCommand: nodeRedis.sendCommand, prefix: keyed, hashKey }).record(pop.events);

    const dump = (prefix: string) => dumpKeys(nodeRedis.sendCommand, prefix);
    const plainDump = await dump(plain);
    const keyedDump = await dump(keyed);
    expect(plainDump).toContain(`${plain}last:any`);
    const sha = (id: string) => createHash('sha256').update(id).digest('base64url').slice(0, 22);
    const hmac = (id: string) => createHmac('sha256', hashKey).update(id).digest('base64url').slice(0, 22);
    expect(ids.size).toBe(12);
    for (const id of ids) {
      expect(plainDump).not.toContain(id);
      expect(keyedDump).not.toContain(id);
      expect(plainDump).toContain(`${plain}u:${sha(id)}`);
      expect(keyedDump).not.toContain(sha(id));
      expect(keyedDump).toContain(`${keyed}u:${hmac(id)}`);
    }
  });

  it('gives every key it writes a TTL no longer than the retention plus one bucket', async () => {
    const now = alignedNow();
    const pop = scriptedPopulation({ legacyOnly: 4, migrated: 4, providerOnly: 4, days: 10, now });
    const prefix = freshPrefix('ttl');
    // maxUsers 5 also creates the eviction keys (horizon, Bloom filter).
    await redisStats({ sendCommand: nodeRedis.sendCommand, prefix, retentionDays: 30, maxUsers: 5 }).record(
      pop.events,
    );
    const keys = await scanKeys(nodeRedis.sendCommand, prefix);
    const kindOf = (key: string) => {
      const rest = key.slice(prefix.length);
      if (rest.startsWith('u:')) return 'u';
      if (/^[hd]:\d+$/.test(rest)) return rest[0];
      if (/^d:\d+:hll:\w+$/.test(rest)) return 'hll';
      return rest;
    };
    const kinds = new Set(keys.map(kindOf));
    const expectedKinds = [
      'u',
      'h',
      'd',
      'hll',
      'last:legacy',
      'last:provider',
      'last:any',
      'migrated',
      'legacyOnly',
    ];
    expectedKinds.push('lastLegacyAt', 'trimmedAt', 'evictedHorizon', 'evicted:bloom');
    for (const expected of expectedKinds) {
      expect(kinds, `a key of kind ${expected}`).toContain(expected);
    }
    for (const key of keys) {
      const ttl = Number(await nodeRedis.sendCommand('PTTL', key));
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(31 * DAY);
    }
  });

  it('records a batch in one round trip (EVALSHA) and answers a query in one', async () => {
    const calls: string[][] = [];
    const counting: SendCommand = (...args) => {
      calls.push(args);
      return nodeRedis.sendCommand(...args);
    };
    const now = alignedNow();
    const pop = scriptedPopulation({ legacyOnly: 30, migrated: 30, providerOnly: 30, days: 7, now });
    const store = redisStats({ sendCommand: counting, prefix: freshPrefix('round-trips') });
    const batches = 5;
    const size = Math.ceil(pop.events.length / batches);
    // The first call may meet NOSCRIPT once (script not cached yet) and fall back to EVAL.
    await store.record(pop.events.slice(0, size));
    expect(calls.length).toBeLessThanOrEqual(2);
    expect(calls.at(-1)![0]).toMatch(/^EVAL(SHA)?$/);
    for (let i = 1; i < batches; i++) {
      calls.length = 0;
      await store.record(pop.events.slice(i * size, (i + 1) * size));
      expect(calls.map((c) => c[0])).toEqual(['EVALSHA']);
    }
    await store.query(populationQuery(now, 'day', now - 7 * DAY));
    calls.length = 0;
    await store.query(populationQuery(now, 'hour', now - DAY));
    expect(calls.map((c) => c[0])).toEqual(['EVALSHA']);
  });

  it('evicts the least recently seen users beyond maxUsers and answers windows reaching them from HyperLogLogs', async () => {
    const now = alignedNow();
    const today = Math.floor(now / DAY) * DAY;
    const yesterday = today - DAY;
    const events: StatsEvent[] = [];
    // 1500 users seen once on legacy yesterday; 300 of them (the last ones) move to the provider later that day.
    for (let i = 0; i < 1500; i++) {
      events.push({
        time: yesterday + 1000 + i * 1000,
        kind: 'legacy',
        outcome: 'ok',
        legacyUserId: `old-${i}`,
      });
    }
    for (let i = 1200; i < 1500; i++) {
      events.push({
        time: yesterday + 3_000_000 + i,
        kind: 'provider',
        outcome: 'ok',
        providerUserId: `old-${i}`,
      });
    }
    // 400 users seen on legacy in the last 10 minutes.
    const recentFrom = now - 10 * 60_000;
    for (let i = 0; i < 400; i++) {
      events.push({ time: recentFrom + i, kind: 'legacy', outcome: 'ok', legacyUserId: `recent-${i}` });
    }
    events.sort((x, y) => x.time - y.time);
    const prefix = freshPrefix('eviction');
    const store = redisStats({ sendCommand: nodeRedis.sendCommand, prefix, maxUsers: 500 });
    await recordInBatches(store, events, 1000);

    expect(Number(await nodeRedis.sendCommand('ZCARD', `${prefix}last:any`))).toBe(500);
    const horizon = Number(await nodeRedis.sendCommand('GET', `${prefix}evictedHorizon`));
    expect(horizon).toBeGreaterThanOrEqual(yesterday);
    expect(horizon).toBeLessThan(recentFrom);

    const snapshot = await store.query({
      now,
      windows: { recent: now - recentFrom, sinceYesterday: now - yesterday },
      seriesBucket: 'day',
      seriesFrom: yesterday,
    });
    // A window starting after every evicted user's last sighting stays exact.
    expect(snapshot.windows.recent).toMatchObject({
      approximate: false,
      users: { legacy: 400, provider: 0, active: 400, migrated: 0, legacyOnly: 400 },
    });
    // A window reaching them is flagged and counted by HyperLogLog (only 500 users are still tracked).
    const wide = snapshot.windows.sinceYesterday!;
    expect(wide.approximate).toBe(true);
    expect(snapshot.approximate).toBe(true);
    const near = (actual: number, expected: number) => {
      expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(expected * 0.03);
    };
    near(wide.users.legacy, 1900);
    near(wide.users.provider, 300);
    near(wide.users.active, 1900);
    near(wide.users.migrated, 300);
    near(wide.users.legacyOnly, 1600);
    expect(snapshot.totals.users.legacy).toBeGreaterThan(500);
    // Request counters are not affected by eviction.
    expect(wide.requests.legacy).toBe(1900);
    expect(wide.requests.provider).toBe(300);
  });

  it('evicts at most 2000 users per record call when maxUsers is lowered, and converges over later calls', async () => {
    const prefix = freshPrefix('eviction-cap');
    const t0 = Date.now() - DAY;
    const users: StatsEvent[] = [];
    for (let i = 0; i < 5000; i++)
      users.push({ time: t0 + i, kind: 'legacy', outcome: 'ok', legacyUserId: `cap-${i}` });
    await recordInBatches(redisStats({ sendCommand: nodeRedis.sendCommand, prefix }), users, 1000);
    const lowered = redisStats({ sendCommand: nodeRedis.sendCommand, prefix, maxUsers: 100 });
    const tracked = async () => Number(await nodeRedis.sendCommand('ZCARD', `${prefix}last:any`));
    expect(await tracked()).toBe(5000);
    const anonymous: StatsEvent = { time: t0 + 10_000, kind: 'anonymous', outcome: 'anonymous' };
    await lowered.record([anonymous]);
    expect(await tracked()).toBe(3000);
    await lowered.record([anonymous]);
    expect(await tracked()).toBe(1000);
    await lowered.record([anonymous]);
    expect(await tracked()).toBe(100);
  });

  it('flags the windows in which an evicted user came back as approximate', async () => {
    const now = alignedNow();
    const prefix = freshPrefix('returning');
    const store = redisStats({ sendCommand: nodeRedis.sendCommand, prefix, maxUsers: 2 });
    const t0 = now - 2 * DAY;
    await store.record([
      { time: t0, kind: 'legacy', outcome: 'ok', legacyUserId: 'a' },
      { time: t0 + 1, kind: 'legacy', outcome: 'ok', legacyUserId: 'b' },
      { time: t0 + 2, kind: 'legacy', outcome: 'ok', legacyUserId: 'c' },
    ]);
    const before = await store.query({ now, windows: { '1h': HOUR }, seriesBucket: 'day', seriesFrom: now });
    expect(before.windows['1h']!.approximate).toBe(false);
    // 'a' was evicted; it comes back on the provider: its earlier legacy sighting is lost, so the window
    // cannot tell that it migrated.
    await store.record([{ time: now - 60_000, kind: 'provider', outcome: 'ok', providerUserId: 'a' }]);
    const after = await store.query({ now, windows: { '1h': HOUR }, seriesBucket: 'day', seriesFrom: now });
    expect(after.windows['1h']).toMatchObject({ approximate: true, users: { provider: 1, active: 1 } });
  });

  it('drops events older than the retention at once', async () => {
    const now = alignedNow();
    const prefix = freshPrefix('retention');
    const store = redisStats({ sendCommand: nodeRedis.sendCommand, prefix, retentionDays: 10 });
    await store.record([
      { time: now - 11 * DAY, kind: 'legacy', outcome: 'ok', legacyUserId: 'old' },
      { time: now - HOUR, kind: 'legacy', outcome: 'ok', legacyUserId: 'new' },
    ]);
    const snapshot = await store.query({
      now,
      windows: { '30d': 30 * DAY },
      seriesBucket: 'day',
      seriesFrom: 0,
    });
    expect(snapshot.totals.users).toEqual({ legacy: 1, provider: 0, active: 1, migrated: 0, legacyOnly: 1 });
    expect(snapshot.windows['30d']!.users.legacy).toBe(1);
    expect(snapshot.totals.requests.legacy).toBe(1);
    expect(snapshot.series).toHaveLength(11); // clamped to the retention
    const userKeys = (await scanKeys(nodeRedis.sendCommand, prefix)).filter((k) =>
      k.startsWith(`${prefix}u:`),
    );
    expect(userKeys).toHaveLength(1);
  });

  it('skips malformed events and records the rest', async () => {
    const now = alignedNow();
    const store = redisStats({ sendCommand: nodeRedis.sendCommand, prefix: freshPrefix('malformed') });
    await store.record([
      { time: Number.NaN, kind: 'legacy', outcome: 'ok', legacyUserId: 'x' },
      { time: now - 1000, kind: 'bogus' as StatsEvent['kind'], outcome: 'ok' },
      { type: 'password-migration', time: now - 900, result: 'bogus' as 'match' },
      { type: 'password-migration', time: Number.NaN, result: 'match' },
      { time: now - 500, kind: 'legacy', outcome: 'ok', legacyUserId: 'y' },
      { type: 'password-migration', time: now - 400, result: 'unknown' },
    ]);
    const snapshot: StatsSnapshot = await store.query({
      now,
      windows: { '1d': DAY },
      seriesBucket: 'hour',
      seriesFrom: now,
    });
    expect(snapshot.windows['1d']!.users.legacy).toBe(1);
    expect(snapshot.requestsByLabel).toEqual([{ kind: 'legacy', outcome: 'ok', count: 1 }]);
    expect(snapshot.windows['1d']!.passwordMigrations).toEqual({
      match: 0,
      mismatch: 0,
      unknown: 1,
      rateLimited: 0,
      unauthorized: 0,
      error: 0,
    });
  });
});
