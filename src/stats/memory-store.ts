import { LRUCache } from 'lru-cache';
import { STATS_KINDS as KINDS, LABEL_COUNT, labelledCounts, STATS_OUTCOMES as OUTCOMES } from './labels.js';
import type {
  RequestCounts,
  SeriesPoint,
  StatsEvent,
  StatsQuery,
  StatsSnapshot,
  StatsStore,
  UserCounts,
  WindowSnapshot,
} from './store.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Options of `memoryStats()`. */
export interface MemoryStatsOptions {
  /** Most distinct users tracked; past it the least recently seen are evicted (see below). Default `100000`. */
  maxUsers?: number;
  /** Days of data kept: users not seen for longer are forgotten, day buckets older are dropped. Default `90`. */
  retentionDays?: number;
  /** Days of hour buckets kept (hourly series and the request counts of short windows). Default `7`. */
  hourlyRetentionDays?: number;
}

const OPTION_HINTS: Record<keyof MemoryStatsOptions, string> = {
  maxUsers: 'the most distinct users to track, e.g. 100000',
  retentionDays: 'the days of data to keep, e.g. 90',
  hourlyRetentionDays: 'the days of hourly data to keep, e.g. 7',
};

const LABELS = LABEL_COUNT;
const label = (kind: number, outcome: number) => kind * OUTCOMES.length + outcome;
const LEGACY = 0;
const PROVIDER = 1;
const OK = 0;

/** "Never seen" in the per-user time fields. */
const NEVER = Number.NEGATIVE_INFINITY;
/** Per-user fields, in a `Float64Array` slab of `FIELDS` numbers per slot. */
const FL = 0;
const LL = 1;
const FP = 2;
const LP = 3;
const FIELDS = 4;

/** Counters of evicted users per hour bucket of their last sighting, for the upper-bound add-on. */
const EV_LEGACY = 0; // by last legacy sighting
const EV_PROVIDER = 1; // by last provider sighting
const EV_ACTIVE = 2; // by last sighting of any kind
const EV_LEGACY_ONLY = 3; // by last legacy sighting, never seen on the provider
const EV_MIGRATED = 4; // by first provider sighting, seen on legacy at or before it
const EV_FIELDS = 5;

interface Bucket {
  /** Requests by (kind, outcome). */
  requests: Float64Array;
  /** Distinct users with a legacy / provider sighting in the bucket. */
  legacyUsers: number;
  providerUsers: number;
}

/**
 * The embedded stats store: everything in this process's memory, nothing shared between instances (use
 * `redisStats()` for several instances). Memory is bounded whatever the traffic: at most `maxUsers` user records
 * (32 bytes of times each, plus the id string and lru-cache's bookkeeping, which allocates its index arrays for
 * `maxUsers` up front), one bucket per hour for `hourlyRetentionDays` and one per day for `retentionDays` (about
 * 250 bytes each), and five counters of evicted users per hour of the retention. Measured with
 * bench/memory-1m.mjs (Node 20, ids like `user-123456`): 1.5 MB for an empty store with the default
 * `maxUsers` of 100,000, 8.3 MB after 100,000 distinct users, and 12 MB from 200,000 through 1,000,000 users.
 *
 * **What is kept.** Per user, first and last sighting per kind (`fl`, `ll`, `fp`, `lp`) in an LRU table ordered
 * by last sighting; per hour and per day bucket (epoch-aligned, UTC), requests by (kind, outcome) and distinct
 * legacy/provider users (a user counts in a bucket at its first sighting of that kind in it, which is why each
 * batch is sorted by time; an event older than the user's last sighting of that kind in a later bucket is not
 * counted again). Users whose last sighting is older than the retention are forgotten; older buckets are dropped.
 * Retention is measured on the newest event time recorded (events carry the bridge's `now`), not the wall clock.
 *
 * **Windows.** User counts follow the shared semantics (`ll >= start`, `lp >= start`, ...) over the user table;
 * a window longer than the retention is cut to it. Request counts are at bucket granularity: a window that
 * starts within the hourly retention sums the hour buckets starting at or after its start; a longer window (and
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

function parseOptions(options: MemoryStatsOptions): Required<MemoryStatsOptions> {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('memoryStats() takes an options object such as { maxUsers: 100000 }, or nothing');
  }
  const config: Required<MemoryStatsOptions> = {
    maxUsers: 100_000,
    retentionDays: 90,
    hourlyRetentionDays: 7,
  };
  for (const [name, value] of Object.entries(options)) {
    if (!Object.hasOwn(OPTION_HINTS, name)) {
      throw new TypeError(
        `\`memoryStats({ ${name} })\` is not an option: use one of ${Object.keys(OPTION_HINTS).join(', ')}`,
      );
    }
    if (value === undefined) continue;
    const key = name as keyof MemoryStatsOptions;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new TypeError(
        `\`memoryStats({ ${key} })\` must be a positive integer (got ${String(value)}): pass ${OPTION_HINTS[key]}`,
      );
    }
    config[key] = value;
  }
  if (config.hourlyRetentionDays > config.retentionDays) {
    throw new TypeError(
      `\`memoryStats({ hourlyRetentionDays })\` (${config.hourlyRetentionDays}) cannot exceed retentionDays (${config.retentionDays}): lower it or raise retentionDays`,
    );
  }
  return config;
}

class MemoryStatsStore implements StatsStore {
  readonly #maxUsers: number;
  readonly #retentionMs: number;
  readonly #hourlyRetentionMs: number;
  readonly #users: LRUCache<string, number>;
  /** `FIELDS` numbers per slot; grown by doubling up to `maxUsers + 1` slots. */
  #slab: Float64Array;
  #inUse: Uint8Array;
  readonly #freeSlots: number[] = [];
  #nextSlot = 0;
  readonly #hours = new Map<number, Bucket>();
  readonly #days = new Map<number, Bucket>();
  /** Per hour bucket of the last sighting: counters of evicted users (`EV_*`). */
  readonly #evicted = new Map<number, Float64Array>();
  /** Newest last sighting of any evicted user, or NEVER. */
  #evictedUntil = NEVER;
  #lastLegacyAt = NEVER;
  /** Newest event time seen: the clock of pruning. */
  #latest = NEVER;
  #prunedAt = NEVER;

  constructor(options: MemoryStatsOptions) {
    const config = parseOptions(options);
    this.#maxUsers = config.maxUsers;
    this.#retentionMs = config.retentionDays * DAY;
    this.#hourlyRetentionMs = config.hourlyRetentionDays * DAY;
    const initialSlots = Math.min(config.maxUsers + 1, 1024);
    this.#slab = new Float64Array(initialSlots * FIELDS);
    this.#inUse = new Uint8Array(initialSlots);
    this.#users = new LRUCache<string, number>({
      max: config.maxUsers,
      dispose: (slot, _id, reason) => this.#release(slot, reason),
    });
  }

  record(events: readonly StatsEvent[]): void {
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
    // Windows longer than the retention are cut to it.
    const starts = names.map((name) => {
      const length = query.windows[name];
      if (typeof length !== 'number' || !(length >= 0)) {
        throw new TypeError(`memoryStats: window \`${name}\` must have a length in milliseconds >= 0`);
      }
      return Math.max(now - length, retentionStart);
    });
    starts.push(retentionStart); // the totals, last
    const n = starts.length;
    const users = Array.from({ length: n }, emptyUsers);

    const slab = this.#slab;
    for (let slot = 0; slot < this.#nextSlot; slot++) {
      if (this.#inUse[slot] === 0) continue;
      const o = slot * FIELDS;
      const fl = slab[o + FL]!;
      const ll = slab[o + LL]!;
      const fp = slab[o + FP]!;
      const lp = slab[o + LP]!;
      const last = Math.max(ll, lp);
      for (let w = 0; w < n; w++) {
        const start = starts[w]!;
        if (last < start) continue;
        const u = users[w]!;
        u.active++;
        if (ll >= start) {
          u.legacy++;
          if (fp === NEVER) u.legacyOnly++;
        }
        if (lp >= start) u.provider++;
        if (fl !== NEVER && fp >= start && fl <= fp) u.migrated++;
      }
    }

    const approximate = new Array<boolean>(n);
    for (let w = 0; w < n; w++) {
      const start = starts[w]!;
      const reachesEvicted = this.#evictedUntil !== NEVER && start <= this.#evictedUntil;
      approximate[w] = reachesEvicted;
      if (reachesEvicted) this.#addEvicted(users[w]!, start);
    }

    const windows: Record<string, WindowSnapshot> = {};
    names.forEach((name, w) => {
      windows[name] = {
        requests: toRequestCounts(this.#windowRequests(now, starts[w]!)),
        users: users[w]!,
        approximate: approximate[w]!,
      };
    });
    const totalRequests = this.#sumBuckets(this.#days, retentionStart);
    return {
      approximate: approximate.some(Boolean),
      totals: { requests: toRequestCounts(totalRequests), users: users[n - 1]! },
      windows,
      lastLegacyAt: this.#lastLegacyAt >= retentionStart ? this.#lastLegacyAt : null,
      series: this.#series(query),
      requestsByLabel: labelledCounts(totalRequests),
    };
  }

  close(): void {
    this.#users.clear();
    this.#hours.clear();
    this.#days.clear();
    this.#evicted.clear();
  }

  #recordOne(event: StatsEvent): void {
    const t = event?.time;
    if (typeof t !== 'number' || !Number.isFinite(t)) return; // malformed: skipped, a retry would fail again
    const kind = KINDS.indexOf(event.kind);
    const outcome = OUTCOMES.indexOf(event.outcome);
    if (kind < 0 || outcome < 0) return;
    if (t > this.#latest) this.#latest = t;
    if (t < this.#latest - this.#retentionMs) return; // already out of the retention
    const hourStart = Math.floor(t / HOUR) * HOUR;
    const dayStart = Math.floor(t / DAY) * DAY;
    const hour = t >= this.#latest - this.#hourlyRetentionMs ? bucket(this.#hours, hourStart) : undefined;
    const day = bucket(this.#days, dayStart);
    if (hour) hour.requests[label(kind, outcome)]!++;
    day.requests[label(kind, outcome)]!++;
    if (typeof event.legacyUserId === 'string') {
      this.#sighting(event.legacyUserId, LEGACY, t, hourStart, dayStart, hour, day);
      if (t > this.#lastLegacyAt) this.#lastLegacyAt = t;
    }
    if (typeof event.providerUserId === 'string') {
      this.#sighting(event.providerUserId, PROVIDER, t, hourStart, dayStart, hour, day);
    }
  }

  #sighting(
    id: string,
    kind: typeof LEGACY | typeof PROVIDER,
    t: number,
    hourStart: number,
    dayStart: number,
    hour: Bucket | undefined,
    day: Bucket,
  ): void {
    let slot = this.#users.get(id);
    if (slot === undefined) slot = this.#create(id);
    const o = slot * FIELDS;
    const first = o + (kind === LEGACY ? FL : FP);
    const last = o + (kind === LEGACY ? LL : LP);
    const slab = this.#slab;
    const previous = slab[last]!;
    if (previous < hourStart && hour) {
      if (kind === LEGACY) hour.legacyUsers++;
      else hour.providerUsers++;
    }
    if (previous < dayStart) {
      if (kind === LEGACY) day.legacyUsers++;
      else day.providerUsers++;
    }
    if (t > previous) slab[last] = t;
    if (slab[first] === NEVER || t < slab[first]!) slab[first] = t;
  }

  #create(id: string): number {
    // One spare slot beyond maxUsers: the set below may evict, and the eviction frees a slot.
    let slot = this.#freeSlots.pop();
    if (slot === undefined) {
      slot = this.#nextSlot++;
      if (slot >= this.#inUse.length) this.#grow();
    }
    const o = slot * FIELDS;
    this.#slab.fill(NEVER, o, o + FIELDS);
    this.#inUse[slot] = 1;
    this.#users.set(id, slot);
    return slot;
  }

  #grow(): void {
    const slots = Math.min(this.#inUse.length * 2, this.#maxUsers + 1);
    const slab = new Float64Array(slots * FIELDS);
    slab.set(this.#slab);
    this.#slab = slab;
    const inUse = new Uint8Array(slots);
    inUse.set(this.#inUse);
    this.#inUse = inUse;
  }

  /** lru-cache `dispose`: frees the slot; on eviction, keeps what the approximation needs. */
  #release(slot: number, reason: LRUCache.DisposeReason): void {
    if (reason === 'evict') {
      const o = slot * FIELDS;
      const slab = this.#slab;
      const fl = slab[o + FL]!;
      const ll = slab[o + LL]!;
      const fp = slab[o + FP]!;
      const lp = slab[o + LP]!;
      const last = Math.max(ll, lp);
      if (last > this.#evictedUntil) this.#evictedUntil = last;
      if (ll !== NEVER) {
        evictedBucket(this.#evicted, ll)[EV_LEGACY]!++;
        if (fp === NEVER) evictedBucket(this.#evicted, ll)[EV_LEGACY_ONLY]!++;
      }
      if (lp !== NEVER) evictedBucket(this.#evicted, lp)[EV_PROVIDER]!++;
      if (last !== NEVER) evictedBucket(this.#evicted, last)[EV_ACTIVE]!++;
      if (fl !== NEVER && fp !== NEVER && fl <= fp) evictedBucket(this.#evicted, fp)[EV_MIGRATED]!++;
    }
    this.#inUse[slot] = 0;
    this.#freeSlots.push(slot);
  }

  /** Adds the evicted users whose bucket ends after `start` (an upper bound for legacy/provider/active). */
  #addEvicted(users: UserCounts, start: number): void {
    for (const [hourStart, counts] of this.#evicted) {
      if (hourStart + HOUR <= start) continue;
      users.legacy += counts[EV_LEGACY]!;
      users.provider += counts[EV_PROVIDER]!;
      users.active += counts[EV_ACTIVE]!;
      users.legacyOnly += counts[EV_LEGACY_ONLY]!;
      users.migrated += counts[EV_MIGRATED]!;
    }
  }

  #windowRequests(now: number, start: number): Float64Array {
    return start >= now - this.#hourlyRetentionMs
      ? this.#sumBuckets(this.#hours, start)
      : this.#sumBuckets(this.#days, start);
  }

  #sumBuckets(buckets: Map<number, Bucket>, start: number): Float64Array {
    const sum = new Float64Array(LABELS);
    for (const [bucketStart, b] of buckets) {
      if (bucketStart < start) continue;
      for (let i = 0; i < LABELS; i++) sum[i]! += b.requests[i]!;
    }
    return sum;
  }

  #series(query: StatsQuery): SeriesPoint[] {
    const hourly = query.seriesBucket === 'hour';
    const size = hourly ? HOUR : DAY;
    const buckets = hourly ? this.#hours : this.#days;
    const keep = hourly ? this.#hourlyRetentionMs : this.#retentionMs;
    const last = Math.floor(query.now / size) * size;
    const first = Math.max(
      Math.floor(query.seriesFrom / size) * size,
      Math.floor((query.now - keep) / size) * size,
    );
    const out: SeriesPoint[] = [];
    for (let start = first; start <= last; start += size) {
      const b = buckets.get(start);
      out.push({
        start,
        legacyUsers: b?.legacyUsers ?? 0,
        providerUsers: b?.providerUsers ?? 0,
        legacyRequests: b?.requests[label(LEGACY, OK)] ?? 0,
        providerRequests: b?.requests[label(PROVIDER, OK)] ?? 0,
      });
    }
    return out;
  }

  /** Forgets users and buckets past the retention (at most once per simulated hour). */
  #prune(): void {
    const now = this.#latest;
    if (now === NEVER || now - this.#prunedAt < HOUR) return;
    this.#prunedAt = now;
    const cutoff = now - this.#retentionMs;
    // Users: from the least recently seen, stop at the first one still within the retention.
    const stale: string[] = [];
    for (const id of this.#users.rkeys()) {
      const o = this.#users.peek(id)! * FIELDS;
      if (Math.max(this.#slab[o + LL]!, this.#slab[o + LP]!) >= cutoff) break;
      stale.push(id);
    }
    for (const id of stale) this.#users.delete(id);
    // Buckets: keep a day of margin beyond each retention, so queries at a slightly later `now` see full data.
    dropBefore(this.#days, Math.floor(cutoff / DAY) * DAY - DAY);
    dropBefore(this.#hours, Math.floor((now - this.#hourlyRetentionMs) / HOUR) * HOUR - DAY);
    dropBefore(this.#evicted, Math.floor(cutoff / HOUR) * HOUR - HOUR);
    if (this.#evictedUntil !== NEVER && this.#evictedUntil < cutoff) {
      // Every evicted user is past the retention: nothing is approximate any more.
      this.#evictedUntil = NEVER;
    }
    if (this.#lastLegacyAt < cutoff) this.#lastLegacyAt = NEVER;
  }
}

function bucket(buckets: Map<number, Bucket>, start: number): Bucket {
  let b = buckets.get(start);
  if (!b) {
    b = { requests: new Float64Array(LABELS), legacyUsers: 0, providerUsers: 0 };
    buckets.set(start, b);
  }
  return b;
}

function evictedBucket(buckets: Map<number, Float64Array>, t: number): Float64Array {
  const start = Math.floor(t / HOUR) * HOUR;
  let b = buckets.get(start);
  if (!b) {
    b = new Float64Array(EV_FIELDS);
    buckets.set(start, b);
  }
  return b;
}

function dropBefore(buckets: Map<number, unknown>, cutoff: number): void {
  for (const start of buckets.keys()) if (start < cutoff) buckets.delete(start);
}

function emptyUsers(): UserCounts {
  return { legacy: 0, provider: 0, active: 0, migrated: 0, legacyOnly: 0 };
}

/** Maps (kind, outcome) counters to the report's request counts (see `RequestCounts`). */
function toRequestCounts(counts: Float64Array): RequestCounts {
  const out: RequestCounts = {
    legacy: counts[label(LEGACY, OK)]!,
    provider: counts[label(PROVIDER, OK)]!,
    anonymous: 0,
    rejected: 0,
    conflicts: 0,
    unavailable: 0,
  };
  for (let k = 0; k < KINDS.length; k++) {
    for (let o = 0; o < OUTCOMES.length; o++) {
      const c = counts[label(k, o)]!;
      const outcome = OUTCOMES[o];
      if (outcome === 'ok') continue;
      if (outcome === 'anonymous') {
        out.anonymous += c;
        continue;
      }
      out.rejected += c;
      if (outcome === 'conflict') out.conflicts += c;
      if (outcome === 'unavailable') out.unavailable += c;
    }
  }
  return out;
}
