import { CutoverState } from './cutover/state.js';
import { LegacyReader } from './legacy/reader.js';
import { LegacyStoreDrain } from './legacy-drain/drain.js';
import type { LegacyStoreScan } from './legacy-drain/types.js';
import { parseConfigure, parseOptions } from './options/parse-options.js';
import { createAuth0CustomDatabase } from './password-migration/auth0-custom-database.js';
import type {
  Auth0CustomDatabaseOptions,
  PasswordMigrationHookOptions,
} from './password-migration/options.js';
import { createPasswordMigrationHook } from './password-migration/password-hook.js';
import type { MigrationDeps } from './password-migration/types.js';
import { buildProviders } from './provider/check.js';
import { createBridgeMiddleware } from './request/bridge-middleware.js';
import { createEmit } from './request/emit.js';
import type { Middleware } from './request/middleware-types.js';
import { createPipeline } from './request/pipeline.js';
import { createRequireUser, RequestLedger, type RequireUserOptions } from './request/require-user.js';
import {
  createPromClientCollector,
  type PromClientCollectorOptions,
  type PromClientRegistryLike,
} from './stats/prom-client.js';
import type { MigrationReport } from './stats/report-types.js';
import { type ReportOptions, StatsService } from './stats/stats-service.js';
import { bridgeStatsHandler, type StatsHandlerOptions } from './stats-endpoint/stats-handler.js';
import type { BridgeMode, BridgeOptions, ConfigureOptions } from './types.js';
import { safeDebug } from './util/safe-debug.js';

/**
 * The middleware returned by `sessionBridge()`, with its helpers. As middleware it decides and sets `req.auth`
 * but never answers an error: an invalid or conflicting credential, or an unavailable store or provider, is kept
 * for `requireUser()` to answer; a route without `requireUser()` runs without `req.auth`.
 */
export interface SessionBridge extends Middleware {
  /** The current mode: the `mode` option, or the last `configure({ mode })`. */
  readonly mode: BridgeMode;
  /**
   * Changes the mode and the ramp (`{ mode?, cutover? }`) without a restart, from the next request on. Validated
   * like the options at construction; an invalid call throws a `TypeError` and changes nothing. A rollback is
   * the same call with the previous values. Every change is kept with its time (the report's `cutover.history`).
   * Per instance: configure every instance alike.
   */
  configure(options: ConfigureOptions): void;
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
  /** Hands every buffered stats event to the store now (tests, graceful shutdown). */
  flushStats(): Promise<void>;
  /** Stops timers (the legacy store scans included), flushes stats and closes the stats store. */
  close(): Promise<void>;
}

/**
 * Builds the bridge middleware. Options are validated here, once; keys, caches and the stats recorder are
 * built once. Each request goes through the pipeline (request/pipeline.ts): read the legacy cookie and the
 * provider credential, check both in parallel, decide, set `req.auth`, and record the event without waiting
 * for the stats store.
 */
export function sessionBridge(options: BridgeOptions): SessionBridge {
  const config = parseOptions(options);
  const debug = safeDebug(config.debug);
  const cutover = new CutoverState(config.initial, config.now);
  const { runtimes, cache: tokenCache } = buildProviders(
    config.providers,
    config.now,
    debug,
    config.tokenCache,
  );
  // Issuer-shape warnings, once at construction: to `debug` when given, else through process.emitWarning.
  for (const warning of config.warnings) {
    if (options.debug !== undefined) debug(warning);
    else process.emitWarning(warning, { type: 'SessionBridgeWarning', code: 'ESB_ISSUER_FORM' });
  }
  const legacyReader = config.legacy ? new LegacyReader(config.legacy, debug) : undefined;
  const legacy = config.legacy?.type === 'store' ? config.legacy : undefined;
  const drain = legacy?.drain
    ? new LegacyStoreDrain({ ...legacy, drain: legacy.drain }, config.now, debug)
    : undefined;
  const stats = config.stats === false ? undefined : new StatsService(config, cutover, drain);
  const emit = createEmit(config.onEvent, stats && ((event) => stats.record(event)), debug);
  const ledger = new RequestLedger();
  const evaluate = createPipeline({
    config,
    runtimes,
    tokenCache,
    legacyReader,
    debug,
    emit,
    linked: (auth) => ledger.linkedByLegacy.add(auth),
  });
  const policy = { realm: config.realm, errors: config.errors };
  const bridge = createBridgeMiddleware({
    cutover,
    evaluate,
    ledger,
    nudge: config.nudge,
    debug,
  }) as SessionBridge;

  // What the password migration endpoints share with the bridge: its safe logger, its clock, and one event
  // per decision for onEvent and the stats (recorded without waiting for the store, like a request).
  const migrationDeps: MigrationDeps = {
    debug,
    now: config.now,
    record: (result, endpoint) => emit({ type: 'password-migration', time: config.now(), endpoint, result }),
  };

  function requireStats(): StatsService {
    if (!stats) {
      throw new TypeError(
        'sessionBridge: stats are disabled (`stats: false`); remove that option to use the stats endpoint.',
      );
    }
    return stats;
  }

  Object.defineProperties(bridge, {
    mode: { get: () => cutover.current.mode, enumerable: true },
    configure: {
      // Everything is checked before anything changes: a TypeError leaves the bridge as it was.
      value: (options: ConfigureOptions) => {
        const before = cutover.current.mode;
        cutover.set(parseConfigure(options, cutover.current, config.legacy));
        if (cutover.current.mode === 'observe' && before !== 'observe') {
          config.debug(
            `configure: mode ${before} -> observe. app.use(bridge) now only measures and rejects nothing; requireUser() routes still demand a user (legacy or provider) and provider-only routes still refuse legacy sessions.`,
          );
        }
      },
    },
    requireUser: {
      value: (options?: RequireUserOptions) =>
        createRequireUser(ledger, bridge, policy, config.legacy, options),
    },
    statsHandler: {
      value: (options: StatsHandlerOptions) => bridgeStatsHandler(options, requireStats(), config.debug),
    },
    registerMetrics: {
      value: (registry: PromClientRegistryLike, options?: PromClientCollectorOptions) =>
        createPromClientCollector(requireStats().metricsSource(), options).register(registry),
    },
    report: { value: async (options?: ReportOptions) => requireStats().report(options) },
    scanLegacyStore: {
      value: async () => {
        if (!drain) {
          throw new TypeError(
            'sessionBridge: scanLegacyStore() needs `legacy.drain`: pass `legacy: { store, secret, drain: true }`.',
          );
        }
        return drain.scan();
      },
    },
    passwordMigrationHook: {
      value: (options: PasswordMigrationHookOptions) => createPasswordMigrationHook(options, migrationDeps),
    },
    auth0CustomDatabase: {
      value: (options: Auth0CustomDatabaseOptions) => createAuth0CustomDatabase(options, migrationDeps),
    },
    flushStats: { value: async () => stats?.flush() },
    close: {
      value: async () => {
        drain?.close();
        await stats?.close();
      },
    },
  });
  return bridge;
}
