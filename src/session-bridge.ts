/**
 * The public shape of what `sessionBridge()` returns: the middleware and its methods, each documented where a
 * user reads it (bridge.ts builds it).
 */
import type { LegacyStoreScan } from './legacy-drain/types.js';
import type {
  Auth0CustomDatabaseOptions,
  PasswordMigrationHookOptions,
} from './password-migration/options.js';
import type { Middleware } from './request/middleware-types.js';
import type { RequireUserOptions } from './request/require-user.js';
import type { PromClientCollectorOptions, PromClientRegistryLike } from './stats/prom-client.js';
import type { MigrationReport } from './stats/report-types.js';
import type { ReportOptions } from './stats/stats-service.js';
import type { StatsHandlerOptions } from './stats-endpoint/stats-handler.js';
import type { BridgeMode, ConfigureOptions } from './types.js';

/**
 * The middleware returned by `sessionBridge()`, with its helpers. As middleware it decides and sets `req.auth`
 * but never answers an error: an invalid or conflicting credential, or an unavailable store or provider, is kept
 * for `requireUser()` to answer; a route without `requireUser()` runs without `req.auth`.
 */
export interface SessionBridge extends Middleware {
  /** The current mode: the `mode` option, or the last `configure({ mode })` (of any instance, when shared). */
  readonly mode: BridgeMode;
  /** The current ramp, `cutover.percent`: the option, or the last `configure({ cutover })` (of any instance, when shared). */
  readonly percent: number;
  /**
   * Changes the mode and the ramp (`{ mode?, cutover?, by? }`) without a restart, from the next request on.
   * Validated like the options at construction; an invalid call throws a `TypeError` and changes nothing. A
   * rollback is the same call with the previous values. Every change is kept with its time (the report's
   * `cutover.history`).
   *
   * With a `redisStats()` store (and `fleet` not false) the change is the fleet's: stored in Redis with a
   * version, this instance and `by`, and applied by every instance within `fleet.syncMs`. The promise resolves
   * once Redis has it (this instance applies it then); it rejects with `ERR_BRIDGE_FLEET_UNAVAILABLE` when
   * Redis fails or does not answer within `fleet.timeoutMs`, and then no instance changes. Without a shared
   * store the change applies to this process at once and the promise is already resolved.
   */
  configure(options: ConfigureOptions): Promise<void>;
  /**
   * Reads the fleet state from Redis now and applies it (with a shared store; otherwise resolves at once).
   * `await bridge.syncFleet()` before `listen()` makes the first request see the fleet's mode and ramp;
   * without it they apply at most `fleet.syncMs` after start. Rejects with `ERR_BRIDGE_FLEET_UNAVAILABLE`.
   */
  syncFleet(): Promise<void>;
  /**
   * Demands a user and answers what the bridge refused (the invalid or conflicting credential, the store or
   * provider that could not answer: the same status, `code`, `WWW-Authenticate` and `Retry-After`, or
   * `next(err)` with `errors: 'next'`); 401 (RFC 6750, no error code) without a user; in `provider-only` mode a legacy session gets
   * 401 `ERR_BRIDGE_LEGACY_DISABLED` with `hint: 'provider_login_required'`. Runs the bridge first when it was
   * not mounted before. In `observe` mode it still demands a user: it decides the request itself (the bridge
   * middleware only measured it) and answers exactly as in `bridge` mode; a provider-only route keeps refusing
   * legacy sessions.
   *
   * Options: `scopes` (403 `insufficient_scope` when the credential lacks them; `anyScope` for one of them),
   * `check` (403 `ERR_BRIDGE_FORBIDDEN` when it returns false), `mode: 'provider-only'` (this route refuses
   * legacy sessions while the rest of the app still bridges). Validated when the route is built.
   */
  requireUser(options?: RequireUserOptions): Middleware;
  /** The stats endpoint: JSON, Prometheus text or an HTML dashboard. Requires `authorize` or `public: true`. */
  statsHandler(options: StatsHandlerOptions): Middleware;
  /**
   * Registers the migration metrics into a prom-client registry (prom-client stays optional: it is never
   * imported by this package), e.g. `bridge.registerMetrics(client.register)`.
   */
  registerMetrics(registry: PromClientRegistryLike, options?: PromClientCollectorOptions): void;
  /** The adoption report the stats endpoint serves as JSON; rejects when the store fails or takes over 10 s. */
  report(options?: ReportOptions): Promise<MigrationReport>;
  /**
   * Scans the legacy store now (read-only) and resolves with the result, which the report's `legacyStore` then
   * shows; joins the running scan if there is one. Needs `legacy.drain`. Rejects with
   * `ERR_BRIDGE_LEGACY_UNAVAILABLE` when the store fails or times out (the previous result is kept).
   */
  scanLegacyStore(): Promise<LegacyStoreScan>;
  /**
   * Ory's password migration web hook: mount it with `app.post('/migrate-password', hook)`. Answers
   * `200 {"status":"password_match"}` when `verify` returns `true`, 403 for a wrong password or an unknown
   * identifier alike, 429 past the failure limits, 503 when `verify` fails, 401 without the API key. Options
   * are validated here, once (`TypeError`). Every decision reaches `onEvent` (a `PasswordMigrationEvent`
   * with `endpoint: 'ory-hook'`) and the stats (`passwordMigrations`), never the password or the identifier.
   */
  passwordMigrationHook(options: PasswordMigrationHookOptions): Middleware;
  /**
   * The HTTP side of Auth0's custom database scripts (automatic migration): mount it with
   * `app.use('/auth0-db', handler)` for `POST /login` and `POST /get-user`. Options are validated here, once
   * (`TypeError`). Login decisions reach `onEvent` (`endpoint: 'auth0-login'`) and the stats; a `get-user`
   * lookup is recorded only when it fails or lacks the API key (`endpoint: 'auth0-get-user'`).
   */
  auth0CustomDatabase(options: Auth0CustomDatabaseOptions): Middleware;
  /**
   * The public JWK Set of `upgrade.signingKey` (and `upgrade.previousKeys`): a GET handler answering
   * `{ keys }` with `Cache-Control: public, max-age=300`; never a private member. The provider's trust profile
   * points at it. Needs `upgrade`.
   */
  upgradeKeys(): Middleware;
  /**
   * Silent migration: mount with `app.post('/auth/upgrade', bridge.upgradeEndpoint())`. Turns the request's
   * valid legacy session into a provider session (200 `{ upgraded: true, userId, provider }`, cookies or
   * `tokens`); 200 `{ upgraded: false, reason: 'already-provider' }` when the request already carries one for the
   * same user; 405 for other methods; 403 `ERR_BRIDGE_FORBIDDEN` cross-site or when `eligible` says no; 401
   * without a legacy session; 403 `ERR_BRIDGE_UPGRADE_MODE` outside `bridge` mode; 403
   * `ERR_BRIDGE_UPGRADE_REFUSED` when the provider refuses; 503 with `Retry-After` when it fails. The legacy
   * session is never written. Each decision is a `SessionUpgradeEvent`. Needs `upgrade`; the same handler on
   * every call.
   */
  upgradeEndpoint(): Middleware;
  /** Hands every buffered stats event to the store now (tests, graceful shutdown). */
  flushStats(): Promise<void>;
  /** Stops timers (the legacy store scans included), flushes stats and closes the stats store. */
  close(): Promise<void>;
}
