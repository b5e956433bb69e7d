import { describe, expect, it } from 'vitest';
import { memoryStats, type RecorderReport } from '../../src/index.js';
import type { SeriesPoint, StatsSnapshot, UserCounts, WindowSnapshot } from '../../src/stats-store.js';
import {
  buildReport,
  formatDateTime,
  formatDuration,
  formatPercent,
  parseCutoverCriteria,
  REPORT_SCHEMA_VERSION,
  statsQueryFor,
} from '../helpers/internals.js';
import { alignedNow, DAY, HOUR, scriptedPopulation } from '../helpers/population.js';

const NOW = Date.UTC(2025, 5, 30, 15, 20);
const TODAY = Math.floor(NOW / DAY) * DAY;
const RECORDER: RecorderReport = {
  buffered: 0,
  flushIntervalMs: 1_000,
  recorded: 0,
  dropped: 0,
  failedFlushes: 0,
  lastFlushAt: null,
  lastError: null,
};

function windowOf(users: Partial<UserCounts>): WindowSnapshot {
  return {
    requests: { legacy: 0, provider: 0, anonymous: 0, rejected: 0, conflicts: 0, unavailable: 0 },
    users: { legacy: 0, provider: 0, active: 0, migrated: 0, legacyOnly: 0, ...users },
    approximate: false,
  };
}

/** A snapshot whose 7-day window has `legacy` of `active` users on legacy, and the given daily series. */
function snapshot(
  legacy: number,
  active: number,
  lastLegacyAt: number | null,
  series: SeriesPoint[] = [],
): StatsSnapshot {
  const w = windowOf({ legacy, active, provider: active - legacy });
  return {
    approximate: false,
    totals: { requests: w.requests, users: w.users },
    windows: { '1d': w, '7d': w, '30d': w },
    lastLegacyAt,
    series,
    requestsByLabel: [],
  };
}

/** Daily points for the last `days` days (today last), with `legacy(k)` of 100 users on legacy on day k. */
function dailySeries(days: number, legacy: (k: number) => number): SeriesPoint[] {
  return Array.from({ length: days }, (_, k) => ({
    start: TODAY - (days - 1 - k) * DAY,
    legacyUsers: legacy(k),
    providerUsers: 100 - legacy(k),
    legacyRequests: legacy(k),
    providerRequests: 100 - legacy(k),
  }));
}

function report(s: StatsSnapshot, criteria = {}, seriesBucket: 'hour' | 'day' = 'day') {
  return buildReport({ snapshot: s, now: NOW, mode: 'bridge', criteria, recorder: RECORDER, seriesBucket });
}

describe('cutover readiness', () => {
  it('is ready when the legacy share is under the limit and legacy has been quiet long enough', () => {
    const { cutover } = report(snapshot(0, 200, NOW - 10 * DAY));
    expect(cutover).toMatchObject({ ready: true, legacyShare7d: 0, projectedReadyAt: null });
    expect(cutover.reason).toMatch(/^Ready/);
    expect(cutover.criteria).toEqual({ maxLegacyShare: 0.01, quietDays: 7, trendDays: 14 });
  });

  it('is ready when no legacy sighting is on record at all', () => {
    expect(report(snapshot(0, 5, null)).cutover.ready).toBe(true);
  });

  it('is not ready when the 7-day legacy share is above the limit, and says so with the numbers', () => {
    const { cutover } = report(snapshot(25, 200, NOW - HOUR));
    expect(cutover.ready).toBe(false);
    expect(cutover.legacyShare7d).toBe(0.125);
    expect(cutover.reason).toContain('12.5%');
    expect(cutover.reason).toContain('25 of 200');
    expect(cutover.reason).toContain('1%');
  });

  it('prints shares, durations, counts and times with the dashboard formatters', () => {
    // 11.43 % of 2,100 users; the last legacy sighting 4.75 hours before the report.
    const { cutover } = report(snapshot(240, 2_100, NOW - 4.75 * HOUR));
    expect(cutover.reason).toContain(`${formatPercent(240 / 2_100)} of the users`);
    expect(cutover.reason).toContain('11.4% of the users');
    expect(cutover.reason).toContain('(240 of 2,100)');
    expect(cutover.reason).toContain(`was ${formatDuration(4.75 * HOUR)} ago`);
    expect(cutover.reason).toContain('was 4.7 hours ago');
    expect(cutover.reason).toContain(`(${formatDateTime(new Date(NOW - 4.75 * HOUR).toISOString())})`);
    expect(cutover.reason).not.toMatch(/\d %|\d\.\d\d%|T\d\d:/);
  });

  it('is not ready while the last legacy sighting is more recent than quietDays, even under the share limit', () => {
    const { cutover } = report(snapshot(1, 200, NOW - 2 * DAY), { maxLegacyShare: 0.01, quietDays: 7 });
    expect(cutover.legacyShare7d).toBe(0.005);
    expect(cutover.ready).toBe(false);
    expect(cutover.reason).toContain('2 days ago');
    expect(cutover.reason).toContain('7 quiet days');
  });

  it('is not ready without any active user in the last 7 days, and says there is no data', () => {
    const { cutover } = report(snapshot(0, 0, null));
    expect(cutover).toMatchObject({ ready: false, legacyShare7d: 0, projectedReadyAt: null });
    expect(cutover.reason).toContain('no data');
  });

  it('applies custom criteria', () => {
    expect(report(snapshot(25, 200, NOW - HOUR), { maxLegacyShare: 0.2, quietDays: 0 }).cutover.ready).toBe(
      true,
    );
  });
});

describe('cutover projection', () => {
  it('projects the day the fitted daily legacy share reaches the limit, plus quietDays', () => {
    // Share on day k (k = 0 is 13 days ago): (50 - 2k) / 100 = 0.5 - 0.02 k, an exact line.
    // It reaches 0.01 at k = (0.5 - 0.01) / 0.02 = 24.5, i.e. 24.5 days after the first point; + 7 quiet days.
    const series = dailySeries(14, (k) => 50 - 2 * k);
    const { cutover } = report(snapshot(30, 100, NOW - HOUR, series));
    const expected = TODAY - 13 * DAY + 24.5 * DAY + 7 * DAY;
    expect(cutover.ready).toBe(false);
    expect(Math.abs(Date.parse(cutover.projectedReadyAt!) - expected)).toBeLessThan(1000);
  });

  it('uses only the last trendDays days of the series', () => {
    // Rising for the first 16 days, then falling along 0.5 - 0.02 k for the last 5 (k = 0..4, k = 4 today).
    const series = [...dailySeries(21, (k) => (k < 16 ? k : 50 - 2 * (k - 16)))];
    const { cutover } = report(snapshot(30, 100, NOW - HOUR, series), { trendDays: 5 });
    const expected = TODAY - 4 * DAY + 24.5 * DAY + 7 * DAY;
    expect(Math.abs(Date.parse(cutover.projectedReadyAt!) - expected)).toBeLessThan(1000);
  });

  it('gives no projection when the trend is flat or rising', () => {
    expect(
      report(
        snapshot(
          30,
          100,
          NOW - HOUR,
          dailySeries(14, () => 30),
        ),
      ).cutover.projectedReadyAt,
    ).toBeNull();
    expect(
      report(
        snapshot(
          30,
          100,
          NOW - HOUR,
          dailySeries(14, (k) => 10 + k),
        ),
      ).cutover.projectedReadyAt,
    ).toBeNull();
  });

  it('gives no projection with fewer than 3 daily points with data, and says how many there are', () => {
    const series = dailySeries(14, (k) => 50 - 2 * k).map((p, k) =>
      k < 12 ? { ...p, legacyUsers: 0, providerUsers: 0 } : p,
    );
    const { cutover } = report(snapshot(30, 100, NOW - HOUR, series));
    expect(cutover.projectedReadyAt).toBeNull();
    expect(cutover.projection).toEqual({
      readyAt: null,
      reason: 'too-few-points',
      points: 2,
      pointsNeeded: 3,
    });
  });

  it('tells a flat or rising trend, a date too far out and a missing daily series apart', () => {
    const flatSeries = dailySeries(14, () => 30);
    const flat = report(snapshot(30, 100, NOW - HOUR, flatSeries)).cutover.projection;
    expect(flat).toEqual({ readyAt: null, reason: 'not-decreasing', points: 14, pointsNeeded: 3 });
    // Falling by 0.0001 % a day from 30 %: the threshold is centuries away.
    const slow = dailySeries(14, () => 30).map((p, k) => ({
      ...p,
      legacyUsers: 30_000_000 - k,
      providerUsers: 70_000_000 + k,
    }));
    expect(report(snapshot(30, 100, NOW - HOUR, slow)).cutover.projection.reason).toBe('too-far');
    const hourly = report(snapshot(30, 100, NOW - HOUR), {}, 'hour').cutover;
    expect(hourly.projection).toMatchObject({ readyAt: null, reason: 'no-daily-series' });
  });

  it('marks a projected date and a ready verdict in projection.reason, with readyAt equal to projectedReadyAt', () => {
    const series = dailySeries(14, (k) => 50 - 2 * k);
    const falling = report(snapshot(30, 100, NOW - HOUR, series)).cutover;
    expect(falling.projection).toEqual({
      readyAt: falling.projectedReadyAt,
      reason: 'projected',
      points: 14,
      pointsNeeded: 3,
    });
    expect(falling.projectedReadyAt).not.toBeNull();
    const quiet = dailySeries(14, () => 0);
    const ready = report(snapshot(0, 200, NOW - 10 * DAY, quiet)).cutover;
    expect(ready.projection).toMatchObject({ readyAt: null, reason: 'ready' });
  });

  it('counts quietDays from the last legacy sighting when the line already crossed the limit', () => {
    // Falling share that crossed 1 % days ago, but a legacy user showed up an hour ago.
    const series = dailySeries(14, (k) => Math.max(0, 13 - k));
    const { cutover } = report(snapshot(0, 100, NOW - HOUR, series));
    expect(cutover.ready).toBe(false);
    expect(Date.parse(cutover.projectedReadyAt!)).toBe(NOW - HOUR + 7 * DAY);
  });

  it('projects from the daily series passed alongside an hourly report', () => {
    const daily = dailySeries(14, (k) => 50 - 2 * k);
    const s = snapshot(30, 100, NOW - HOUR);
    const hourly = buildReport({
      snapshot: s,
      now: NOW,
      mode: 'bridge',
      recorder: RECORDER,
      seriesBucket: 'hour',
    });
    expect(hourly.cutover.projectedReadyAt).toBeNull();
    const withDaily = buildReport({
      snapshot: s,
      now: NOW,
      mode: 'bridge',
      recorder: RECORDER,
      seriesBucket: 'hour',
      daily,
    });
    expect(withDaily.cutover.projectedReadyAt).not.toBeNull();
  });
});

describe('parseCutoverCriteria', () => {
  it('fills the defaults', () => {
    expect(parseCutoverCriteria()).toEqual({ maxLegacyShare: 0.01, quietDays: 7, trendDays: 14 });
    expect(parseCutoverCriteria({ quietDays: 0 })).toEqual({
      maxLegacyShare: 0.01,
      quietDays: 0,
      trendDays: 14,
    });
  });

  it('rejects criteria out of range with a TypeError', () => {
    expect(() => parseCutoverCriteria({ maxLegacyShare: 1.5 })).toThrow(TypeError);
    expect(() => parseCutoverCriteria({ maxLegacyShare: -0.1 })).toThrow(TypeError);
    expect(() => parseCutoverCriteria({ maxLegacyShare: Number.NaN })).toThrow(TypeError);
    expect(() => parseCutoverCriteria({ quietDays: -1 })).toThrow(TypeError);
    expect(() => parseCutoverCriteria({ quietDays: 2.5 })).toThrow(TypeError);
    expect(() => parseCutoverCriteria({ trendDays: 2 })).toThrow(TypeError);
    expect(() => parseCutoverCriteria({ maxShare: 0.1 } as never)).toThrow(TypeError);
  });
});

describe('statsQueryFor', () => {
  it('asks the three windows and 30 daily or 48 hourly buckets ending with the current one', () => {
    const day = statsQueryFor(NOW, 'day');
    expect(day).toEqual({
      now: NOW,
      windows: { '1d': DAY, '7d': 7 * DAY, '30d': 30 * DAY },
      seriesBucket: 'day',
      seriesFrom: TODAY - 29 * DAY,
    });
    expect(statsQueryFor(NOW, 'hour').seriesFrom).toBe(Math.floor(NOW / HOUR) * HOUR - 47 * HOUR);
    expect(statsQueryFor(NOW, 'day', { trendDays: 45 }).seriesFrom).toBe(TODAY - 44 * DAY);
  });
});

describe('buildReport', () => {
  it('reports the scripted population from the memory store as the versioned JSON document', async () => {
    const now = alignedNow(NOW);
    const { events, expected } = scriptedPopulation({
      legacyOnly: 20,
      migrated: 30,
      providerOnly: 10,
      days: 35,
      now,
    });
    const store = memoryStats();
    store.record(events);
    const q = statsQueryFor(now, 'day');
    const r = buildReport({
      snapshot: await store.query(q),
      now,
      mode: 'observe',
      recorder: RECORDER,
      seriesBucket: 'day',
    });
    expect(r).toMatchObject({
      schemaVersion: REPORT_SCHEMA_VERSION,
      generatedAt: new Date(now).toISOString(),
      mode: 'observe',
      approximate: false,
      totals: expected.totals,
      lastLegacyAt: new Date(expected.lastLegacyAt!).toISOString(),
      seriesBucket: 'day',
      recorder: RECORDER,
    });
    expect(r.windows['7d']).toEqual({ ...expected.windows['7d'], approximate: false });
    expect(r.series).toEqual(
      expected.series('day', q.seriesFrom).map((p) => ({ ...p, start: new Date(p.start).toISOString() })),
    );
    expect(r.cutover.legacyShare7d).toBe(
      expected.windows['7d'].users.legacy / expected.windows['7d'].users.active,
    );
    expect(r.cutover.ready).toBe(false);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('shows zero password migrations for a store that does not count them (the snapshot members are optional)', () => {
    const r = report(
      snapshot(
        1,
        2,
        null,
        dailySeries(3, () => 10),
      ),
    );
    const zero = { match: 0, mismatch: 0, unknown: 0, rateLimited: 0, unauthorized: 0, error: 0 };
    expect(r.totals.passwordMigrations).toEqual(zero);
    for (const w of ['1d', '7d', '30d'] as const) expect(r.windows[w].passwordMigrations).toEqual(zero);
    expect(r.series.map((p) => p.passwordMatches)).toEqual([0, 0, 0]);
  });

  it('refuses a snapshot missing a window', () => {
    const s = snapshot(0, 1, null);
    delete (s.windows as Record<string, unknown>)['30d'];
    expect(() => report(s)).toThrow(TypeError);
  });
});

describe('cutover impact and history', () => {
  /** Legacy sightings of `count` distinct users on the day `daysAgo` days before today (0: today), plus one provider user. */
  function day(daysAgo: number, count: number, offset = 0) {
    const time = TODAY - daysAgo * DAY + 2 * HOUR;
    return [
      ...Array.from({ length: count }, (_, i) => ({
        time: time + i,
        kind: 'legacy' as const,
        outcome: 'ok' as const,
        legacyUserId: `user-${offset + i}`,
      })),
      { time, kind: 'provider' as const, outcome: 'ok' as const, providerUserId: `p-${daysAgo}` },
    ];
  }

  async function reportOf(events: ReturnType<typeof day>, seriesBucket: 'day' | 'hour' = 'day') {
    const store = memoryStats();
    store.record(events.sort((a, b) => a.time - b.time));
    const snapshot = await store.query(statsQueryFor(NOW, seriesBucket));
    const daily = seriesBucket === 'day' ? undefined : (await store.query(statsQueryFor(NOW, 'day'))).series;
    return buildReport({ snapshot, now: NOW, mode: 'bridge', recorder: RECORDER, seriesBucket, daily });
  }

  it('averages the distinct legacy users of the last 7 complete days, without today or day 8', async () => {
    // Days 1..7 before today: 10, 20, 30, 40, 50, 60, 80 users (290 in all: 41.43 a day); today 500, 8 days ago 1000.
    const counts = [10, 20, 30, 40, 50, 60, 80];
    const events = [
      ...counts.flatMap((n, k) => day(k + 1, n, k * 1000)),
      ...day(0, 500, 50_000),
      ...day(8, 1000, 60_000),
    ];
    const expected = { usersPerDay: 41.4, byPercent: { '10': 4, '25': 10, '50': 21, '100': 41 } };
    expect((await reportOf(events)).cutover.impact).toEqual(expected);
    expect((await reportOf(events, 'hour')).cutover.impact).toEqual(expected);
  });

  it('counts a user seen on several days once per day, and days without sightings as 0', async () => {
    // The same 14 users on days 1 and 3 only: 28 / 7 = 4 a day.
    const events = [...day(1, 14), ...day(3, 14)];
    expect((await reportOf(events)).cutover.impact).toEqual({
      usersPerDay: 4,
      byPercent: { '10': 0, '25': 1, '50': 2, '100': 4 },
    });
    expect((await reportOf([])).cutover.impact).toEqual({
      usersPerDay: 0,
      byPercent: { '10': 0, '25': 0, '50': 0, '100': 0 },
    });
  });

  it('reports the history it is given with ISO times, and none by default', () => {
    const r = buildReport({
      snapshot: snapshot(0, 1, null),
      now: NOW,
      mode: 'provider-only',
      recorder: RECORDER,
      seriesBucket: 'day',
      history: [
        { at: NOW - DAY, mode: 'bridge', percent: 0 },
        { at: NOW - HOUR, mode: 'provider-only', percent: 25 },
      ],
    });
    expect(r.cutover.history).toEqual([
      { at: new Date(NOW - DAY).toISOString(), mode: 'bridge', percent: 0 },
      { at: new Date(NOW - HOUR).toISOString(), mode: 'provider-only', percent: 25 },
    ]);
    expect(report(snapshot(0, 1, null)).cutover.history).toEqual([]);
  });
});
