import type { PasswordMigrationResult, SessionUpgradeResult } from '../../src/index.js';
import type {
  AnyStatsEvent,
  LabelledCount,
  PasswordMigrationCounts,
  PasswordMigrationStatsEvent,
  RequestCounts,
  SeriesPoint,
  SessionUpgradeCounts,
  SessionUpgradeStatsEvent,
  StatsEvent,
  UserCounts,
} from '../../src/stats-store.js';
import { STATS_KINDS, STATS_OUTCOMES } from './internals.js';
/**
 * A scripted migration population with a known ground truth, for store, report and end-to-end tests.
 *
 * The script (days are numbered `0` = oldest .. `days - 1` = the day containing `now`):
 *
 * - `legacyOnly` users `legacy-only-<i>`: one legacy request (`legacy`/`ok`) on every day from day 0 through
 *   day `days - 1 - (i mod days)` (they drop out one by one; user 0 stays until the end). Never on the provider.
 * - `migrated` users `migrated-<j>`, split in two halves. Each has a switch day `s = 1 + (h mod (days - 1))`
 *   where `h` is the index inside its half. The first half (`ceil(migrated / 2)`, "overlap") sends legacy
 *   requests on days `0..s` and provider requests on days `s..days-1` (both on the switch day, legacy first);
 *   the second half ("clean") sends legacy on days `0..s-1` and provider on days `s..days-1`.
 * - `providerOnly` users `provider-only-<p>`: one provider request (`provider`/`ok`) on every day from day 0
 *   through day `days - 1 - (p mod days)`. Never on legacy.
 * - Every day: `anonymousPerDay` anonymous requests, and one each of legacy/invalid, provider/expired,
 *   legacy/unavailable, legacy/disabled (no user ids), plus, when there is at least one legacy-only and one
 *   provider-only user, one provider/conflict naming `legacy-only-0` and `provider-only-0` (both already
 *   seen that day, so it changes no user count but is a legacy sighting).
 * - With `passwords: true`, every day also: `1 + (d mod 3)` password migration matches and one each of
 *   mismatch, unknown, rateLimited, unauthorized and error (in `passwordEvents`, not in `events`).
 * - With `upgrades: true`, every day also: `1 + (d mod 2)` session upgrades and one each of already, refused,
 *   failed, unauthenticated, forbidden and ineligible (in `upgradeEvents`).
 *
 * Times: all events of day `d` fall inside one hour, at `H - (days - 1 - d) * DAY + offset`, where `H` is the
 * start of the hour containing `now` and `offset` is a small per-event number of milliseconds that is below
 * `now - H`. So a window of `w` days ending at `now` contains exactly days `days - w .. days - 1`, and every
 * day lands in one day bucket and one hour bucket (buckets aligned to the epoch, i.e. UTC).
 *
 * The expected answers are computed in closed form from these rules (counting indices by residue), never by
 * aggregating the generated events.
 */

export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface PopulationOptions {
  legacyOnly: number;
  migrated: number;
  providerOnly: number;
  /** Simulated days, 2..90 (the default retention). */
  days: number;
  /** Milliseconds since the epoch. Must be far enough past the start of its hour: use `alignedNow()`. */
  now: number;
  /** Anonymous requests per day. Default 2. */
  anonymousPerDay?: number;
  /** Add password migration decisions every day (see the script). Default false. */
  passwords?: boolean;
  /** Add session upgrade decisions every day (see the script). Default false. */
  upgrades?: boolean;
}

export interface ExpectedCounts {
  requests: RequestCounts;
  users: UserCounts;
  passwordMigrations: PasswordMigrationCounts;
  sessionUpgrades: SessionUpgradeCounts;
}

/** Session upgrade counts, all zero. */
export function noSessionUpgrades(): SessionUpgradeCounts {
  return { upgraded: 0, already: 0, refused: 0, failed: 0, unauthenticated: 0, forbidden: 0, ineligible: 0 };
}

/** Password migration counts, all zero. */
export function noPasswordMigrations(): PasswordMigrationCounts {
  return { match: 0, mismatch: 0, unknown: 0, rateLimited: 0, unauthorized: 0, error: 0 };
}

export interface PopulationExpected {
  /** Over the whole retention (the script never exceeds it). */
  totals: ExpectedCounts;
  windows: Record<'1d' | '7d' | '30d', ExpectedCounts>;
  /** A window of `lengthDays` days ending at `now`. */
  window(lengthDays: number): ExpectedCounts;
  lastLegacyAt: number | null;
  /** Non-zero counters over the retention, sorted by kind then outcome (see `sortLabels`). */
  requestsByLabel: LabelledCount[];
  /** One point per simulated day (day buckets), oldest first. */
  dailySeries: SeriesPoint[];
  /**
   * The series a store should answer for `seriesFrom` (aligned down to the bucket): one point per bucket from
   * there through the bucket containing `now`, oldest first, empty buckets included with zeros.
   */
  series(bucket: 'hour' | 'day', seriesFrom: number): SeriesPoint[];
}

export interface Population {
  /** The request events, sorted by time, oldest first. */
  events: StatsEvent[];
  /** The password migration events (empty without `passwords: true`), sorted by time. */
  passwordEvents: PasswordMigrationStatsEvent[];
  /** The session upgrade events (empty without `upgrades: true`), sorted by time. */
  upgradeEvents: SessionUpgradeStatsEvent[];
  /** All of them, sorted by time. */
  allEvents: AnyStatsEvent[];
  expected: PopulationExpected;
  /** Milliseconds since the epoch of the last event. */
  lastEventAt: number;
}

/** `floor(t / HOUR) * HOUR + 30 min`: a `now` that fits any population of up to ~1.8 million events per day. */
export function alignedNow(t: number = Date.now()): number {
  return Math.floor(t / HOUR) * HOUR + 30 * 60_000;
}

/** Number of `i` in `[0, n)` with `i mod p < w` (0 when `w <= 0`). */
function countResidues(n: number, p: number, w: number): number {
  if (n <= 0 || w <= 0) return 0;
  const q = Math.floor(n / p);
  const r = n % p;
  return q * Math.min(w, p) + Math.min(r, w);
}

/** Largest `i < n` with `i mod p === r`, or -1. */
function largestWithResidue(n: number, p: number, r: number): number {
  if (n - 1 < r) return -1;
  return r + p * Math.floor((n - 1 - r) / p);
}

/** Sorts labelled counters by kind (legacy, provider, anonymous) then outcome, for order-independent comparison. */
export function sortLabels(labels: readonly LabelledCount[]): LabelledCount[] {
  return [...labels].sort(
    (a, b) =>
      STATS_KINDS.indexOf(a.kind) - STATS_KINDS.indexOf(b.kind) ||
      STATS_OUTCOMES.indexOf(a.outcome) - STATS_OUTCOMES.indexOf(b.outcome),
  );
}

export function scriptedPopulation(options: PopulationOptions): Population {
  const { legacyOnly: N, migrated: M, providerOnly: K, days, now } = options;
  const A = options.anonymousPerDay ?? 2;
  for (const [name, value] of Object.entries({
    legacyOnly: N,
    migrated: M,
    providerOnly: K,
    anonymousPerDay: A,
  })) {
    if (!Number.isInteger(value) || value < 0) throw new TypeError(`${name} must be a non-negative integer`);
  }
  if (!Number.isInteger(days) || days < 2 || days > 90)
    throw new TypeError('days must be an integer in 2..90');
  const Mo = Math.ceil(M / 2); // overlap half: legacy also on the switch day
  const Mc = M - Mo; // clean half
  const conflict = N > 0 && K > 0 ? 1 : 0;

  // Per-day offsets (ms after the hour start), one slot per event kind and index.
  const offLegacyOnly = (i: number) => 1 + i;
  const offOverlapLegacy = (h: number) => 1 + N + h;
  const offCleanLegacy = (h: number) => 1 + N + Mo + h;
  const offMigratedProvider = (j: number) => 1 + N + M + j;
  const offProviderOnly = (p: number) => 1 + N + 2 * M + p;
  const offAnonymous = (a: number) => 1 + N + 2 * M + K + a;
  const offRejected = 1 + N + 2 * M + K + A; // invalid, expired, unavailable, disabled, then conflict
  const offConflict = offRejected + 4;
  const offPasswords = offConflict + 1; // up to 3 matches, then the five other results
  const offUpgrades = offPasswords + 8; // up to 2 upgrades, then the six other results
  const span = offUpgrades + 8;
  const upgradesOn = (d: number) => (options.upgrades ? 1 + (d % 2) : 0);
  const otherUpgradeResults: SessionUpgradeResult[] = options.upgrades
    ? ['already', 'refused', 'failed', 'unauthenticated', 'forbidden', 'ineligible']
    : [];
  const matchesOn = (d: number) => (options.passwords ? 1 + (d % 3) : 0);
  const otherPasswordResults: PasswordMigrationResult[] = options.passwords
    ? ['mismatch', 'unknown', 'rateLimited', 'unauthorized', 'error']
    : [];

  const hourStart = Math.floor(now / HOUR) * HOUR;
  if (now - hourStart <= span) {
    throw new TypeError(
      `now must be more than ${span} ms past the start of its hour so each day fits one hour bucket: use alignedNow()`,
    );
  }
  const dayBase = (d: number) => hourStart - (days - 1 - d) * DAY;
  const switchDay = (h: number) => 1 + (h % (days - 1));

  // ---- events ----
  const events: StatsEvent[] = [];
  const passwordEvents: PasswordMigrationStatsEvent[] = [];
  const upgradeEvents: SessionUpgradeStatsEvent[] = [];
  for (let d = 0; d < days; d++) {
    const base = dayBase(d);
    for (let k = 0; k < upgradesOn(d); k++) {
      upgradeEvents.push({ type: 'session-upgrade', time: base + offUpgrades + k, result: 'upgraded' });
    }
    otherUpgradeResults.forEach((result, k) => {
      upgradeEvents.push({ type: 'session-upgrade', time: base + offUpgrades + 2 + k, result });
    });
    for (let k = 0; k < matchesOn(d); k++) {
      passwordEvents.push({ type: 'password-migration', time: base + offPasswords + k, result: 'match' });
    }
    otherPasswordResults.forEach((result, k) => {
      passwordEvents.push({ type: 'password-migration', time: base + offPasswords + 3 + k, result });
    });
    for (let i = 0; i < N; i++) {
      if (d <= days - 1 - (i % days)) {
        events.push({
          time: base + offLegacyOnly(i),
          kind: 'legacy',
          outcome: 'ok',
          legacyUserId: `legacy-only-${i}`,
        });
      }
    }
    for (let h = 0; h < Mo; h++) {
      if (d <= switchDay(h)) {
        events.push({
          time: base + offOverlapLegacy(h),
          kind: 'legacy',
          outcome: 'ok',
          legacyUserId: `migrated-${h}`,
        });
      }
    }
    for (let h = 0; h < Mc; h++) {
      if (d < switchDay(h)) {
        events.push({
          time: base + offCleanLegacy(h),
          kind: 'legacy',
          outcome: 'ok',
          legacyUserId: `migrated-${Mo + h}`,
        });
      }
    }
    for (let j = 0; j < M; j++) {
      const s = switchDay(j < Mo ? j : j - Mo);
      if (d >= s) {
        events.push({
          time: base + offMigratedProvider(j),
          kind: 'provider',
          outcome: 'ok',
          providerUserId: `migrated-${j}`,
          provider: 'test-idp',
        });
      }
    }
    for (let p = 0; p < K; p++) {
      if (d <= days - 1 - (p % days)) {
        events.push({
          time: base + offProviderOnly(p),
          kind: 'provider',
          outcome: 'ok',
          providerUserId: `provider-only-${p}`,
          provider: 'test-idp',
        });
      }
    }
    for (let a = 0; a < A; a++)
      events.push({ time: base + offAnonymous(a), kind: 'anonymous', outcome: 'anonymous' });
    events.push({ time: base + offRejected, kind: 'legacy', outcome: 'invalid' });
    events.push({ time: base + offRejected + 1, kind: 'provider', outcome: 'expired', provider: 'test-idp' });
    events.push({ time: base + offRejected + 2, kind: 'legacy', outcome: 'unavailable' });
    events.push({ time: base + offRejected + 3, kind: 'legacy', outcome: 'disabled' });
    if (conflict) {
      events.push({
        time: base + offConflict,
        kind: 'provider',
        outcome: 'conflict',
        legacyUserId: 'legacy-only-0',
        providerUserId: 'provider-only-0',
        provider: 'test-idp',
      });
    }
  }

  // ---- closed-form expectations ----
  // Per simulated day d: distinct users and ok requests (one ok request per user per kind per day).
  const legacyUsersOn = (d: number) =>
    countResidues(N, days, days - d) + // legacy-only i: i mod days <= days-1-d
    (Mo - countResidues(Mo, days - 1, d - 1)) + // overlap: s >= d  <=> h mod (days-1) >= d-1
    (Mc - countResidues(Mc, days - 1, d)); // clean: s - 1 >= d  <=> h mod (days-1) >= d
  const providerUsersOn = (d: number) =>
    countResidues(Mo, days - 1, d) + // overlap: s <= d <=> h mod (days-1) <= d-1
    countResidues(Mc, days - 1, d) +
    countResidues(K, days, days - d);

  const window = (lengthDays: number): ExpectedCounts => {
    const D = Math.min(lengthDays, days);
    const s = days - D; // first simulated day inside the window
    let legacyRequests = 0;
    let providerRequests = 0;
    for (let d = s; d < days; d++) {
      legacyRequests += legacyUsersOn(d);
      providerRequests += providerUsersOn(d);
    }
    const legacyOnlyUsers = countResidues(N, days, D); // last legacy day >= s
    const migratedUsers = Mo - countResidues(Mo, days - 1, s - 1) + (Mc - countResidues(Mc, days - 1, s - 1)); // switch day >= s
    const migratedLegacy = Mo - countResidues(Mo, days - 1, s - 1) + (Mc - countResidues(Mc, days - 1, s)); // last legacy day >= s
    const providerOnlyUsers = countResidues(K, days, D);
    const passwordMigrations = noPasswordMigrations();
    for (let d = s; d < days; d++) passwordMigrations.match += matchesOn(d);
    for (const result of otherPasswordResults) passwordMigrations[result] = D;
    const sessionUpgrades = noSessionUpgrades();
    for (let d = s; d < days; d++) sessionUpgrades.upgraded += upgradesOn(d);
    for (const result of otherUpgradeResults) sessionUpgrades[result] = D;
    return {
      passwordMigrations,
      sessionUpgrades,
      requests: {
        legacy: legacyRequests,
        provider: providerRequests,
        anonymous: A * D,
        rejected: (4 + conflict) * D,
        conflicts: conflict * D,
        unavailable: D,
      },
      users: {
        legacy: legacyOnlyUsers + migratedLegacy,
        provider: M + providerOnlyUsers, // every migrated user is on the provider through the last day
        active: legacyOnlyUsers + M + providerOnlyUsers,
        migrated: migratedUsers,
        legacyOnly: legacyOnlyUsers,
      },
    };
  };

  const totals = window(days);
  const labels: LabelledCount[] = [
    { kind: 'legacy', outcome: 'ok', count: totals.requests.legacy },
    { kind: 'legacy', outcome: 'invalid', count: days },
    { kind: 'legacy', outcome: 'unavailable', count: days },
    { kind: 'legacy', outcome: 'disabled', count: days },
    { kind: 'provider', outcome: 'ok', count: totals.requests.provider },
    { kind: 'provider', outcome: 'expired', count: days },
    { kind: 'provider', outcome: 'conflict', count: conflict * days },
    { kind: 'anonymous', outcome: 'anonymous', count: A * days },
  ];
  const requestsByLabel = sortLabels(labels.filter((l) => l.count > 0));

  // Last legacy sighting: the conflict on the last day if there is one; else the latest of the legacy-only
  // users still there on the last day (i mod days == 0) and the migrated users with the latest last legacy day.
  let lastLegacyAt: number | null = null;
  const consider = (t: number) => {
    if (lastLegacyAt === null || t > lastLegacyAt) lastLegacyAt = t;
  };
  if (conflict) consider(dayBase(days - 1) + offConflict);
  if (N > 0) consider(dayBase(days - 1) + offLegacyOnly(largestWithResidue(N, days, 0)));
  if (Mo > 0) {
    const r = Math.min(Mo - 1, days - 2); // largest residue present: last legacy day 1 + r
    consider(dayBase(1 + r) + offOverlapLegacy(largestWithResidue(Mo, days - 1, r)));
  }
  if (Mc > 0) {
    const r = Math.min(Mc - 1, days - 2); // last legacy day r
    consider(dayBase(r) + offCleanLegacy(largestWithResidue(Mc, days - 1, r)));
  }

  const dailySeries: SeriesPoint[] = [];
  for (let d = 0; d < days; d++) {
    const legacyUsers = legacyUsersOn(d);
    const providerUsers = providerUsersOn(d);
    dailySeries.push({
      start: Math.floor(dayBase(d) / DAY) * DAY,
      legacyUsers,
      providerUsers,
      legacyRequests: legacyUsers,
      providerRequests: providerUsers,
      passwordMatches: matchesOn(d),
    });
  }

  const series = (bucket: 'hour' | 'day', seriesFrom: number): SeriesPoint[] => {
    const size = bucket === 'hour' ? HOUR : DAY;
    const first = Math.floor(seriesFrom / size) * size;
    const last = Math.floor(now / size) * size;
    const byStart = new Map<number, SeriesPoint>();
    for (let d = 0; d < days; d++) {
      const start = Math.floor(dayBase(d) / size) * size;
      const point = dailySeries[d]!;
      byStart.set(start, { ...point, start });
    }
    const out: SeriesPoint[] = [];
    for (let start = first; start <= last; start += size) {
      out.push(
        byStart.get(start) ?? {
          start,
          legacyUsers: 0,
          providerUsers: 0,
          legacyRequests: 0,
          providerRequests: 0,
          passwordMatches: 0,
        },
      );
    }
    return out;
  };

  const allEvents: AnyStatsEvent[] = [...events, ...passwordEvents, ...upgradeEvents].sort(
    (a, b) => a.time - b.time,
  );
  return {
    events,
    passwordEvents,
    upgradeEvents,
    allEvents,
    lastEventAt: allEvents[allEvents.length - 1]!.time,
    expected: {
      totals,
      windows: { '1d': window(1), '7d': window(7), '30d': window(30) },
      window,
      lastLegacyAt,
      requestsByLabel,
      dailySeries,
      series,
    },
  };
}
