import type { PasswordMigrationResult } from '../password-migration/types.js';
import type { SessionUpgradeResult } from '../upgrade/types.js';

/**
 * The stats store contract and the types it exchanges (events, queries, snapshots). A store receives
 * batches of compact events from the in-process recorder (never on the request path) and answers report
 * queries for the stats endpoint.
 *
 * Methods may return a value or a promise. Errors thrown or rejected by `record` are counted by
 * the recorder and the batch is retried while the buffer has room; errors from `query` make the
 * stats endpoint answer 503. Neither ever affects a request being authenticated.
 */
export interface StatsStore {
  /**
   * Required. Persist a batch of events, oldest first. Called by the recorder's flush timer with at most
   * `RecorderOptions.batchSize` events, one call at a time per bridge instance. A call that takes longer than
   * `flushTimeoutMs` counts as failed and its batch is retried, but only after that call has settled
   * (delivery is at least once: a late success followed by the retry records the batch twice).
   * The batch mixes request events and password migration events (`type: 'password-migration'`); a store that
   * does not count the latter skips them like any event it cannot read.
   */
  record(events: readonly AnyStatsEvent[]): Promise<void> | void;
  /** Required. Answer a report query. Called by the stats endpoint and `bridge.report()`. */
  query(query: StatsQuery): Promise<StatsSnapshot> | StatsSnapshot;
  /** Optional. Release timers and connections. Called by `bridge.close()`. */
  close?(): Promise<void> | void;
}

/** One request decision, as stored. User ids are the application's ids (after identity linking). */
export interface StatsEvent {
  /** Absent (or `'request'`): tells request events from `PasswordMigrationStatsEvent`s. */
  type?: 'request';
  /** Milliseconds since the epoch. */
  time: number;
  /** The credential that authenticated the request, else the one sent (`provider` when both were); `anonymous` when none. */
  kind: 'legacy' | 'provider' | 'anonymous';
  /** Outcome label for request counters. */
  outcome: StatsOutcome;
  /** Set when a valid legacy session named this user (a legacy sighting), even if it was not used. */
  legacyUserId?: string;
  /** Set when a valid provider token named this user (a provider sighting), even if it was not used. */
  providerUserId?: string;
  /** Provider name, when a provider credential was sent. */
  provider?: string;
}

/** One decision of a password migration endpoint, as stored: a counter, no user, no identifier. */
export interface PasswordMigrationStatsEvent {
  type: 'password-migration';
  /** Milliseconds since the epoch. */
  time: number;
  result: PasswordMigrationResult;
}

/** One decision of the upgrade endpoint, as stored: a counter, no user, no token. */
export interface SessionUpgradeStatsEvent {
  type: 'session-upgrade';
  /** Milliseconds since the epoch. */
  time: number;
  result: SessionUpgradeResult;
}

/**
 * What `StatsStore.record` receives: request, password migration and session upgrade events, told apart by
 * `type`. A store skips the types it does not count.
 */
export type AnyStatsEvent = StatsEvent | PasswordMigrationStatsEvent | SessionUpgradeStatsEvent;

/**
 * The `outcome` label of request counters: the event's `BridgeOutcome` with `authenticated` as `ok` and
 * `rejected` split by reason, `expired` (an expired token), `disabled` (a legacy session refused by
 * `provider-only` mode, also when the request is otherwise anonymous) or `invalid` (any other rejection).
 */
export type StatsOutcome =
  | 'ok'
  | 'anonymous'
  | 'invalid'
  | 'expired'
  | 'conflict'
  | 'unavailable'
  | 'disabled';

export interface StatsQuery {
  /** Milliseconds since the epoch. */
  now: number;
  /** Windows ending at `now`, by name, length in milliseconds, e.g. `{ '1d': 86400000, '7d': ..., '30d': ... }`. */
  windows: Record<string, number>;
  /** Bucket size of `series`. */
  seriesBucket: 'hour' | 'day';
  /** Start of the series, milliseconds since the epoch (aligned down to the bucket). */
  seriesFrom: number;
}

/** Requests per outcome. `legacy`/`provider`: authenticated by that kind. */
export interface RequestCounts {
  legacy: number;
  provider: number;
  anonymous: number;
  rejected: number;
  conflicts: number;
  unavailable: number;
}

/** Distinct users. */
export interface UserCounts {
  /** Users with a legacy sighting. */
  legacy: number;
  /** Users with a provider sighting. */
  provider: number;
  /** Users with any sighting. */
  active: number;
  /** Users seen on legacy first and on the provider at the same time or later (in a window: whose first provider sighting falls in it). */
  migrated: number;
  /** Users seen on legacy and never on the provider (in a window: with a legacy sighting in it). */
  legacyOnly: number;
}

/** Decisions of the password migration endpoints, by result (see `PasswordMigrationResult`). */
export interface PasswordMigrationCounts {
  /** The password was right: the provider now holds it. */
  match: number;
  /** Known identifier, wrong password. */
  mismatch: number;
  /** Unknown identifier. */
  unknown: number;
  /** Refused by the failure limits (429). */
  rateLimited: number;
  /** Refused for a missing or wrong API key (401). */
  unauthorized: number;
  /** The app's callback failed, timed out or answered something invalid (503). */
  error: number;
}

/** Decisions of the upgrade endpoint (silent migration), by result (see `SessionUpgradeResult`). */
export type SessionUpgradeCounts = Record<SessionUpgradeResult, number>;

export interface WindowSnapshot {
  requests: RequestCounts;
  users: UserCounts;
  /**
   * Optional (both built-in stores answer it): password migration decisions in the window, at the same bucket
   * granularity as `requests`. Left out, the report shows zeros.
   */
  passwordMigrations?: PasswordMigrationCounts;
  /** Optional (both built-in stores answer it): upgrade endpoint decisions in the window. Left out: zeros. */
  sessionUpgrades?: SessionUpgradeCounts;
  /** True when the user counts of this window are an approximation (see the store's docs). */
  approximate: boolean;
}

export interface SeriesPoint {
  /** Bucket start, milliseconds since the epoch. */
  start: number;
  legacyUsers: number;
  providerUsers: number;
  legacyRequests: number;
  providerRequests: number;
  /** Optional (both built-in stores answer it): password migration matches in the bucket. */
  passwordMatches?: number;
}

/** Requests by the Prometheus labels, over the whole retention. */
export interface LabelledCount {
  kind: 'legacy' | 'provider' | 'anonymous';
  outcome: StatsOutcome;
  count: number;
}

export interface StatsSnapshot {
  /** True when any number in the snapshot is an approximation. */
  approximate: boolean;
  /** Everything within the retention period (`passwordMigrations`: optional, as in `WindowSnapshot`). */
  totals: {
    requests: RequestCounts;
    users: UserCounts;
    passwordMigrations?: PasswordMigrationCounts;
    sessionUpgrades?: SessionUpgradeCounts;
  };
  windows: Record<string, WindowSnapshot>;
  /** Milliseconds since the epoch of the last legacy sighting, or null. */
  lastLegacyAt: number | null;
  series: SeriesPoint[];
  requestsByLabel: LabelledCount[];
}

/** Options of the in-process buffer between the request path and the store. */
export interface RecorderOptions {
  /** Most events held in memory; when full the oldest are dropped and counted. Default `10000`. */
  bufferSize?: number;
  /** Most events handed to one `store.record` call. Default `1000`. */
  batchSize?: number;
  /** Milliseconds between flushes. Default `1000`. */
  flushIntervalMs?: number;
  /** Milliseconds before a `store.record` call counts as failed. Default `5000`. */
  flushTimeoutMs?: number;
}
