/**
 * The public shapes of the legacy store drain: the `legacy.drain` option, the result of one scan
 * (`bridge.scanLegacyStore()`) and the `legacyStore` section of the JSON report.
 */

/** `legacy.drain`: scan the legacy session store in the background. `true` takes every default. */
export interface LegacyDrainOptions {
  /** Milliseconds between two background scans (the first runs 5 s after construction). Default `3600000` (1 h). */
  intervalMs?: number;
  /**
   * Milliseconds each store call of a scan may take (a SCAN page, an MGET, `all`, `ids`, one `get`) before the
   * scan is abandoned and `lastError` set. Default `30000`.
   */
  timeoutMs?: number;
}

/** Logged-in sessions whose `cookie.expires` falls on one UTC day. */
export interface LegacyExpiryDay {
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  /** Logged-in live sessions expiring that day. */
  sessions: number;
}

/** One scan of a store that can list its sessions. */
export interface LegacyStoreCounts {
  supported: true;
  /** When the scan started (the bridge's `now`): sessions whose `cookie.expires` is at or before it are expired. */
  scannedAt: string;
  /** Wall-clock milliseconds the scan took. */
  durationMs: number;
  /** Live sessions: stored and not expired by `cookie.expires` at `scannedAt`, logged in or not. */
  sessions: number;
  /** Live sessions with a user id (by `legacy.userId`). */
  loggedIn: number;
  /** Distinct user ids among the logged-in sessions; an estimate when `approximate`. */
  users: number;
  /**
   * True when a count is an estimate: past 1,000,000 distinct users (or, on Redis, session keys) the scan stops
   * tracking each one and samples instead (relative error about 0.1 %).
   */
  approximate: boolean;
  /**
   * The latest expiry among logged-in live sessions: by then every current legacy login has expired by itself.
   * A session's expiry is its `cookie.expires`, or, without one, when the store drops it (connect-redis: the
   * key's TTL). Null when there is none, or when some logged-in session has neither (see
   * `sessionsWithoutExpiry`): such a session lasts as long as the store keeps it.
   */
  latestExpiry: string | null;
  /** Logged-in live sessions with neither a (valid) `cookie.expires` nor a store expiry. */
  sessionsWithoutExpiry: number;
  /**
   * Logged-in live sessions by the UTC day of their `cookie.expires`, ascending, days without any left out; at
   * most the 3,651 days from the scan's day on (see `expiringLater`).
   */
  expiringByDay: LegacyExpiryDay[];
  /** Logged-in live sessions expiring more than 3,650 days after the scan's day (not in `expiringByDay`). */
  expiringLater: number;
  /**
   * Stored sessions that could not be read: a value the store's serializer could not parse, or one for which
   * `legacy.userId` threw or did not answer within `legacy.timeoutMs`. They are in no other count.
   */
  unreadable: number;
}

/** A store that cannot list its sessions. */
export interface LegacyStoreUnsupported {
  supported: false;
  /** When it was found out (the bridge's `now`). */
  scannedAt: string;
  /** Why, and what would make it listable. */
  reason: string;
}

/** The result of one scan: `bridge.scanLegacyStore()` resolves with it. */
export type LegacyStoreScan = LegacyStoreCounts | LegacyStoreUnsupported;

/** A scan that failed (store error or timeout). */
export interface LegacyStoreScanError {
  /** The error message, with any URL credentials removed. */
  message: string;
  /** When the scan started (the bridge's `now`). */
  at: string;
}

/** The `legacyStore` section of the JSON report (null when `legacy.drain` is off). */
export interface LegacyStoreReport {
  /** The last completed scan; null before the first one completed. A failed scan keeps the previous one here. */
  scan: LegacyStoreScan | null;
  /** The last scan's error when it failed; null once a scan succeeds. */
  lastError: LegacyStoreScanError | null;
  /**
   * With a shared Redis stats store: the instance (`fleet.instanceId`) that made `scan`, which every instance
   * reports. Absent without one (the instance that answered scanned).
   */
  scannedBy?: string | null;
}

/**
 * How instances sharing a Redis stats store take turns (src/fleet/drain-lock.ts): one scans per interval and
 * every instance reports its result. Internal.
 */
export interface DrainCoordinator {
  /** Before a scheduled scan: a claim when this instance should scan now, null when not due or another scans. */
  claim(): Promise<DrainClaim | null>;
  /** Shares a scan made without a claim (`bridge.scanLegacyStore()`). */
  share(outcome: DrainOutcome): Promise<void>;
  /** The last shared scan. */
  report(): Promise<LegacyStoreReport>;
}

/** This instance holds the scan lock until `finish`. */
export interface DrainClaim {
  /** Stores the outcome for every instance (null: nothing to store) and releases the lock. */
  finish(outcome: DrainOutcome | null): Promise<void>;
}

export type DrainOutcome = { scan: LegacyStoreScan } | { error: LegacyStoreScanError };
