import type {
  AnyStatsEvent,
  LabelledCount,
  PasswordMigrationCounts,
  RecorderOptions,
  SessionUpgradeCounts,
  StatsStore,
} from './contract.js';
import {
  LABEL_COUNT,
  labelIndex,
  labelledCounts,
  PASSWORD_RESULT_COUNT,
  passwordMigrationCounts,
  passwordResultIndex,
  sessionUpgradeCounts,
  UPGRADE_RESULT_COUNT,
  upgradeResultIndex,
} from './labels.js';
import type { RecorderReport } from './report-types.js';

/** `RecorderOptions` with every default filled (options/recorder.ts parses them). */
export type RecorderConfig = Required<RecorderOptions>;

/**
 * The in-process buffer between the request path and the stats store.
 *
 * `push` is synchronous and O(1): it writes into a ring buffer of `bufferSize` events and never waits for, nor
 * throws because of, the store. When the buffer is full the oldest event is dropped and counted.
 *
 * A timer (`unref()`ed, so it never keeps the process alive) runs every `flushIntervalMs` and drains the buffer
 * in batches of at most `batchSize` events, oldest first, one `store.record` call at a time. A call that throws,
 * rejects or does not settle within `flushTimeoutMs` counts as a failed flush: the error is kept for `health()`,
 * the batch goes back to the front of the buffer (as much of it as fits; the rest, its oldest events, is dropped
 * and counted) and the drain stops until the next tick, so recording resumes by itself when the store is back.
 * Delivery is at least once: a call that timed out may still complete later, and its batch is sent again.
 */
export class Recorder {
  readonly #store: StatsStore;
  readonly #now: () => number;
  readonly #config: Required<RecorderOptions>;
  readonly #ring: (AnyStatsEvent | undefined)[];
  #head = 0;
  #count = 0;
  readonly #local = new Float64Array(LABEL_COUNT);
  readonly #localPasswords = new Float64Array(PASSWORD_RESULT_COUNT);
  readonly #localUpgrades = new Float64Array(UPGRADE_RESULT_COUNT);
  #recorded = 0;
  #dropped = 0;
  #failedFlushes = 0;
  #lastFlushAt: number | null = null;
  #lastError: string | null = null;
  #draining: Promise<void> | null = null;
  /** A `store.record` call that timed out and has not settled yet: no other call starts until it does. */
  #abandoned: Promise<unknown> | null = null;
  #timer: NodeJS.Timeout | null;
  #closed = false;

  /** `config` is what `parseRecorderOptions` made of the options; `store` is the one `sessionBridge()` checked. */
  constructor(store: StatsStore, config: RecorderConfig, now: () => number) {
    this.#store = store;
    this.#now = now;
    this.#config = config;
    this.#ring = new Array<AnyStatsEvent | undefined>(this.#config.bufferSize);
    this.#timer = setInterval(() => this.#tick(), this.#config.flushIntervalMs);
    this.#timer.unref();
  }

  /** Buffers one event. Synchronous, O(1), never throws. Ignored after `close()`. */
  push(event: AnyStatsEvent): void {
    try {
      if (this.#closed) return;
      if (event.type === 'password-migration') {
        const index = passwordResultIndex(event.result);
        if (index >= 0) this.#localPasswords[index]!++;
      } else if (event.type === 'session-upgrade') {
        const index = upgradeResultIndex(event.result);
        if (index >= 0) this.#localUpgrades[index]!++;
      } else {
        const index = labelIndex(event.kind, event.outcome);
        if (index >= 0) this.#local[index]!++;
      }
      const size = this.#ring.length;
      if (this.#count === size) {
        this.#ring[this.#head] = undefined;
        this.#head = (this.#head + 1) % size;
        this.#count--;
        this.#dropped++;
      }
      this.#ring[(this.#head + this.#count) % size] = event;
      this.#count++;
    } catch {
      // Recording must never affect a request.
    }
  }

  /**
   * Drains the buffer now: waits for a drain in progress, then hands batches to the store until the buffer is
   * empty or a call fails. Never rejects (failures are in `health()`).
   */
  async flush(): Promise<void> {
    while (this.#draining) await this.#draining;
    if (this.#abandoned) return; // the store still holds a timed-out call: one call at a time
    await this.#startDrain();
  }

  /** Health of this recorder since it started, for the report. */
  health(): RecorderReport {
    return {
      buffered: this.#count,
      flushIntervalMs: this.#config.flushIntervalMs,
      recorded: this.#recorded,
      dropped: this.#dropped,
      failedFlushes: this.#failedFlushes,
      lastFlushAt: this.#lastFlushAt === null ? null : new Date(this.#lastFlushAt).toISOString(),
      lastError: this.#lastError,
    };
  }

  /** Requests pushed into this process since start, by (kind, outcome), non-zero only (Prometheus counters). */
  local(): LabelledCount[] {
    return labelledCounts(this.#local);
  }

  /** Password migration decisions pushed into this process since start, by result (Prometheus counters). */
  localPasswordMigrations(): PasswordMigrationCounts {
    return passwordMigrationCounts(this.#localPasswords);
  }

  /** Upgrade endpoint decisions pushed into this process since start, by result (Prometheus counters). */
  localSessionUpgrades(): SessionUpgradeCounts {
    return sessionUpgradeCounts(this.#localUpgrades);
  }

  /** Stops the timer and flushes what is buffered. Does not close the store. Later pushes are ignored. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
    this.#closed = true;
  }

  #tick(): void {
    if (this.#draining || this.#abandoned || this.#count === 0) return;
    void this.#startDrain();
  }

  #startDrain(): Promise<void> {
    const run = this.#drain().finally(() => {
      if (this.#draining === run) this.#draining = null;
    });
    this.#draining = run;
    return run;
  }

  async #drain(): Promise<void> {
    while (this.#count > 0) {
      const batch = this.#take(this.#config.batchSize);
      const error = await this.#send(batch);
      if (error === undefined) {
        this.#recorded += batch.length;
        this.#lastFlushAt = this.#now();
        continue;
      }
      this.#failedFlushes++;
      this.#lastError = error;
      this.#putBack(batch);
      return;
    }
  }

  /** Calls `store.record` with a timeout; resolves to an error message, or undefined on success. */
  async #send(batch: AnyStatsEvent[]): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`store.record did not settle within ${this.#config.flushTimeoutMs} ms`),
        this.#config.flushTimeoutMs,
      );
      timer.unref();
    });
    const call = (async () => {
      try {
        await this.#store.record(batch);
        return undefined;
      } catch (error) {
        return `store.record failed: ${error instanceof Error ? error.message : String(error)}`;
      }
    })();
    try {
      const result = await Promise.race([call, timeout]);
      if (result?.startsWith('store.record did not settle')) {
        // Keep the store's contract (one call at a time) and keep hung calls from piling up: the next flush
        // waits until this one settles. Clients should have command timeouts so it eventually does.
        this.#abandoned = call;
        void call.finally(() => {
          if (this.#abandoned === call) this.#abandoned = null;
        });
      }
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  #take(max: number): AnyStatsEvent[] {
    const n = Math.min(max, this.#count);
    const size = this.#ring.length;
    const batch = new Array<AnyStatsEvent>(n);
    for (let i = 0; i < n; i++) {
      batch[i] = this.#ring[this.#head]!;
      this.#ring[this.#head] = undefined;
      this.#head = (this.#head + 1) % size;
    }
    this.#count -= n;
    return batch;
  }

  /** Puts a failed batch back in front of the buffer, newest first; what does not fit (the oldest) is dropped. */
  #putBack(batch: AnyStatsEvent[]): void {
    const size = this.#ring.length;
    let i = batch.length - 1;
    for (; i >= 0 && this.#count < size; i--) {
      this.#head = (this.#head - 1 + size) % size;
      this.#ring[this.#head] = batch[i];
      this.#count++;
    }
    this.#dropped += i + 1;
  }
}
