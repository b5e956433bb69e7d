import { boundedFetch } from '../../util/bounded-fetch.js';
import { isRecord, ProviderThrottledError, unexpected } from './answer.js';
import type { OpaqueLookup } from './checker.js';

/** Settings of an RFC 7662 token introspection endpoint. */
export interface IntrospectionSettings {
  endpoint: string;
  clientId: string;
  clientSecret: string;
  /** When set, the answer's `aud` (a string or an array) must contain one of these; undefined: `audience: null`. */
  audience: string[] | undefined;
  /** The provider's issuer and its trailing-slash twin: an answer's `iss`, when present, must be one of them. */
  issuers: readonly string[];
}

/** RFC 6749 section 2.3.1: client credentials are form-urlencoded before they go into HTTP Basic. */
function basic(clientId: string, clientSecret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/**
 * RFC 7662 token introspection: `POST token=...` with HTTP Basic client authentication (section 2.1).
 * `active: true` with a `sub` (and, when configured, a matching `aud`) is valid; `active: false` is a refusal.
 * An active answer is refused too when its `iss` is another issuer's, or its `token_type` is `refresh_token`
 * (a refresh token is not a credential for an API); its `nbf` is handed to the checker, which refuses it while
 * it lies in the future beyond the clock tolerance. A non-200 answer (including 401 for wrong client
 * credentials) is an outage, not a refusal of the token.
 */
export function introspection(settings: IntrospectionSettings): OpaqueLookup {
  const authorization = basic(settings.clientId, settings.clientSecret);
  return async (credential, signal) => {
    const res = await boundedFetch(settings.endpoint, {
      method: 'POST',
      headers: {
        authorization,
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: credential.value, token_type_hint: 'access_token' }).toString(),
      signal,
    });
    if (res.status === 429)
      throw new ProviderThrottledError('the introspection endpoint', res.headers.get('retry-after'));
    if (res.status !== 200) throw unexpected('the introspection endpoint', `status ${res.status}`);
    const body: unknown = await res.json().catch(() => undefined);
    if (!isRecord(body) || typeof body.active !== 'boolean') {
      throw unexpected('the introspection endpoint', 'a body without a boolean "active"');
    }
    if (!body.active) return null;
    if (typeof body.sub !== 'string' || body.sub.length === 0) return null;
    if (settings.audience && !audienceMatches(body.aud, settings.audience)) return null;
    if (body.iss !== undefined && (typeof body.iss !== 'string' || !settings.issuers.includes(body.iss)))
      return null;
    if (body.token_type !== undefined && typeof body.token_type !== 'string') return null;
    if (typeof body.token_type === 'string' && body.token_type.toLowerCase() === 'refresh_token') return null;
    if (body.nbf !== undefined && (typeof body.nbf !== 'number' || !Number.isFinite(body.nbf))) return null;
    if (body.exp !== undefined && (typeof body.exp !== 'number' || !Number.isFinite(body.exp))) return null;
    if (body.scope !== undefined && typeof body.scope !== 'string') return null;
    return {
      subject: body.sub,
      expiresAt: typeof body.exp === 'number' ? body.exp * 1000 : undefined,
      ...(typeof body.nbf === 'number' ? { notBefore: body.nbf * 1000 } : {}),
      scope: body.scope,
      identity: body,
      answer: body,
    };
  };
}

function audienceMatches(aud: unknown, expected: readonly string[]): boolean {
  const list = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  return list.some((a) => typeof a === 'string' && expected.includes(a));
}
