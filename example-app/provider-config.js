/**
 * Runs the example against a real provider preset instead of its local OpenID provider, by configuration:
 *
 *   BRIDGE_PROVIDER=auth0    AUTH0_DOMAIN=tenant.eu.auth0.com AUTH0_AUDIENCE=https://api.example.com
 *   BRIDGE_PROVIDER=stytch   STYTCH_PROJECT_ID=project-test-...  [STYTCH_CUSTOM_DOMAIN=login.example.com]
 *   BRIDGE_PROVIDER=ory      ORY_URL=https://{slug}.projects.oryapis.com
 *   BRIDGE_PROVIDER=authgear AUTHGEAR_ENDPOINT=https://myapp.authgear.cloud
 *   BRIDGE_PROVIDER=oidc     OIDC_ISSUER=https://login.example.com/ OIDC_AUDIENCE=https://api.example.com
 *
 * Optional for all: LINK_CLAIM (where the provider carries the legacy user id, e.g. metadata_public.legacy_user_id).
 * Unset BRIDGE_PROVIDER keeps the local provider (the default: nothing leaves the machine).
 */
import { auth0, authgear, oidc, ory, stytch } from 'express-session-bridge';

function required(env, name) {
  const value = env[name];
  if (!value) throw new Error(`BRIDGE_PROVIDER=${env.BRIDGE_PROVIDER} needs ${name}`);
  return value;
}

/** The provider options for `BRIDGE_PROVIDER`, or undefined for the local provider. */
export function providerFromEnvironment(env) {
  const kind = env.BRIDGE_PROVIDER;
  if (!kind) return undefined;
  const link = env.LINK_CLAIM ? { linkClaim: env.LINK_CLAIM } : {};
  switch (kind) {
    case 'auth0':
      return auth0({
        domain: required(env, 'AUTH0_DOMAIN'),
        audience: required(env, 'AUTH0_AUDIENCE'),
        ...link,
      });
    case 'stytch':
      return stytch({
        projectId: required(env, 'STYTCH_PROJECT_ID'),
        ...(env.STYTCH_CUSTOM_DOMAIN ? { customDomain: env.STYTCH_CUSTOM_DOMAIN } : {}),
        ...link,
      });
    case 'ory':
      return ory({ url: required(env, 'ORY_URL'), ...link });
    case 'authgear':
      return authgear({ endpoint: required(env, 'AUTHGEAR_ENDPOINT'), ...link });
    case 'oidc':
      return oidc({
        issuer: required(env, 'OIDC_ISSUER'),
        audience: required(env, 'OIDC_AUDIENCE'),
        ...link,
      });
    default:
      throw new Error(`BRIDGE_PROVIDER must be auth0, stytch, ory, authgear or oidc (got ${kind})`);
  }
}
