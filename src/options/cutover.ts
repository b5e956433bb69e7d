/** `cutover` (at construction and in `bridge.configure()`) -> the `CutoverConfig` the ramp runs with. */
import { Cohort, type CutoverConfig } from '../cutover/cohort.js';
import type { CutoverOptions } from '../types.js';
import type { OptionChecks } from './checks.js';
import type { LegacyConfig } from './config.js';

const CUTOVER_KEYS: Record<keyof CutoverOptions, true> = { percent: true, key: true };

/** The default key: HMAC-SHA-256(first legacy secret, label); undefined without a legacy secret. */
function defaultCohort(legacy: LegacyConfig | undefined): Cohort | undefined {
  if (legacy?.type !== 'store') return undefined;
  const secret = legacy.secrets[0];
  if (secret === undefined) return undefined;
  return Cohort.fromSecret(secret);
}

/**
 * Validates `cutover` (at construction, and in `bridge.configure()` with that call's `check`). Left out at
 * construction: 0 %. A `key` left out keeps `current`'s key (configure), else the default derived from the
 * first legacy secret; with `legacy.resolve` there is none, so a percent above 0 then needs `key`.
 */
export function parseCutover(
  option: unknown,
  check: OptionChecks,
  legacy: LegacyConfig | undefined,
  current?: CutoverConfig,
): CutoverConfig {
  if (option === undefined) return { percent: 0, cohort: defaultCohort(legacy) };
  const value = check.record(
    option,
    '`cutover` must be an object such as { percent: 10 } (the share of legacy users sent to the provider login).',
  );
  check.knownKeys(value, CUTOVER_KEYS, 'cutover.');
  if (value.percent === undefined) {
    check.fail(
      '`cutover.percent` is required: pass the share of legacy users sent to the provider login, from 0 to 100, e.g. 10.',
    );
  }
  const percent = check.number(
    'cutover.percent',
    value.percent,
    0,
    100,
    0,
    'the share of legacy users sent to the provider login, from 0 to 100, e.g. 10',
  );
  const key = check.string(
    'cutover.key',
    value.key,
    undefined,
    'a secret string shared by every instance, e.g. from an environment variable',
  );
  const cohort =
    key !== undefined ? new Cohort(Buffer.from(key, 'utf8')) : (current?.cohort ?? defaultCohort(legacy));
  if (cohort === undefined && percent > 0 && legacy !== undefined) {
    check.fail(
      '`cutover.key` is required when `cutover.percent` is above 0 with `legacy.resolve` (there is no ' +
        '`legacy.secret` to derive it from): pass a secret string shared by every instance, e.g. from an environment variable.',
    );
  }
  return { percent, cohort };
}
