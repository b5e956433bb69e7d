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

/** Validates the options once, at construction, and fills the defaults; every error names the fix. */
export function parseOptions(options: MemoryStatsOptions): Required<MemoryStatsOptions> {
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
