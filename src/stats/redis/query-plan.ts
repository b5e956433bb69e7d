import type { StatsQuery } from '../contract.js';
import { DAY, HOUR, type SeriesRange, seriesRange, windowStarts } from '../time.js';
import type { RedisStatsConfig } from './options.js';

/** Buckets summed for a range: hours `hourFrom..hourTo` and days `dayFrom..dayTo` (indices since the epoch). */
export interface BucketPlan {
  hourFrom: number;
  hourTo: number;
  dayFrom: number;
  dayTo: number;
}

/** What one query reads (the arguments of the query script) and how its reply maps back to a snapshot. */
export interface QueryPlan {
  /** The query's `now`, floored to a whole millisecond. */
  now: number;
  retentionStart: number;
  windowNames: string[];
  /** Start of each range: the totals (the whole retention) first, then the windows in `windowNames` order. */
  ranges: number[];
  /** The buckets summed for each range, in `ranges` order. */
  plans: BucketPlan[];
  series: SeriesRange;
  /** Index of the first hour and day hash read: the reply's `hours` and `days` start there. */
  hourFrom: number;
  dayFrom: number;
  /** ARGV of the query script. */
  args: string[];
}

/** Validates the windows and computes the ranges, buckets and script arguments of a query. */
export function planQuery(
  q: StatsQuery,
  {
    prefix,
    retentionMs,
    hourlyRetentionMs,
  }: Pick<RedisStatsConfig, 'prefix' | 'retentionMs' | 'hourlyRetentionMs'>,
): QueryPlan {
  const now = Math.floor(q.now);
  const retentionStart = now - retentionMs;
  const hourFloor = now - hourlyRetentionMs;
  const nowHour = Math.floor(now / HOUR);
  const nowDay = Math.floor(now / DAY);
  const windowNames = Object.keys(q.windows);
  const ranges = [retentionStart, ...windowStarts('redisStats', q.windows, now, retentionStart)];
  const plans = ranges.map((start) => bucketPlan(start, now, hourFloor));

  const series = seriesRange(q, now, hourlyRetentionMs, retentionMs);

  // Bucket hashes to read: every plan's and the series'.
  let hourFrom = nowHour + 1;
  let dayFrom = nowDay + 1;
  for (const plan of plans) {
    if (plan.hourFrom <= plan.hourTo) hourFrom = Math.min(hourFrom, plan.hourFrom);
    if (plan.dayFrom <= plan.dayTo) dayFrom = Math.min(dayFrom, plan.dayFrom);
  }
  if (series.hourly) hourFrom = Math.min(hourFrom, series.first);
  else dayFrom = Math.min(dayFrom, series.first);
  const dayTo = nowDay;

  const args = [prefix, String(now), String(ranges.length)];
  for (const start of ranges) {
    args.push(String(start), String(Math.floor(start / DAY)), String(nowDay));
  }
  args.push(String(hourFrom), String(nowHour), String(dayFrom), String(dayTo));
  return {
    now,
    retentionStart,
    windowNames,
    ranges,
    plans,
    series,
    hourFrom,
    dayFrom,
    args,
  };
}

/**
 * Buckets starting at or after `start` through the one containing `now`: hourly ones when the window starts
 * within the hourly retention, else day buckets.
 */
function bucketPlan(start: number, now: number, hourFloor: number): BucketPlan {
  if (start >= hourFloor) {
    return { hourFrom: Math.ceil(start / HOUR), hourTo: Math.floor(now / HOUR), dayFrom: 1, dayTo: 0 };
  }
  return { hourFrom: 1, hourTo: 0, dayFrom: Math.ceil(start / DAY), dayTo: Math.floor(now / DAY) };
}
