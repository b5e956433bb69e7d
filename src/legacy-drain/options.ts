/** `legacy.drain` -> `DrainConfig`, checked with the bridge's `OptionChecks` (options/checks.ts). */
import type { OptionChecks } from '../options/checks.js';
import type { LegacyDrainOptions } from './types.js';

/** `legacy.drain` with every default filled. */
export interface DrainConfig {
  /** Milliseconds between two background scans. */
  intervalMs: number;
  /** Milliseconds each store call of a scan may take. */
  timeoutMs: number;
}

/** Milliseconds from construction to the first background scan: off the start-up path, but soon. */
export const DRAIN_START_DELAY_MS = 5000;

const DRAIN_KEYS: Record<keyof LegacyDrainOptions, true> = { intervalMs: true, timeoutMs: true };

/** `undefined` and `false`: no drain; `true`: the defaults; an object: checked, defaults filled. */
export function parseDrain(check: OptionChecks, value: unknown): DrainConfig | undefined {
  if (value === undefined || value === false) return undefined;
  const options =
    value === true
      ? {}
      : check.record(value, '`legacy.drain` must be `true` or an object such as `{ intervalMs: 3600000 }`.');
  check.knownKeys(options, DRAIN_KEYS, 'legacy.drain.');
  return {
    intervalMs: check.integer(
      'legacy.drain.intervalMs',
      options.intervalMs,
      1000,
      3_600_000,
      'the milliseconds between two scans of the legacy store, e.g. 3600000 for hourly',
    ),
    timeoutMs: check.integer(
      'legacy.drain.timeoutMs',
      options.timeoutMs,
      1,
      30_000,
      'the milliseconds one store call of a scan may take, e.g. 30000',
    ),
  };
}

/** The TypeError for `drain` next to `legacy.resolve`. */
export function refuseDrainWithResolver(check: OptionChecks): never {
  check.fail(
    '`legacy.drain` needs `legacy.store`: a custom `legacy.resolve` has no session store to list. Remove `drain`, or read the legacy sessions with `legacy: { store, secret, drain: true }`.',
  );
}
