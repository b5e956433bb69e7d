/**
 * The part of a bridge's configuration that changes at run time (`bridge.configure()`): the mode and the
 * ramp, and the history of their changes. One immutable `CutoverSettings` object is current at a time; a
 * request reads it once, when it arrives, so a change applies from the next request and never halfway
 * through one. Without a shared store the state is per instance (in memory); with `redisStats()` the fleet
 * (src/fleet/shared-state.ts) sets it from the state in Redis, and the report's history is the fleet's.
 */

import type { BridgeMode } from '../types.js';
import type { CutoverConfig } from './cohort.js';

/** Mode and ramp, as one request sees them. */
export interface CutoverSettings {
  readonly mode: BridgeMode;
  readonly cutover: CutoverConfig;
}

/** One change of the settings (the first entry: the configuration at construction). */
export interface CutoverHistoryEntry {
  /** Milliseconds since the epoch (the bridge's `now`). */
  at: number;
  mode: BridgeMode;
  percent: number;
  /** The fleet state's version (shared cutover only). */
  version?: number;
  /** The instance that made the change (shared cutover only). */
  instance?: string;
  /** Who made it, as passed to `configure({ by })`; null when not given. */
  by?: string | null;
}

/** Where a change came from, when it is not a local change made now. */
export type CutoverChangeOrigin = Partial<Pick<CutoverHistoryEntry, 'at' | 'version' | 'instance' | 'by'>>;

/** The most changes kept; older ones are forgotten first (with them, eventually, the initial entry). */
export const CUTOVER_HISTORY_LIMIT = 100;

export class CutoverState {
  #current: CutoverSettings;
  readonly #history: CutoverHistoryEntry[] = [];
  readonly #now: () => number;

  constructor(initial: CutoverSettings, now: () => number) {
    this.#current = initial;
    this.#now = now;
    this.#record(initial, now());
  }

  /** The settings for a request arriving now. */
  get current(): CutoverSettings {
    return this.#current;
  }

  /**
   * Makes `next` current (already validated: nothing here can fail). A change of mode, percent or key is kept
   * in the history with the time; a call that changes nothing is not.
   */
  set(next: CutoverSettings, origin: CutoverChangeOrigin = {}): void {
    const before = this.#current;
    const at = origin.at ?? this.#now(); // before the swap: a clock that throws changes nothing
    this.#current = next;
    const sameKey =
      next.cutover.cohort === before.cutover.cohort ||
      (next.cutover.cohort?.sameKey(before.cutover.cohort) ?? false);
    if (next.mode !== before.mode || next.cutover.percent !== before.cutover.percent || !sameKey) {
      this.#record(next, at, origin);
    }
  }

  /** The changes, oldest first (at most `CUTOVER_HISTORY_LIMIT`), as copies. */
  history(): CutoverHistoryEntry[] {
    return this.#history.map((entry) => ({ ...entry }));
  }

  #record(settings: CutoverSettings, at: number, origin: CutoverChangeOrigin = {}): void {
    const { version, instance, by } = origin;
    this.#history.push({
      at,
      mode: settings.mode,
      percent: settings.cutover.percent,
      ...(version === undefined ? {} : { version }),
      ...(instance === undefined ? {} : { instance }),
      ...(by === undefined ? {} : { by }),
    });
    if (this.#history.length > CUTOVER_HISTORY_LIMIT) this.#history.shift();
  }
}
