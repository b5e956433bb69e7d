/**
 * Legacy users this instance refused because of the cutover (the ramp's cohort, or `provider-only` mode), for
 * the dashboard's "refused by the ramp now" figure. The stats store counts refusals only as requests, and its
 * user ids are digests, so the cohort cannot be told from them: the bridge keeps this count itself, in memory.
 */
import type { CutoverHistoryEntry } from '../cutover/state.js';
import { DAY } from './time.js';

/** Most users remembered; past it the least recently refused are forgotten first. */
export const MAX_REFUSED_USERS = 100_000;

export class CutoverRefusals {
  /** User id -> last refusal time; insertion order is refusal order (a re-refused user moves to the end). */
  readonly #lastRefused = new Map<string, number>();
  readonly #max: number;

  constructor(max = MAX_REFUSED_USERS) {
    this.#max = max;
  }

  /** A legacy user was refused at `time` because of the cutover. O(1). */
  add(userId: string, time: number): void {
    this.#lastRefused.delete(userId);
    this.#lastRefused.set(userId, time);
    if (this.#lastRefused.size > this.#max) {
      const oldest = this.#lastRefused.keys().next().value;
      if (oldest !== undefined) this.#lastRefused.delete(oldest);
    }
  }

  /**
   * Distinct users refused since the later of 24 hours ago and the last change that let users back in (a lower
   * percent, or leaving `provider-only`): those are the users the cutover refuses now.
   */
  count(now: number, history: readonly CutoverHistoryEntry[]): { users: number; since: number } {
    let since = now - DAY;
    for (let i = 1; i < history.length; i++) {
      const before = history[i - 1]!;
      const after = history[i]!;
      const refusedBefore =
        before.mode === 'provider-only' ? 100 : before.mode === 'observe' ? 0 : before.percent;
      const refusedAfter =
        after.mode === 'provider-only' ? 100 : after.mode === 'observe' ? 0 : after.percent;
      if (refusedAfter < refusedBefore && after.at > since) since = after.at;
    }
    let users = 0;
    for (const time of this.#lastRefused.values()) if (time >= since) users++;
    return { users, since };
  }
}
