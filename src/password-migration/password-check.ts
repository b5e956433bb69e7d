import type { GuardConfig } from '../options/password-migration.js';
import { identifierDigest, identifierLabel } from './identifier.js';
import { FailureLimiter } from './rate-limiter.js';
import { runCallback } from './run-callback.js';
import type { MigrationDeps, PasswordMigrationEndpoint } from './types.js';

/** What the app's answer means, as the endpoint reads it. */
export type Verdict<T> =
  | { result: 'match'; value: T }
  | { result: 'mismatch' | 'unknown' }
  | { result: 'error'; problem: string };

/** How one password check ended. `mismatch` and `unknown` must be answered alike. */
export type CheckOutcome<T> =
  | { result: 'match'; value: T }
  | { result: 'mismatch' | 'unknown' | 'error' }
  | { result: 'rateLimited'; retryAfterSeconds: number };

/**
 * Runs password checks behind the failure limits, with the timeout, and records each outcome once. A wrong
 * password and an unknown identifier take the same path (both count as failures), so only the app's own
 * callback can tell them apart in time.
 */
export class PasswordChecks {
  readonly #limiter: FailureLimiter;
  readonly #timeoutMs: number;
  readonly #deps: MigrationDeps;

  constructor(config: GuardConfig, deps: MigrationDeps) {
    this.#limiter = new FailureLimiter(config.limits, deps.now);
    this.#timeoutMs = config.timeoutMs;
    this.#deps = deps;
  }

  async check<R, T>(
    endpoint: PasswordMigrationEndpoint,
    what: string,
    identifier: string,
    call: () => R | PromiseLike<R>,
    interpret: (answer: R) => Verdict<T>,
  ): Promise<CheckOutcome<T>> {
    const digest = identifierDigest(identifier);
    const label = identifierLabel(digest);
    const admission = this.#limiter.admit(digest);
    if (!admission.allowed) {
      this.#deps.debug(
        `${label} rate limited (${admission.scope} limit), retry after ${admission.retryAfterSeconds} s`,
      );
      this.#deps.record('rateLimited', endpoint);
      return { result: 'rateLimited', retryAfterSeconds: admission.retryAfterSeconds };
    }
    const answer = await runCallback(what, call, this.#timeoutMs);
    const verdict: Verdict<T> = answer.ok
      ? interpret(answer.value)
      : { result: 'error', problem: answer.problem };
    admission.end(verdict.result === 'match' ? 'match' : verdict.result === 'error' ? 'error' : 'failure');
    this.#deps.debug(
      verdict.result === 'error' ? `${label} error: ${verdict.problem}` : `${label} ${verdict.result}`,
    );
    this.#deps.record(verdict.result, endpoint);
    return verdict.result === 'error' ? { result: 'error' } : verdict;
  }
}
