import { createPrivateKey, type KeyObject } from 'node:crypto';
import { type JWK, SignJWT } from 'jose';
import { type UpgradeExchange, UpgradeRefusal } from '../types.js';
import {
  adapterChecks,
  adapterFail,
  isRecord,
  knownOptions,
  optionalOption,
  ProviderFailure,
  postToProvider,
  providerUrl,
  requiredOption,
} from './provider-call.js';

/** Options of `authgearCreateSession()`. */
export interface AuthgearCreateSessionOptions {
  /** Required. Your project's endpoint, e.g. `https://myapp.authgear.cloud`. */
  endpoint: string;
  /** Required. The project id: the admin JWT's `aud`. */
  appId: string;
  /** Required. The project's Admin API private key as a JWK with its `kid` (RS256). Never logged. */
  adminKey: JWK;
  /** Required. The first-party client the session is created for. */
  clientId: string;
  /**
   * The login id key users are found by; its value is the claim of the same name that `upgrade.claims()`
   * returns. Default `'email'`.
   */
  loginIdKey?: string;
}

const KEYS: Array<keyof AuthgearCreateSessionOptions> = [
  'endpoint',
  'appId',
  'adminKey',
  'clientId',
  'loginIdKey',
];

/** Lifetime of the admin JWT: Authgear's docs use about 5 minutes. */
const ADMIN_JWT_SECONDS = 300;

const FIND_USER =
  'query ($loginIDKey: String!, $loginIDValue: String!) { getUserByLoginID(loginIDKey: $loginIDKey, loginIDValue: $loginIDValue) { id } }';
const CREATE_SESSION =
  'mutation ($userID: ID!, $clientID: String!) { createSession(input: { userID: $userID, clientID: $clientID }) { accessToken refreshToken tokenType expiresIn } }';

function parseAdminKey(f: string, value: unknown): { key: KeyObject; kid: string } {
  const check = adapterChecks(f);
  if (!isRecord(value) || typeof value.d !== 'string') {
    check.missing(
      'adminKey',
      'pass the Admin API private key as a JWK (with its `kid`) from the Authgear portal.',
    );
  }
  const jwk = value as Record<string, unknown>;
  if (typeof jwk.kid !== 'string' || jwk.kid.length === 0)
    check.missing('adminKey.kid', 'pass the key id the portal shows.');
  if (jwk.alg !== undefined && jwk.alg !== 'RS256') {
    check.invalid('adminKey.alg', jwk.alg, "'RS256'", 'the Admin API key as the portal gives it');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: jwk as JWK & { kty: string }, format: 'jwk' });
  } catch {
    return adapterFail(f, '`adminKey` is not a usable private JWK.');
  }
  if (key.asymmetricKeyType !== 'rsa') adapterFail(f, '`adminKey` must be an RSA key (RS256).');
  return { key, kid: jwk.kid as string };
}

/** The first GraphQL error's message when it is short and plain; never anything else of the answer. */
function graphqlError(body: Record<string, unknown>): string | undefined {
  const errors = body.errors;
  if (!Array.isArray(errors) || errors.length === 0) return undefined;
  const message = isRecord(errors[0]) ? errors[0].message : undefined;
  return typeof message === 'string' && message.length <= 200
    ? message.replace(/[^\x20-\x7e]/g, '')
    : 'GraphQL error';
}

/** The user's raw id from a Relay global id (`base64("User:<id>")`), Authgear's `sub`. */
function userIdOf(globalId: string): string {
  const decoded = Buffer.from(globalId, 'base64').toString('utf8');
  return decoded.startsWith('User:') && decoded.length > 5 ? decoded.slice(5) : globalId;
}

/**
 * Authgear's Admin API: finds the user by login id (`getUserByLoginID`), then `createSession(input: { userID,
 * clientID })`, with a Bearer admin JWT (RS256, the admin key's `kid`, `aud` = `appId`, valid 5 minutes). The
 * bridge's assertion is not sent: the admin key is the trust.
 *
 * In the Authgear portal: enable `createSession` for the project (it is off by default: "CreateSession is
 * disabled"), use a first-party client, import users first (`/_api/admin/users/import`), and download the Admin
 * API key as a JWK. Link with `upgrade.onUpgrade` (the user's Authgear id is told there) or a custom attribute.
 */
export function authgearCreateSession(options: AuthgearCreateSessionOptions): UpgradeExchange {
  const f = 'authgearCreateSession';
  const given = knownOptions(f, options, KEYS);
  const endpoint = providerUrl(f, 'endpoint', given.endpoint, 'https://myapp.authgear.cloud');
  const appId = requiredOption(f, 'appId', given.appId, 'your Authgear project id');
  const admin = parseAdminKey(f, given.adminKey);
  const clientId = requiredOption(f, 'clientId', given.clientId, 'the first-party client id');
  const loginIdKey =
    optionalOption(f, 'loginIdKey', given.loginIdKey, "a login id key, e.g. 'email'") ?? 'email';
  const url = `${endpoint}/_api/admin/graphql`;

  async function call(query: string, variables: Record<string, string>, signal: AbortSignal) {
    const now = Math.floor(Date.now() / 1000);
    const adminJwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: admin.kid, typ: 'JWT' })
      .setAudience(appId)
      .setIssuedAt(now)
      .setExpirationTime(now + ADMIN_JWT_SECONDS)
      .sign(admin.key);
    const { body } = await postToProvider(f, url, {
      headers: {
        authorization: `Bearer ${adminJwt}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ query, variables }),
      signal,
    });
    const record = body as Record<string, unknown>;
    const error = graphqlError(record);
    if (error !== undefined) throw new UpgradeRefusal(`${f}: ${error}`);
    if (!isRecord(record.data)) throw new ProviderFailure(`${f}: the answer has no \`data\``);
    return record.data;
  }

  return {
    kind: 'authgear-create-session',
    audience: undefined,
    usesAssertion: false,
    async exchange({ claims, signal }) {
      const loginIdValue = claims[loginIdKey];
      if (typeof loginIdValue !== 'string' || loginIdValue.length === 0) {
        throw new UpgradeRefusal(
          `${f}: \`upgrade.claims()\` returned no \`${loginIdKey}\` to find the user by`,
        );
      }
      const found = await call(FIND_USER, { loginIDKey: loginIdKey, loginIDValue: loginIdValue }, signal);
      const user = found.getUserByLoginID;
      if (user === null) throw new UpgradeRefusal(`${f}: no Authgear user has this ${loginIdKey}`);
      if (!isRecord(user) || typeof user.id !== 'string')
        throw new ProviderFailure(`${f}: getUserByLoginID answered no id`);
      const created = await call(CREATE_SESSION, { userID: user.id, clientID: clientId }, signal);
      const session = created.createSession;
      if (!isRecord(session) || typeof session.accessToken !== 'string' || session.accessToken.length === 0) {
        throw new ProviderFailure(`${f}: createSession answered no accessToken`);
      }
      const expiresIn = session.expiresIn;
      const tokens: Record<string, unknown> = {};
      for (const name of ['accessToken', 'refreshToken', 'tokenType', 'expiresIn']) {
        if (session[name] !== undefined && session[name] !== null) tokens[name] = session[name];
      }
      return {
        tokens,
        credential: session.accessToken,
        cookies: [],
        expiresInSeconds:
          typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0
            ? expiresIn
            : undefined,
        subject: userIdOf(user.id),
      };
    },
  };
}
