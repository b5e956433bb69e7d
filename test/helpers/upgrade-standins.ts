/**
 * Local stand-ins of the providers' session-creating endpoints, as /work/shared/SILENT-MIGRATION.md states
 * them: Stytch Attest Session, an RFC 8693 token endpoint (also Auth0 Custom Token Exchange's form), an RFC 7523
 * token endpoint (Ory Hydra's jwt-bearer grant) and Authgear's Admin API GraphQL `createSession`.
 *
 * Each checks what the real service checks: the assertion's signature through the bridge's `upgradeKeys()`
 * fetched over HTTP (jose `createRemoteJWKSet`, as the provider would), `iss`, `aud`, `exp - iat <= 300`, a
 * `jti` never seen before, and the client authentication (Authgear: the admin JWT against the admin key). Each
 * answers in the real shape: Stytch `{ status_code, request_id, error_type, error_message, error_url }`, OAuth
 * `{ error, error_description }`, GraphQL `errors`. Each issues provider JWTs signed with its own key, served
 * at `jwksPath`, so the bridge can verify what it hands out.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createLocalJWKSet, createRemoteJWKSet, type JWK, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { json, type RecordedRequest, type StandinServer, startStandin } from './standin-server.js';
import { createSigningKey, type SigningKey } from './tokens.js';

/** How the provider trusts the bridge: its trust profile / trust relationship. */
export interface BridgeTrust {
  issuer: string;
  audience: string;
  /** Where the bridge serves `upgradeKeys()`; read when the first assertion arrives. */
  keysUrl: () => string;
}

export interface UpgradeStandin {
  server: StandinServer;
  /** The provider's signing key (its own tokens). */
  key: SigningKey;
  /** Issuer of the provider's own tokens. */
  issuer: string;
  jwksUri: string;
  /** Assertions accepted so far (the `jti` of each). */
  accepted: string[];
  /** Provider calls that reached the endpoint. */
  calls: () => number;
  close(): Promise<void>;
}

/** Verifies an assertion as a provider does, and remembers its `jti`. Answers the reason on refusal. */
function assertionVerifier(trust: BridgeTrust) {
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  const seen = new Set<string>();
  return async (
    token: unknown,
    audience = trust.audience,
  ): Promise<{ ok: true; payload: JWTPayload } | { ok: false; reason: string }> => {
    if (typeof token !== 'string') return { ok: false, reason: 'no token' };
    keys ??= createRemoteJWKSet(new URL(trust.keysUrl()), { cacheMaxAge: 0, cooldownDuration: 0 });
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: trust.issuer,
        audience,
        algorithms: ['RS256', 'ES256'],
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti'],
      }));
    } catch (err) {
      return { ok: false, reason: (err as Error).name };
    }
    if ((payload.exp as number) - (payload.iat as number) > 300)
      return { ok: false, reason: 'lifetime over 300 s' };
    if (seen.has(payload.jti as string)) return { ok: false, reason: 'jti already used' };
    seen.add(payload.jti as string);
    return { ok: true, payload };
  };
}

function basicCredentials(req: RecordedRequest): [string, string] | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

async function withKey(
  handler: (req: RecordedRequest, res: ServerResponse) => Promise<void>,
  jwksPath: string,
  key: SigningKey,
): Promise<StandinServer> {
  return startStandin((req, res) => {
    if (req.method === 'GET' && req.path === jwksPath) {
      json(res, 200, { keys: [key.publicJwk] });
      return;
    }
    handler(req, res).catch((err: unknown) => json(res, 500, { error: String(err) }));
  });
}

/* ------------------------------------------------------------ Stytch ------------------------------------------------------------ */

export interface StytchAttestStandinOptions {
  projectId: string;
  secret: string;
  profileId: string;
  trust: BridgeTrust;
  /** The profile's attribute mapping: Stytch attribute -> JWT claim. `email` and `token_id` are required. */
  attributeMapping?: { email: string; token_id: string };
  /** Existing Stytch users by email (`can_jit_provision` is off). */
  users: Record<string, string>;
}

export async function startStytchAttestStandin(options: StytchAttestStandinOptions): Promise<UpgradeStandin> {
  const key = await createSigningKey({ alg: 'RS256' });
  const jwksPath = `/v1/sessions/jwks/${options.projectId}`;
  const issuer = `stytch.com/${options.projectId}`;
  const mapping = options.attributeMapping ?? { email: 'email', token_id: 'jti' };
  const verify = assertionVerifier(options.trust);
  const accepted: string[] = [];
  let calls = 0;
  const error = (res: ServerResponse, status: number, type: string, message: string) =>
    json(res, status, {
      status_code: status,
      request_id: `request-id-test-${randomUUID()}`,
      error_type: type,
      error_message: message,
      error_url: `https://stytch.com/docs/api/errors/${status}#${type}`,
    });
  const server = await withKey(
    async (req, res) => {
      if (req.method !== 'POST' || req.path !== '/v1/sessions/attest')
        return error(res, 404, 'not_found', 'Not found.');
      calls++;
      const creds = basicCredentials(req);
      if (!creds || creds[0] !== options.projectId || creds[1] !== options.secret) {
        return error(res, 401, 'unauthorized_credentials', 'Unauthorized credentials.');
      }
      const body = parseJson(req.body);
      if (!body || typeof body.profile_id !== 'string' || typeof body.token !== 'string') {
        return error(res, 400, 'invalid_request', 'profile_id and token are required.');
      }
      if (body.profile_id !== options.profileId)
        return error(res, 404, 'profile_not_found', 'Unknown profile.');
      const checked = await verify(body.token);
      if (!checked.ok) return error(res, 401, 'invalid_token', 'The token could not be verified.');
      const email = checked.payload[mapping.email];
      const tokenId = checked.payload[mapping.token_id];
      if (typeof email !== 'string' || typeof tokenId !== 'string') {
        return error(res, 400, 'invalid_token', 'The token lacks a mapped attribute.');
      }
      const userId = options.users[email];
      if (userId === undefined) return error(res, 404, 'user_not_found', 'No user with this email.');
      accepted.push(tokenId);
      const minutes = body.session_duration_minutes;
      const requestId = `request-id-test-${randomUUID()}`;
      if (typeof minutes !== 'number') {
        // Without session_duration_minutes no session is created.
        return json(res, 200, {
          status_code: 200,
          request_id: requestId,
          user_id: userId,
          session_token: '',
          session_jwt: '',
          user: { user_id: userId },
        });
      }
      const now = Math.floor(Date.now() / 1000);
      const sessionId = `session-test-${randomUUID()}`;
      const custom =
        typeof body.session_custom_claims === 'object'
          ? (body.session_custom_claims as Record<string, unknown>)
          : {};
      const session = {
        session_id: sessionId,
        user_id: userId,
        started_at: new Date(now * 1000).toISOString(),
        last_accessed_at: new Date(now * 1000).toISOString(),
        expires_at: new Date((now + minutes * 60) * 1000).toISOString(),
        custom_claims: custom,
      };
      const sessionJwt = await new SignJWT({
        ...custom,
        'https://stytch.com/session': {
          id: sessionId,
          started_at: session.started_at,
          last_accessed_at: session.last_accessed_at,
          expires_at: session.expires_at,
          authentication_factors: [],
        },
      })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience([options.projectId])
        .setSubject(userId)
        .setIssuedAt(now)
        .setNotBefore(now)
        .setExpirationTime(now + 300)
        .sign(key.privateKey);
      json(res, 200, {
        status_code: 200,
        request_id: requestId,
        user_id: userId,
        session_token: `session-token-${randomUUID()}`,
        session_jwt: sessionJwt,
        user: { user_id: userId, emails: [{ email, verified: true }] },
        session,
      });
    },
    jwksPath,
    key,
  );
  return {
    server,
    key,
    issuer,
    jwksUri: `${server.origin}${jwksPath}`,
    accepted,
    calls: () => calls,
    close: () => server.close(),
  };
}

/* ------------------------------------------------------- RFC 8693 / RFC 7523 ------------------------------------------------------- */

export interface OAuthStandinOptions {
  clientId: string;
  clientSecret: string;
  /** The client's registered authentication method. */
  clientAuth: 'basic' | 'post';
  trust: BridgeTrust;
  /** The grants this endpoint serves. */
  grants: Array<'token-exchange' | 'jwt-bearer'>;
  /** RFC 8693 `subject_token_type` accepted. Default `urn:ietf:params:oauth:token-type:jwt`. */
  subjectTokenType?: string;
  /** `aud` of the issued access tokens. */
  apiAudience: string;
  /** Token exchange: the claim the issued token carries the legacy user id in (the Action's / server's choice). */
  linkClaim?: string;
  /** Token exchange: the provider's user id for a legacy user id (Auth0's `setUserById`). Default `provider|<id>`. */
  subjectFor?: (legacyUserId: string) => string;
  /** Auth0's answer (adds `id_token`, no `issued_token_type`) instead of RFC 8693's. */
  flavour?: 'rfc8693' | 'auth0';
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/**
 * The RFC 8693 server most endpoint tests use: client `client` with HTTP Basic, the token-exchange grant, tokens
 * for `api://orders` carrying the legacy id in `legacy_user_id`.
 */
export function startLinkedExchangeStandin(trust: OAuthStandinOptions['trust'], clientSecret: string) {
  return startOAuthStandin({
    clientId: 'client',
    clientSecret,
    clientAuth: 'basic',
    trust,
    grants: ['token-exchange'],
    apiAudience: 'api://orders',
    linkClaim: 'legacy_user_id',
  });
}

export async function startOAuthStandin(
  options: OAuthStandinOptions,
): Promise<UpgradeStandin & { tokenEndpoint: string; setDeny(on: boolean): void }> {
  // Like an Auth0 Action calling `api.access.deny()`: a valid subject token, refused by the server's own rule.
  let deny = false;
  const key = await createSigningKey({ alg: 'RS256' });
  const verify = assertionVerifier(options.trust);
  const accepted: string[] = [];
  let calls = 0;
  let origin = '';
  const oauthError = (res: ServerResponse, status: number, error: string, description: string) =>
    json(
      res,
      status,
      { error, error_description: description },
      status === 401 ? { 'www-authenticate': 'Basic realm="token"' } : {},
    );
  const mint = (claims: Record<string, unknown>, sub: string) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
      .setIssuer(`${origin}/`)
      .setAudience(options.apiAudience)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .setJti(randomUUID())
      .sign(key.privateKey);
  };
  const server = await withKey(
    async (req, res) => {
      if (req.method !== 'POST' || req.path !== '/oauth/token')
        return oauthError(res, 404, 'invalid_request', 'Not found.');
      calls++;
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) {
        return oauthError(res, 400, 'invalid_request', 'The body must be form-encoded.');
      }
      const form = new URLSearchParams(req.body);
      const basic = basicCredentials(req);
      const [id, secret] =
        options.clientAuth === 'basic'
          ? basic
            ? [decodeURIComponent(basic[0]), decodeURIComponent(basic[1])]
            : [undefined, undefined]
          : [form.get('client_id'), form.get('client_secret')];
      if (id !== options.clientId || secret !== options.clientSecret) {
        return oauthError(res, 401, 'invalid_client', 'Client authentication failed.');
      }
      const grant = form.get('grant_type');
      if (grant === TOKEN_EXCHANGE && options.grants.includes('token-exchange')) {
        const expectedType = options.subjectTokenType ?? 'urn:ietf:params:oauth:token-type:jwt';
        if (form.get('subject_token_type') !== expectedType) {
          return oauthError(res, 400, 'invalid_request', 'Unsupported subject_token_type.');
        }
        const checked = await verify(form.get('subject_token'));
        if (!checked.ok || deny) return oauthError(res, 400, 'invalid_request', 'Invalid subject token.');
        accepted.push(checked.payload.jti as string);
        const legacyUserId = checked.payload.sub as string;
        const sub = options.subjectFor?.(legacyUserId) ?? `provider|${legacyUserId}`;
        const claims = options.linkClaim ? { [options.linkClaim]: legacyUserId } : {};
        const accessToken = await mint(claims, sub);
        if (options.flavour === 'auth0') {
          return json(res, 200, {
            access_token: accessToken,
            id_token: await mint({}, sub),
            token_type: 'Bearer',
            expires_in: 3600,
            scope: form.get('scope') ?? 'openid',
          });
        }
        return json(res, 200, {
          access_token: accessToken,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer',
          expires_in: 3600,
        });
      }
      if (grant === JWT_BEARER && options.grants.includes('jwt-bearer')) {
        // Ory Hydra: the assertion's aud is the token URL; iss trusted, sub, exp, iat, jti required; jti once.
        const checked = await verify(form.get('assertion'), `${origin}/oauth/token`);
        if (!checked.ok) return oauthError(res, 400, 'invalid_grant', 'The assertion is not valid.');
        accepted.push(checked.payload.jti as string);
        return json(res, 200, {
          access_token: await mint({}, checked.payload.sub as string),
          token_type: 'bearer',
          expires_in: 3600,
          scope: form.get('scope') ?? '',
        });
      }
      oauthError(res, 400, 'unsupported_grant_type', 'The grant type is not supported.');
    },
    '/jwks.json',
    key,
  );
  origin = server.origin;
  return {
    server,
    key,
    issuer: `${origin}/`,
    jwksUri: `${origin}/jwks.json`,
    tokenEndpoint: `${origin}/oauth/token`,
    accepted,
    setDeny: (on: boolean) => {
      deny = on;
    },
    calls: () => calls,
    close: () => server.close(),
  };
}

/* ------------------------------------------------------------ Authgear ------------------------------------------------------------ */

export interface AuthgearStandinOptions {
  appId: string;
  /** The public half of the project's Admin API key. */
  adminPublicKey: JWK;
  /** First-party clients. */
  clientIds: string[];
  /** Users by email: their raw user id. */
  users: Record<string, string>;
  /** `createSession` enabled for the project (off by default at Authgear). Default `true` here. */
  createSessionEnabled?: boolean;
}

export async function startAuthgearStandin(
  options: AuthgearStandinOptions,
): Promise<UpgradeStandin & { admin: { jwts: JWTPayload[] }; setCreateSession(on: boolean): void }> {
  const key = await createSigningKey({ alg: 'RS256' });
  const adminKeys = createLocalJWKSet({ keys: [options.adminPublicKey] });
  const jwts: JWTPayload[] = [];
  const accepted: string[] = [];
  let calls = 0;
  let origin = '';
  const state = { createSessionEnabled: options.createSessionEnabled ?? true };
  const gqlError = (res: ServerResponse, message: string, errorName: string) =>
    json(res, 200, { data: null, errors: [{ message, extensions: { errorName, reason: errorName } }] });
  const server = await withKey(
    async (req, res) => {
      if (req.method !== 'POST' || req.path !== '/_api/admin/graphql')
        return json(res, 404, { error: 'not found' });
      calls++;
      const header = req.headers.authorization;
      if (typeof header !== 'string' || !header.startsWith('Bearer '))
        return json(res, 401, { error: 'unauthorized' });
      try {
        const { payload } = await jwtVerify(header.slice(7), adminKeys, {
          audience: options.appId,
          algorithms: ['RS256'],
          requiredClaims: ['iat', 'exp'],
        });
        if ((payload.exp as number) - (payload.iat as number) > 300)
          throw new Error('admin JWT lives too long');
        jwts.push(payload);
      } catch {
        return json(res, 401, { error: 'unauthorized' });
      }
      const body = parseJson(req.body);
      const query = typeof body?.query === 'string' ? body.query : '';
      const variables = (body?.variables ?? {}) as Record<string, unknown>;
      if (query.includes('getUserByLoginID')) {
        const value = variables.loginIDValue;
        const id = typeof value === 'string' ? options.users[value] : undefined;
        return json(res, 200, {
          data: {
            getUserByLoginID: id === undefined ? null : { id: Buffer.from(`User:${id}`).toString('base64') },
          },
        });
      }
      if (query.includes('createSession')) {
        if (!state.createSessionEnabled) return gqlError(res, 'CreateSession is disabled', 'Forbidden');
        const clientID = variables.clientID;
        if (typeof clientID !== 'string' || !options.clientIds.includes(clientID)) {
          return gqlError(res, 'cannot create session for non-first party client', 'Invalid');
        }
        const decoded = Buffer.from(String(variables.userID), 'base64').toString('utf8');
        const userId = decoded.startsWith('User:') ? decoded.slice(5) : '';
        if (!Object.values(options.users).includes(userId))
          return gqlError(res, 'user not found', 'NotFound');
        const now = Math.floor(Date.now() / 1000);
        const accessToken = await new SignJWT({ client_id: clientID })
          .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
          .setIssuer(origin)
          .setAudience([origin])
          .setSubject(userId)
          .setIssuedAt(now)
          .setExpirationTime(now + 1800)
          .setJti(randomUUID())
          .sign(key.privateKey);
        accepted.push(userId);
        return json(res, 200, {
          data: {
            createSession: {
              accessToken,
              refreshToken: `refresh-${randomUUID()}`,
              tokenType: 'Bearer',
              expiresIn: 1800,
            },
          },
        });
      }
      json(res, 200, { data: null, errors: [{ message: 'unknown operation' }] });
    },
    '/oauth2/jwks',
    key,
  );
  origin = server.origin;
  return {
    server,
    key,
    issuer: origin,
    jwksUri: `${origin}/oauth2/jwks`,
    accepted,
    admin: { jwts },
    calls: () => calls,
    close: () => server.close(),
    setCreateSession: (on: boolean) => {
      state.createSessionEnabled = on;
    },
  };
}
