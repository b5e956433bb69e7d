/** `recorder` options of `sessionBridge()` -> the `RecorderConfig` the stats recorder runs with. */
import type { RecorderOptions } from '../stats/contract.js';
import type { RecorderConfig } from '../stats/recorder.js';
import { OptionChecks } from './checks.js';

const DEFAULTS: RecorderConfig = {
  bufferSize: 10_000,
  batchSize: 1_000,
  flushIntervalMs: 1_000,
  flushTimeoutMs: 5_000,
};

const HINTS: Record<keyof RecorderOptions, string> = {
  bufferSize: 'the most events held in memory, e.g. 10000',
  batchSize: 'the most events per store.record call, e.g. 1000',
  flushIntervalMs: 'the milliseconds between flushes, e.g. 1000',
  flushTimeoutMs: 'the milliseconds before a store.record call counts as failed, e.g. 5000',
};

const check: OptionChecks = new OptionChecks('sessionBridge');

/** Fills the defaults of `RecorderOptions` and validates them (positive whole numbers, no unknown names). */
export function parseRecorderOptions(options: unknown = {}): RecorderConfig {
  const value = check.optionalRecord(
    options,
    '`recorder` must be an object such as { bufferSize: 10000 }, or left out for the defaults.',
  );
  check.knownKeys(value, HINTS, 'recorder.');
  const config = { ...DEFAULTS };
  for (const key of Object.keys(HINTS) as (keyof RecorderOptions)[]) {
    config[key] = check.integer(`recorder.${key}`, value[key], 1, DEFAULTS[key], HINTS[key]);
  }
  return config;
}
