import type { IncomingMessage } from 'node:http';
import type { JWK } from 'jose';

/** The legacy login an upgrade starts from, as `claims()`, `eligible()` and adapters see it. Read-only. */
export interface LegacyUpgradeSubject {
  /** The legacy user id: the assertion's `sub`. */
  userId: string;
  /** The legacy session as the store (or `legacy.resolve`) returned it. Never written. */
  session: unknown;
}

/** What one call of `bridge.upgradeEndpoint()` decided (the `result` of a `SessionUpgradeEvent`). */
export type SessionUpgradeResult =
  /** The provider created a session; the user now holds a provider credential. */
  | 'upgraded'
  /** The request already carried a valid provider credential for the same user: nothing was asked. */
  | 'already'
  /** The provider refused the assertion (403 `ERR_BRIDGE_UPGRADE_REFUSED`). */
  | 'refused'
  /** The provider failed, was slow or the breaker was open; or the link could not be stored (503). */
  | 'failed'
  /** No valid legacy session on the request (401). */
  | 'unauthenticated'
  /** A cross-site call, or a mode that does not upgrade (403). */
  | 'forbidden'
  /** `upgrade.eligible` returned false (403). */
  | 'ineligible';

/** One decision of the upgrade endpoint, handed to `onEvent` and the stats. Carries no user, token or secret. */
export interface SessionUpgradeEvent {
  type: 'session-upgrade';
  /** Milliseconds since the epoch (from the `now` option). */
  time: number;
  result: SessionUpgradeResult;
}

/** What the exchange adapter is handed for one upgrade. */
export interface UpgradeExchangeInput {
  /** The signed assertion (compact JWS). Never log it. */
  assertion: string;
  /** The legacy user id (the assertion's `sub`). */
  userId: string;
  /** The extra claims `upgrade.claims()` returned (Authgear reads its login id from them). */
  claims: Readonly<Record<string, unknown>>;
  /** Aborts when `upgrade.timeoutMs` is over. */
  signal: AbortSignal;
}

/** A provider session, as an exchange adapter hands it back. */
export interface UpgradeGrant {
  /** The token fields of the provider's answer, as the provider gave them (`deliver: 'json'` sends these). */
  tokens: Readonly<Record<string, unknown>>;
  /** The credential the bridge's provider settings read: Stytch's `session_jwt`, else the access token. */
  credential: string;
  /** Cookies the provider's own SDK reads (Stytch: `stytch_session`, `stytch_session_jwt`); else none. */
  cookies: ReadonlyArray<{ name: string; value: string }>;
  /** Seconds the provider session lasts, when the provider says. */
  expiresInSeconds: number | undefined;
  /** The provider's user id when its answer names it (Stytch `user_id`, Authgear's user). */
  subject: string | undefined;
}

/**
 * Thrown (or rejected) by an adapter when the provider answered and refused: a 4xx, or Authgear's GraphQL
 * error. Anything else an adapter throws means the provider failed (503). The message must carry no token.
 */
export class UpgradeRefusal extends Error {
  override readonly name = 'UpgradeRefusal';
}

/**
 * An exchange adapter: `stytchAttest()`, `auth0TokenExchange()`, `tokenExchange()`, `jwtBearerGrant()` or
 * `authgearCreateSession()`. Built and validated once; `exchange` is called at most once per upgrade.
 */
export interface UpgradeExchange {
  /** The adapter's name, for debug lines. */
  readonly kind: string;
  /** The assertion's `aud` this provider expects, when the adapter defines it (RFC 7523: the token endpoint). */
  readonly audience: string | undefined;
  /** The adapter does not send the bridge's assertion (Authgear's Admin API signs its own admin JWT). */
  readonly usesAssertion: boolean;
  /** Asks the provider for a session. Rejects with `UpgradeRefusal` when the provider refuses. */
  exchange(input: UpgradeExchangeInput): Promise<UpgradeGrant>;
}

/** Cookie attributes of `deliver: 'cookie'`. Cookies are always HttpOnly. */
export interface UpgradeCookieOptions {
  /** Default: none (host-only). */
  domain?: string;
  /** Default `'/'`. */
  path?: string;
  /** Default `'lax'`. */
  sameSite?: 'lax' | 'strict' | 'none';
  /** Default `true`. */
  secure?: boolean;
}

/** What `upgrade.onUpgrade` is told once a provider session exists and its identity is not linked yet. */
export interface UpgradeLink {
  /** The legacy user id. */
  userId: string;
  /** The provider's `name`. */
  provider: string;
  /** The provider identity: only (iss, sub) identifies it. */
  iss: string;
  sub: string;
}

/** The `upgrade` option of `sessionBridge()`: silent migration of valid legacy sessions. */
export interface UpgradeOptions {
  /**
   * Required. The private JWK the bridge signs assertions with: `kid` and `alg` (`RS256` or `ES256`) set. Every
   * instance uses the same key. Its public half is served by `bridge.upgradeKeys()`.
   */
  signingKey: JWK;
  /** Public JWKs still published during a rotation. Default: none. */
  previousKeys?: JWK[];
  /** Required. The assertion's `iss`, e.g. your app's URL; the provider's trust profile names it. */
  issuer: string;
  /** The assertion's `aud`. Required unless the adapter defines it (`jwtBearerGrant`: its token endpoint). */
  audience?: string;
  /** Seconds from `iat` to `exp`. Default `60`, at most `300`. */
  lifetimeSeconds?: number;
  /**
   * Extra claims from the legacy login (e.g. `{ email }` for Stytch's attribute mapping, Authgear's login id).
   * May be async. Cannot override `iss`, `sub`, `aud`, `iat`, `nbf`, `exp` or `jti`. Default: none.
   */
  claims?: (legacy: LegacyUpgradeSubject) => Record<string, unknown> | Promise<Record<string, unknown>>;
  /** Required. The provider's side: one of the adapters. */
  exchange: UpgradeExchange;
  /** `false` refuses the upgrade (403), e.g. to demand a recent sign-in or exclude admins. May be async. Default: all. */
  eligible?: (legacy: LegacyUpgradeSubject, req: IncomingMessage) => boolean | Promise<boolean>;
  /**
   * `'cookie'` sets the provider's cookies (Stytch: `stytch_session`, `stytch_session_jwt`; otherwise the
   * provider's `cookieName` holding the access token); `'json'` answers the tokens in the body. Default
   * `'cookie'` when the provider reads a cookie, else `'json'`.
   */
  deliver?: 'cookie' | 'json';
  /** Attributes of the cookies (HttpOnly always). Default `{ path: '/', sameSite: 'lax', secure: true }`. */
  cookie?: UpgradeCookieOptions;
  /** Origins besides the request's own that may call the endpoint, e.g. `['https://app.example.com']`. Default: none. */
  allowedOrigins?: string[];
  /** The provider `name` to upgrade to, when the bridge has several. Default: the first provider. */
  provider?: string;
  /**
   * Stores the link when the provider's token cannot carry the legacy user id; may be async. The bridge then
   * caches it (`provider.userIdCache`). A throw answers 503. Default: none (`provider.linkClaim` must link).
   */
  onUpgrade?: (link: UpgradeLink) => void | Promise<void>;
  /** Milliseconds the provider may take before the answer is 503. Default `5000`. */
  timeoutMs?: number;
  /** Consecutive provider failures that open the circuit breaker. Default `5`. */
  failureThreshold?: number;
  /** Milliseconds the breaker answers 503 at once before one upgrade probes. Default `30000`. */
  coolDownMs?: number;
}

/** The public JWK Set `bridge.upgradeKeys()` serves. */
export interface UpgradeKeySet {
  keys: JWK[];
}
