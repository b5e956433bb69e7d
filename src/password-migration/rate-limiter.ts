import { LRUCache } from 'lru-cache';
import type { LimitsConfig, RateWindow } from '../options/password-migration.js';

/** Failed attempts counted in one window, which ends at `resetAt` (epoch ms). */
interface Window {
  count: number;
  resetAt: number;
}

/** How a reserved attempt ended. */
export type AttemptEnd = 'match' | 'failure' | 'error';

export type Admission =
  | {
      allowed: true;
      /** Call once when the check has ended. */
      end(how: AttemptEnd): void;
    }
  | { allowed: false; scope: 'identifier' | 'global'; retryAfterSeconds: number };

function live(window: Window | undefined, now: number): Window | undefined {
  return window !== undefined && window.resetAt > now ? window : undefined;
}

function retryAfter(window: Window, now: number): number {
  return Math.max(1, Math.ceil((window.resetAt - now) / 1000));
}

/**
 * Limits failed password checks per identifier digest and overall, in fixed windows that start with their
 * first failure. An attempt is counted as a failure *before* the check runs (so concurrent attempts cannot
 * overtake the limit) and given back when it ends otherwise: a match clears the identifier's failures and
 * gives back the global one; an error (the check could not be made) gives back both.
 *
 * Memory is bounded: at most `maxTrackedIdentifiers` windows, least recently used forgotten first, each
 * dropped by the LRU once its window has passed.
 */
export class FailureLimiter {
  readonly #perIdentifier: RateWindow;
  readonly #global: RateWindow;
  readonly #now: () => number;
  readonly #windows: LRUCache<string, Window>;
  #globalWindow: Window = { count: 0, resetAt: 0 };

  constructor(limits: LimitsConfig, now: () => number) {
    this.#perIdentifier = limits.perIdentifier;
    this.#global = limits.global;
    this.#now = now;
    // The TTL only frees memory (on the process clock); `resetAt` on the injected clock decides.
    this.#windows = new LRUCache<string, Window>({
      max: limits.maxTrackedIdentifiers,
      ttl: limits.perIdentifier.windowMs,
    });
  }

  /** Reserves one failed attempt for `digest`, or says for how long attempts are refused. */
  admit(digest: string): Admission {
    const now = this.#now();
    const own = live(this.#windows.get(digest), now);
    if (own !== undefined && own.count >= this.#perIdentifier.max) {
      return { allowed: false, scope: 'identifier', retryAfterSeconds: retryAfter(own, now) };
    }
    let global = live(this.#globalWindow, now);
    if (global !== undefined && global.count >= this.#global.max) {
      return { allowed: false, scope: 'global', retryAfterSeconds: retryAfter(global, now) };
    }
    global ??= this.#globalWindow = { count: 0, resetAt: now + this.#global.windowMs };
    const window = own ?? { count: 0, resetAt: now + this.#perIdentifier.windowMs };
    if (own === undefined) this.#windows.set(digest, window);
    window.count += 1;
    global.count += 1;
    let ended = false;
    return {
      allowed: true,
      end: (how) => {
        if (ended) return;
        ended = true;
        if (how === 'failure') return;
        // Giving back to a window that has since been replaced changes nothing that still counts.
        global.count = Math.max(0, global.count - 1);
        if (how === 'error') window.count = Math.max(0, window.count - 1);
        else if (this.#windows.peek(digest) === window) this.#windows.delete(digest);
      },
    };
  }
}
