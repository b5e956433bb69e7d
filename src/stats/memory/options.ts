import { OptionChecks } from '../../options/checks.js';
import { parseStoreLimits, type StoreLimits } from '../store-limits.js';

/** Options of `memoryStats()`. */
export interface MemoryStatsOptions {
  /** Most distinct users tracked; past it the least recently seen are evicted (see below). Default `100000`. */
  maxUsers?: number;
  /** Whole days of data kept: users not seen for longer are forgotten, day buckets older are dropped. Default `90`. */
  retentionDays?: number;
  /** Whole days of hour buckets kept (hourly series, request counts of short windows). Default `7`; at most `retentionDays`. */
  hourlyRetentionDays?: number;
}

const OPTION_KEYS: Record<keyof MemoryStatsOptions, true> = {
  maxUsers: true,
  retentionDays: true,
  hourlyRetentionDays: true,
};

const check: OptionChecks = new OptionChecks('memoryStats');

/** Validates the options once, at construction, and fills the defaults; every error names the fix. */
export function parseOptions(options: MemoryStatsOptions): StoreLimits {
  const value = check.record(options, 'takes an options object such as { maxUsers: 100000 }, or nothing.');
  check.knownKeys(value, OPTION_KEYS);
  return parseStoreLimits(check, value, 100_000);
}
