import type { UpgradeExchange } from '../types.js';
import { type ClientAuth, parseClient, requestToken } from './oauth-token.js';
import { knownOptions, optionalOption, providerUrl } from './provider-call.js';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** Options of `jwtBearerGrant()` (RFC 7523). */
export interface JwtBearerGrantOptions {
  /** Required. The token endpoint; also the assertion's `aud` unless `upgrade.audience` is set. */
  tokenEndpoint: string;
  /** Required. A confidential client allowed the jwt-bearer grant. */
  clientId: string;
  /** Required. Never logged. */
  clientSecret: string;
  /** `scope`. Default: none. */
  scope?: string;
  /** Client authentication: `'basic'` or `'post'`. Default `'basic'` (Ory Hydra's `client_secret_basic`). */
  clientAuth?: ClientAuth;
}

const KEYS: Array<keyof JwtBearerGrantOptions> = [
  'tokenEndpoint',
  'clientId',
  'clientSecret',
  'scope',
  'clientAuth',
];

/**
 * RFC 7523 JWT bearer grant: the bridge's assertion is the `assertion`, its `aud` the token endpoint; the
 * issued token's `sub` is the assertion's `sub`, the legacy user id (so the default `provider.userId` links it).
 *
 * Ory Hydra: allow the client the grant `urn:ietf:params:oauth:grant-type:jwt-bearer`, and create a trust
 * relationship `POST /admin/trust/grants/jwt-bearer/issuers { issuer: upgrade.issuer, allow_any_subject: true,
 * scope: [...], jwk: <the public key from bridge.upgradeKeys()>, expires_at }`; Hydra requires `jti` and
 * refuses one it has seen.
 */
export function jwtBearerGrant(options: JwtBearerGrantOptions): UpgradeExchange {
  const f = 'jwtBearerGrant';
  const given = knownOptions(f, options, KEYS);
  const tokenEndpoint = providerUrl(
    f,
    'tokenEndpoint',
    given.tokenEndpoint,
    'https://hydra.example.com/oauth2/token',
  );
  const client = parseClient(f, given, tokenEndpoint, 'basic');
  const scope = optionalOption(f, 'scope', given.scope, "space-separated scopes, e.g. 'openid'");
  return {
    kind: 'jwt-bearer-grant',
    audience: tokenEndpoint,
    usesAssertion: true,
    exchange: ({ assertion, signal }) =>
      requestToken(f, client, { grant_type: JWT_BEARER_GRANT, assertion, scope }, signal),
  };
}
