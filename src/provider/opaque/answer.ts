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
