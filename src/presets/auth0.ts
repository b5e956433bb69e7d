import { OptionChecks } from '../options/checks.js';
import type { ProviderOptions } from '../types.js';

/** Options of the `auth0()` preset; any `ProviderOptions` field overrides what the preset sets. */
export interface Auth0PresetOptions extends Partial<ProviderOptions> {
  /** Your tenant's domain, e.g. `tenant.eu.auth0.com` or a custom domain such as `login.example.com`. */
  domain: string;
  /** The API identifier of your Auth0 API (the `aud` of its access tokens). */
  audience: string | string[];
}

/**
 * Auth0: access tokens as `Authorization: Bearer`, issuer `https://{domain}/` (with the trailing slash Auth0
 * puts in `iss`), keys at `https://{domain}/.well-known/jwks.json`, RS256.
 */
export function auth0(options: Auth0PresetOptions): ProviderOptions {
  const { domain, ...overrides } = options;
  const host = presetHost('auth0', 'domain', domain, 'tenant.eu.auth0.com');
  return {
    name: 'auth0',
    issuer: `https://${host}/`,
    jwksUri: `https://${host}/.well-known/jwks.json`,
    algorithms: ['RS256'],
    bearer: true,
    ...overrides,
  };
}

/** A bare host name (no scheme, path or trailing slash) given to a preset; throws a TypeError that says what to pass. */
export function presetHost(preset: string, option: string, value: unknown, example: string): string {
  const check: OptionChecks = new OptionChecks(`${preset}()`);
  if (typeof value !== 'string' || value.length === 0)
    check.missing(option, `pass your host name, e.g. '${example}'.`);
  const host = value.replace(/^https:\/\//, '').replace(/\/+$/, '');
  if (!/^[A-Za-z0-9.-]+(?::\d+)?$/.test(host))
    check.invalid(option, value, `a host name such as '${example}'`);
  return host;
}
