/**
 * Local stand-ins of the providers' endpoints, shaped like their documented wire formats (shared/ANCHORS.md):
 * Auth0 (`/.well-known/jwks.json`), Stytch (`/v1/sessions/jwks/{project_id}`), Authgear (discovery,
 * `/oauth2/jwks`, `/_resolver/resolve`) and an RFC 7662 introspection endpoint. Each records its requests.
 */
import type { JWK } from 'jose';
import { json, type StandinServer, startStandin } from './standin-server.js';
import { createSigningKey, type SigningKey, type TokenOverrides, tokenMinter } from './tokens.js';

export interface KeyedStandin {
  server: StandinServer;
  key: SigningKey;
  jwksUri: string;
  /** A token signed by the published key, with the provider's own claim shape as defaults. */
  mint: (overrides?: TokenOverrides) => Promise<string>;
  close(): Promise<void>;
}

function jwks(keys: JWK[]) {
  return { keys };
}

/** Auth0: issuer `https://{tenant}/` (trailing slash), keys at `/.well-known/jwks.json`, RS256. */
export async function startAuth0Standin(options: {
  domain: string;
  audience: string;
}): Promise<KeyedStandin> {
  const key = await createSigningKey({ alg: 'RS256' });
  const server = await startStandin((req, res) => {
    if (req.path === '/.well-known/jwks.json') json(res, 200, jwks([key.publicJwk]));
    else json(res, 404, { error: 'not_found' });
  });
  return {
    server,
    key,
    jwksUri: `${server.origin}/.well-known/jwks.json`,
    mint: tokenMinter(key, {
      iss: `https://${options.domain}/`,
      aud: options.audience,
      sub: 'auth0|64f1c2a9e1b2c3d4e5f60718',
      claims: { azp: 'spa-client-id', scope: 'openid profile read:orders' },
    }),
    close: () => server.close(),
  };
}

/**
 * Stytch: session JWTs with `iss` `stytch.com/{project_id}`, `aud` `[project_id]`, a 5-minute lifetime and the
 * `https://stytch.com/session` claim; keys at `/v1/sessions/jwks/{project_id}`.
 */
export async function startStytchStandin(options: { projectId: string }): Promise<KeyedStandin> {
  const key = await createSigningKey({ alg: 'RS256' });
  const path = `/v1/sessions/jwks/${options.projectId}`;
  const server = await startStandin((req, res) => {
    if (req.path === path) json(res, 200, jwks([key.publicJwk]));
    else json(res, 404, { status_code: 404, error_type: 'not_found' });
  });
  const now = Math.floor(Date.now() / 1000);
  return {
    server,
    key,
    jwksUri: `${server.origin}${path}`,
    mint: tokenMinter(key, {
      iss: `stytch.com/${options.projectId}`,
      aud: [options.projectId],
      sub: 'user-test-16d9ba61-97a1-4ba4-9720-b03761dc50c6',
      exp: now + 300,
      claims: {
        'https://stytch.com/session': {
          id: 'session-test-fe6c042b-6286-479f-8a4f-b046a6c46509',
          started_at: new Date().toISOString(),
          last_accessed_at: new Date().toISOString(),
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          attributes: { user_agent: '', ip_address: '' },
          authentication_factors: [
            { type: 'magic_link', delivery_method: 'email', last_authenticated_at: new Date().toISOString() },
          ],
        },
      },
    }),
    close: () => server.close(),
  };
}

export interface AuthgearStandin extends KeyedStandin {
  endpoint: string;
  /** Session cookie values the resolver knows, with their user id. */
  sessions: Map<string, string>;
}

/**
 * Authgear: discovery at `/.well-known/openid-configuration`, keys at `/oauth2/jwks`, issuer and audience the
 * endpoint; `/_resolver/resolve` answers 200 with `X-Authgear-*` headers for the forwarded `session` cookie.
 */
export async function startAuthgearStandin(): Promise<AuthgearStandin> {
  const key = await createSigningKey({ alg: 'RS256' });
  const sessions = new Map<string, string>();
  let endpoint = '';
  const server = await startStandin((req, res) => {
    if (req.path === '/.well-known/openid-configuration') {
      json(res, 200, {
        issuer: endpoint,
        jwks_uri: `${endpoint}/oauth2/jwks`,
        authorization_endpoint: `${endpoint}/oauth2/authorize`,
      });
    } else if (req.path === '/oauth2/jwks') {
      json(res, 200, jwks([key.publicJwk]));
    } else if (req.path === '/_resolver/resolve') {
      const cookie = typeof req.headers.cookie === 'string' ? req.headers.cookie : '';
      const value = /(?:^|;\s*)session=([^;]*)/.exec(cookie)?.[1];
      const userId = value === undefined ? undefined : sessions.get(value);
      const headers: Record<string, string> =
        userId === undefined
          ? value === undefined
            ? {}
            : { 'x-authgear-session-valid': 'false' }
          : {
              'x-authgear-session-valid': 'true',
              'x-authgear-user-id': userId,
              'x-authgear-user-anonymous': 'false',
              'x-authgear-user-verified': 'true',
              'x-authgear-session-amr': 'pwd',
              'x-authgear-session-authenticated-at': String(Math.floor(Date.now() / 1000)),
              'x-authgear-user-can-reauthenticate': 'true',
            };
      res.writeHead(200, headers).end();
    } else {
      json(res, 404, { error: 'not_found' });
    }
  });
  endpoint = server.origin;
  return {
    server,
    key,
    endpoint,
    sessions,
    jwksUri: `${endpoint}/oauth2/jwks`,
    mint: tokenMinter(key, {
      iss: endpoint,
      aud: endpoint,
      sub: '0b2a3f5e-8c1d-4e6f-9a7b-1c2d3e4f5a6b',
      claims: { client_id: 'web', 'https://authgear.com/claims/user/is_anonymous': false },
    }),
    close: () => server.close(),
  };
}

export interface IntrospectionStandin {
  server: StandinServer;
  endpoint: string;
  clientId: string;
  clientSecret: string;
  /** token -> the answer for an active token. */
  tokens: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

/** RFC 7662: `POST token=...` with HTTP Basic client authentication; `{"active": false}` for anything else. */
export async function startIntrospectionStandin(): Promise<IntrospectionStandin> {
  const clientId = 'resource-server';
  const clientSecret = 's3cret:with+chars';
  const tokens = new Map<string, Record<string, unknown>>();
  const expected = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret).replace(/%20/g, '+')}`).toString('base64')}`;
  const server = await startStandin((req, res) => {
    if (req.path !== '/introspect' || req.method !== 'POST') {
      json(res, 404, { error: 'not_found' });
      return;
    }
    if (req.headers.authorization !== expected) {
      json(res, 401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="introspection"' });
      return;
    }
    const token = new URLSearchParams(req.body).get('token') ?? '';
    const answer = tokens.get(token);
    json(res, 200, answer ? { active: true, ...answer } : { active: false });
  });
  return {
    server,
    endpoint: `${server.origin}/introspect`,
    clientId,
    clientSecret,
    tokens,
    close: () => server.close(),
  };
}
