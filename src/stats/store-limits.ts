import type { OptionChecks, OptionRecord } from '../options/checks.js';

/** The options `memoryStats()` and `redisStats()` share, parsed by the same rules. */
export interface StoreLimits {
  /** Most distinct users tracked exactly. */
  maxUsers: number;
  /** Whole days of data kept. */
  retentionDays: number;
  /** Whole days of hour buckets kept; at most `retentionDays`. */
  hourlyRetentionDays: number;
}

/**
 * `maxUsers`, `retentionDays` (default 90) and `hourlyRetentionDays` (default 7, at most `retentionDays`) of a
 * store's options: whole numbers from 1 for both stores.
 */
export function parseStoreLimits(check: OptionChecks, value: OptionRecord, maxUsers: number): StoreLimits {
  const limits: StoreLimits = {
    maxUsers: check.integer(
      'maxUsers',
      value.maxUsers,
      1,
      maxUsers,
      `the most distinct users to track exactly, e.g. ${maxUsers}`,
    ),
    retentionDays: check.integer(
      'retentionDays',
      value.retentionDays,
      1,
      90,
      'the days of data to keep, e.g. 90',
    ),
    hourlyRetentionDays: check.integer(
      'hourlyRetentionDays',
      value.hourlyRetentionDays,
      1,
      7,
      'the days of hourly data to keep, e.g. 7',
    ),
  };
  check.atMost('hourlyRetentionDays', limits.hourlyRetentionDays, 'retentionDays', limits.retentionDays);
  return limits;
}
