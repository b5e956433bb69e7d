import type { SeriesPoint, StatsQuery } from '../contract.js';
import {
  LABEL_COUNT as LABELS,
  labelIndex,
  PASSWORD_RESULT_COUNT,
  passwordResultIndex,
  UPGRADE_RESULT_COUNT,
} from '../labels.js';
import { DAY, HOUR, seriesRange } from '../time.js';

/** The counters of one hour or one day (epoch-aligned, UTC). */
export interface Bucket {
  /** Requests by (kind, outcome). */
  requests: Float64Array;
  /** Password migration decisions by result (`passwordResultIndex`). */
  passwords: Float64Array;
  /** Upgrade endpoint decisions by result (`upgradeResultIndex`). */
  upgrades: Float64Array;
  /** Distinct users with a legacy / provider sighting in the bucket. */
  legacyUsers: number;
  providerUsers: number;
}

/** The buckets of one event: its day, and its hour unless the event is older than the hourly retention. */
export interface EventBuckets {
  hourStart: number;
  dayStart: number;
  hour: Bucket | undefined;
  day: Bucket;
}

const LEGACY_OK = labelIndex('legacy', 'ok');
const PROVIDER_OK = labelIndex('provider', 'ok');
const PASSWORD_MATCH = passwordResultIndex('match');

/** The counter arrays of a bucket that windows sum. */
type Counters = 'requests' | 'passwords' | 'upgrades';

/** Hour buckets for `hourlyRetentionMs` and day buckets for `retentionMs`: request sums, series and pruning. */
export class Buckets {
  readonly #retentionMs: number;
  readonly #hourlyRetentionMs: number;
  readonly #hours = new Map<number, Bucket>();
  readonly #days = new Map<number, Bucket>();

  constructor(retentionMs: number, hourlyRetentionMs: number) {
    this.#retentionMs = retentionMs;
    this.#hourlyRetentionMs = hourlyRetentionMs;
  }

  /**
   * Counts a request (`label`, an index of `labelIndex`) at `t` in its day bucket and, when `t` lies within
   * the hourly retention of `latest` (the newest event time), in its hour bucket; returns those buckets.
   */
  count(t: number, latest: number, label: number): EventBuckets {
    return this.#countIn('requests', t, latest, label);
  }

  /** Counts a password migration decision (`result`, an index of `passwordResultIndex`) like `count`. */
  countPassword(t: number, latest: number, result: number): void {
    this.#countIn('passwords', t, latest, result);
  }

  /** Counts an upgrade endpoint decision (`result`, an index of `upgradeResultIndex`) like `count`. */
  countUpgrade(t: number, latest: number, result: number): void {
    this.#countIn('upgrades', t, latest, result);
  }

  /**
   * Sums of a window: the hour buckets from `start` when it lies within the hourly retention, else the day
   * buckets. `counters` picks requests (indexed by `labelIndex`) or password decisions (`passwordResultIndex`).
   */
  window(counters: Counters, now: number, start: number): Float64Array {
    return start >= now - this.#hourlyRetentionMs
      ? sumBuckets(this.#hours, start, counters)
      : sumBuckets(this.#days, start, counters);
  }

  /** Sums of the day buckets starting at or after `start`. */
  days(counters: Counters, start: number): Float64Array {
    return sumBuckets(this.#days, start, counters);
  }

  series(query: StatsQuery): SeriesPoint[] {
    const { hourly, size, first, last } = seriesRange(
      query,
      query.now,
      this.#hourlyRetentionMs,
      this.#retentionMs,
    );
    const buckets = hourly ? this.#hours : this.#days;
    const out: SeriesPoint[] = [];
    for (let b = first; b <= last; b++) {
      const start = b * size;
      const bucket = buckets.get(start);
      out.push({
        start,
        legacyUsers: bucket?.legacyUsers ?? 0,
        providerUsers: bucket?.providerUsers ?? 0,
        legacyRequests: bucket?.requests[LEGACY_OK] ?? 0,
        providerRequests: bucket?.requests[PROVIDER_OK] ?? 0,
        passwordMatches: bucket?.passwords[PASSWORD_MATCH] ?? 0,
      });
    }
    return out;
  }

  /** Drops the buckets past each retention of `now`, keeping a day of margin. */
  prune(now: number): void {
    const cutoff = now - this.#retentionMs;
    // A day of margin beyond each retention, so queries at a slightly later `now` see full data.
    dropBefore(this.#days, Math.floor(cutoff / DAY) * DAY - DAY);
    dropBefore(this.#hours, Math.floor((now - this.#hourlyRetentionMs) / HOUR) * HOUR - DAY);
  }

  clear(): void {
    this.#hours.clear();
    this.#days.clear();
  }

  #countIn(counters: Counters, t: number, latest: number, index: number): EventBuckets {
    const hourStart = Math.floor(t / HOUR) * HOUR;
    const dayStart = Math.floor(t / DAY) * DAY;
    const hour = t >= latest - this.#hourlyRetentionMs ? bucket(this.#hours, hourStart) : undefined;
    const day = bucket(this.#days, dayStart);
    if (hour) hour[counters][index]!++;
    day[counters][index]!++;
    return { hourStart, dayStart, hour, day };
  }
}

/** Counts a user in those of an event's buckets that start after its `previous` sighting of that kind. */
export function countDistinctUser(
  at: EventBuckets,
  field: 'legacyUsers' | 'providerUsers',
  previous: number,
): void {
  if (previous < at.hourStart && at.hour) at.hour[field]++;
  if (previous < at.dayStart) at.day[field]++;
}

/** Deletes the entries of a map keyed by bucket start that start before `cutoff`. */
export function dropBefore(buckets: Map<number, unknown>, cutoff: number): void {
  for (const start of buckets.keys()) if (start < cutoff) buckets.delete(start);
}

function bucket(buckets: Map<number, Bucket>, start: number): Bucket {
  let b = buckets.get(start);
  if (!b) {
    b = {
      requests: new Float64Array(LABELS),
      passwords: new Float64Array(PASSWORD_RESULT_COUNT),
      upgrades: new Float64Array(UPGRADE_RESULT_COUNT),
      legacyUsers: 0,
      providerUsers: 0,
    };
    buckets.set(start, b);
  }
  return b;
}

function sumBuckets(buckets: Map<number, Bucket>, start: number, counters: Counters): Float64Array {
  const size =
    counters === 'requests'
      ? LABELS
      : counters === 'passwords'
        ? PASSWORD_RESULT_COUNT
        : UPGRADE_RESULT_COUNT;
  const sum = new Float64Array(size);
  for (const [bucketStart, b] of buckets) {
    if (bucketStart < start) continue;
    const counts = b[counters];
    for (let i = 0; i < size; i++) sum[i]! += counts[i]!;
  }
  return sum;
}
