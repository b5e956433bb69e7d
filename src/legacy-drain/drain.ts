/**
 * `legacy.drain`: scans the legacy store in the background, off the request path, and keeps the last result
 * for the report. The first scan runs `DRAIN_START_DELAY_MS` after construction, the next ones `intervalMs`
 * after the previous one ended (so scans never overlap); the timers are unref'ed and `close()` stops them.
 * `scan()` runs one now; calls made while a scan runs share it.
 */
import { BridgeError } from '../errors.js';
import type { LegacySessionData } from '../types.js';
import { DRAIN_START_DELAY_MS, type DrainConfig } from './options.js';
import { scanLegacyStore } from './scan.js';
import type { LegacyStoreReport, LegacyStoreScan, LegacyStoreScanError } from './types.js';

/** What the drain needs of the legacy configuration (the `type: 'store'` one). */
export interface DrainSource {
  store: object;
  userId: (session: LegacySessionData) => unknown;
  timeoutMs: number;
  drain: DrainConfig;
}

/** An error's message for the report: URL credentials (`redis://user:secret@host`) removed, 300 characters at most. */
export function safeErrorMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\/\/[^/\s@]*@/g, '//***@').slice(0, 300);
}

export class LegacyStoreDrain {
  readonly #source: DrainSource;
  readonly #now: () => number;
  readonly #debug: (message: string) => void;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<LegacyStoreScan> | undefined;
  #last: LegacyStoreScan | null = null;
  #lastError: LegacyStoreScanError | null = null;

  constructor(source: DrainSource, now: () => number, debug: (message: string) => void) {
    this.#source = source;
    this.#now = now;
    this.#debug = debug;
    this.#schedule(DRAIN_START_DELAY_MS);
  }

  /** Runs a scan now, or joins the running one. Rejects with `ERR_BRIDGE_LEGACY_UNAVAILABLE` when it fails. */
  scan(): Promise<LegacyStoreScan> {
    if (this.#abort.signal.aborted) {
      return Promise.reject(
        new TypeError(
          'sessionBridge: scanLegacyStore() was called after close(); build a new bridge to scan.',
        ),
      );
    }
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** The `legacyStore` section of the report. */
  report(): LegacyStoreReport {
    const last = this.#last;
    return {
      scan: last?.supported
        ? { ...last, expiringByDay: last.expiringByDay.map((d) => ({ ...d })) }
        : last && { ...last },
      lastError: this.#lastError && { ...this.#lastError },
    };
  }

  /** Stops the timer and the running scan (between two batches). */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort.abort(new Error('the bridge was closed during the scan'));
  }

  async #run(): Promise<LegacyStoreScan> {
    const now = this.#now();
    try {
      const result = await scanLegacyStore({
        store: this.#source.store,
        userId: this.#source.userId,
        userIdTimeoutMs: this.#source.timeoutMs,
        timeoutMs: this.#source.drain.timeoutMs,
        now,
        signal: this.#abort.signal,
      });
      this.#last = result;
      this.#lastError = null;
      return result;
    } catch (cause) {
      const message = safeErrorMessage(cause);
      this.#lastError = { message, at: new Date(now).toISOString() };
      this.#debug(`legacy store scan failed: ${message}`);
      throw new BridgeError(
        'ERR_BRIDGE_LEGACY_UNAVAILABLE',
        `The legacy session store could not be scanned: ${message}`,
        { cause },
      );
    }
  }

  #schedule(delay: number): void {
    if (this.#abort.signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.scan()
        .catch(() => {
          // Recorded as `lastError` (and logged through `debug`) by #run.
        })
        .finally(() => this.#schedule(this.#source.drain.intervalMs));
    }, delay);
    this.#timer.unref();
  }
}
