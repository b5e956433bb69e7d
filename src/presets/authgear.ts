import { OptionChecks } from '../options/checks.js';
import type { ProviderOptions } from '../types.js';

/** Options of the `authgear()` preset; any `ProviderOptions` field overrides what the preset sets. */
export interface AuthgearPresetOptions extends Partial<ProviderOptions> {
  /** Your Authgear endpoint, e.g. `https://myapp.authgear.cloud`. It is the issuer and the default audience. */
  endpoint: string;
  /** Check Authgear's session cookie through `{endpoint}/_resolver/resolve`. Default `true`. */
  resolver?: boolean;
  /** Name of Authgear's session cookie. Default `'session'`. */
  sessionCookie?: string;
}

/**
 * Authgear: JWT access tokens (when "Issue JWT as access token" is on) as Bearer, keys through discovery at
 * `{endpoint}/.well-known/openid-configuration` (`/oauth2/jwks`); and, with `resolver`, the session cookie
 * checked through Authgear's resolver (`X-Authgear-Session-Valid`, `X-Authgear-User-Id`).
 */
export function authgear(options: AuthgearPresetOptions): ProviderOptions {
  const { endpoint, resolver = true, sessionCookie = 'session', ...overrides } = options;
  const check = new OptionChecks('authgear()');
  if (typeof endpoint !== 'string' || endpoint.length === 0) {
    check.missing('endpoint', "pass your Authgear endpoint, e.g. 'https://myapp.authgear.cloud'.");
  }
  const issuer = endpoint.replace(/\/+$/, '');
  return {
    name: 'authgear',
    issuer,
    audience: issuer,
    algorithms: ['RS256'],
    bearer: true,
    ...(resolver
      ? { session: { check: 'authgear-resolver', endpoint: issuer, cookieName: sessionCookie } }
      : {}),
    ...overrides,
  };
}
