/**
 * Stable error codes. Tests and apps match on `code`, never on message text.
 */
export type BridgeErrorCode =
  /** Authorization header used the Bearer scheme without a usable token, or credentials were ambiguous. */
  | 'ERR_BRIDGE_INVALID_REQUEST'
  /** The provider token failed verification (signature, claims, algorithm, format). */
  | 'ERR_BRIDGE_TOKEN_INVALID'
  /** The provider token is past its `exp` (beyond the clock tolerance). */
  | 'ERR_BRIDGE_TOKEN_EXPIRED'
  /** The token's `iss` matches no configured provider. */
  | 'ERR_BRIDGE_UNTRUSTED_ISSUER'
  /** The token is valid but `provider.userId` linked it to no user. */
  | 'ERR_BRIDGE_IDENTITY_UNLINKED'
  /** A valid legacy session and a valid provider token name different users (`onConflict: 'reject'`). */
  | 'ERR_BRIDGE_CONFLICT'
  /** `mode: 'provider-only'`: the legacy session is recognised but no longer accepted. */
  | 'ERR_BRIDGE_LEGACY_DISABLED'
  /** `requireUser()` on a request without usable credentials. */
  | 'ERR_BRIDGE_UNAUTHENTICATED'
  /** The provider's keys could not be obtained (discovery or JWKS failed); the token could not be checked. */
  | 'ERR_BRIDGE_JWKS_UNAVAILABLE'
  /** The legacy session store failed or timed out; the session could not be read. */
  | 'ERR_BRIDGE_LEGACY_UNAVAILABLE'
  /** `provider.userId` or `legacy.resolve` threw or timed out. */
  | 'ERR_BRIDGE_RESOLVER_UNAVAILABLE'
  /** The stats store could not answer a report. */
  | 'ERR_BRIDGE_STATS_UNAVAILABLE'
  /** `bridge.configure()` with a shared store: Redis failed or did not answer, so nothing changed. */
  | 'ERR_BRIDGE_FLEET_UNAVAILABLE'
  /** The provider could not be asked about an opaque credential (whoami, resolver, introspection down or slow). */
  | 'ERR_BRIDGE_PROVIDER_UNAVAILABLE'
  /** `requireUser({ scopes })`: the credential lacks a required scope (RFC 6750 section 3.1). */
  | 'ERR_BRIDGE_INSUFFICIENT_SCOPE'
  /** Not allowed: the stats endpoint's `authorize`, or `requireUser({ check })`, said no. */
  | 'ERR_BRIDGE_FORBIDDEN'
  /** `bridge.upgradeEndpoint()`: the provider refused the assertion (a 4xx, Authgear's GraphQL error). */
  | 'ERR_BRIDGE_UPGRADE_REFUSED'
  /** `bridge.upgradeEndpoint()` outside `bridge` mode: upgrades run only while both credentials are accepted. */
  | 'ERR_BRIDGE_UPGRADE_MODE';

/** The RFC 6750 error class a code maps to, used for `WWW-Authenticate` and the JSON body. */
export type OAuthErrorClass =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable'
  | 'forbidden';

interface ErrorShape {
  status: number;
  error: OAuthErrorClass | undefined;
}

const SHAPES: Record<BridgeErrorCode, ErrorShape> = {
  ERR_BRIDGE_INVALID_REQUEST: { status: 400, error: 'invalid_request' },
  ERR_BRIDGE_TOKEN_INVALID: { status: 401, error: 'invalid_token' },
  ERR_BRIDGE_TOKEN_EXPIRED: { status: 401, error: 'invalid_token' },
  ERR_BRIDGE_UNTRUSTED_ISSUER: { status: 401, error: 'invalid_token' },
  ERR_BRIDGE_IDENTITY_UNLINKED: { status: 401, error: 'invalid_token' },
  ERR_BRIDGE_CONFLICT: { status: 400, error: 'invalid_request' },
  ERR_BRIDGE_LEGACY_DISABLED: { status: 401, error: 'invalid_token' },
  ERR_BRIDGE_UNAUTHENTICATED: { status: 401, error: undefined },
  ERR_BRIDGE_JWKS_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable' },
  ERR_BRIDGE_LEGACY_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable' },
  ERR_BRIDGE_RESOLVER_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable' },
  ERR_BRIDGE_STATS_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable' },
  ERR_BRIDGE_FLEET_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable' },
  ERR_BRIDGE_PROVIDER_UNAVAILABLE: { status: 503, error: 'temporarily_unavailable' },
  ERR_BRIDGE_INSUFFICIENT_SCOPE: { status: 403, error: 'insufficient_scope' },
  ERR_BRIDGE_FORBIDDEN: { status: 403, error: 'forbidden' },
  ERR_BRIDGE_UPGRADE_REFUSED: { status: 403, error: 'forbidden' },
  ERR_BRIDGE_UPGRADE_MODE: { status: 403, error: 'forbidden' },
};

/**
 * Marks every `BridgeError`. `Symbol.for` gives the same symbol to every copy of this package in a process
 * (its ESM and CommonJS builds, two installed versions), where `instanceof` only knows its own copy's class.
 */
const BRAND: unique symbol = Symbol.for('express-session-bridge.error');

/**
 * Every runtime error of the bridge. Like jose's `JOSEError`, it carries a stable `code`;
 * like express-oauth2-jwt-bearer's errors, the HTTP `status` and `headers` to answer with.
 * The underlying error, if any, is `cause` (never sent to clients).
 */
export class BridgeError extends Error {
  override readonly name = 'BridgeError';
  readonly code: BridgeErrorCode;
  readonly status: number;
  /** RFC 6750 error class (`invalid_token`, ...), or undefined when no credentials were sent. */
  readonly error: OAuthErrorClass | undefined;
  /** Response headers: `WWW-Authenticate` for 400/401, `Retry-After` for 503. Filled in by the responder. */
  headers: Record<string, string> = {};
  /** Short machine-readable hint for clients, e.g. `provider_login_required`. */
  readonly hint: string | undefined;
  /** The scopes a 403 `insufficient_scope` answer names in `WWW-Authenticate` (space-separated). */
  readonly scope: string | undefined;

  static {
    // On the prototype: not an own, enumerable property of each error (logs and `toEqual` stay as they were).
    Object.defineProperty(BridgeError.prototype, BRAND, { value: true });
  }

  constructor(
    code: BridgeErrorCode,
    message: string,
    options: { cause?: unknown; hint?: string; scope?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = SHAPES[code].status;
    this.error = SHAPES[code].error;
    this.hint = options.hint;
    this.scope = options.scope;
  }
}

/**
 * True for a `BridgeError` from any copy of this package loaded in the process (an app that `require`s the
 * CommonJS build while a dependency `import`s the ESM build has two `BridgeError` classes): the error carries
 * the `express-session-bridge.error` brand and an `ERR_BRIDGE_` code. An `Error` that only copies a code is not one.
 */
export function isBridgeError(value: unknown): value is BridgeError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { [BRAND]?: unknown; code?: unknown };
  return (
    candidate[BRAND] === true &&
    typeof candidate.code === 'string' &&
    candidate.code.startsWith('ERR_BRIDGE_')
  );
}
