/** Helpers for reading providers' answers. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A provider answered something that is neither a session nor a refusal: treated as an outage (503). */
export function unexpected(who: string, what: string): Error {
  return new Error(`${who} answered ${what}`);
}

/**
 * Whether a cookie value read from the request can be forwarded to the provider: printable ASCII without `"`,
 * `;` or `\` (what Go's net/http, on which Ory and Authgear run, accepts). Cookies are percent-decoded when
 * read, so a client can send a value no header may carry (`%0A`, `%E2%82%AC`): fetch would throw before
 * sending it, and a bad credential would count as a provider failure and open the breaker for every user.
 * Such a value is refused without asking.
 */
export function isCookieValue(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value) && !/[";\\]/.test(value);
}

/** Longest provider `Retry-After` honoured, in seconds. */
const MAX_THROTTLE_SECONDS = 60;

/**
 * The provider answered 429: we call it too often. Not a failure of the provider (the breaker stays closed for
 * everyone); uncached lookups are throttled until `retryAfterSeconds` have passed.
 */
export class ProviderThrottledError extends Error {
  override readonly name = 'ProviderThrottledError';
  readonly retryAfterSeconds: number;
  constructor(who: string, retryAfter: string | null) {
    super(`${who} answered 429 (too many requests)`);
    const seconds = retryAfter !== null && /^\d{1,9}$/.test(retryAfter.trim()) ? Number(retryAfter) : 1;
    this.retryAfterSeconds = Math.min(MAX_THROTTLE_SECONDS, Math.max(1, seconds));
  }
}
