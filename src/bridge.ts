import type { IncomingMessage, ServerResponse } from 'node:http';
import { inCohort } from './cutover/cohort.js';
import { type CutoverSettings, CutoverState } from './cutover/state.js';
import { BridgeError } from './errors.js';
import { LegacyReader, type LegacyResult } from './legacy/reader.js';
import { LegacyStoreDrain } from './legacy-drain/drain.js';
import type { LegacyStoreScan } from './legacy-drain/types.js';
import { parseConfigure, parseOptions } from './options/parse-options.js';
import { issuerFormWarning } from './options/parse-provider.js';
import { createAuth0CustomDatabase } from './password-migration/auth0-custom-database.js';
import type {
  Auth0CustomDatabaseOptions,
  PasswordMigrationHookOptions,
} from './password-migration/options.js';
import { createPasswordMigrationHook } from './password-migration/password-hook.js';
import type {
  MigrationDeps,
  PasswordMigrationEndpoint,
  PasswordMigrationResult,
} from './password-migration/types.js';
import { buildProviders, checkProvider, type ProviderResult } from './provider/check.js';
import { type ProviderCredential, readProviderCredential } from './provider/credential.js';
import { linkAtSignIn } from './provider/link-at-sign-in.js';
import { type Decision, decideRequest } from './request/decide.js';
import { readCookies } from './request/read-cookies.js';
import {
  denied,
  legacyDisabledError,
  parseRequireUserOptions,
  type RequireUserOptions,
} from './request/require-user.js';
import { sendError, withResponseHeaders } from './request/respond.js';
import {
  createPromClientCollector,
  type PromClientCollectorOptions,
  type PromClientRegistryLike,
} from './stats/prom-client.js';
import type { MigrationReport } from './stats/report-types.js';
import { type ReportOptions, StatsService } from './stats/stats-service.js';
import { bridgeStatsHandler, type StatsHandlerOptions } from './stats-endpoint/stats-handler.js';
import type {
  AnyBridgeEvent,
  BridgeAuth,
  BridgeMode,
  BridgeOptions,
  BridgeRequest,
  ConfigureOptions,
} from './types.js';
import { createBridgeUpgrade } from './upgrade/create-upgrade.js';

/** `next` as Express calls it. */
export type NextFunction = (err?: unknown) => void;
/** A middleware usable with Express 4 and 5 (and connect). */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;

/** The middleware returned by `sessionBridge()`, with its helpers. */
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
   * Demands a user: 401 (RFC 6750, no error code) without one; in `provider-only` mode a legacy session gets
   * 401 `ERR_BRIDGE_LEGACY_DISABLED` with `hint: 'provider_login_required'`. Runs the bridge first when it was
   * not mounted before. In `observe` mode it never rejects.
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

/** Per-request state, kept off the request object. */
interface RequestState {
  legacyDisabled: boolean;
  /** The mode the request arrived under (a `configure()` meanwhile applies from the next request). */
  mode: BridgeMode;
}

/** The nudge of `nudge: true`, on responses to requests authenticated by a legacy session. */
const UPGRADE_HEADER = 'Session-Bridge-Upgrade';

const NO_LEGACY: LegacyResult = { state: 'none' };
const NO_PROVIDER: ProviderResult = { state: 'none' };
const NO_CREDENTIAL: ProviderCredential = { type: 'none' };

/**
 * Builds the bridge middleware. Options are validated here, once; keys, caches and the stats recorder are
 * built once. Each request: read the legacy cookie and the provider credential, check both in parallel,
 * decide (`decideRequest`: the decision and its event), set `req.auth`, and record the event without waiting
 * for the stats store.
 */
export function sessionBridge(options: BridgeOptions): SessionBridge {
  const config = parseOptions(options);
  const cutover = new CutoverState(config.initial, config.now);
  const { runtimes, cache: tokenCache } = buildProviders(
    config.providers,
    config.now,
    logSafely,
    config.tokenCache,
  );
  for (const p of config.providers) {
    const warning = issuerFormWarning(p.issuer);
    if (warning) logSafely(warning);
  }
  const legacyReader = config.legacy ? new LegacyReader(config.legacy, logSafely) : undefined;
  const legacy = config.legacy?.type === 'store' ? config.legacy : undefined;
  const drain = legacy?.drain
    ? new LegacyStoreDrain({ ...legacy, drain: legacy.drain }, config.now, logSafely)
    : undefined;
  const stats = config.stats === false ? undefined : new StatsService(config, cutover, drain);
  const states = new WeakMap<IncomingMessage, RequestState>();
  // The `req.auth` objects this instance created: `requireUser()` accepts only these.
  const issued = new WeakSet<BridgeAuth>();
  // The `req.auth` objects a first-sign-in link produced (the legacy session vouched for them).
  const linkedByLegacy = new WeakSet<BridgeAuth>();

  function emit(event: AnyBridgeEvent): void {
    try {
      // An async hook that rejects must not become an unhandled rejection (it would stop the process).
      const result: unknown = config.onEvent?.(event);
      if (result instanceof Promise)
        result.catch((err: unknown) => logSafely(`onEvent rejected: ${String(err)}`));
    } catch (err) {
      logSafely(`onEvent threw: ${String(err)}`);
    }
    stats?.record(event);
  }

  function logSafely(message: string): void {
    try {
      config.debug(message);
    } catch {
      // A failing debug logger must not fail a request.
    }
  }

  /**
   * Decides one request. Both credentials are checked at the same time; whatever answers synchronously (no
   * credential, a cached token, a store that calls back at once) is used without a promise, so a request that
   * needs nothing asynchronous is decided synchronously.
   */
  function evaluate(req: BridgeRequest, settings: CutoverSettings): Decision | Promise<Decision> {
    const time = config.now();
    let parsed: Record<string, string | undefined> | undefined;
    const cookies = () => {
      parsed ??= readCookies(req);
      return parsed;
    };
    const credential =
      runtimes.length > 0
        ? readProviderCredential(req, config.providers, config.acceptsBearer, cookies)
        : NO_CREDENTIAL;
    const legacy = legacyReader ? legacyReader.check(req, time, cookies) : NO_LEGACY;
    const provider =
      credential.type === 'none' ? NO_PROVIDER : checkProvider(credential, runtimes, time, tokenCache);
    if (legacy instanceof Promise) {
      return provider instanceof Promise
        ? Promise.all([legacy, provider]).then(([l, p]) => finish(settings, time, l, p))
        : legacy.then((l) => finish(settings, time, l, provider));
    }
    if (provider instanceof Promise) return provider.then((p) => finish(settings, time, legacy, p));
    return finish(settings, time, legacy, provider);
  }

  /** Links at first sign-in when it applies, then decides and reports the decision. */
  function finish(
    settings: CutoverSettings,
    time: number,
    legacy: LegacyResult,
    checked: ProviderResult,
  ): Decision | Promise<Decision> {
    // A legacy session may link a provider identity only while legacy sessions still authenticate this user:
    // never in observe or provider-only mode, nor for a user the cutover ramp has already moved.
    if (
      checked.state === 'invalid' &&
      checked.unlinked &&
      legacy.state === 'ok' &&
      settings.mode === 'bridge' &&
      !inCohort(settings.cutover, legacy.userId)
    ) {
      return linkAtSignIn(checked, legacy, logSafely).then((provider) =>
        record(settings, time, legacy, provider),
      );
    }
    return record(settings, time, legacy, checked);
  }

  function record(
    settings: CutoverSettings,
    time: number,
    legacy: LegacyResult,
    provider: ProviderResult,
  ): Decision {
    const cohort =
      legacy.state === 'ok' && settings.mode !== 'provider-only' && inCohort(settings.cutover, legacy.userId);
    const { decision, event } = decideRequest(
      settings.mode,
      config.onConflict,
      time,
      legacy,
      provider,
      cohort,
    );
    if (decision.error) logSafely(`${decision.error.code}: ${decision.error.message}`);
    // Authenticated through a link the legacy session made just now: a provider-only route refuses it.
    if (provider.state === 'ok' && provider.linked && decision.auth) linkedByLegacy.add(decision.auth);
    emit(event);
    return decision;
  }

  function fail(res: ServerResponse, next: NextFunction, error: BridgeError): void {
    withResponseHeaders(error, config.realm);
    if (config.errors === 'next') next(error);
    else sendError(res, error);
  }

  const bridge = function sessionBridgeMiddleware(
    req: IncomingMessage,
    res: ServerResponse,
    next: NextFunction,
  ) {
    const request = req as BridgeRequest;
    // Idempotent per instance: a request is decided once by this bridge. A `req.auth` set by anything else
    // (another bridge with other options, express-jwt, basic auth) is never taken as this bridge's decision.
    if (states.has(req)) {
      next();
      return;
    }
    // Read once: a configure() during this request applies from the next one.
    const settings = cutover.current;
    const state: RequestState = { legacyDisabled: false, mode: settings.mode };
    states.set(req, state);
    if (settings.mode === 'observe') {
      // Measure only: the request goes on at once and the decision is made off the request path.
      next();
      Promise.resolve()
        .then(() => evaluate(request, settings))
        .catch((err: unknown) => logSafely(`observe: ${String(err)}`));
      return;
    }
    const apply = (decision: Decision): void => {
      state.legacyDisabled = decision.legacyDisabled;
      if (decision.error) {
        fail(res, next, decision.error);
        return;
      }
      if (decision.auth) {
        if (config.nudge && decision.auth.kind === 'legacy') {
          decision.auth.upgradeSuggested = true;
          if (!res.headersSent) res.setHeader(UPGRADE_HEADER, 'provider');
        }
        issued.add(decision.auth);
        request.auth = decision.auth;
      }
      next();
    };
    // evaluate() handles every expected failure; this is a bug guard, never a crash.
    const unexpected = (err: unknown): void =>
      fail(
        res,
        next,
        new BridgeError('ERR_BRIDGE_RESOLVER_UNAVAILABLE', 'Authentication failed unexpectedly.', {
          cause: err,
        }),
      );
    let decision: Decision | Promise<Decision>;
    try {
      decision = evaluate(request, settings);
    } catch (err) {
      unexpected(err);
      return;
    }
    if (decision instanceof Promise) decision.then(apply, unexpected);
    else apply(decision);
  } as SessionBridge;

  function requireUser(options?: RequireUserOptions): Middleware {
    const rule = parseRequireUserOptions(options);
    return function requireUserMiddleware(req, res, next) {
      const check = () => {
        const { auth } = req as BridgeRequest;
        if (states.get(req)?.mode === 'observe') return next();
        if (auth !== undefined && issued.has(auth)) {
          const error =
            rule.providerOnly && linkedByLegacy.has(auth)
              ? legacyDisabledError()
              : denied(auth, rule, config.legacy);
          return error ? fail(res, next, error) : next();
        }
        const error = states.get(req)?.legacyDisabled
          ? legacyDisabledError()
          : new BridgeError('ERR_BRIDGE_UNAUTHENTICATED', 'Authentication is required.');
        fail(res, next, error);
      };
      if (states.has(req)) check();
      else bridge(req, res, (err) => (err === undefined ? check() : next(err)));
    };
  }

  // What the password migration endpoints share with the bridge: its safe logger, its clock, and one event
  // per decision for onEvent and the stats (recorded without waiting for the store, like a request).
  const migrationDeps: MigrationDeps = {
    debug: logSafely,
    now: config.now,
    record: (result: PasswordMigrationResult, endpoint: PasswordMigrationEndpoint) =>
      emit({ type: 'password-migration', time: config.now(), endpoint, result }),
  };

  function requireStats(): StatsService {
    if (!stats) {
      throw new TypeError(
        'sessionBridge: stats are disabled (`stats: false`); remove that option to use the stats endpoint.',
      );
    }
    return stats;
  }

  const upgrade =
    config.upgrade && legacyReader
      ? createBridgeUpgrade({
          config,
          upgrade: config.upgrade,
          runtimes,
          tokenCache,
          legacyReader,
          mode: () => cutover.current.mode,
          debug: logSafely,
          emit,
        })
      : undefined;

  function requireUpgrade(): NonNullable<typeof upgrade> {
    if (!upgrade) {
      throw new TypeError(
        'sessionBridge: silent migration needs the `upgrade` option: `{ signingKey, issuer, audience, exchange }` (see docs/silent-migration.md).',
      );
    }
    return upgrade;
  }

  function configure(options: ConfigureOptions): void {
    // Everything is checked before anything changes: a TypeError leaves the bridge as it was.
    cutover.set(parseConfigure(options, cutover.current, config.legacy));
  }

  Object.defineProperties(bridge, {
    mode: { get: () => cutover.current.mode, enumerable: true },
    configure: { value: configure },
    requireUser: { value: requireUser },
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
    upgradeKeys: { value: () => requireUpgrade().keys },
    upgradeEndpoint: { value: () => requireUpgrade().endpoint },
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
