import type { StatsQuery } from './contract.js';

/** Bucket sizes of the stats stores and the report, in milliseconds (UTC, aligned to the epoch). */
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** A time before every other: "never seen". */
export const NEVER = Number.NEGATIVE_INFINITY;

/**
 * Start of each window of a query, in the order of `Object.keys(windows)`: `now - length`, but not before
 * `retentionStart` (a window longer than the retention is cut to it). Throws a `TypeError` naming `store` for a
 * length that is not a number >= 0.
 */
export function windowStarts(
  store: string,
  windows: Record<string, number>,
  now: number,
  retentionStart: number,
): number[] {
  return Object.keys(windows).map((name) => {
    const length = windows[name];
    if (typeof length !== 'number' || !(length >= 0)) {
      throw new TypeError(`${store}: window \`${name}\` must have a length in milliseconds >= 0`);
    }
    return Math.max(now - length, retentionStart);
  });
}

/** The buckets of a query's series: indices `first..last` of buckets of `size` milliseconds since the epoch. */
export interface SeriesRange {
  hourly: boolean;
  size: number;
  first: number;
  last: number;
}

/**
 * The series runs from `seriesFrom` aligned down, clamped to the retention of its bucket size before `now`
 * (`hourlyRetentionMs` for hours, `retentionMs` for days), through the bucket containing `now`.
 */
export function seriesRange(
  query: Pick<StatsQuery, 'seriesBucket' | 'seriesFrom'>,
  now: number,
  hourlyRetentionMs: number,
  retentionMs: number,
): SeriesRange {
  const hourly = query.seriesBucket === 'hour';
  const size = hourly ? HOUR : DAY;
  const keep = hourly ? hourlyRetentionMs : retentionMs;
  const first = Math.max(Math.floor(query.seriesFrom / size), Math.floor((now - keep) / size));
  return { hourly, size, first, last: Math.floor(now / size) };
}
