import type { UpgradeExchange } from '../types.js';
import { type ClientAuth, parseClient, requestToken } from './oauth-token.js';
import { knownOptions, optionalOption, providerUrl } from './provider-call.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';

/** Options of `tokenExchange()` (RFC 8693). */
export interface TokenExchangeOptions {
  /** Required. The token endpoint, e.g. `https://id.example.com/oauth/token`. */
  tokenEndpoint: string;
  /** Required. A confidential client allowed to use the token-exchange grant. */
  clientId: string;
  /** Required. Never logged. */
  clientSecret: string;
  /** `subject_token_type`. Default `'urn:ietf:params:oauth:token-type:jwt'`. */
  subjectTokenType?: string;
  /** RFC 8693 `audience`: the API the issued token is for. Default: none. */
  audience?: string;
  /** `scope`. Default: none. */
  scope?: string;
  /** `requested_token_type`. Default: none. */
  requestedTokenType?: string;
  /** Client authentication: `'basic'` (HTTP Basic) or `'post'` (in the form). Default `'basic'`. */
  clientAuth?: ClientAuth;
}

const KEYS: Array<keyof TokenExchangeOptions> = [
  'tokenEndpoint',
  'clientId',
  'clientSecret',
  'subjectTokenType',
  'audience',
  'scope',
  'requestedTokenType',
  'clientAuth',
];

/**
 * RFC 8693 token exchange at any server that supports it: the bridge's assertion is the `subject_token`.
 *
 * At the provider: register a confidential client allowed the grant
 * `urn:ietf:params:oauth:grant-type:token-exchange`, and make the grant trust the bridge as an issuer: verify
 * the subject token against `bridge.upgradeKeys()` (its URL), its `iss` (`upgrade.issuer`) and `aud`
 * (`upgrade.audience`), refuse a `jti` seen before, and issue a token whose claims carry the legacy user id
 * (`sub`, or a claim `provider.linkClaim` reads).
 */
export function tokenExchange(options: TokenExchangeOptions): UpgradeExchange {
  const f = 'tokenExchange';
  const given = knownOptions(f, options, KEYS);
  const tokenEndpoint = providerUrl(
    f,
    'tokenEndpoint',
    given.tokenEndpoint,
    'https://id.example.com/oauth/token',
  );
  const client = parseClient(f, given, tokenEndpoint, 'basic');
  const subjectTokenType =
    optionalOption(f, 'subjectTokenType', given.subjectTokenType, 'a token type URI') ?? JWT_TOKEN_TYPE;
  const audience = optionalOption(f, 'audience', given.audience, 'the API the token is for');
  const scope = optionalOption(f, 'scope', given.scope, "space-separated scopes, e.g. 'openid'");
  const requestedTokenType = optionalOption(
    f,
    'requestedTokenType',
    given.requestedTokenType,
    'a token type URI',
  );
  return {
    kind: 'token-exchange',
    audience: undefined,
    usesAssertion: true,
    exchange: ({ assertion, signal }) =>
      requestToken(
        f,
        client,
        {
          grant_type: TOKEN_EXCHANGE_GRANT,
          subject_token: assertion,
          subject_token_type: subjectTokenType,
          audience,
          scope,
          requested_token_type: requestedTokenType,
        },
        signal,
      ),
  };
}
