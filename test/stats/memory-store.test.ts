import { describe, expect, it } from 'vitest';
import { memoryStats } from '../../src/index.js';
import type { AnyStatsEvent, StatsEvent, StatsQuery, StatsSnapshot } from '../../src/stats-store.js';
import { DEFAULT_WINDOWS, parseRecorderOptions, Recorder, statsQueryFor } from '../helpers/internals.js';
import { alignedNow, DAY, HOUR, scriptedPopulation, sortLabels } from '../helpers/population.js';

const NOW = alignedNow(Date.UTC(2025, 5, 30, 14, 0));

function query(now: number, overrides: Partial<StatsQuery> = {}): StatsQuery {
  return { ...statsQueryFor(now, 'day'), ...overrides };
}

function legacy(id: string, time: number): StatsEvent {
  return { time, kind: 'legacy', outcome: 'ok', legacyUserId: id };
}

function provider(id: string, time: number): StatsEvent {
  return { time, kind: 'provider', outcome: 'ok', providerUserId: id, provider: 'idp' };
}

describe('memoryStats ground truth', () => {
  const population = { legacyOnly: 37, migrated: 23, providerOnly: 19, days: 40, now: NOW };

  async function recordThroughRecorder(events: readonly AnyStatsEvent[]) {
    const store = memoryStats();
    const recorder = new Recorder(store, parseRecorderOptions({ batchSize: 250 }), () => NOW);
    for (const event of events) recorder.push(event);
    await recorder.flush();
    await recorder.close();
    expect(recorder.health()).toMatchObject({ recorded: events.length, dropped: 0, failedFlushes: 0 });
    return store;
  }

  it('answers exactly the scripted population for every window, the totals and the last legacy sighting', async () => {
    const { events, expected } = scriptedPopulation(population);
    const store = await recordThroughRecorder(events);
    const snapshot: StatsSnapshot = await store.query(query(NOW));

    expect(snapshot.approximate).toBe(false);
    for (const name of Object.keys(DEFAULT_WINDOWS) as (keyof typeof DEFAULT_WINDOWS)[]) {
      expect(snapshot.windows[name], `window ${name}`).toEqual({
        ...expected.windows[name],
        approximate: false,
      });
    }
    expect(snapshot.totals).toEqual(expected.totals);
    expect(snapshot.totals.users).toMatchObject({
      migrated: 23,
      legacyOnly: 37,
      legacy: 60,
      provider: 42,
      active: 79,
    });
    expect(snapshot.lastLegacyAt).toBe(expected.lastLegacyAt);
    expect(sortLabels(snapshot.requestsByLabel)).toEqual(expected.requestsByLabel);
  });

  it('answers the daily and hourly series of the scripted population, empty buckets as zeros', async () => {
    const { events, expected } = scriptedPopulation(population);
    const store = await recordThroughRecorder(events);

    const daily = statsQueryFor(NOW, 'day');
    const dailySeries = (await store.query(daily)).series;
    expect(dailySeries).toHaveLength(30);
    expect(dailySeries).toEqual(expected.series('day', daily.seriesFrom));
    expect(dailySeries).toEqual(expected.dailySeries.slice(-30));

    const hourly = statsQueryFor(NOW, 'hour');
    const hourlySeries = (await store.query(hourly)).series;
    expect(hourlySeries).toHaveLength(48);
    expect(hourlySeries).toEqual(expected.series('hour', hourly.seriesFrom));
    expect(hourlySeries.filter((p) => p.legacyUsers + p.providerUsers > 0)).toHaveLength(2);
  });

  it('answers the password migration and session upgrade decisions of the scripted population in every window, the totals and the series', async () => {
    const { events, allEvents, expected } = scriptedPopulation({
      ...population,
      passwords: true,
      upgrades: true,
    });
    const store = await recordThroughRecorder(allEvents);
    const snapshot = await store.query(query(NOW));
    for (const name of Object.keys(DEFAULT_WINDOWS) as (keyof typeof DEFAULT_WINDOWS)[]) {
      expect(snapshot.windows[name], `window ${name}`).toEqual({
        ...expected.windows[name],
        approximate: false,
      });
    }
    expect(snapshot.totals).toEqual(expected.totals);
    expect(snapshot.totals.passwordMigrations).toEqual({
      match: 79, // 1 + (d mod 3) matches on each of 40 days
      mismatch: 40,
      unknown: 40,
      rateLimited: 40,
      unauthorized: 40,
      error: 40,
    });
    expect(snapshot.totals.sessionUpgrades).toEqual({
      upgraded: 60, // 1 + (d mod 2) upgrades on each of 40 days
      already: 40,
      refused: 40,
      failed: 40,
      unauthenticated: 40,
      forbidden: 40,
      ineligible: 40,
    });
    expect(snapshot.series).toEqual(expected.series('day', query(NOW).seriesFrom));
    const hourly = statsQueryFor(NOW, 'hour');
    expect((await store.query(hourly)).series).toEqual(expected.series('hour', hourly.seriesFrom));
    // Password decisions are counters only: no request, no user, no legacy sighting.
    const requestsOnly = await recordThroughRecorder(events);
    const without = await requestsOnly.query(query(NOW));
    expect(snapshot.requestsByLabel).toEqual(without.requestsByLabel);
    expect(snapshot.totals.requests).toEqual(without.totals.requests);
    expect(snapshot.totals.users).toEqual(without.totals.users);
    expect(snapshot.lastLegacyAt).toBe(without.lastLegacyAt);
  });

  it('answers the same for a batch given out of time order', async () => {
    const { events, expected } = scriptedPopulation(population);
    const shuffled = [...events].reverse();
    const store = memoryStats();
    store.record(shuffled);
    const snapshot = await store.query(query(NOW));
    expect(snapshot.windows['7d']).toEqual({ ...expected.windows['7d'], approximate: false });
    expect(snapshot.totals).toEqual(expected.totals);
    expect(snapshot.series).toEqual(expected.series('day', query(NOW).seriesFrom));
  });

  it('counts a request with both credentials of one user as a migration at that moment', async () => {
    const store = memoryStats();
    const t = NOW - HOUR;
    store.record([
      { time: t, kind: 'provider', outcome: 'ok', legacyUserId: 'u1', providerUserId: 'u1', provider: 'idp' },
    ]);
    const snapshot = await store.query(query(NOW));
    expect(snapshot.windows['1d']!.users).toEqual({
      legacy: 1,
      provider: 1,
      active: 1,
      migrated: 1,
      legacyOnly: 0,
    });
    expect(snapshot.lastLegacyAt).toBe(t);
  });

  it('does not count a user first seen on the provider and later on legacy as migrated', async () => {
    const store = memoryStats();
    store.record([provider('u1', NOW - 3 * DAY), legacy('u1', NOW - DAY / 2)]);
    const snapshot = await store.query(query(NOW));
    expect(snapshot.windows['7d']!.users).toEqual({
      legacy: 1,
      provider: 1,
      active: 1,
      migrated: 0,
      legacyOnly: 0,
    });
  });
});

describe('memoryStats retention', () => {
  it('forgets users and requests older than the retention', async () => {
    const store = memoryStats({ retentionDays: 3, hourlyRetentionDays: 1 });
    store.record([legacy('old', NOW - 10 * DAY), provider('old-p', NOW - 10 * DAY)]);
    store.record([legacy('recent', NOW - HOUR)]);
    const snapshot = await store.query(query(NOW));
    expect(snapshot.totals.users).toEqual({ legacy: 1, provider: 0, active: 1, migrated: 0, legacyOnly: 1 });
    expect(snapshot.totals.requests.legacy).toBe(1);
    expect(snapshot.totals.requests.provider).toBe(0);
    expect(snapshot.lastLegacyAt).toBe(NOW - HOUR);
  });

  it('answers null for the last legacy sighting when there is none', async () => {
    const store = memoryStats();
    store.record([provider('p', NOW - HOUR), { time: NOW - HOUR, kind: 'anonymous', outcome: 'anonymous' }]);
    const snapshot = await store.query(query(NOW));
    expect(snapshot.lastLegacyAt).toBeNull();
    expect(snapshot.totals.requests).toEqual({
      legacy: 0,
      provider: 1,
      anonymous: 1,
      rejected: 0,
      conflicts: 0,
      unavailable: 0,
    });
  });
});

describe('memoryStats past maxUsers', () => {
  // 5 users seen 20 days ago, then 8 users seen 3 days ago and 1 hour ago, with room for 10:
  // the three least recently seen old users are evicted.
  const OLD = NOW - 20 * DAY;
  function crowdedStore() {
    const store = memoryStats({ maxUsers: 10 });
    store.record(Array.from({ length: 5 }, (_, i) => legacy(`old-${i}`, OLD + i)));
    const recent: StatsEvent[] = [];
    for (let i = 0; i < 8; i++) recent.push(provider(`recent-${i}`, NOW - 3 * DAY + i));
    for (let i = 0; i < 8; i++) recent.push(provider(`recent-${i}`, NOW - HOUR + i));
    store.record(recent);
    return store;
  }

  it('flags as approximate only the windows that reach back to evicted users, with upper-bound counts', async () => {
    const snapshot = await crowdedStore().query(query(NOW));
    expect(snapshot.windows['1d']).toMatchObject({
      approximate: false,
      users: { legacy: 0, provider: 8, active: 8, migrated: 0, legacyOnly: 0 },
    });
    expect(snapshot.windows['7d']).toMatchObject({
      approximate: false,
      users: { legacy: 0, provider: 8, active: 8, migrated: 0, legacyOnly: 0 },
    });
    // 2 old users still in the table + 3 evicted ones from the per-hour eviction counters.
    expect(snapshot.windows['30d']).toMatchObject({
      approximate: true,
      users: { legacy: 5, provider: 8, active: 13, migrated: 0, legacyOnly: 5 },
    });
    expect(snapshot.approximate).toBe(true);
  });

  it('keeps legacy, provider and active exact for windows after the evictions when an evicted user comes back', async () => {
    const store = crowdedStore();
    // old-0 was evicted; it comes back on the provider. The table is full again, so old-3 (seen 20 days ago) goes.
    store.record([provider('old-0', NOW - 10 * 60_000)]);
    const snapshot = await store.query(query(NOW));
    expect(snapshot.windows['7d']).toMatchObject({
      approximate: false,
      users: { legacy: 0, provider: 9, active: 9 },
    });
    // 1 old user left in the table + 4 evicted, and old-0 also in the table: 14 active for 13 real users,
    // the upper bound documented for windows reaching back to evicted users.
    expect(snapshot.windows['30d']).toMatchObject({
      approximate: true,
      users: { legacy: 5, provider: 9, active: 14 },
    });
  });

  it('stays exact up to maxUsers distinct users', async () => {
    const store = memoryStats({ maxUsers: 100 });
    store.record(Array.from({ length: 100 }, (_, i) => legacy(`u${i}`, NOW - DAY / 2 + i)));
    const snapshot = await store.query(query(NOW));
    expect(snapshot.approximate).toBe(false);
    expect(snapshot.windows['1d']!.users.legacy).toBe(100);
  });
});

describe('memoryStats password migration events', () => {
  it('skips a password migration event with an unknown result or time, and forgets them past the retention', async () => {
    const store = memoryStats({ retentionDays: 3, hourlyRetentionDays: 1 });
    store.record([
      { type: 'password-migration', time: NOW - 10 * DAY, result: 'match' },
      { type: 'password-migration', time: Number.NaN, result: 'match' },
      { type: 'password-migration', time: NOW - HOUR, result: 'bogus' as 'match' },
      { type: 'password-migration', time: NOW - HOUR, result: 'error' },
    ]);
    const snapshot = await store.query(query(NOW));
    expect(snapshot.totals.passwordMigrations).toEqual({
      match: 0,
      mismatch: 0,
      unknown: 0,
      rateLimited: 0,
      unauthorized: 0,
      error: 1,
    });
    expect(snapshot.windows['1d']!.passwordMigrations!.error).toBe(1);
    expect(snapshot.requestsByLabel).toEqual([]);
    expect(snapshot.totals.users.active).toBe(0);
  });
});

describe('memoryStats options', () => {
  it('rejects invalid options with a TypeError', () => {
    expect(() => memoryStats({ maxUsers: 0 })).toThrow(TypeError);
    expect(() => memoryStats({ retentionDays: 1.5 })).toThrow(TypeError);
    expect(() => memoryStats({ retentionDays: 3, hourlyRetentionDays: 7 })).toThrow(TypeError);
    expect(() => memoryStats({ maxUser: 10 } as never)).toThrow(TypeError);
  });
});
