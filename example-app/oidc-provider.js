/**
 * The *new* identity provider, running locally: a real OpenID provider (the `oidc-provider` package)
 * with sign-in and consent screens of our own (`provider-screens.js`, mounted at `/oidc/interaction`). It issues
 * JWT access tokens (RFC 9068) for the API audience, which is what the bridge verifies.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import Provider, { errors } from 'oidc-provider';
import { memoryAdapter } from './memory-adapter.js';
import { page } from './provider-screens.js';
import { registerTokenExchange, TOKEN_EXCHANGE } from './token-exchange-grant.js';
import { providerAccounts } from './users.js';

/**
 * @param {{ issuer: string, audience: string, client: { id: string, secret: string, redirectUri: string, postLogoutRedirectUri: string },
 *   upgrader?: { id: string, secret: string, trustedIssuer: string, keysUrl: string } }} options
 */
export function createOidcProvider({ issuer, audience, client, upgrader }) {
  // A fresh signing key per start: tokens do not survive a restart, which is fine for a demo.
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' };

  const resourceServer = {
    scope: 'api:read',
    audience,
    accessTokenTTL: 60 * 60,
    accessTokenFormat: 'jwt',
    jwt: { sign: { alg: 'RS256' } },
  };
  const provider = new Provider(issuer, {
    adapter: memoryAdapter(), // in memory, like the rest of the example (see memory-adapter.js)
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        client_name: 'Example backend',
        redirect_uris: [client.redirectUri],
        post_logout_redirect_uris: [client.postLogoutRedirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      // The bridge's upgrade endpoint: a confidential client allowed only the token-exchange grant.
      ...(upgrader
        ? [
            {
              client_id: upgrader.id,
              client_secret: upgrader.secret,
              client_name: 'Silent migration (express-session-bridge)',
              redirect_uris: [],
              response_types: [],
              grant_types: [TOKEN_EXCHANGE],
              token_endpoint_auth_method: 'client_secret_basic',
            },
          ]
        : []),
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    // Lifetimes in seconds (set explicitly: the library's defaults print a notice).
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      Grant: 14 * 86400,
      IdToken: 3600,
      Interaction: 600,
      Session: 14 * 86400,
    },
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },

    // Only the accounts in the table can sign in (the sign-in screen accepts any password).
    async findAccount(_ctx, id) {
      const account = providerAccounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, name: account.name, email: account.email }) };
    },

    // Our own screens (provider-screens.js): the development ones load a web font from the internet.
    interactions: {
      url: (_ctx, interaction) =>
        `${new URL(issuer).pathname.replace(/\/$/, '')}/interaction/${interaction.uid}`,
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      // RFC 8707: the API is a resource server; its access tokens are JWTs with `aud` = the API.
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo(_ctx, resource) {
          if (resource !== audience) throw new errors.InvalidTarget();
          return resourceServer;
        },
      },
    },
    renderError,
  });
  if (upgrader) registerTokenExchange(provider, { ...upgrader, audience, resourceServer });
  return provider;
}

async function logoutSource(ctx, form) {
  ctx.body = page(
    'Sign out of the provider',
    `<h1>Sign out of the new provider?</h1>${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
  );
}

async function postLogoutSuccessSource(ctx) {
  ctx.body = page(
    'Signed out',
    '<h1>Signed out of the provider</h1><p><a href="/">Back to the example app</a></p>',
  );
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  const text = Object.entries(out)
    .map(([key, value]) => `${key}: ${String(value).replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`)}`)
    .join('\n');
  ctx.body = page('Provider error', `<h1>Provider error</h1><pre>${text}</pre><p><a href="/">Back</a></p>`);
}
