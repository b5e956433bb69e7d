/**
 * The internal configuration of one bridge: what `parseOptions` (options.ts) makes of the user's
 * `BridgeOptions`, with every default filled and every value checked. Everything behind `sessionBridge()`
 * reads these types, never the raw options.
 */
import type { CutoverSettings } from '../cutover/state.js';
import type { DrainConfig } from '../legacy-drain/options.js';
import type { OpaqueCheckSettings, OpaqueLookup } from '../provider/opaque/checker.js';
import type { TokenCacheSettings } from '../provider/token-cache.js';
import type { StatsStore } from '../stats/contract.js';
import type { RecorderConfig } from '../stats/recorder.js';
import type {
  AnyBridgeEvent,
  BridgeRequest,
  ConflictPolicy,
  LegacyIdentity,
  LegacyScopes,
  LegacySessionData,
  LegacySessionStore,
  ProviderAlgorithm,
  ProviderOptions,
} from '../types.js';
import type { UpgradeConfig } from '../upgrade/config.js';
import type { CircuitBreaker } from '../util/circuit-breaker.js';
import type { FleetConfig } from './fleet.js';

/** How legacy logins are read: from an express-session store, or by the app's own resolver. */
export type LegacyConfig =
  | {
      type: 'store';
      /** The express-session store the legacy login writes to; only `get(sid, cb)` is called. */
      store: LegacySessionStore;
      /** Every secret to try when unsigning the cookie (`legacy.secret` as a list; rotation). */
      secrets: string[];
      /** Name of the express-session cookie (`connect.sid` unless set). */
      cookieName: string;
      /** Extracts the user id from a stored session; the default reads `passport.user`, then `userId`. */
      userId: (session: LegacySessionData) => unknown;
      /** Milliseconds `store.get` and an async `userId` may each take before the request answers 503. */
      timeoutMs: number;
      /** `legacy.scopes`: a legacy session's scopes for `requireUser({ scopes })`. */
      scopes: LegacyScopes | undefined;
      /** The circuit breaker around `store.get`, one per bridge on the bridge's clock; undefined: `breaker: false`. */
      breaker: CircuitBreaker | undefined;
      /** `legacy.drain`: background scans of the store; undefined when off. */
      drain: DrainConfig | undefined;
    }
  | {
      type: 'resolve';
      /** `legacy.resolve`: the legacy identity of a request, or null/undefined for none. */
      resolve: (
        req: BridgeRequest,
      ) => LegacyIdentity | null | undefined | Promise<LegacyIdentity | null | undefined>;
      /** Milliseconds an async `resolve` may take before the request answers 503. */
      timeoutMs: number;
      /** `legacy.scopes`: a legacy session's scopes for `requireUser({ scopes })`. */
      scopes: LegacyScopes | undefined;
      /** The circuit breaker around `resolve`, one per bridge on the bridge's clock; undefined: `breaker: false`. */
      breaker: CircuitBreaker | undefined;
    };

/** How one provider's opaque credentials are found on a request and checked (`provider.session`). */
export interface ProviderSessionConfig {
  /** Which check: it decides where the credential is read from. */
  check: 'ory-whoami' | 'authgear-resolver' | 'introspection';
  /** Asks the provider about one credential. */
  lookup: OpaqueLookup;
  settings: OpaqueCheckSettings;
  /** Non-JWT `Authorization: Bearer` values go to this check (needs the provider's `bearer`). */
  bearer: boolean;
  /**
   * Whether a non-JWT Bearer value has the shape of this provider's own tokens (Ory: `ory_st_...`); only then
   * is it forwarded. Anything else is not the provider's credential: the request is judged without it.
   */
  bearerShape: (value: string) => boolean;
  /** A header carrying the provider's session token (Ory: `x-session-token`), lower-case. */
  header: string | undefined;
  /** Cookies carrying the provider's session: exact names, and name prefixes (Ory: `ory_session_`). */
  cookieNames: string[];
  cookiePrefixes: string[];
}

/** One identity provider. The fields mirror `ProviderOptions` (see there for each default). */
export interface ProviderConfig {
  /** Shown in `req.auth.provider`, events and stats; the issuer unless `name` is set. Unique per bridge. */
  name: string;
  /** The issuer as configured. */
  issuer: string;
  /** The issuer and its trailing-slash twin, both accepted as `iss` (only the issuer itself when plain). */
  issuers: string[];
  /** Expected `aud`; undefined when `audience: null` said the tokens carry none (not checked). */
  audience: string | string[] | undefined;
  /** JWTs are accepted (verified against the JWKS). */
  jwt: boolean;
  /** Opaque provider credentials, checked with the provider; undefined when there are none. */
  session: ProviderSessionConfig | undefined;
  /** `linkClaim` as a path of keys; undefined when not set. */
  linkClaim: readonly string[] | undefined;
  /** `provider.link`: linking at first sign-in. */
  link: ProviderOptions['link'];
  /** The JWKS URL, or undefined to discover it from the issuer. */
  jwksUri: string | undefined;
  algorithms: ProviderAlgorithm[];
  /** Tokens are accepted from `Authorization: Bearer`. */
  bearer: boolean;
  /** Tokens are also accepted from this cookie. */
  cookieName: string | undefined;
  /** Identity linking; undefined means "the user id is `sub`". */
  userId: ProviderOptions['userId'];
  clockToleranceSeconds: number;
  /** Refuse tokens issued longer ago than this (by `iat`); undefined: no limit. */
  maxTokenAgeSeconds: number | undefined;
  strictAccessToken: boolean;
  requiredClaims: string[];
  jwksTimeoutMs: number;
  jwksCooldownMs: number;
  jwksCacheMaxAgeMs: number;
  userIdCache: { max: number; ttlMs: number };
}

/** The whole bridge, as `sessionBridge()` runs it. */
export interface BridgeConfig {
  /** Undefined when the bridge reads no legacy login. */
  legacy: LegacyConfig | undefined;
  /** In configuration order; empty when the bridge accepts no provider token. */
  providers: ProviderConfig[];
  /** Some provider accepts `Authorization: Bearer`. */
  acceptsBearer: boolean;
  /** Bounds of the verified-token cache; undefined when `tokenCache: false`. */
  tokenCache: TokenCacheSettings | undefined;
  /**
   * `mode` and `cutover` at construction. They change at run time (`bridge.configure()`): the request path
   * reads the bridge's `CutoverState`, never this.
   */
  initial: CutoverSettings;
  /** `nudge`: legacy-authenticated requests get `Session-Bridge-Upgrade: provider`. */
  nudge: boolean;
  /** `upgrade`: silent migration; undefined when off. */
  upgrade: UpgradeConfig | undefined;
  onConflict: ConflictPolicy;
  /** Realm of `WWW-Authenticate`, checked to need no escaping. */
  realm: string;
  onEvent: ((event: AnyBridgeEvent) => void) | undefined;
  /** The stats store; `undefined` means the default `memoryStats()`, `false` records nothing. */
  stats: StatsStore | false | undefined;
  /** `fleet`: defaults filled; `false` keeps everything per process. Used only with a Redis stats store. */
  fleet: FleetConfig | false;
  /** `recorder` with every default filled; checked even with `stats: false`, so a typo never goes unnoticed. */
  recorder: RecorderConfig;
  errors: 'respond' | 'next';
  now: () => number;
  debug: (message: string) => void;
  /** Advice on options that are valid but look mistaken (an issuer in another form than its provider's); logged once. */
  warnings: readonly string[];
}
