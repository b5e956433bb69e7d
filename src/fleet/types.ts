/**
 * The public shapes of the fleet: the `fleet` option, and the `fleet` section of the JSON report.
 */
import type { BridgeMode } from '../types.js';

/**
 * `fleet`: how instances sharing a `redisStats()` store share the mode, the ramp, the legacy store scan and a
 * registry of instances. Without a Redis stats store (`memoryStats()`, `stats: false`, a custom store) all of
 * it stays per process and this option is ignored. `false`: per process even with `redisStats()`.
 */
export interface FleetOptions {
  /**
   * Milliseconds between two syncs: each instance reads the fleet state and writes its heartbeat once per
   * interval (one Redis round trip), so a `configure()` on one instance reaches the others within it.
   * Default `1000`; from 100 to 60000.
   */
  syncMs?: number;
  /**
   * This instance's name in the registry and the history. Default `<hostname>:<pid>:<4 random hex digits>`.
   * At most 200 characters.
   */
  instanceId?: string;
  /**
   * Milliseconds one fleet call to Redis may take before it counts as failed (`configure()` then rejects).
   * Default `2000`.
   */
  timeoutMs?: number;
}

/** One instance as the registry last heard of it. */
export interface FleetInstance {
  /** `fleet.instanceId`. */
  id: string;
  /** The express-session-bridge version it runs. */
  version: string;
  /** The mode it applies. */
  mode: BridgeMode;
  /** The ramp it applies (`cutover.percent`). */
  percent: number;
  /** A short fingerprint of its `cutover.key` (not the key): instances with different keys ramp different users. Null without a key. */
  keyId: string | null;
  /** The version of the fleet state it applies (0: none yet). */
  stateVersion: number;
  /** Its recorder: events waiting, failed flushes, last flush. */
  recorder: { buffered: number; failedFlushes: number; lastFlushAt: string | null };
  /** ISO time of its last heartbeat (Redis clock). */
  lastSeenAt: string;
  /** Milliseconds between its heartbeats (`fleet.syncMs`). */
  intervalMs: number;
  /** True when its last heartbeat is older than 3 intervals: stopped, or cut off from Redis. */
  gone: boolean;
}

/** The `fleet` section of the JSON report (null without a shared store). */
export interface FleetReport {
  /** The instance that answered. */
  instance: string;
  /** The fleet state in Redis: what every instance should apply. */
  state: {
    version: number;
    mode: BridgeMode;
    percent: number;
    at: string;
    instance: string;
    by: string | null;
  } | null;
  /** ISO time of this instance's last successful sync, null before the first one. */
  lastSyncedAt: string | null;
  /** Milliseconds since then (the report's time), null before the first sync. */
  syncAgeMs: number | null;
  /** Every instance heard from in the last 24 hours, live ones first, then by id. */
  instances: FleetInstance[];
  /** True when every live instance applies the fleet state's mode and percent with the same cutover key. */
  agree: boolean;
}
