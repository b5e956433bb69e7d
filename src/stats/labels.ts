import type { LabelledCount, StatsEvent, StatsOutcome } from './store.js';

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
