import type { FleetReport } from '../fleet/types.js';
import type { LegacyStoreReport } from '../legacy-drain/types.js';
import type {
  LabelledCount,
  PasswordMigrationCounts,
  RequestCounts,
  SessionUpgradeCounts,
  UserCounts,
} from './contract.js';

/** Version of the JSON report schema; bumped on any incompatible change. */
export const REPORT_SCHEMA_VERSION = 1;

/** Criteria for declaring the legacy login ready to be switched off. */
export interface CutoverCriteria {
  /** Highest share of active users (last 7 days) still seen on a legacy session. Default `0.01`. */
  maxLegacyShare?: number;
  /** Days without any legacy sighting required. Default `7`. */
  quietDays?: number;
  /** Days of daily series used to project the ready date. Default `14`. */
  trendDays?: number;
}

/**
 * One change of mode or ramp (`bridge.configure()`, or the construction): on the instance that answered, or with
 * a shared Redis store the fleet's.
 */
export interface CutoverChange {
  /** ISO time of the change (the bridge's `now`; Redis' clock for a fleet change). */
  at: string;
  mode: import('../types.js').BridgeMode;
  /** `cutover.percent` from then on. */
  percent: number;
  /** Fleet changes only: the state's version. */
  version?: number;
  /** Fleet changes only: the instance (`fleet.instanceId`) that made it. */
  instance?: string;
  /** Who made it (`configure({ by })`), null when not given; absent for a change without `by` on one instance. */
  by?: string | null;
}

/** What a cutover would cost now, in users sent back to sign in. */
export interface CutoverImpact {
  /**
   * Legacy users a full cutover would send back to sign in per day: the larger of `todaySoFar` and
   * `averagePerDay`, to one decimal. Users refused by the ramp are still sighted, so they are counted.
   */
  usersPerDay: number;
  /**
   * The same for a ramp of 10, 25, 50 and 100 %: the unrounded `usersPerDay * percent / 100`, rounded to whole
   * users (the cohort is uniform, so this is the expected number).
   */
  byPercent: Record<'10' | '25' | '50' | '100', number>;
  /** Distinct legacy users seen today (UTC) so far: today is not over, so this is a lower bound for today. */
  todaySoFar: number;
  /**
   * Complete UTC days the average rests on: the days before today since the first day with data, at most 7
   * (0 on the stats' first day).
   */
  completeDays: number;
  /** Distinct legacy users per day averaged over those `completeDays` days, to one decimal (0 when there are none). */
  averagePerDay: number;
}

/**
 * Legacy users the answering instance refused because of the cutover (the ramp's cohort, or `provider-only`
 * mode): they are sent to the new login. Counted per instance, in memory.
 */
export interface CutoverRefusals {
  /** Distinct legacy users refused since `since`. */
  users: number;
  /**
   * ISO start of the count: 24 hours ago, or the last change that let users back in (a lower percent, leaving
   * `provider-only`), whichever is later.
   */
  since: string;
}

export interface CutoverReport {
  ready: boolean;
  /** Human-readable explanation of `ready`. */
  reason: string;
  /** Legacy users / active users over the last 7 days (0 when nobody was active). */
  legacyShare7d: number;
  /** ISO date when the criteria are projected to hold, or null when the trend does not get there. */
  projectedReadyAt: string | null;
  /** The projection with the reason it has no date (`projectedReadyAt` is `projection.readyAt`). */
  projection: CutoverProjection;
  /** The criteria applied, defaults filled. */
  criteria: Required<CutoverCriteria>;
  /**
   * The mode and ramp changes, oldest first; the last entry is the current state. One instance: its configuration
   * at construction, then every `bridge.configure()` that changed something (the last 100). With a shared Redis
   * store: the fleet's changes, whichever instance made them (the last 1,000).
   */
  history: CutoverChange[];
  /** Users a cutover would send back to sign in each day. */
  impact: CutoverImpact;
  /** Users the cutover refuses now (this instance); null when the report was built without that count. */
  refused: CutoverRefusals | null;
}

export interface ReportWindow {
  requests: RequestCounts;
  users: UserCounts;
  /** Decisions of the password migration endpoints (all instances sharing the store), by result. */
  passwordMigrations: PasswordMigrationCounts;
  /** Decisions of the upgrade endpoint (silent migration; all instances sharing the store), by result. */
  sessionUpgrades: SessionUpgradeCounts;
  approximate: boolean;
}

/**
 * Why `CutoverProjection.readyAt` is what it is:
 * - `projected`: a date (the fitted daily legacy share slopes down and reaches the threshold);
 * - `ready`: the criteria hold now, nothing to project;
 * - `too-few-points`: fewer than 3 days with data in the last `trendDays` days (not enough data yet);
 * - `not-decreasing`: the fitted share is flat or rising;
 * - `too-far`: the fitted line reaches the threshold more than 10 years out;
 * - `no-daily-series`: an hourly report built without the daily series the fit needs.
 */
export type ProjectionReason =
  | 'projected'
  | 'ready'
  | 'too-few-points'
  | 'not-decreasing'
  | 'too-far'
  | 'no-daily-series';

/** The projected ready date, and why there is none. */
export interface CutoverProjection {
  /** ISO date when the criteria are projected to hold; null unless `reason` is `projected`. */
  readyAt: string | null;
  reason: ProjectionReason;
  /** Days with data within the last `trendDays` days (today included), the points of the fit. */
  points: number;
  /** Points the fit needs: 3. */
  pointsNeeded: number;
}

export interface ReportSeriesPoint {
  /** ISO timestamp of the bucket start. */
  start: string;
  legacyUsers: number;
  providerUsers: number;
  legacyRequests: number;
  providerRequests: number;
  /** Password migration matches (passwords the provider took over) in the bucket. */
  passwordMatches: number;
}

/** Health of the in-process recorder of the instance that answered. */
export interface RecorderReport {
  /** Events recorded but not yet handed to the stats store: not in the report's figures yet. */
  buffered: number;
  /** Milliseconds between two flushes (`recorder.flushIntervalMs`): how far the figures may lag the requests. */
  flushIntervalMs: number;
  recorded: number;
  dropped: number;
  failedFlushes: number;
  lastFlushAt: string | null;
  lastError: string | null;
}

/** The JSON document served by the stats endpoint. */
export interface MigrationReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  generatedAt: string;
  mode: import('../types.js').BridgeMode;
  approximate: boolean;
  totals: {
    requests: RequestCounts;
    users: UserCounts;
    passwordMigrations: PasswordMigrationCounts;
    sessionUpgrades: SessionUpgradeCounts;
  };
  windows: Record<'1d' | '7d' | '30d', ReportWindow>;
  lastLegacyAt: string | null;
  seriesBucket: 'hour' | 'day';
  series: ReportSeriesPoint[];
  cutover: CutoverReport;
  requestsByLabel: LabelledCount[];
  recorder: RecorderReport;
  /**
   * The last scan of the legacy store (`legacy.drain`): how many users still hold a valid legacy session and when
   * the last one expires. Null when `legacy.drain` is off. Scanned by the instance that answered.
   */
  legacyStore: LegacyStoreReport | null;
  /**
   * With a shared Redis store: the instances (registry heartbeats), whether they agree, the fleet state and when
   * the instance that answered last synced it. Absent without a shared store (everything is per process).
   */
  fleet?: FleetReport;
}
