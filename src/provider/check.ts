import {
  decodeJwt,
  decodeProtectedHeader,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyOptions,
  errors as joseErrors,
} from 'jose';
import { BridgeError } from '../errors.js';
import type { ProviderConfig } from '../options/config.js';
import { isCanonicalCompactJws } from './compact-jws.js';
import type { CredentialSource, ProviderCredential } from './credential.js';
import { ProviderKeys } from './keys.js';
import { type OpaqueSession, OpaqueSessionChecker } from './opaque/checker.js';
import { type CachedToken, TokenCache, type TokenCacheSettings } from './token-cache.js';
import { UserLinker } from './user-linker.js';
import { MAX_TOKEN_LENGTH, verifyOptionsFor, verifyToken } from './verify-token.js';

/** One configured provider with the machinery built once at construction. */
export class ProviderRuntime {
  readonly config: ProviderConfig;
  readonly keys: ProviderKeys;
  readonly linker: UserLinker;
  readonly verifyOptions: JWTVerifyOptions;
  /** The opaque session check, when the provider has one. */
  readonly opaque: OpaqueSessionChecker | undefined;
  constructor(config: ProviderConfig, now: () => number, debug: (message: string) => void) {
    this.config = config;
    this.keys = new ProviderKeys(config, now, debug);
    this.linker = new UserLinker(config);
    this.verifyOptions = verifyOptionsFor(config);
    this.opaque = config.session
      ? new OpaqueSessionChecker(config.session.lookup, config.session.settings, now)
      : undefined;
  }
}

/** A provider credential that checked out, before it is linked to a user. */
export interface VerifiedCredential {
  source: CredentialSource;
  provider: string;
  /** Verified JWT claims, or `{ iss, sub, exp?, scope? }` for an opaque session. */
  payload: JWTPayload;
  /** JWTs only. */
  header?: JWTHeaderParameters;
  /** JWTs only. */
  token?: string;
  /** Opaque sessions only: the provider's answer. */
  providerSession?: unknown;
  /** Where `linkClaim` is read: the claims, or the provider's identity object. */
  identity: Record<string, unknown>;
}

export type ProviderResult =
  | { state: 'none' }
  | (Omit<VerifiedCredential, 'identity'> & {
      state: 'ok';
      userId: string;
      /** The identity was linked to the legacy user by this request (`provider.link`). */
      linked?: true;
    })
  /** Rejected (`invalid`) or undecidable (`unavailable`); `source` is undefined for a malformed header. */
  | {
      state: 'invalid' | 'unavailable';
      source: CredentialSource | undefined;
      provider?: string;
      error: BridgeError;
      /** A valid credential whose identity is linked to no user: `provider.link` may still link it. */
      unlinked?: { runtime: ProviderRuntime; credential: VerifiedCredential };
    };

/** Picks the provider by the (not yet verified) `iss` claim; verification then checks it for real. */
function route(
  credential: Extract<ProviderCredential, { type: 'token' }>,
  runtimes: readonly ProviderRuntime[],
): ProviderRuntime {
  const { token } = credential;
  let iss: unknown;
  try {
    if (token.length > MAX_TOKEN_LENGTH) throw new Error('too large');
    if (!isCanonicalCompactJws(token)) throw new Error('not a canonical compact JWS');
    decodeProtectedHeader(token);
    iss = decodeJwt(token).iss;
  } catch (cause) {
    throw new BridgeError('ERR_BRIDGE_TOKEN_INVALID', 'The token is not a well-formed JWT.', { cause });
  }
  const runtime =
    typeof iss === 'string'
      ? runtimes.find((r) => r.config.jwt && r.config.issuers.includes(iss as string))
      : undefined;
  if (!runtime) {
    const expected = runtimes.filter((r) => r.config.jwt).map((r) => r.config.issuer);
    throw untrusted(new IssuerMismatch(expected, iss, 'no configured provider has this issuer'));
  }
  if (!accepts(runtime, credential)) throw untrusted(placeMismatch(runtime, credential, iss));
  return runtime;
}

/** A credential counts only where the provider its issuer routes to looks for it. */
function accepts(
  runtime: ProviderRuntime,
  credential: Extract<ProviderCredential, { type: 'token' }>,
): boolean {
  return credential.source === 'header'
    ? runtime.config.bearer
    : runtime.config.cookieName === credential.cookieName;
}

/**
 * The `cause` of `ERR_BRIDGE_UNTRUSTED_ISSUER`: which issuers were expected and which was received. For the
 * `debug` log and an error handler (`errors: 'next'`); the response never says which issuers are trusted.
 */
export class IssuerMismatch extends Error {
  override readonly name = 'IssuerMismatch';
  /** The issuers of the configured providers that accept JWTs. */
  readonly expected: readonly string[];
  /** The token's `iss` claim, as it came (untrusted input). */
  readonly received: unknown;
  constructor(expected: readonly string[], received: unknown, why: string) {
    const shown = typeof received === 'string' ? JSON.stringify(received.slice(0, 200)) : String(received);
    super(
      `expected issuer ${expected.map((e) => JSON.stringify(e)).join(' or ') || '(none)'}, received ${shown}: ${why}`,
    );
    this.expected = expected;
    this.received = received;
  }
}

/** A trusted issuer's token, sent where that provider does not look (the Bearer header, or another cookie). */
function placeMismatch(
  runtime: ProviderRuntime,
  credential: Extract<ProviderCredential, { type: 'token' }>,
  received: unknown,
): IssuerMismatch {
  const where =
    credential.source === 'header' ? 'in the Authorization header' : `in the cookie ${credential.cookieName}`;
  const looks = [
    runtime.config.bearer ? 'the Authorization header' : undefined,
    runtime.config.cookieName ? `the cookie ${runtime.config.cookieName}` : undefined,
  ].filter(Boolean);
  return new IssuerMismatch(
    [runtime.config.issuer],
    received,
    `the token came ${where}, but provider ${runtime.config.name} reads only ${looks.join(' and ') || 'nothing'}`,
  );
}

function untrusted(cause: IssuerMismatch): BridgeError {
  return new BridgeError(
    'ERR_BRIDGE_UNTRUSTED_ISSUER',
    'The token was issued by an issuer this API does not trust.',
    { cause },
  );
}

/** Clock time until which a verified token may be reused: its `exp`, `maxTokenAgeSeconds`, the keys' freshness. */
function reusableUntil(runtime: ProviderRuntime, payload: JWTPayload): number {
  let until = Math.min(Number(payload.exp) * 1000, runtime.keys.freshUntil);
  const maxAge = runtime.config.maxTokenAgeSeconds;
  if (maxAge !== undefined && typeof payload.iat === 'number')
    until = Math.min(until, (payload.iat + maxAge) * 1000);
  return until;
}

/** Verifies a JWT for the provider it routed to, through the cache: a hit costs no signature check. */
async function verifyJwt(
  credential: Extract<ProviderCredential, { type: 'token' }>,
  runtime: ProviderRuntime,
  cache: TokenCache<ProviderRuntime> | undefined,
  now: number,
): Promise<VerifiedCredential> {
  const { token, source } = credential;
  try {
    const { payload, header } = await verifyToken(token, runtime.verifyOptions, runtime.keys, now);
    cache?.set(token, { owner: runtime, payload, header, until: reusableUntil(runtime, payload) }, now);
    return { source, provider: runtime.config.name, payload, header, token, identity: payload };
  } catch (err) {
    // Remember refusals that cost a signature or claims check; an unknown kid may be a key not fetched yet.
    if (
      cache &&
      err instanceof BridgeError &&
      err.status === 401 &&
      !(err.cause instanceof joseErrors.JWKSNoMatchingKey)
    ) {
      cache.refuse(token, runtime, err.code, err.message, now);
    }
    throw err;
  }
}

/**
 * The `req.auth.payload` of an opaque session: the provider's issuer, the subject, expiry and scope if known,
 * and the verified facts the provider gave as OIDC claims (Ory: `email`, `email_verified`).
 */
function sessionPayload(config: ProviderConfig, session: OpaqueSession): JWTPayload {
  return {
    iss: config.issuer,
    sub: session.subject,
    ...(session.expiresAt === undefined ? {} : { exp: Math.floor(session.expiresAt / 1000) }),
    ...(session.scope === undefined ? {} : { scope: session.scope }),
    ...session.claims,
  };
}

async function checkOpaque(
  credential: Extract<ProviderCredential, { type: 'opaque' }>,
  runtime: ProviderRuntime,
): Promise<VerifiedCredential> {
  const checker = runtime.opaque as OpaqueSessionChecker;
  // Candidate session cookies in order: the first valid one counts; one the provider cannot check stops here.
  let result = await checker.check(credential.credential);
  for (const next of credential.alternatives ?? []) {
    if (result.state !== 'refused') break;
    result = await checker.check(next);
  }
  if (result.state === 'refused') {
    throw new BridgeError('ERR_BRIDGE_TOKEN_INVALID', 'The provider does not recognise this session.');
  }
  if (result.state === 'unavailable') {
    const error = new BridgeError(
      'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
      'The provider could not be asked about this session.',
      { cause: result.cause },
    );
    error.headers['Retry-After'] = String(result.retryAfterSeconds);
    throw error;
  }
  return {
    source: credential.source,
    provider: runtime.config.name,
    payload: sessionPayload(runtime.config, result.session),
    providerSession: result.session.answer,
    identity: result.session.identity,
  };
}

/**
 * Verifies the provider credential of a request and links it to a user. Never throws, never rejects. A token
 * answered from the cache and linked without a callback is decided synchronously, with no promise.
 */
export function checkProvider(
  credential: ProviderCredential,
  runtimes: readonly ProviderRuntime[],
  now: number,
  cache?: TokenCache<ProviderRuntime>,
): ProviderResult | Promise<ProviderResult> {
  if (credential.type === 'none') return { state: 'none' };
  if (credential.type === 'malformed') {
    return {
      state: 'invalid',
      source: credential.source ?? 'header',
      error: new BridgeError(
        'ERR_BRIDGE_INVALID_REQUEST',
        credential.source === 'cookie'
          ? `Malformed request: ${credential.reason}.`
          : `Malformed Authorization header: ${credential.reason}.`,
      ),
    };
  }
  const { source } = credential;
  let runtime: ProviderRuntime | undefined;
  try {
    if (credential.type === 'opaque') {
      const owner = runtimes[credential.provider] as ProviderRuntime;
      runtime = owner;
      return checkOpaque(credential, owner)
        .then((verified) => linked(owner, verified))
        .catch((err: unknown) => failed(err, source, owner));
    }
    const { token } = credential;
    const hit = cache?.get(token, now);
    // The hit path of a reused token: no signature check, no closure, one result object.
    if (hit && accepts(hit.owner, credential)) return reused(hit, credential);
    const refusal = hit ? undefined : cache?.refusal(token, now);
    const owner = hit?.owner ?? refusal?.owner ?? route(credential, runtimes);
    runtime = owner;
    if (!accepts(owner, credential)) {
      throw untrusted(placeMismatch(owner, credential, (hit ?? refusal)?.owner.config.issuer));
    }
    if (refusal) throw new BridgeError(refusal.code, refusal.message);
    return verifyJwt(credential, owner, cache, now)
      .then((verified) => linked(owner, verified))
      .catch((err: unknown) => failed(err, source, owner));
  } catch (err) {
    return failed(err, source, runtime);
  }
}

/** A token the cache holds, for the provider it was verified for: linked to its user as `linked` would. */
function reused(
  hit: CachedToken<ProviderRuntime>,
  credential: Extract<ProviderCredential, { type: 'token' }>,
): ProviderResult | Promise<ProviderResult> {
  const { owner: runtime, payload, header } = hit;
  let userId: string | undefined | Promise<string | undefined>;
  try {
    userId = runtime.linker.userId(payload, payload);
  } catch (err) {
    return failed(err, credential.source, runtime);
  }
  if (userId !== undefined && !(userId instanceof Promise)) {
    return {
      state: 'ok',
      source: credential.source,
      provider: runtime.config.name,
      payload,
      header,
      token: credential.token,
      userId,
    };
  }
  const verified: VerifiedCredential = {
    source: credential.source,
    provider: runtime.config.name,
    payload,
    header,
    token: credential.token,
    identity: payload,
  };
  if (userId === undefined) return settleLink(runtime, verified, undefined);
  return userId
    .then((id) => settleLink(runtime, verified, id))
    .catch((err: unknown) => failed(err, credential.source, runtime));
}

/** Links a verified credential to a user: synchronous unless `provider.userId` has to be asked. */
function linked(
  runtime: ProviderRuntime,
  verified: VerifiedCredential,
): ProviderResult | Promise<ProviderResult> {
  const userId = runtime.linker.userId(verified.payload, verified.identity);
  return userId instanceof Promise
    ? userId.then((id) => settleLink(runtime, verified, id))
    : settleLink(runtime, verified, userId);
}

/** The result of a verified credential and the user it links to (none: `unlinked`, which `provider.link` may still link). */
function settleLink(
  runtime: ProviderRuntime,
  verified: VerifiedCredential,
  userId: string | undefined,
): ProviderResult {
  if (userId === undefined) {
    return {
      state: 'invalid',
      source: verified.source,
      provider: runtime.config.name,
      error: unlinkedError(),
      unlinked: { runtime, credential: verified },
    };
  }
  return { state: 'ok', ...verified, userId };
}

function failed(
  err: unknown,
  source: CredentialSource,
  runtime: ProviderRuntime | undefined,
): ProviderResult {
  const error =
    err instanceof BridgeError
      ? err
      : new BridgeError('ERR_BRIDGE_TOKEN_INVALID', 'The token could not be verified.', { cause: err });
  return {
    state: error.status === 503 ? 'unavailable' : 'invalid',
    source,
    ...(runtime ? { provider: runtime.config.name } : {}),
    error,
  };
}

export function unlinkedError(): BridgeError {
  return new BridgeError(
    'ERR_BRIDGE_IDENTITY_UNLINKED',
    'The credential is valid but no user is linked to its identity.',
  );
}

/** The runtimes of every configured provider and the verified-token cache they share, built once. */
export function buildProviders(
  configs: readonly ProviderConfig[],
  now: () => number,
  debug: (message: string) => void,
  cacheSettings: TokenCacheSettings | undefined,
): { runtimes: ProviderRuntime[]; cache: TokenCache<ProviderRuntime> | undefined } {
  const runtimes = configs.map((c) => new ProviderRuntime(c, now, debug));
  const cache = cacheSettings ? new TokenCache<ProviderRuntime>(cacheSettings) : undefined;
  if (cache) for (const runtime of runtimes) runtime.keys.onRefresh = (kids) => cache.dropKeys(runtime, kids);
  return { runtimes, cache };
}
