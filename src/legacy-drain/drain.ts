/**
 * `legacy.drain`: scans the legacy store in the background, off the request path, and keeps the last result
 * for the report. The first scan runs `DRAIN_START_DELAY_MS` after construction, the next ones `intervalMs`
 * after the previous one ended (so scans never overlap); the timers are unref'ed and `close()` stops them.
 * `scan()` runs one now; calls made while a scan runs share it.
 *
 * With a `DrainCoordinator` (a Redis stats store: src/fleet/drain-lock.ts) a scheduled scan runs only when this
 * instance wins the fleet's lock, every result (scheduled or `scan()`) is stored for all instances, and the
 * report shows the fleet's last scan.
 */
import { BridgeError } from '../errors.js';
import type { LegacySessionData } from '../types.js';
import { DRAIN_START_DELAY_MS, type DrainConfig } from './options.js';
import { scanLegacyStore } from './scan.js';
import type {
  DrainCoordinator,
  DrainOutcome,
  LegacyStoreReport,
  LegacyStoreScan,
  LegacyStoreScanError,
} from './types.js';

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
  readonly #coordinator: DrainCoordinator | undefined;

  constructor(
    source: DrainSource,
    now: () => number,
    debug: (message: string) => void,
    coordinator?: DrainCoordinator,
  ) {
    this.#source = source;
    this.#now = now;
    this.#debug = debug;
    this.#coordinator = coordinator;
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
    if (this.#running) return this.#running;
    const running = this.#start();
    // A scan asked for now is shared too (without the lock: it runs at once, wherever it is asked).
    const coordinator = this.#coordinator;
    if (coordinator) {
      return running.then(
        async (scan) => {
          await coordinator
            .share({ scan })
            .catch((e: unknown) => this.#debug(`legacy store scan not shared: ${String(e)}`));
          return scan;
        },
        async (error: unknown) => {
          if (this.#lastError) await coordinator.share({ error: this.#lastError }).catch(() => {});
          throw error;
        },
      );
    }
    return running;
  }

  /** The `legacyStore` section of the report: the fleet's last scan with a coordinator (this one's if Redis fails). */
  report(): LegacyStoreReport | Promise<LegacyStoreReport> {
    if (this.#coordinator) return this.#coordinator.report().catch(() => this.#localReport());
    return this.#localReport();
  }

  #localReport(): LegacyStoreReport {
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

  /** Starts a scan that `scan()` calls join until it ends. */
  #start(): Promise<LegacyStoreScan> {
    const running = this.#run().finally(() => {
      this.#running = undefined;
    });
    this.#running = running;
    return running;
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

  /** A timer's scan: with a coordinator, only when this instance wins the lock, then shared and released. */
  async #scheduledScan(): Promise<void> {
    const coordinator = this.#coordinator;
    if (!coordinator) {
      await this.scan();
      return;
    }
    const claim = await coordinator.claim();
    if (!claim) return;
    let outcome: DrainOutcome | null = null;
    try {
      outcome = { scan: await (this.#running ?? this.#start()) };
    } catch {
      // A scan stopped by close() is not an error to show the fleet: the lock is only released.
      if (this.#lastError && !this.#abort.signal.aborted) outcome = { error: this.#lastError };
    } finally {
      await claim
        .finish(outcome)
        .catch((e: unknown) => this.#debug(`legacy store scan not shared: ${String(e)}`));
    }
  }

  #schedule(delay: number): void {
    if (this.#abort.signal.aborted) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#scheduledScan()
        .catch(() => {
          // Recorded as `lastError` (and logged through `debug`) by #run.
        })
        .finally(() => this.#schedule(this.#source.drain.intervalMs));
    }, delay);
    this.#timer.unref();
  }
}
