import { TimeoutError } from './with-timeout.js';

interface Pending {
  at: number;
  expire: () => void;
}

/**
 * Many timeouts on one timer. A call that answers in time costs a set insertion and removal instead of a
 * `setTimeout` and `clearTimeout` of its own; one unref'ed interval sweeps the pending calls every `tickMs`
 * while there are any, and stops when a sweep finds none. A timeout fires up to `tickMs` late.
 */
export class Deadlines {
  readonly #pending = new Set<Pending>();
  readonly #tickMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(tickMs = 25) {
    this.#tickMs = tickMs;
  }

  /** Calls `expire` once `ms` have passed, unless `cancel()` (the returned function) was called first. */
  add(ms: number, expire: () => void): () => void {
    const entry: Pending = { at: Date.now() + ms, expire };
    this.#pending.add(entry);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#sweep(), this.#tickMs);
      this.#timer.unref();
    }
    return () => {
      this.#pending.delete(entry);
    };
  }

  /** Settles like `work`, or rejects with a `TimeoutError` after `ms`. */
  race<T>(work: PromiseLike<T>, ms: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const cancel = this.add(ms, () => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)));
      work.then(
        (value) => {
          cancel();
          resolve(value);
        },
        (error: unknown) => {
          cancel();
          reject(error);
        },
      );
    });
  }

  #sweep(): void {
    if (this.#pending.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
      return;
    }
    const now = Date.now();
    for (const entry of this.#pending) {
      if (entry.at > now) continue;
      this.#pending.delete(entry);
      entry.expire();
    }
  }
}
