import type {
  AnyStatsEvent,
  PasswordMigrationStatsEvent,
  SessionUpgradeStatsEvent,
  StatsEvent,
  StatsQuery,
  StatsSnapshot,
  StatsStore,
  WindowSnapshot,
} from '../contract.js';
import {
  labelIndex,
  labelledCounts,
  passwordMigrationCounts,
  passwordResultIndex,
  requestCounts,
  sessionUpgradeCounts,
  upgradeResultIndex,
} from '../labels.js';
import { DAY, HOUR, NEVER, windowStarts } from '../time.js';
import { Buckets, countDistinctUser } from './buckets.js';
import { type MemoryStatsOptions, parseOptions } from './options.js';
import { LEGACY, PROVIDER, UserTable } from './user-table.js';

/**
 * The embedded stats store: everything in this process's memory, nothing shared between instances (use
 * `redisStats()` for several instances). Memory is bounded whatever the traffic: at most `maxUsers` user records
 * (32 bytes of times each, plus the id string and lru-cache's bookkeeping, which allocates its index arrays for
 * `maxUsers` up front), one bucket per hour for `hourlyRetentionDays` and one per day for `retentionDays` (a few
 * hundred bytes each), and five counters of evicted users per hour of the retention. The measured figures
 * (bench/memory-1m.mjs) are in BENCHMARKS.md, "Stats store memory", and nowhere else.
 *
 * **What is kept.** Per user, first and last sighting per kind (`fl`, `ll`, `fp`, `lp`) in an LRU table ordered
 * by last sighting; per hour and per day bucket (epoch-aligned, UTC), requests by (kind, outcome) and distinct
 * legacy/provider users (a user counts in a bucket at its first sighting of that kind in it, which is why each
 * batch is sorted by time; an event older than the user's last sighting of that kind in a later bucket is not
 * counted again). Password migration decisions are counters by result in the same buckets (no user, no sighting).
 * Users whose last sighting is older than the retention are forgotten; older buckets are dropped.
 * Retention is measured on the newest event time recorded (events carry the bridge's `now`), not the wall clock.
 *
 * **Windows.** User counts follow the shared semantics (`ll >= start`, `lp >= start`, ...) over the user table;
 * a window longer than the retention is cut to it. Request counts are at bucket granularity: a window that
 * starts within the hourly retention sums the hour buckets starting at or after its start (password migration
 * counts likewise); a longer window (and
 * the totals) sums the day buckets starting at or after its start, so the part of its first hour (or day) before
 * a bucket boundary is left out. Series points cover every bucket from `seriesFrom` (aligned down, and clamped
 * to the retention of that bucket size) through the bucket containing `now`, oldest first, empty ones as zeros.
 *
 * **Exactness and approximation.** Counts are exact while at most `maxUsers` distinct users were seen within the
 * retention. Past that, the least recently seen user is evicted: its record is lost, but the store keeps the
 * newest last sighting of any evicted user (`E`) and, per hour of the relevant sighting, how many evicted users
 * were legacy (by last legacy sighting), provider (last provider sighting), active (last sighting),
 * legacy-only (last legacy sighting, never on the provider) and migrated (first provider sighting). Then:
 * - a window whose start is at or before `E` is flagged `approximate` (and so is the snapshot, as the totals
 *   span the retention); its user counts are the table's plus the evicted users counted in the hours that end
 *   after the window start. For `legacy`, `provider` and `active` this is an upper bound: every user is counted
 *   at least once, a user evicted and seen again is counted twice, and the whole first hour is included.
 *   `migrated` and `legacyOnly` are estimates, as an evicted user's later switch cannot be linked to its past;
 * - a window starting after `E` keeps exact `legacy`, `provider` and `active` counts (every sighting in it came
 *   after every eviction). An evicted user who comes back, however, starts a fresh record without its earlier
 *   first sightings, so its `migrated` / `legacyOnly` classification can be wrong in such a window too; this is
 *   not flagged (it would need remembering evicted ids). Raise `maxUsers` above your distinct users over the
 *   retention to keep every figure exact;
 * - the distinct-user counts of an hour or day bucket may count a returning user twice.
 */
export function memoryStats(options: MemoryStatsOptions = {}): StatsStore {
  return new MemoryStatsStore(options);
}

class MemoryStatsStore implements StatsStore {
  readonly #retentionMs: number;
  readonly #users: UserTable;
  readonly #buckets: Buckets;
  #lastLegacyAt = NEVER;
  /** Newest event time seen: the clock of pruning. */
  #latest = NEVER;
  #prunedAt = NEVER;

  constructor(options: MemoryStatsOptions) {
    const config = parseOptions(options);
    this.#retentionMs = config.retentionDays * DAY;
    this.#users = new UserTable(config.maxUsers);
    this.#buckets = new Buckets(this.#retentionMs, config.hourlyRetentionDays * DAY);
  }

  record(events: readonly AnyStatsEvent[]): void {
    let sorted = true;
    for (let i = 1; i < events.length; i++) {
      if (events[i]!.time < events[i - 1]!.time) {
        sorted = false;
        break;
      }
    }
    const ordered = sorted ? events : [...events].sort((a, b) => a.time - b.time);
    for (const event of ordered) this.#recordOne(event);
    this.#prune();
  }

  query(query: StatsQuery): StatsSnapshot {
    const { now } = query;
    const names = Object.keys(query.windows);
    const retentionStart = now - this.#retentionMs;
    const starts = windowStarts('memoryStats', query.windows, now, retentionStart);
    starts.push(retentionStart); // the totals, last
    const n = starts.length;
    const { users, approximate } = this.#users.count(starts);

    const windows: Record<string, WindowSnapshot> = {};
    names.forEach((name, w) => {
      windows[name] = {
        requests: requestCounts(this.#buckets.window('requests', now, starts[w]!)),
        users: users[w]!,
        passwordMigrations: passwordMigrationCounts(this.#buckets.window('passwords', now, starts[w]!)),
        sessionUpgrades: sessionUpgradeCounts(this.#buckets.window('upgrades', now, starts[w]!)),
        approximate: approximate[w]!,
      };
    });
    const totalRequests = this.#buckets.days('requests', retentionStart);
    return {
      approximate: approximate.some(Boolean),
      totals: {
        requests: requestCounts(totalRequests),
        users: users[n - 1]!,
        passwordMigrations: passwordMigrationCounts(this.#buckets.days('passwords', retentionStart)),
        sessionUpgrades: sessionUpgradeCounts(this.#buckets.days('upgrades', retentionStart)),
      },
      windows,
      lastLegacyAt: this.#lastLegacyAt >= retentionStart ? this.#lastLegacyAt : null,
      series: this.#buckets.series(query),
      requestsByLabel: labelledCounts(totalRequests),
    };
  }

  close(): void {
    this.#users.clear();
    this.#buckets.clear();
  }

  #recordOne(event: AnyStatsEvent): void {
    const t = event?.time;
    if (typeof t !== 'number' || !Number.isFinite(t)) return; // malformed: skipped, a retry would fail again
    if (event.type === 'password-migration') this.#recordPassword(event, t);
    else if (event.type === 'session-upgrade') this.#recordUpgrade(event, t);
    else this.#recordRequest(event, t);
  }

  /** Whether an event at `t` counts: advances the clock of pruning, false when already out of the retention. */
  #admit(t: number): boolean {
    if (t > this.#latest) this.#latest = t;
    return t >= this.#latest - this.#retentionMs;
  }

  #recordPassword(event: PasswordMigrationStatsEvent, t: number): void {
    const result = passwordResultIndex(event.result);
    if (result < 0 || !this.#admit(t)) return;
    this.#buckets.countPassword(t, this.#latest, result);
  }

  #recordUpgrade(event: SessionUpgradeStatsEvent, t: number): void {
    const result = upgradeResultIndex(event.result);
    if (result < 0 || !this.#admit(t)) return;
    this.#buckets.countUpgrade(t, this.#latest, result);
  }

  #recordRequest(event: StatsEvent, t: number): void {
    const label = labelIndex(event.kind, event.outcome);
    if (label < 0 || !this.#admit(t)) return;
    const at = this.#buckets.count(t, this.#latest, label);
    if (typeof event.legacyUserId === 'string') {
      countDistinctUser(at, 'legacyUsers', this.#users.sight(event.legacyUserId, LEGACY, t));
      if (t > this.#lastLegacyAt) this.#lastLegacyAt = t;
    }
    if (typeof event.providerUserId === 'string') {
      countDistinctUser(at, 'providerUsers', this.#users.sight(event.providerUserId, PROVIDER, t));
    }
  }

  /** Forgets users and buckets past the retention (at most once per simulated hour). */
  #prune(): void {
    const now = this.#latest;
    if (now === NEVER || now - this.#prunedAt < HOUR) return;
    this.#prunedAt = now;
    const cutoff = now - this.#retentionMs;
    this.#users.prune(cutoff);
    this.#buckets.prune(now);
    if (this.#lastLegacyAt < cutoff) this.#lastLegacyAt = NEVER;
  }
}
