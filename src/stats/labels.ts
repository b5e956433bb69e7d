import type { PasswordMigrationResult } from '../password-migration/types.js';
import type { SessionUpgradeResult } from '../upgrade/types.js';
import type {
  LabelledCount,
  PasswordMigrationCounts,
  RequestCounts,
  SessionUpgradeCounts,
  StatsEvent,
  StatsOutcome,
} from './contract.js';

/** The fixed label sets of request counters, shared by the stores, the recorder and the Prometheus output. */
export const STATS_KINDS: readonly StatsEvent['kind'][] = ['legacy', 'provider', 'anonymous'];
export const STATS_OUTCOMES: readonly StatsOutcome[] = [
  'ok',
  'anonymous',
  'invalid',
  'expired',
  'conflict',
  'unavailable',
  'disabled',
];

/** Size of a counter array indexed by `labelIndex`. */
export const LABEL_COUNT = STATS_KINDS.length * STATS_OUTCOMES.length;

/** Index of a (kind, outcome) pair in a counter array, or -1 for a label outside the fixed sets. */
export function labelIndex(kind: StatsEvent['kind'], outcome: StatsOutcome): number {
  const k = STATS_KINDS.indexOf(kind);
  const o = STATS_OUTCOMES.indexOf(outcome);
  return k < 0 || o < 0 ? -1 : k * STATS_OUTCOMES.length + o;
}

/** The non-zero counters of an array indexed by `labelIndex`, in label order. */
export function labelledCounts(counts: ArrayLike<number>): LabelledCount[] {
  const out: LabelledCount[] = [];
  for (let k = 0; k < STATS_KINDS.length; k++) {
    for (let o = 0; o < STATS_OUTCOMES.length; o++) {
      const count = counts[k * STATS_OUTCOMES.length + o] ?? 0;
      if (count > 0) out.push({ kind: STATS_KINDS[k]!, outcome: STATS_OUTCOMES[o]!, count });
    }
  }
  return out;
}

/** Maps counters indexed by `labelIndex` to the report's request counts (see `RequestCounts`). */
export function requestCounts(counts: ArrayLike<number>): RequestCounts {
  const out: RequestCounts = {
    legacy: counts[labelIndex('legacy', 'ok')] ?? 0,
    provider: counts[labelIndex('provider', 'ok')] ?? 0,
    anonymous: 0,
    rejected: 0,
    conflicts: 0,
    unavailable: 0,
  };
  for (let k = 0; k < STATS_KINDS.length; k++) {
    for (let o = 0; o < STATS_OUTCOMES.length; o++) {
      const c = counts[k * STATS_OUTCOMES.length + o] ?? 0;
      const outcome = STATS_OUTCOMES[o];
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

/** The results of password migration decisions, in counter order (see `passwordResultIndex`). */
export const PASSWORD_MIGRATION_RESULTS: readonly PasswordMigrationResult[] = [
  'match',
  'mismatch',
  'unknown',
  'rateLimited',
  'unauthorized',
  'error',
];

/** The Prometheus `result` label of each password migration result (snake_case). */
export const PASSWORD_RESULT_LABELS: Readonly<Record<PasswordMigrationResult, string>> = {
  match: 'match',
  mismatch: 'mismatch',
  unknown: 'unknown',
  rateLimited: 'rate_limited',
  unauthorized: 'unauthorized',
  error: 'error',
};

/** Size of a counter array indexed by `passwordResultIndex`. */
export const PASSWORD_RESULT_COUNT = PASSWORD_MIGRATION_RESULTS.length;

/** Index of a password migration result in a counter array, or -1 for a value outside the fixed set. */
export function passwordResultIndex(result: PasswordMigrationResult): number {
  return PASSWORD_MIGRATION_RESULTS.indexOf(result);
}

/** Maps counters indexed by `passwordResultIndex` to the report's password migration counts. */
export function passwordMigrationCounts(counts: ArrayLike<number>): PasswordMigrationCounts {
  const out = {} as PasswordMigrationCounts;
  PASSWORD_MIGRATION_RESULTS.forEach((result, i) => {
    out[result] = counts[i] ?? 0;
  });
  return out;
}

/** The results of upgrade endpoint decisions, in counter order (see `upgradeResultIndex`); also their Prometheus labels. */
export const SESSION_UPGRADE_RESULTS: readonly SessionUpgradeResult[] = [
  'upgraded',
  'already',
  'refused',
  'failed',
  'unauthenticated',
  'forbidden',
  'ineligible',
];

/** Size of a counter array indexed by `upgradeResultIndex`. */
export const UPGRADE_RESULT_COUNT = SESSION_UPGRADE_RESULTS.length;

/** Index of an upgrade result in a counter array, or -1 for a value outside the fixed set. */
export function upgradeResultIndex(result: SessionUpgradeResult): number {
  return SESSION_UPGRADE_RESULTS.indexOf(result);
}

/** Maps counters indexed by `upgradeResultIndex` to the report's session upgrade counts. */
export function sessionUpgradeCounts(counts: ArrayLike<number>): SessionUpgradeCounts {
  const out = {} as SessionUpgradeCounts;
  SESSION_UPGRADE_RESULTS.forEach((result, i) => {
    out[result] = counts[i] ?? 0;
  });
  return out;
}
