/** Settings of a `CircuitBreaker`. */
export interface CircuitBreakerOptions {
  /** Consecutive failures (errors or timeouts) that open the circuit. */
  failureThreshold: number;
  /** Milliseconds the circuit stays open before one probe is let through. */
  coolDownMs: number;
  /** Clock in milliseconds (the bridge's `now`). */
  now: () => number;
}

/**
 * A circuit breaker around a dependency that can go down (a legacy session store, a provider's session
 * endpoint). Closed: every call goes through. After `failureThreshold` consecutive failures it opens: calls are
 * refused at once (the caller answers 503 without waiting for a timeout) for `coolDownMs`. Then it is half-open:
 * exactly one call (the probe) goes through; its success closes the circuit, its failure opens it again.
 *
 * The caller must report the outcome of every call it was allowed (`success()` / `failure()`), including
 * timeouts, so a probe that hangs is bounded by the caller's own timeout.
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  #failures = 0;
  #openedAt: number | undefined;
  #probing = false;

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
  }

  /** `'closed'`, `'open'` (refusing) or `'half-open'` (cool-down over: the next call is the probe). */
  get state(): 'closed' | 'open' | 'half-open' {
    if (this.#openedAt === undefined) return 'closed';
    return this.#options.now() - this.#openedAt >= this.#options.coolDownMs ? 'half-open' : 'open';
  }

  /** May a call go through now? In the half-open state only the first caller gets `true` (the probe). */
  allow(): boolean {
    if (this.#openedAt === undefined) return true;
    if (this.#probing || this.state === 'open') return false;
    this.#probing = true;
    return true;
  }

  /**
   * Lets one call through as the probe whenever the circuit is not closed and no probe is running, without
   * waiting for the cool-down: for a call the caller has reason to trust more than the ones that failed (an
   * opaque provider check of a credential that has never failed). Its outcome is reported as usual.
   */
  probe(): boolean {
    if (this.#openedAt === undefined) return true;
    if (this.#probing) return false;
    this.#probing = true;
    return true;
  }

  /** A probe ended without saying anything about the dependency (it was throttled): the next call may probe. */
  release(): void {
    this.#probing = false;
  }

  success(): void {
    this.#failures = 0;
    this.#openedAt = undefined;
    this.#probing = false;
  }

  failure(): void {
    this.#failures++;
    if (this.#probing || this.#failures >= this.#options.failureThreshold) {
      this.#openedAt = this.#options.now();
      this.#probing = false;
    }
  }

  /** Whole seconds until a probe may go through (at least 1), for `Retry-After`. */
  retryAfterSeconds(): number {
    if (this.#openedAt === undefined) return 1;
    const left = this.#openedAt + this.#options.coolDownMs - this.#options.now();
    return Math.max(1, Math.ceil(left / 1000));
  }
}
