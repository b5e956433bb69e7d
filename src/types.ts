import type { IncomingMessage } from 'node:http';
import type { JWTHeaderParameters, JWTPayload } from 'jose';
import type { BridgeErrorCode } from './errors.js';
import type { PasswordMigrationEndpoint, PasswordMigrationResult } from './password-migration/types.js';
import type { SessionUpgradeEvent, UpgradeOptions } from './upgrade/types.js';

/** The two kinds of credential the bridge understands. */
export type CredentialKind = 'legacy' | 'provider';

/** `observe` measures only; `bridge` accepts both; `provider-only` is the cutover. */
export type BridgeMode = 'observe' | 'bridge' | 'provider-only';

/** What to do when a valid legacy session and a valid provider token name different users. */
export type ConflictPolicy = 'reject' | 'prefer-provider' | 'prefer-legacy';

/**
 * The request user, set as `req.auth` by the bridge (never in `observe` mode).
 * The provider fields mirror express-oauth2-jwt-bearer's `req.auth`, so handlers keep working
 * after the bridge is swapped for a provider-only middleware at the end of the migration.
 */
export interface BridgeAuth {
  /** Your application's user id (a linked provider identity resolves to the legacy id). */
  userId: string;
  /** The credential the request was authenticated with. */
  kind: CredentialKind;
  /** Every valid credential the request carried, in the order `legacy`, `provider`. */
  presented: CredentialKind[];
  /** Name of the provider that issued the credential (its `name` option, default its issuer). */
  provider?: string;
  /**
   * Verified JWT claims (provider). For an opaque provider session: `iss` (the provider's issuer), `sub`, and
   * `exp` (seconds) and `scope` when the provider gives them.
   */
  payload?: JWTPayload;
  /** Verified JWT protected header (provider JWTs only). */
  header?: JWTHeaderParameters;
  /** The raw JWT (provider JWTs only). */
  token?: string;
  /** The provider's answer for an opaque session: whoami JSON, resolver headers, introspection JSON. */
  providerSession?: unknown;
  /** The legacy session id (legacy). */
  sessionId?: string;
  /** The legacy session object as the store returned it; read-only by contract (legacy). */
  session?: unknown;
  /**
   * `true` on a request authenticated by a legacy session when the `nudge` option is on (the response then
   * carries `Session-Bridge-Upgrade: provider`): ask the user to sign in with the new provider before the
   * cutover forces it. Absent otherwise.
   */
  upgradeSuggested?: boolean;
}

/** An Express (or plain Node) request that the bridge may have resolved. */
export type BridgeRequest = IncomingMessage & { auth?: BridgeAuth };

/** Minimal express-session `Store` contract the bridge reads from. Any express-session store satisfies it. */
export interface LegacySessionStore {
  // `object`, not `LegacySessionData`, so express-session's own `Store` and `SessionData` types fit as they are.
  get(sid: string, callback: (err: unknown, session?: object | null) => void): void;
}

/** A stored legacy session. Only `cookie.expires` is interpreted; the rest is yours. */
export interface LegacySessionData {
  cookie?: { expires?: Date | string | null; originalMaxAge?: number | null } | undefined;
  [key: string]: unknown;
}

/** What a custom legacy resolver returns for a request with a legacy login. */
export interface LegacyIdentity {
  userId: string;
  session?: unknown;
  sessionId?: string;
}

/**
 * The circuit breaker around the legacy store (`store.get`) or `legacy.resolve`. After `failureThreshold`
 * consecutive failures (errors or timeouts) the bridge stops asking: requests with a legacy cookie answer 503 at
 * once, with `Retry-After`, for `coolDownMs`; then one request probes, and its success closes the circuit.
 * A store answering "not found" (or `ENOENT`) is a success.
 */
export interface LegacyBreakerOptions {
  /** Consecutive failures or timeouts that open the circuit. Default `5`. */
  failureThreshold?: number;
  /** Milliseconds the circuit stays open before one request probes the store again. Default `10000`. */
  coolDownMs?: number;
}

/** Options for reading legacy sessions from an express-session store. */
export interface LegacyStoreOptions {
  /** The express-session store your login writes to (MemoryStore, connect-redis, connect-pg-simple, ...). Required. */
  store: LegacySessionStore;
  /** The express-session `secret`: a string, or an array for rotation (every secret is tried). Required. */
  secret: string | string[];
  /** Name of the session cookie. Default `'connect.sid'`. */
  cookieName?: string;
  /**
   * Extracts your user id from a session. May be async. Return `undefined`/`null` for a session with no login.
   * Default: `session.passport?.user ?? session.userId`.
   */
  userId?: (
    session: LegacySessionData,
  ) => string | number | null | undefined | Promise<string | number | null | undefined>;
  /** Milliseconds to wait for `store.get` before answering 503. Default `2000`. */
  timeoutMs?: number;
  /** Scopes of a legacy session, for `requireUser({ scopes })` (e.g. from its roles). Default: none. */
  scopes?: LegacyScopes;
  /** The circuit breaker around `store.get`; `false` turns it off. Default `{ failureThreshold: 5, coolDownMs: 10000 }`. */
  breaker?: LegacyBreakerOptions | false;
  /**
   * Scan the store in the background (read-only) to tell how many users still hold a valid legacy session and
   * when the last one expires: `true`, or `{ intervalMs, timeoutMs }`. Needs a store that can list its sessions
   * (connect-redis, MemoryStore, or any store with `all` or `ids`). Default: off.
   */
  drain?: boolean | import('./legacy-drain/types.js').LegacyDrainOptions;
}

/** Maps a legacy session (the stored session, or `session` of a `legacy.resolve` identity) to scopes. */
export type LegacyScopes = (session: unknown) => readonly string[] | string | null | undefined;

/** Options for a legacy login that is not express-session (a Rails/PHP cookie, passport upstream, ...). */
export interface LegacyResolverOptions {
  /** Returns the legacy identity of the request, or `null` when it carries no legacy login. May be async. */
  resolve: (
    req: BridgeRequest,
  ) => LegacyIdentity | null | undefined | Promise<LegacyIdentity | null | undefined>;
  /** Milliseconds to wait for `resolve` before answering 503. Default `2000`. */
  timeoutMs?: number;
  /** Scopes of a legacy session, for `requireUser({ scopes })`. Default: none. */
  scopes?: LegacyScopes;
  /** The circuit breaker around `resolve`; `false` turns it off. Default `{ failureThreshold: 5, coolDownMs: 10000 }`. */
  breaker?: LegacyBreakerOptions | false;
}

export type LegacyOptions = LegacyStoreOptions | LegacyResolverOptions;

/** Asymmetric JWS algorithms the bridge accepts in `algorithms`. */
export type ProviderAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519';

/** The provider identity that `provider.link` is asked to link at first sign-in. */
export interface ProviderIdentity {
  /** The provider's `name`. */
  provider: string;
  iss: string;
  sub: string;
  /**
   * Verified JWT claims, or the `payload` of an opaque session: `{ iss, sub, exp?, scope? }` plus, for an Ory
   * session, `email` and `email_verified` read from `identity.traits.email` and `identity.verifiable_addresses`.
   */
  claims: JWTPayload;
  /**
   * The email the provider has verified for this identity, or `undefined` when it says of none: a JWT's
   * `email` with `email_verified: true`; an Ory session's `traits.email` when a `verifiable_addresses` entry
   * for it has `verified: true`; an introspection answer's `email` with `email_verified: true`. Authgear's
   * resolver names no email: put it in a JWT access token, or link with `linkClaim` / `userId`.
   */
  verifiedEmail: string | undefined;
  /**
   * What the provider said about the identity: the JWT claims; Ory's `identity` (`traits`,
   * `verifiable_addresses`, `metadata_public`, ...); Authgear's `X-Authgear-*` headers (`x-authgear-user-verified`,
   * `x-authgear-user-anonymous`, ...); the introspection answer.
   */
  identity: Readonly<Record<string, unknown>>;
  /**
   * Where the provider credential came from. A cookie can be planted in a browser by a sibling subdomain
   * (cookie tossing): link a cookie-borne identity only when something only the account owner has matches
   * (a verified email), or link header credentials only.
   */
  source: 'header' | 'cookie';
}

/** Tuning shared by every opaque session check. */
export interface ProviderSessionTuning {
  /** Milliseconds before the provider's answer is abandoned (503). Default `3000`. */
  timeoutMs?: number;
  /** Longest reuse of a valid answer, never beyond the session's expiry. Default `30000`. */
  cacheTtlMs?: number;
  /** Most valid answers kept. Default `10000`. */
  cacheMax?: number;
  /** How long a refused credential is answered 401 without asking again. Default `5000`. */
  negativeTtlMs?: number;
  /** Most refused credentials remembered. Default `10000`. */
  negativeMax?: number;
  /** Consecutive failures (errors, timeouts) that open the circuit breaker. Default `5`. */
  failureThreshold?: number;
  /** Milliseconds the breaker answers 503 at once before one request probes. Default `30000`. */
  coolDownMs?: number;
}

/**
 * How opaque provider credentials are checked with the provider. Only the provider's own credential is
 * forwarded, never the app's other cookies or headers.
 */
export type ProviderSessionOptions = ProviderSessionTuning &
  (
    | {
        /** Ory: `GET {url}/sessions/whoami` for `ory_session_*` / `ory_kratos_session` cookies, `X-Session-Token`, and `Bearer ory_st_...` session tokens. */
        check: 'ory-whoami';
        url: string;
      }
    | {
        /** Authgear: `{endpoint}/_resolver/resolve` for the session cookie (never a Bearer value). */
        check: 'authgear-resolver';
        endpoint: string;
        /** Authgear's session cookie. Default `'session'`. */
        cookieName?: string;
      }
    | {
        /**
         * RFC 7662 token introspection for non-JWT Bearer tokens: every such value is sent to `endpoint`, which
         * must be your own authorization server. An active answer is refused when its `iss` (if present) is
         * not the provider's issuer, its `nbf` is in the future beyond `clockToleranceSeconds`, or its
         * `token_type` is `refresh_token`.
         */
        check: 'introspection';
        endpoint: string;
        clientId: string;
        clientSecret: string;
        /**
         * Required: the answer's `aud` must contain one of these. Pass `null` knowingly when your authorization
         * server names no audience: then a token issued for any of its clients is accepted.
         */
        audience: string | string[] | null;
      }
  );

/** One new identity provider (any OIDC issuer), or one of the presets (`auth0()`, `ory()`, ...). */
export interface ProviderOptions {
  /**
   * Issuer URL, compared with the token's `iss` (a trailing `/` difference is tolerated); for opaque sessions,
   * the `iss` of `req.auth.payload`. Required.
   */
  issuer: string;
  /**
   * The issuer is not a URL (Stytch's `stytch.com/{project_id}`): accept it as written, compare `iss` exactly,
   * and require `jwksUri`. Default `false` (the issuer must be an https URL).
   */
  plainIssuer?: boolean;
  /**
   * Expected `aud` value(s). Required when JWTs are accepted: an API that accepts any audience accepts tokens
   * minted for other apps. `null` says the provider's tokens carry no audience (e.g. Ory's default tokenized
   * sessions) and `aud` is not checked: only for a key set used by nothing else.
   */
  audience?: string | string[] | null;
  /** Accept JWTs (Bearer or `cookieName`) verified against the JWKS. Default `true`; `false` with `session` only. */
  jwt?: boolean;
  /** Check opaque provider credentials with the provider (Ory whoami, Authgear resolver, introspection). */
  session?: ProviderSessionOptions;
  /**
   * Where the provider carries your user id: a dot path (`'metadata_public.legacy_user_id'`) or an array of keys
   * for names that contain dots (`['https://example.com/claims', 'legacy_id']`). Read from the verified claims,
   * or from the provider's identity object for opaque sessions (Ory: `identity`). A non-empty string or a
   * number is the user id; otherwise `userId` is asked. Default: none.
   */
  linkClaim?: string | readonly string[];
  /**
   * Links an unlinked provider identity to the legacy user at first sign-in: called only when one request
   * carries a valid legacy session and a valid provider credential whose identity `linkClaim` and `userId`
   * did not link. Return `true` once you have stored the link. Needs `linkClaim` or `userId`. See docs/providers.md
   * for the risk and the safe default (compare the provider's `verifiedEmail` with the legacy user's; a recent legacy
   * sign-in alone is not enough: a tossed cookie can be fresh).
   */
  link?: (
    identity: ProviderIdentity,
    legacy: { userId: string; session: unknown },
  ) => boolean | Promise<boolean>;
  /** Name used in `req.auth.provider`, events and stats. Default: the issuer. */
  name?: string;
  /** JWKS URL. Default: `jwks_uri` from `{issuer}/.well-known/openid-configuration`, fetched once. */
  jwksUri?: string;
  /** Allowed signing algorithms: an explicit allowlist, never `none` or HMAC. Default `['RS256']`. */
  algorithms?: ProviderAlgorithm[];
  /** Accept `Authorization: Bearer <jwt>`. Default `true`. */
  bearer?: boolean;
  /** Also accept the JWT from this cookie (e.g. `stytch_session_jwt`). Default: none. */
  cookieName?: string;
  /**
   * Maps verified claims to your user id (identity linking). May be async; results are cached (LRU).
   * Return `null`/`undefined` when the identity is linked to no user (401). Default: `claims.sub`.
   */
  userId?: (
    claims: JWTPayload,
  ) => string | number | null | undefined | Promise<string | number | null | undefined>;
  /** Seconds of clock skew tolerated for `exp`/`nbf`/`iat`. Default `5`. */
  clockToleranceSeconds?: number;
  /**
   * Refuse tokens issued (`iat`) longer ago than this many seconds, like express-oauth2-jwt-bearer's
   * `maxTokenAge`; tokens without `iat` are then refused. Default: no limit (only `exp` applies).
   */
  maxTokenAgeSeconds?: number;
  /** RFC 9068 strict mode: require `typ: at+jwt` and the access-token claims. Default `false`. */
  strictAccessToken?: boolean;
  /** Claims that must be present besides `iss`, `aud`, `exp` and `sub`. Default `[]`. */
  requiredClaims?: string[];
  /** Milliseconds before a JWKS or discovery request is abandoned. Default `5000`. */
  jwksTimeoutMs?: number;
  /** Minimum milliseconds between two JWKS refetches triggered by an unknown `kid`. Default `30000`. */
  jwksCooldownMs?: number;
  /** Maximum age of cached JWKS keys in milliseconds before a refetch. Default `600000`. */
  jwksCacheMaxAgeMs?: number;
  /** Size and lifetime of the `userId` cache. Default `{ max: 10000, ttlMs: 600000 }`. */
  userIdCache?: { max?: number; ttlMs?: number };
}

/**
 * The decision on one request, as `onEvent` sees it (the Prometheus `outcome` label refines it: see `StatsOutcome`).
 * `anonymous`: no usable credential and nothing to reject. `conflict`: both credentials valid for different users
 * with `onConflict: 'reject'`. `unavailable`: a credential could not be checked (503).
 */
export type BridgeOutcome = 'authenticated' | 'anonymous' | 'rejected' | 'conflict' | 'unavailable';

/** What happened to one request. Handed to `onEvent` and to the stats recorder, after the decision. */
export interface BridgeEvent {
  /** Tells request events from password migration events (`PasswordMigrationEvent`) in `onEvent`. */
  type: 'request';
  /** Milliseconds since the epoch (from the `now` option). */
  time: number;
  mode: BridgeMode;
  /**
   * Credentials the request sent, valid or not (`req.auth.presented` lists only the valid ones). `provider`: a
   * provider token was sent. `legacy`: a legacy login was found (a validly signed cookie whose session holds a
   * user), or could not be checked because the store failed; a cookie with a bad signature or for a destroyed
   * session is no credential, as in express-session.
   */
  sent: { legacy: boolean; provider: boolean };
  /** The decision. In `observe` mode this is what `bridge` mode would have decided. */
  outcome: BridgeOutcome;
  /** Why, for `rejected`, `conflict` and `unavailable`; `ERR_BRIDGE_LEGACY_DISABLED` for an `anonymous` request whose legacy session `provider-only` mode refused. */
  code?: BridgeErrorCode;
  /** The credential that authenticated the request. */
  resolvedKind?: CredentialKind;
  /** The resolved user. */
  userId?: string;
  /** The user named by a valid legacy session, even when it was not used (conflict, provider-only). */
  legacyUserId?: string;
  /** The user named by a valid provider token, even when it was not used. */
  providerUserId?: string;
  /** The provider that issued the token, when one was sent. */
  provider?: string;
}

/**
 * What one call of a password migration endpoint (`bridge.passwordMigrationHook`, `bridge.auth0CustomDatabase`)
 * decided. Handed to `onEvent` and to the stats recorder. Never carries the password or the identifier.
 */
export interface PasswordMigrationEvent {
  type: 'password-migration';
  /** Milliseconds since the epoch (from the `now` option). */
  time: number;
  /** The endpoint that decided: the Ory hook, or Auth0's `POST /login` or `POST /get-user`. */
  endpoint: PasswordMigrationEndpoint;
  /** The decision (see `PasswordMigrationResult`). */
  result: PasswordMigrationResult;
}

/** Every event `onEvent` receives: tell them apart by `type`. */
export type AnyBridgeEvent = BridgeEvent | PasswordMigrationEvent | SessionUpgradeEvent;

/**
 * A ramped cutover: a share of legacy *users* is already treated as in `provider-only` mode, the rest still
 * bridges. Each user's place is an HMAC-SHA-256 of their legacy user id under `key`, so a user stays on the
 * same side on every request and every instance with the same key, and raising `percent` only adds users.
 */
export interface CutoverOptions {
  /**
   * Share of legacy users, a finite number from 0 to 100, whose legacy session no longer authenticates (401
   * `ERR_BRIDGE_LEGACY_DISABLED` with `hint: 'provider_login_required'` from `requireUser()`). Required.
   * Requests authenticated by a provider credential are unaffected.
   */
  percent: number;
  /**
   * The HMAC key that places users. Default: derived from the first `legacy.secret` (so a new first secret
   * reshuffles the cohort: pin a key if you rotate during a ramp). Required when `percent` is above 0 with
   * `legacy.resolve`. In `bridge.configure()`, leaving it out keeps the current key.
   */
  key?: string;
}

/** What `bridge.configure()` changes at run time, validated as at construction. Left out: unchanged. */
export interface ConfigureOptions {
  /** The new mode, effective from the next request. */
  mode?: BridgeMode;
  /**
   * The new ramp, effective from the next request. With a shared (Redis) cutover, `key` cannot change at run
   * time: it never goes to Redis, so set it at construction on every instance.
   */
  cutover?: CutoverOptions;
  /** Who makes the change (a user name, a ticket), kept in the history. At most 200 characters. Default: none. */
  by?: string;
}

/** Options of `sessionBridge()`. */
export interface BridgeOptions {
  /** How legacy sessions are read. At least one of `legacy` and `provider` is required. */
  legacy?: LegacyOptions;
  /** The new identity provider, or several (routed by the token's `iss`). */
  provider?: ProviderOptions | ProviderOptions[];
  /**
   * `'observe'`, `'bridge'` or `'provider-only'`. Default `'bridge'`. With a `redisStats()` store this is only
   * the initial fleet state: when Redis already holds one, it wins (see `fleet`).
   */
  mode?: BridgeMode;
  /**
   * A ramped cutover in `bridge` mode: `{ percent, key? }` (see `CutoverOptions`). Changed at run time with
   * `bridge.configure()`. Default `{ percent: 0 }`.
   */
  cutover?: CutoverOptions;
  /**
   * Requests authenticated by a legacy session get the response header `Session-Bridge-Upgrade: provider` and
   * `req.auth.upgradeSuggested: true`, so the front end can ask the user to sign in with the new provider.
   * Default `false`.
   */
  nudge?: boolean;
  /**
   * Silent migration: `bridge.upgradeEndpoint()` turns a valid legacy session into a provider session through
   * one of the exchange adapters, with an assertion the bridge signs (`bridge.upgradeKeys()` serves its public
   * key). See `UpgradeOptions` and docs/silent-migration.md. Default: off.
   */
  upgrade?: UpgradeOptions;
  /** Both credentials valid for different users. Default `'reject'` (400). */
  onConflict?: ConflictPolicy;
  /** Realm in `WWW-Authenticate`. Default `'api'`. */
  realm?: string;
  /**
   * Called synchronously after every decision: a `BridgeEvent` (`type: 'request'`) per request, a
   * `PasswordMigrationEvent` (`type: 'password-migration'`) per password migration decision, a
   * `SessionUpgradeEvent` (`type: 'session-upgrade'`) per upgrade endpoint decision. Must be fast;
   * errors are swallowed. Default: none.
   */
  onEvent?: (event: AnyBridgeEvent) => void;
  /**
   * Where adoption stats are recorded: a stats store, or `false` to record nothing.
   * Default: `memoryStats()` (per process).
   */
  stats?: import('./stats/contract.js').StatsStore | false;
  /**
   * With a `redisStats()` store, instances share the mode and the ramp (`configure()` reaches every instance
   * within `syncMs`), one legacy store scan per interval and a registry shown on the dashboard: see
   * `FleetOptions` and docs/many-instances.md. `false`: all of it per process. Ignored without a Redis store.
   * Default `{ syncMs: 1000 }`.
   */
  fleet?: import('./fleet/types.js').FleetOptions | false;
  /**
   * The cache of verified provider JWTs: a client that reuses its token costs a lookup instead of a signature
   * check. Entries never outlive the token's `exp` (or `maxTokenAgeSeconds`), nor the freshness of the keys that
   * verified it, and tokens signed by a key that left the JWKS are dropped when it is refetched. Refused tokens
   * are refused again for `negativeTtlMs` without a signature check. `false` turns it off.
   * Default `{ max: 10000, maxBytes: 33554432, negativeTtlMs: 5000 }`.
   */
  tokenCache?: { max?: number; maxBytes?: number; negativeTtlMs?: number } | false;
  /** Options of the in-process buffer between requests and the stats store. */
  recorder?: import('./stats/contract.js').RecorderOptions;
  /**
   * How `requireUser()` answers an error (`app.use(bridge)` never answers one): `'respond'` answers it itself
   * (JSON + headers); `'next'` passes a `BridgeError` to `next(err)`. Default `'respond'`.
   */
  errors?: 'respond' | 'next';
  /** Clock in milliseconds, for tests and simulations. Default `Date.now`. */
  now?: () => number;
  /** Debug logger, e.g. `console.debug`. Default: silent. */
  debug?: (message: string) => void;
}
