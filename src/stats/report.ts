import type { CutoverHistoryEntry } from '../cutover/state.js';
import type { FleetReport } from '../fleet/types.js';
import type { LegacyStoreReport } from '../legacy-drain/types.js';
import { OptionChecks } from '../options/checks.js';
import type { BridgeMode } from '../types.js';
import { formatCount, formatDateTime, formatDuration, formatPercent } from '../util/format.js';
import type {
  PasswordMigrationCounts,
  SeriesPoint,
  SessionUpgradeCounts,
  StatsQuery,
  StatsSnapshot,
} from './contract.js';
import { passwordMigrationCounts, sessionUpgradeCounts } from './labels.js';
import {
  type CutoverCriteria,
  type CutoverImpact,
  type CutoverProjection,
  type CutoverReport,
  type MigrationReport,
  REPORT_SCHEMA_VERSION,
  type RecorderReport,
  type ReportWindow,
} from './report-types.js';
import { DAY, HOUR } from './time.js';

/** Projections further out than this are reported as null (the trend does not get there in a useful time). */
const MAX_PROJECTION_MS = 3650 * DAY;
/** Daily points the projection's line fit needs. */
const MIN_TREND_POINTS = 3;

/** The windows of the report, by name, in milliseconds. */
export const DEFAULT_WINDOWS = { '1d': DAY, '7d': 7 * DAY, '30d': 30 * DAY } as const;
type WindowName = keyof typeof DEFAULT_WINDOWS;

const CRITERIA_DEFAULTS: Required<CutoverCriteria> = { maxLegacyShare: 0.01, quietDays: 7, trendDays: 14 };
const CRITERIA_NAMES: Record<keyof CutoverCriteria, true> = {
  maxLegacyShare: true,
  quietDays: true,
  trendDays: true,
};

// Cutover criteria belong to a call (`statsHandler()`, `bridge.report()`): their messages stand alone.
const check: OptionChecks = new OptionChecks();

/** Fills the defaults of the cutover criteria and validates them. */
export function parseCutoverCriteria(criteria?: CutoverCriteria): Required<CutoverCriteria> {
  const value = check.optionalRecord(
    criteria,
    '`cutover` must be an object such as { maxLegacyShare: 0.01, quietDays: 7 }, or left out.',
  );
  check.knownKeys(value, CRITERIA_NAMES, 'cutover.');
  return {
    maxLegacyShare: check.number(
      'cutover.maxLegacyShare',
      value.maxLegacyShare,
      0,
      1,
      CRITERIA_DEFAULTS.maxLegacyShare,
      'a share, e.g. 0.01 for 1 %',
    ),
    quietDays: check.integer(
      'cutover.quietDays',
      value.quietDays,
      0,
      CRITERIA_DEFAULTS.quietDays,
      'the days without any legacy sighting required, e.g. 7',
    ),
    trendDays: check.integer(
      'cutover.trendDays',
      value.trendDays,
      3,
      CRITERIA_DEFAULTS.trendDays,
      'the days of daily series the projection fits (a trend needs at least 3 points), e.g. 14',
    ),
  };
}

/** Criteria already checked by `parseCutoverCriteria`, or left out, with the defaults filled; nothing is checked again. */
function withDefaults(criteria: CutoverCriteria = {}): Required<CutoverCriteria> {
  return {
    maxLegacyShare: criteria.maxLegacyShare ?? CRITERIA_DEFAULTS.maxLegacyShare,
    quietDays: criteria.quietDays ?? CRITERIA_DEFAULTS.quietDays,
    trendDays: criteria.trendDays ?? CRITERIA_DEFAULTS.trendDays,
  };
}

/**
 * The store query behind a report at `now`: the 1d/7d/30d windows, and the series of the last 48 hours (hour
 * buckets, current hour included) or of the last 30 days (day buckets, today included; more when
 * `criteria.trendDays` asks for more, so the projection has its data).
 */
export function statsQueryFor(
  now: number,
  seriesBucket: 'hour' | 'day',
  criteria?: CutoverCriteria,
): StatsQuery {
  const seriesFrom =
    seriesBucket === 'hour'
      ? Math.floor(now / HOUR) * HOUR - 47 * HOUR
      : Math.floor(now / DAY) * DAY - (Math.max(30, criteria?.trendDays ?? 0) - 1) * DAY;
  return { now, windows: { ...DEFAULT_WINDOWS }, seriesBucket, seriesFrom };
}

export interface BuildReportInput {
  snapshot: StatsSnapshot;
  now: number;
  mode: BridgeMode;
  /** Criteria checked by `parseCutoverCriteria` (they are not checked again); missing ones take the defaults. */
  criteria?: CutoverCriteria;
  recorder: RecorderReport;
  /** The bucket size of `snapshot.series`. */
  seriesBucket: 'hour' | 'day';
  /**
   * Daily series for the projection. Default: `snapshot.series` when `seriesBucket` is `'day'`. With hour buckets,
   * pass the series of a `statsQueryFor(now, 'day', criteria)` query, or the projection is null.
   */
  daily?: readonly SeriesPoint[];
  /** The legacy store drain's section; default null (`legacy.drain` off). */
  legacyStore?: LegacyStoreReport | null;
  /** The mode and ramp changes, oldest first (`CutoverState.history()`, or the fleet's). Default: none. */
  history?: readonly CutoverHistoryEntry[];
  /** Legacy users this instance refused because of the cutover, since `since` (ms). Default: not counted. */
  refused?: { users: number; since: number };
  /** The fleet section (a shared Redis store only). Default: left out. */
  fleet?: FleetReport;
}

/** Turns a store snapshot into the JSON report of the stats endpoint, with the cutover verdict. */
export function buildReport(input: BuildReportInput): MigrationReport {
  const { snapshot, now, mode, recorder, seriesBucket } = input;
  const criteria = withDefaults(input.criteria);
  const windows = {} as Record<WindowName, ReportWindow>;
  for (const name of Object.keys(DEFAULT_WINDOWS) as WindowName[]) {
    const w = snapshot.windows[name];
    if (!w)
      throw new TypeError(
        `the stats store answered no '${name}' window: its query() must answer every window asked`,
      );
    windows[name] = {
      requests: { ...w.requests },
      users: { ...w.users },
      passwordMigrations: passwordCounts(w.passwordMigrations),
      sessionUpgrades: upgradeCounts(w.sessionUpgrades),
      approximate: w.approximate,
    };
  }
  const daily = input.daily ?? (seriesBucket === 'day' ? snapshot.series : undefined);
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    generatedAt: new Date(now).toISOString(),
    mode,
    approximate: snapshot.approximate,
    totals: {
      requests: { ...snapshot.totals.requests },
      users: { ...snapshot.totals.users },
      passwordMigrations: passwordCounts(snapshot.totals.passwordMigrations),
      sessionUpgrades: upgradeCounts(snapshot.totals.sessionUpgrades),
    },
    windows,
    lastLegacyAt: snapshot.lastLegacyAt === null ? null : new Date(snapshot.lastLegacyAt).toISOString(),
    seriesBucket,
    series: snapshot.series.map((p) => ({
      start: new Date(p.start).toISOString(),
      legacyUsers: p.legacyUsers,
      providerUsers: p.providerUsers,
      legacyRequests: p.legacyRequests,
      providerRequests: p.providerRequests,
      passwordMatches: p.passwordMatches ?? 0,
    })),
    cutover: {
      ...cutover(snapshot, now, criteria, daily),
      history: (input.history ?? []).map((c) => ({
        at: new Date(c.at).toISOString(),
        mode: c.mode,
        percent: c.percent,
        ...(c.version === undefined ? {} : { version: c.version }),
        ...(c.instance === undefined ? {} : { instance: c.instance }),
        ...(c.by === undefined ? {} : { by: c.by }),
      })),
      impact: cutoverImpact(now, daily),
      refused: input.refused
        ? { users: input.refused.users, since: new Date(input.refused.since).toISOString() }
        : null,
    },
    requestsByLabel: snapshot.requestsByLabel.map((l) => ({ ...l })),
    recorder: { ...recorder },
    legacyStore: input.legacyStore ?? null,
    ...(input.fleet ? { fleet: input.fleet } : {}),
  };
}

/** A copy of a store's password migration counts; zeros from a store that does not count them. */
function passwordCounts(counts: PasswordMigrationCounts | undefined): PasswordMigrationCounts {
  return counts ? { ...counts } : passwordMigrationCounts([]);
}

/** A copy of a store's session upgrade counts; zeros from a store that does not count them. */
function upgradeCounts(counts: SessionUpgradeCounts | undefined): SessionUpgradeCounts {
  return counts ? { ...counts } : sessionUpgradeCounts([]);
}

/**
 * The cutover verdict.
 *
 * **Ready** when all of: at least one user was active in the last 7 days; the legacy share of the last 7 days
 * (`windows['7d'].users.legacy / windows['7d'].users.active`) is at most `maxLegacyShare`; and there was no legacy
 * sighting for `quietDays` days (or none within the retention).
 *
 * **Projected date** (when not ready): take the daily points of the last `trendDays` days (today included) that
 * have data, with the daily legacy share `legacyUsers / (legacyUsers + providerUsers)`; with at least 3 points,
 * fit a least-squares line `share = a + b * day`. When the slope `b` is negative, the line reaches
 * `maxLegacyShare` on day `C = (maxLegacyShare - a) / b`; the projection is `max(C, lastLegacyAt) + quietDays`
 * (never before now): it assumes legacy sightings stop once the share reaches the threshold, so it is optimistic.
 * Otherwise (flat or rising trend, fewer than 3 points, or more than 10 years out) it is null, and
 * `projection.reason` says which.
 *
 * `project` returns the projection with the reason it has no date (`CutoverProjection.reason`).
 *
 * The sentences use the dashboard's formatters (`formatPercent`, `formatDuration`, ...), so the reason shows a
 * value exactly as the rest of the page does.
 */
function cutover(
  snapshot: StatsSnapshot,
  now: number,
  criteria: Required<CutoverCriteria>,
  daily: readonly SeriesPoint[] | undefined,
): Omit<CutoverReport, 'history' | 'impact' | 'refused'> {
  const { maxLegacyShare, quietDays, trendDays } = criteria;
  const week = snapshot.windows['7d']!.users;
  const share = week.active > 0 ? week.legacy / week.active : 0;
  const lastLegacyAt = snapshot.lastLegacyAt;
  const quietMs = quietDays * DAY;
  const quiet = lastLegacyAt === null || now - lastLegacyAt >= quietMs;
  const shareOk = share <= maxLegacyShare;
  const hasData = week.active > 0;
  const ready = hasData && shareOk && quiet;

  const reasons: string[] = [];
  if (!hasData)
    reasons.push('no user was active in the last 7 days, so there is no data to judge the migration by');
  if (hasData && !shareOk) {
    reasons.push(
      `${formatPercent(share)} of the users active in the last 7 days (${formatCount(week.legacy)} of ${formatCount(week.active)}) used a legacy session, above the ${formatPercent(maxLegacyShare)} allowed`,
    );
  }
  if (!quiet && lastLegacyAt !== null) {
    reasons.push(
      `the last legacy sighting was ${formatDuration(now - lastLegacyAt)} ago (${formatDateTime(new Date(lastLegacyAt).toISOString())}), and ${quietDays} quiet day${quietDays === 1 ? ' is' : 's are'} required`,
    );
  }
  let reason: string;
  if (ready) {
    const sighting =
      lastLegacyAt === null
        ? 'no legacy sighting within the retention'
        : `no legacy sighting for ${formatDuration(now - lastLegacyAt)} (${quietDays} days required)`;
    reason = `Ready: ${formatPercent(share)} of the users active in the last 7 days (${formatCount(week.legacy)} of ${formatCount(week.active)}) used a legacy session (at most ${formatPercent(maxLegacyShare)} allowed), and ${sighting}.`;
  } else {
    reason = `Not ready: ${reasons.join('; ')}.`;
  }

  const projection = project(now, criteria, lastLegacyAt, daily, trendDays, ready);
  return {
    ready,
    reason,
    legacyShare7d: share,
    projectedReadyAt: projection.readyAt,
    projection,
    criteria,
  };
}

/** Most complete days averaged by `CutoverImpact.averagePerDay`. */
const IMPACT_DAYS = 7;

/** True when a daily point holds any sighting or authenticated request. */
function hasData(p: SeriesPoint): boolean {
  return (
    p.legacyUsers + p.providerUsers + p.legacyRequests + p.providerRequests + (p.passwordMatches ?? 0) > 0
  );
}

/**
 * `CutoverImpact`: today's distinct legacy users so far, and the average over the complete UTC days available
 * (from the first day with data, at most the last 7, yesterday included); `usersPerDay` is the larger. So the
 * figure never says "nobody" while legacy users were seen today, and in the first week it divides by the days
 * there are, not by 7. Without a daily series every figure is 0.
 */
export function cutoverImpact(now: number, daily: readonly SeriesPoint[] | undefined): CutoverImpact {
  const today = Math.floor(now / DAY) * DAY;
  const points = daily ?? [];
  const first = points.find(hasData)?.start;
  const from = Math.max(today - IMPACT_DAYS * DAY, first ?? today);
  const completeDays = Math.max(0, Math.round((today - from) / DAY));
  let sum = 0;
  let todaySoFar = 0;
  for (const p of points) {
    if (p.start >= from && p.start < today) sum += p.legacyUsers;
    else if (p.start === today) todaySoFar = p.legacyUsers;
  }
  const average = completeDays > 0 ? sum / completeDays : 0;
  const perDay = Math.max(todaySoFar, average);
  const share = (percent: number): number => Math.round((perDay * percent) / 100);
  return {
    usersPerDay: Math.round(perDay * 10) / 10,
    byPercent: { '10': share(10), '25': share(25), '50': share(50), '100': share(100) },
    todaySoFar,
    completeDays,
    averagePerDay: Math.round(average * 10) / 10,
  };
}

function project(
  now: number,
  criteria: Required<CutoverCriteria>,
  lastLegacyAt: number | null,
  daily: readonly SeriesPoint[] | undefined,
  trendDays: number,
  ready: boolean,
): CutoverProjection {
  const none = (reason: CutoverProjection['reason'], points: number): CutoverProjection => ({
    readyAt: null,
    reason,
    points,
    pointsNeeded: MIN_TREND_POINTS,
  });
  if (!daily) return none(ready ? 'ready' : 'no-daily-series', 0);
  const from = Math.floor(now / DAY) * DAY - (trendDays - 1) * DAY;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of daily) {
    const seen = p.legacyUsers + p.providerUsers;
    if (p.start < from || p.start > now || seen === 0) continue;
    xs.push(p.start / DAY);
    ys.push(p.legacyUsers / seen);
  }
  if (ready) return none('ready', xs.length);
  const line = leastSquares(xs, ys);
  if (!line) return none('too-few-points', xs.length);
  if (line.slope >= 0) return none('not-decreasing', xs.length);
  const crossingMs = ((criteria.maxLegacyShare - line.intercept) / line.slope) * DAY;
  const projected = Math.max(
    Math.max(crossingMs, lastLegacyAt ?? crossingMs) + criteria.quietDays * DAY,
    now,
  );
  if (!Number.isFinite(projected) || projected - now > MAX_PROJECTION_MS) return none('too-far', xs.length);
  return {
    readyAt: new Date(projected).toISOString(),
    reason: 'projected',
    points: xs.length,
    pointsNeeded: MIN_TREND_POINTS,
  };
}

/** Ordinary least squares `y = intercept + slope * x`; null with fewer than 3 points or no spread in x. */
export function leastSquares(
  xs: readonly number[],
  ys: readonly number[],
): { slope: number; intercept: number } | null {
  const n = xs.length;
  if (n < MIN_TREND_POINTS) return null;
  // Centre x for numerical stability (x is in days since the epoch).
  const x0 = xs[0]!;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]! - x0;
    sy += ys[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - x0 - mx;
    sxx += dx * dx;
    sxy += dx * (ys[i]! - my);
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * (mx + x0) };
}
