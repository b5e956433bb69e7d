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

/** A window some attempt is still running against, and how many attempts are. */
interface Pending {
  window: Window;
  running: number;
}

/**
 * Limits failed password checks per identifier digest and overall, in fixed windows that start with their
 * first failure. An attempt is counted as a failure *before* the check runs (so concurrent attempts cannot
 * overtake the limit) and given back when it ends otherwise: a match clears the identifier's failures and
 * gives back the global one; an error (the check could not be made) gives back both.
 *
 * Only counted failures take a place in the bounded table: a new identifier's window waits in the running
 * table (bounded by the global limit, since every running attempt counts there) until one of its attempts
 * ends in a failure. An attempt that ends without counting (an error, a match) leaves nothing behind, so a
 * caller who can make the check fail for identifiers of its choice cannot push another identifier's failures
 * out of the table.
 *
 * Memory is bounded: at most `maxTrackedIdentifiers` windows, least recently used forgotten first, each
 * dropped by the LRU once its window has passed.
 */
export class FailureLimiter {
  readonly #perIdentifier: RateWindow;
  readonly #global: RateWindow;
  readonly #now: () => number;
  readonly #windows: LRUCache<string, Window>;
  readonly #running = new Map<string, Pending>();
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
    const running = this.#running.get(digest);
    const own = live(this.#windows.get(digest), now) ?? live(running?.window, now);
    if (own !== undefined && own.count >= this.#perIdentifier.max) {
      return { allowed: false, scope: 'identifier', retryAfterSeconds: retryAfter(own, now) };
    }
    let global = live(this.#globalWindow, now);
    if (global !== undefined && global.count >= this.#global.max) {
      return { allowed: false, scope: 'global', retryAfterSeconds: retryAfter(global, now) };
    }
    global ??= this.#globalWindow = { count: 0, resetAt: now + this.#global.windowMs };
    const window = own ?? { count: 0, resetAt: now + this.#perIdentifier.windowMs };
    const pending: Pending = running?.window === window ? running : { window, running: 0 };
    pending.running += 1;
    this.#running.set(digest, pending);
    window.count += 1;
    global.count += 1;
    let ended = false;
    return {
      allowed: true,
      end: (how) => {
        if (ended) return;
        ended = true;
        pending.running -= 1;
        if (pending.running <= 0 && this.#running.get(digest) === pending) this.#running.delete(digest);
        if (how === 'failure') {
          // The failure counts: the window takes (or keeps) its place in the bounded table.
          if (this.#windows.peek(digest) !== window && live(window, this.#now()) !== undefined)
            this.#windows.set(digest, window);
          return;
        }
        // Giving back to a window that has since been replaced changes nothing that still counts.
        global.count = Math.max(0, global.count - 1);
        if (how === 'error') window.count = Math.max(0, window.count - 1);
        else window.count = 0;
        if (window.count === 0 && this.#windows.peek(digest) === window) this.#windows.delete(digest);
      },
    };
  }
}

/**
 * Counts every call in fixed windows that start with their first call, all callers together: `take()` says
 * whether one more fits, or for how many seconds none does.
 */
export class CallLimiter {
  readonly #limit: RateWindow;
  readonly #now: () => number;
  #window: Window = { count: 0, resetAt: 0 };

  constructor(limit: RateWindow, now: () => number) {
    this.#limit = limit;
    this.#now = now;
  }

  take(): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const now = this.#now();
    if (live(this.#window, now) === undefined)
      this.#window = { count: 0, resetAt: now + this.#limit.windowMs };
    const window = this.#window;
    if (window.count >= this.#limit.max)
      return { allowed: false, retryAfterSeconds: retryAfter(window, now) };
    window.count += 1;
    return { allowed: true };
  }
}
