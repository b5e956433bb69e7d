import { boundedFetch } from '../../util/bounded-fetch.js';
import { isCookieValue, ProviderThrottledError, unexpected } from './answer.js';
import type { OpaqueLookup } from './checker.js';

const PREFIX = 'x-authgear-';

/**
 * Authgear's `{endpoint}/_resolver/resolve`: forwards only the Authgear credential (its session cookie as
 * `Cookie`, or an opaque access token as `Authorization: Bearer`). It answers 200 with `X-Authgear-*` headers:
 * `X-Authgear-Session-Valid: true` and `X-Authgear-User-Id` make a session; `false` or no such header means no
 * session. Any other status is an outage.
 */
export function authgearResolver(endpoint: string): OpaqueLookup {
  const url = new URL('_resolver/resolve', endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
  return async (credential, signal) => {
    if (credential.via === 'cookie' && !isCookieValue(credential.value)) return null;
    const headers: Record<string, string> =
      credential.via === 'cookie'
        ? { cookie: `${credential.name}=${credential.value}` }
        : { authorization: `Bearer ${credential.value}` };
    const res = await boundedFetch(url, { headers, signal });
    if (res.status === 429)
      throw new ProviderThrottledError('Authgear resolver', res.headers.get('retry-after'));
    if (res.status !== 200) throw unexpected('Authgear resolver', `status ${res.status}`);
    const answer: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (name.startsWith(PREFIX)) answer[name] = value;
    });
    if (answer['x-authgear-session-valid'] !== 'true') return null;
    const subject = answer['x-authgear-user-id'];
    if (subject === undefined || subject.length === 0) {
      throw unexpected('Authgear resolver', 'a valid session without X-Authgear-User-Id');
    }
    return { subject, expiresAt: undefined, scope: undefined, identity: answer, answer };
  };
}
