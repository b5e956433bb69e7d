import type { ProviderOptions } from '../types.js';

/** Any other OpenID provider: keys through `{issuer}/.well-known/openid-configuration`. Same as a plain `ProviderOptions`. */
export function oidc(options: ProviderOptions): ProviderOptions {
  return { ...options };
}
