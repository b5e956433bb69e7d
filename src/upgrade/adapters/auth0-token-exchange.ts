import type { UpgradeExchange } from '../types.js';
import { parseClient, requestToken } from './oauth-token.js';
import {
  adapterChecks,
  adapterFail,
  knownOptions,
  optionalOption,
  providerUrl,
  requiredOption,
} from './provider-call.js';
import { TOKEN_EXCHANGE_GRANT } from './token-exchange.js';

/** Options of `auth0TokenExchange()`. */
export interface Auth0TokenExchangeOptions {
  /** Required. Your tenant's domain, e.g. `example.eu.auth0.com` (or a custom domain). */
  domain: string;
  /** Required. The first-party application allowed `custom_authentication` token exchange profiles. */
  clientId: string;
  /** Required. Never logged. */
  clientSecret: string;
  /**
   * Required. The `subject_token_type` of your Custom Token Exchange profile: your own `https://` or `urn:` URI
   * (Auth0 refuses the namespaces of auth0.com, okta.com, `urn:ietf`, `urn:auth0` and `urn:okta`).
   */
  subjectTokenType: string;
  /** The API identifier the access token is for. Default: none (the tenant's default audience). */
  audience?: string;
  /** `scope`, e.g. `'openid profile'`. Default: none. */
  scope?: string;
}

const KEYS: Array<keyof Auth0TokenExchangeOptions> = [
  'domain',
  'clientId',
  'clientSecret',
  'subjectTokenType',
  'audience',
  'scope',
];

const RESERVED_HOSTS = ['auth0.com', 'okta.com'];
const RESERVED_URNS = ['urn:ietf:', 'urn:auth0:', 'urn:okta:'];

function checkSubjectTokenType(f: string, value: string): string {
  const lower = value.toLowerCase();
  if (lower.startsWith('urn:')) {
    if (RESERVED_URNS.some((urn) => lower.startsWith(urn))) {
      adapterFail(
        f,
        `\`subjectTokenType\` cannot use the urn:ietf, urn:auth0 or urn:okta namespaces: use a URN or URL of your own, e.g. 'urn:example:legacy-session'.`,
      );
    }
    return value;
  }
  let host: string;
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:') throw new Error('not https');
    host = url.hostname.toLowerCase();
  } catch {
    return adapterChecks(f).invalid(
      'subjectTokenType',
      value,
      'an https:// or urn: URI of your own',
      "e.g. 'https://example.com/legacy-session'",
    );
  }
  if (RESERVED_HOSTS.some((h) => host === h || host.endsWith(`.${h}`))) {
    adapterFail(
      f,
      '`subjectTokenType` cannot be in the auth0.com or okta.com namespaces: use a URL of your own domain.',
    );
  }
  return value;
}

/** `https://{domain}/oauth/token`; a URL is taken as the tenant's base (plain http only on loopback, for tests). */
function tokenEndpointOf(f: string, domain: string): string {
  const base = domain.includes('://') ? domain : `https://${domain}`;
  return `${providerUrl(f, 'domain', base, "'example.eu.auth0.com'")}/oauth/token`;
}

/**
 * Auth0 Custom Token Exchange (Early Access, Professional and Enterprise plans): the bridge's assertion is the
 * `subject_token` of a token-exchange request to `https://{domain}/oauth/token`.
 *
 * In the Auth0 dashboard and Management API: a token exchange profile `{ name, subject_token_type,
 * action_id, type: 'custom_authentication' }`; the application first-party and OIDC-conformant with
 * `token_exchange.allow_any_profile_of_type: ['custom_authentication']`; the API allowing to skip user
 * consent. The Action (`onExecuteCustomTokenExchange`) verifies `event.transaction.subject_token` against
 * `bridge.upgradeKeys()` (`iss`, `aud`, `exp`, a `jti` not seen before), then calls
 * `api.authentication.setUserById()` (or `setUserByConnection()`) and sets a custom claim with the legacy user
 * id for `provider.linkClaim`. Refuse expected cases with `api.access.deny()`: failures of
 * `rejectInvalidSubjectToken()` count per IP, and every exchange comes from your backend's IP.
 */
export function auth0TokenExchange(options: Auth0TokenExchangeOptions): UpgradeExchange {
  const f = 'auth0TokenExchange';
  const given = knownOptions(f, options, KEYS);
  const domain = requiredOption(
    f,
    'domain',
    given.domain,
    "your tenant's domain, e.g. 'example.eu.auth0.com'",
  );
  const client = parseClient(f, given, tokenEndpointOf(f, domain), 'post');
  const subjectTokenType = checkSubjectTokenType(
    f,
    requiredOption(
      f,
      'subjectTokenType',
      given.subjectTokenType,
      "your profile's subject_token_type, e.g. 'urn:example:legacy-session'",
    ),
  );
  const audience = optionalOption(f, 'audience', given.audience, 'your API identifier');
  const scope = optionalOption(f, 'scope', given.scope, "space-separated scopes, e.g. 'openid profile'");
  return {
    kind: 'auth0-token-exchange',
    audience: undefined,
    usesAssertion: true,
    exchange: ({ assertion, signal }) =>
      requestToken(
        f,
        client,
        {
          grant_type: TOKEN_EXCHANGE_GRANT,
          subject_token_type: subjectTokenType,
          subject_token: assertion,
          audience,
          scope,
        },
        signal,
      ),
  };
}
