/**
 * Silent migration, the provider's side: an RFC 8693 token-exchange grant for the local oidc-provider
 * (`registerGrantType`), trusting the example app's `bridge.upgradeKeys()` as an issuer, like a Stytch trusted
 * auth token profile, an Auth0 Custom Token Exchange Action or a Hydra trust relationship would.
 *
 * The subject token must be signed by a key the bridge serves, name the bridge as `iss` and this provider as
 * `aud`, live at most 5 minutes, and carry a `jti` not seen before. Its `email` claim finds the provider
 * account (an unknown email gets a new account: just-in-time provisioning).
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { errors } from 'oidc-provider';
import { providerAccounts } from './users.js';

export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * @param {import('oidc-provider').default} provider
 * @param {{ trustedIssuer: string, keysUrl: string, audience: string, resourceServer: object }} options
 */
export function registerTokenExchange(provider, { trustedIssuer, keysUrl, audience, resourceServer }) {
  const keys = createRemoteJWKSet(new URL(keysUrl));
  /** Seen jti values until their token expires (bounded: at most 10,000 kept). */
  const seen = new Map();

  async function tokenExchangeHandler(ctx) {
    const { params, client } = ctx.oidc;
    if (params.subject_token_type !== JWT_TYPE) {
      throw new errors.InvalidRequest('unsupported subject_token_type');
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(params.subject_token, keys, {
        issuer: trustedIssuer,
        audience: provider.issuer,
        algorithms: ['RS256', 'ES256'],
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      }));
    } catch {
      throw new errors.InvalidRequest('invalid subject token');
    }
    const now = Math.floor(Date.now() / 1000);
    for (const [jti, exp] of seen) if (exp < now) seen.delete(jti);
    if (payload.exp - payload.iat > 300 || seen.has(payload.jti) || seen.size >= 10_000) {
      throw new errors.InvalidRequest('invalid subject token');
    }
    seen.set(payload.jti, payload.exp);

    const email = typeof payload.email === 'string' ? payload.email : undefined;
    let accountId = Object.keys(providerAccounts).find((id) => providerAccounts[id].email === email);
    if (!accountId) {
      if (!email) throw new errors.InvalidRequest('the subject token names no email');
      accountId = email.split('@')[0];
      providerAccounts[accountId] = { name: accountId, email };
    }

    const grant = new provider.Grant({ accountId, clientId: client.clientId });
    grant.addResourceScope(audience, 'api:read');
    const grantId = await grant.save();
    const token = new provider.AccessToken({
      accountId,
      client,
      grantId,
      gty: 'token_exchange',
      scope: 'api:read',
    });
    token.resourceServer = new provider.ResourceServer(audience, resourceServer);
    const value = await token.save();
    ctx.body = {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: token.expiration,
      scope: 'api:read',
    };
  }

  provider.registerGrantType(TOKEN_EXCHANGE, tokenExchangeHandler, [
    'subject_token',
    'subject_token_type',
    'audience',
    'resource',
    'scope',
    'requested_token_type',
  ]);
}
