import type { IncomingHttpHeaders } from 'node:http';
import type { ProviderConfig } from '../options/config.js';
import type { BridgeRequest } from '../types.js';
import { authorizationHeader, readBearer } from './bearer.js';
import type { OpaqueCredential } from './opaque/checker.js';

/** Where a provider credential came from; decides whether a legacy session may stand in for an invalid one. */
export type CredentialSource = 'header' | 'cookie';

export type ProviderCredential =
  | { type: 'none' }
  /** RFC 6750 `invalid_request` (400); `source` is `'header'` unless a cookie was at fault. */
  | { type: 'malformed'; reason: string; source?: CredentialSource }
  | { type: 'token'; token: string; source: 'header' }
  /** `cookieName`: the cookie it was read from; only a provider configured with that cookie may accept it. */
  | { type: 'token'; token: string; source: 'cookie'; cookieName: string }
  /** An opaque credential of the provider at `provider` (its index), to be checked with that provider. */
  | {
      type: 'opaque';
      provider: number;
      credential: OpaqueCredential;
      source: CredentialSource;
      /** Further candidate session cookies of the same provider, checked in order when `credential` is refused. */
      alternatives?: OpaqueCredential[];
    };

/**
 * Most session cookies of one provider checked for one request. Several `ory_session_*` cookies can reach an
 * app legitimately (sibling subdomains, a project renamed); one planted ahead of the real one must not lock
 * the user out, but a request carrying many is not a browser's: 400.
 */
export const MAX_SESSION_COOKIES = 3;

/** A Bearer value that has the shape of a compact JWS (two dots); anything else is an opaque token. */
function looksLikeJwt(token: string): boolean {
  const first = token.indexOf('.');
  return first !== -1 && token.indexOf('.', first + 1) !== -1;
}

/**
 * Finds the provider credential of a request, in this order:
 * 1. `Authorization: Bearer` (when a provider accepts it): a JWT is verified against the JWKS; a value that is
 *    not JWT-shaped goes to the provider whose opaque check takes Bearer tokens when it has that provider's
 *    token shape (Ory: `ory_st_...`; introspection: any), and is otherwise ignored as not the provider's.
 * 2. A provider's session token header (Ory's `X-Session-Token`).
 * 3. Cookies, provider by provider in configuration order: the JWT cookie (`cookieName`), then the provider's
 *    session cookies (Ory's `ory_session_*`, `ory_kratos_session`; Authgear's `session`).
 * Headers win over cookies, which browsers attach on their own. `headers`: `req.headers`, when the caller has
 * read it already (a property read on an Express request is not cheap: each has a hidden class of its own).
 */
export function readProviderCredential(
  req: BridgeRequest,
  providers: readonly ProviderConfig[],
  acceptsBearer: boolean,
  cookies: () => Record<string, string | undefined>,
  headers: IncomingHttpHeaders = req.headers,
): ProviderCredential {
  if (acceptsBearer) {
    const bearer = readBearer(authorizationHeader(headers.authorization, req));
    if (bearer.type === 'malformed') return bearer;
    if (bearer.type === 'token') {
      const index = looksLikeJwt(bearer.token)
        ? -1
        : providers.findIndex((p) => p.bearer && p.session?.bearer);
      if (index === -1) return { type: 'token', token: bearer.token, source: 'header' };
      // Only a value shaped like the provider's own token is forwarded; another service's secret is not ours.
      if ((providers[index] as ProviderConfig).session?.bearerShape(bearer.token)) {
        const credential = { via: 'bearer' as const, name: 'authorization', value: bearer.token };
        return { type: 'opaque', provider: index, credential, source: 'header' };
      }
    }
  }
  for (let i = 0; i < providers.length; i++) {
    const header = providers[i]?.session?.header;
    const value = header === undefined ? undefined : headers[header];
    if (typeof value === 'string' && value.length > 0) {
      return {
        type: 'opaque',
        provider: i,
        credential: { via: 'header', name: header as string, value },
        source: 'header',
      };
    }
  }
  for (let i = 0; i < providers.length; i++) {
    const p = providers[i] as ProviderConfig;
    if (p.cookieName !== undefined && p.jwt) {
      const value = cookies()[p.cookieName];
      if (value !== undefined && value.length > 0) {
        return { type: 'token', token: value, source: 'cookie', cookieName: p.cookieName };
      }
    }
    const found = p.session ? sessionCookies(p.session, cookies()) : [];
    if (found.length > MAX_SESSION_COOKIES) {
      return {
        type: 'malformed',
        reason: `more than ${MAX_SESSION_COOKIES} ${p.name} session cookies`,
        source: 'cookie',
      };
    }
    const [first, ...alternatives] = found.map((c) => ({ via: 'cookie' as const, ...c }));
    if (first) {
      return {
        type: 'opaque',
        provider: i,
        credential: first,
        source: 'cookie',
        ...(alternatives.length > 0 ? { alternatives } : {}),
      };
    }
  }
  return { type: 'none' };
}

/** An RFC 6265 cookie name of sane length: a name a client invents must not be forwarded to the provider otherwise. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/;

/** The provider's session cookies present on the request: exact names first, then prefixed names in order. */
function sessionCookies(
  session: NonNullable<ProviderConfig['session']>,
  cookies: Record<string, string | undefined>,
): { name: string; value: string }[] {
  const found: { name: string; value: string }[] = [];
  for (const name of session.cookieNames) {
    const value = cookies[name];
    if (value !== undefined && value.length > 0) found.push({ name, value });
  }
  if (session.cookiePrefixes.length === 0) return found;
  for (const name of Object.keys(cookies)) {
    const value = cookies[name];
    if (value === undefined || value.length === 0 || !COOKIE_NAME.test(name)) continue;
    if (session.cookieNames.includes(name)) continue;
    if (session.cookiePrefixes.some((prefix) => name.startsWith(prefix))) {
      found.push({ name, value });
      // One past the limit is enough to refuse the request.
      if (found.length > MAX_SESSION_COOKIES) break;
    }
  }
  return found;
}
