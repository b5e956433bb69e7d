/**
 * Concurrent calls for one key share one promise: the first caller's work, until it settles. Bounded by the
 * calls in flight (each entry leaves when its work settles).
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): Promise<T> {
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    const started = work().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }

  /** Keys in flight, for tests. */
  get size(): number {
    return this.#inFlight.size;
  }
}
