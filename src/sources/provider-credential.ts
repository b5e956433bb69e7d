import type { ProviderConfig } from '../options.js';
import type { BridgeRequest } from '../types.js';
import { authorizationHeader, readBearer } from './bearer.js';

/** Where a provider token came from; decides whether a legacy session may stand in for an invalid one. */
export type CredentialSource = 'header' | 'cookie';

export type ProviderCredential =
  | { type: 'none' }
  | { type: 'malformed'; reason: string }
  | { type: 'token'; token: string; source: 'header' }
  /** `cookieName`: the cookie it was read from; only a provider configured with that cookie may accept it. */
  | { type: 'token'; token: string; source: 'cookie'; cookieName: string };

/**
 * Finds the provider credential of a request: `Authorization: Bearer` first (when any provider accepts
 * headers), else the first configured provider cookie that is present. A Bearer header wins over cookies,
 * which browsers attach on their own.
 */
export function readProviderCredential(
  req: BridgeRequest,
  providers: readonly ProviderConfig[],
  acceptsBearer: boolean,
  cookies: () => Record<string, string | undefined>,
): ProviderCredential {
  if (acceptsBearer) {
    const bearer = readBearer(authorizationHeader(req));
    if (bearer.type === 'malformed') return bearer;
    if (bearer.type === 'token') return { type: 'token', token: bearer.token, source: 'header' };
  }
  for (const p of providers) {
    if (p.cookieName === undefined) continue;
    const value = cookies()[p.cookieName];
    if (value !== undefined && value.length > 0) {
      return { type: 'token', token: value, source: 'cookie', cookieName: p.cookieName };
    }
  }
  return { type: 'none' };
}
