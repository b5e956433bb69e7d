import { boundedFetch } from '../../util/bounded-fetch.js';
import { isCookieValue, isRecord, ProviderThrottledError, unexpected } from './answer.js';
import type { OpaqueLookup, OpaqueSession } from './checker.js';

/**
 * Ory's `GET {url}/sessions/whoami`: forwards only the Ory credential (the `ory_session_*` or
 * `ory_kratos_session` cookie as `Cookie`, a session token as `X-Session-Token`). 200 with `active: true` and
 * an `expires_at` in the future is a session whose subject is `identity.id`; 401 means no session; 403 means
 * the session needs a higher assurance level (a second factor) and is not accepted either. Anything else is an
 * outage.
 */
export function oryWhoami(url: string): OpaqueLookup {
  const endpoint = new URL('sessions/whoami', url.endsWith('/') ? url : `${url}/`);
  return async (credential, signal) => {
    if (credential.via === 'cookie' && !isCookieValue(credential.value)) return null;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (credential.via === 'cookie') headers.cookie = `${credential.name}=${credential.value}`;
    else headers['x-session-token'] = credential.value;
    const res = await boundedFetch(endpoint, { headers, signal });
    if (res.status === 429) throw new ProviderThrottledError('Ory whoami', res.headers.get('retry-after'));
    if (res.status === 401) return null;
    // A second factor is pending: refused now, accepted once the user completes it (not remembered).
    if (res.status === 403) return 'not-yet';
    if (res.status !== 200) throw unexpected('Ory whoami', `status ${res.status}`);
    const body: unknown = await res.json().catch(() => undefined);
    if (!isRecord(body) || !isRecord(body.identity))
      throw unexpected('Ory whoami', 'a body without identity');
    return toSession(body, body.identity);
  };
}

function toSession(body: Record<string, unknown>, identity: Record<string, unknown>): OpaqueSession | null {
  if (body.active !== true) return null;
  const subject = identity.id;
  if (typeof subject !== 'string' || subject.length === 0)
    throw unexpected('Ory whoami', 'an identity without id');
  let expiresAt: number | undefined;
  if (body.expires_at !== undefined && body.expires_at !== null) {
    expiresAt = typeof body.expires_at === 'string' ? Date.parse(body.expires_at) : Number.NaN;
    if (!Number.isFinite(expiresAt)) throw unexpected('Ory whoami', 'an unreadable expires_at');
  }
  return { subject, expiresAt, scope: undefined, claims: emailClaims(identity), identity, answer: body };
}

/**
 * `email` from `identity.traits.email`, and `email_verified` true only when one of
 * `identity.verifiable_addresses` is that address (case-insensitive), `via: 'email'`, with `verified: true`.
 */
function emailClaims(identity: Record<string, unknown>): { email?: string; email_verified?: boolean } {
  const email = isRecord(identity.traits) ? identity.traits.email : undefined;
  if (typeof email !== 'string' || email.length === 0) return {};
  const addresses = Array.isArray(identity.verifiable_addresses) ? identity.verifiable_addresses : [];
  const verified = addresses.some(
    (a) =>
      isRecord(a) &&
      a.verified === true &&
      (a.via === undefined || a.via === 'email') &&
      typeof a.value === 'string' &&
      a.value.toLowerCase() === email.toLowerCase(),
  );
  return { email, email_verified: verified };
}
