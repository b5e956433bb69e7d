import type { MigrationReport, RecorderReport, ReportSeriesPoint } from '../../src/index.js';
import type { LabelledCount, PasswordMigrationCounts, SessionUpgradeCounts } from '../../src/stats-store.js';
/**
 * A fixed `MigrationReport` for the stats endpoint's HTTP tests (JSON, Prometheus, HTML, browser), plus the
 * process-local counts and recorder health the Prometheus output reads. Numbers are chosen to be easy to
 * find on the page; the series crosses over (legacy falls, provider rises) like a real migration.
 */

export const FIXTURE_GENERATED_AT = '2025-03-31T12:00:00.000Z';
export const FIXTURE_SERIES_LENGTH = 30;

/** Day `i` (0..29) of the series: legacy users fall from 420 to 44, provider users rise from 35 to 412. */
export function fixtureSeriesPoint(i: number): ReportSeriesPoint {
  const start = new Date(Date.UTC(2025, 2, 2 + i)).toISOString();
  const legacyUsers = Math.round(420 - (376 * i) / (FIXTURE_SERIES_LENGTH - 1));
  const providerUsers = Math.round(35 + (377 * i) / (FIXTURE_SERIES_LENGTH - 1));
  return {
    start,
    legacyUsers,
    providerUsers,
    legacyRequests: legacyUsers * 7,
    providerRequests: providerUsers * 9,
    passwordMatches: Math.round(legacyUsers / 4),
  };
}

const requests = (legacy: number, provider: number, anonymous: number, rejected: number) => ({
  legacy,
  provider,
  anonymous,
  rejected,
  conflicts: Math.floor(rejected / 10),
  unavailable: Math.floor(rejected / 20),
});

const passwords = (
  match: number,
  mismatch: number,
  unknown: number,
  rateLimited: number,
  unauthorized: number,
  error: number,
): PasswordMigrationCounts => ({ match, mismatch, unknown, rateLimited, unauthorized, error });

const upgrades = (upgraded: number, failed: number): SessionUpgradeCounts => ({
  upgraded,
  already: Math.floor(upgraded / 10),
  refused: Math.floor(upgraded / 50),
  failed,
  unauthenticated: 0,
  forbidden: 0,
  ineligible: 0,
});

/** A fresh copy of the fixture report, with top-level fields overridden. */
export function makeReportFixture(overrides: Partial<MigrationReport> = {}): MigrationReport {
  const report: MigrationReport = {
    schemaVersion: 1,
    generatedAt: FIXTURE_GENERATED_AT,
    mode: 'bridge',
    approximate: false,
    totals: {
      requests: requests(48_210, 61_877, 9_120, 640),
      users: { legacy: 1_204, provider: 987, active: 1_530, migrated: 661, legacyOnly: 543 },
      passwordMigrations: passwords(3_412, 287, 96, 41, 5, 7),
      sessionUpgrades: upgrades(812, 9),
    },
    windows: {
      '1d': {
        requests: requests(311, 3_702, 290, 12),
        users: { legacy: 44, provider: 412, active: 449, migrated: 17, legacyOnly: 9 },
        passwordMigrations: passwords(38, 4, 2, 0, 0, 1),
        sessionUpgrades: upgrades(21, 0),
        approximate: false,
      },
      '7d': {
        requests: requests(2_905, 24_315, 2_011, 88),
        users: { legacy: 131, provider: 455, active: 523, migrated: 96, legacyOnly: 37 },
        passwordMigrations: passwords(402, 31, 12, 6, 1, 2),
        sessionUpgrades: upgrades(140, 2),
        approximate: false,
      },
      '30d': {
        requests: requests(41_777, 58_004, 8_421, 590),
        users: { legacy: 1_017, provider: 901, active: 1_388, migrated: 602, legacyOnly: 420 },
        passwordMigrations: passwords(3_105, 260, 88, 39, 5, 7),
        sessionUpgrades: upgrades(790, 9),
        approximate: false,
      },
    },
    lastLegacyAt: '2025-03-31T09:45:00.000Z',
    seriesBucket: 'day',
    series: Array.from({ length: FIXTURE_SERIES_LENGTH }, (_, i) => fixtureSeriesPoint(i)),
    cutover: {
      ready: false,
      reason:
        'Not ready: 25% of the users active in the last 7 days (131 of 523) used a legacy session, above the 1% allowed; the last legacy sighting was 2.2 hours ago (2025-03-31 09:45 UTC), and 7 quiet days are required.',
      legacyShare7d: 131 / 523,
      projectedReadyAt: '2025-05-09T00:00:00.000Z',
      projection: { readyAt: '2025-05-09T00:00:00.000Z', reason: 'projected', points: 14, pointsNeeded: 3 },
      criteria: { maxLegacyShare: 0.01, quietDays: 7, trendDays: 14 },
      history: [
        { at: '2025-03-02T08:00:00.000Z', mode: 'bridge', percent: 0 },
        { at: '2025-03-24T09:30:00.000Z', mode: 'bridge', percent: 10 },
        { at: '2025-03-28T09:30:00.000Z', mode: 'bridge', percent: 25 },
      ],
      impact: {
        usersPerDay: 61.4,
        byPercent: { '10': 6, '25': 15, '50': 31, '100': 61 },
        todaySoFar: 40,
        completeDays: 7,
        averagePerDay: 61.4,
      },
      refused: { users: 12, since: '2025-03-30T12:00:00.000Z' },
    },
    requestsByLabel: [
      { kind: 'legacy', outcome: 'ok', count: 48_210 },
      { kind: 'provider', outcome: 'ok', count: 61_877 },
      { kind: 'anonymous', outcome: 'anonymous', count: 9_120 },
      { kind: 'provider', outcome: 'expired', count: 600 },
      { kind: 'provider', outcome: 'conflict', count: 40 },
    ],
    recorder: {
      buffered: 3,
      flushIntervalMs: 1_000,
      recorded: 123_456,
      dropped: 0,
      failedFlushes: 0,
      lastFlushAt: '2025-03-31T11:59:59.000Z',
      lastError: null,
    },
    legacyStore: null,
  };
  return structuredClone({ ...report, ...overrides });
}

/** Requests decided by "this process" (the Prometheus counters). */
export function localCountsFixture(): LabelledCount[] {
  return [
    { kind: 'legacy', outcome: 'ok', count: 1_234 },
    { kind: 'provider', outcome: 'ok', count: 5_678 },
    { kind: 'provider', outcome: 'expired', count: 12 },
    { kind: 'anonymous', outcome: 'anonymous', count: 90 },
    { kind: 'legacy', outcome: 'disabled', count: 3 },
  ];
}

/** Password migration decisions of "this process" (the Prometheus counters). */
export function localPasswordMigrationsFixture(): PasswordMigrationCounts {
  return passwords(321, 17, 4, 2, 1, 3);
}

/** Health of "this process's" recorder. */
export function recorderFixture(overrides: Partial<RecorderReport> = {}): RecorderReport {
  return {
    buffered: 7,
    flushIntervalMs: 1_000,
    recorded: 9_999,
    dropped: 25,
    failedFlushes: 2,
    lastFlushAt: '2025-03-31T11:59:59.000Z',
    lastError: 'connect ECONNREFUSED 127.0.0.1:6379',
    ...overrides,
  };
}
