import { createConfigure } from './cutover/configure.js';
import { CutoverState } from './cutover/state.js';
import { Fleet } from './fleet/fleet.js';
import { redisLinkOf } from './fleet/redis-link.js';
import { LegacyReader } from './legacy/reader.js';
import { LegacyStoreDrain } from './legacy-drain/drain.js';
import { parseOptions } from './options/parse-options.js';
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
import { createPipeline } from './request/pipeline.js';
import { createReportRequest } from './request/report.js';
import { createRequireUser, RequestLedger, type RequireUserOptions } from './request/require-user.js';
import type { SessionBridge } from './session-bridge.js';
import {
  createPromClientCollector,
  type PromClientCollectorOptions,
  type PromClientRegistryLike,
} from './stats/prom-client.js';
import type { RecorderReport } from './stats/report-types.js';
import { type ReportOptions, StatsService } from './stats/stats-service.js';
import { bridgeStatsHandler, type StatsHandlerOptions } from './stats-endpoint/stats-handler.js';
import type { BridgeOptions } from './types.js';
import { createBridgeUpgrade } from './upgrade/create-upgrade.js';
import { safeDebug } from './util/safe-debug.js';

export type { SessionBridge } from './session-bridge.js';

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
  // With a Redis stats store the mode, the ramp, the drain scan and a registry are shared (src/fleet/).
  const link = config.fleet === false ? undefined : redisLinkOf(config.stats ?? false);
  const fleet =
    link && config.fleet !== false
      ? new Fleet({
          link,
          config: config.fleet,
          cutover,
          initial: config.initial,
          debug,
          recorder: (): RecorderReport | undefined => stats?.health(),
        })
      : undefined;
  const drain = legacy?.drain
    ? new LegacyStoreDrain(
        { ...legacy, drain: legacy.drain },
        config.now,
        debug,
        fleet?.drainCoordinator(legacy.drain.intervalMs),
      )
    : undefined;
  const stats = config.stats === false ? undefined : new StatsService(config, cutover, drain, fleet);
  const emit = createEmit(config.onEvent, stats && ((event) => stats.record(event)), debug);
  const ledger = new RequestLedger();
  const report = createReportRequest(
    config.onEvent,
    emit,
    stats && ((event, mode) => stats.recordRequest(event, mode)),
  );
  const evaluate = createPipeline({
    config,
    runtimes,
    tokenCache,
    legacyReader,
    debug,
    report,
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

  const configure = createConfigure(cutover, config.legacy, fleet?.state, debug);

  const upgrade =
    config.upgrade && legacyReader
      ? createBridgeUpgrade({
          config,
          upgrade: config.upgrade,
          runtimes,
          tokenCache,
          legacyReader,
          mode: () => cutover.current.mode,
          debug,
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

  Object.defineProperties(bridge, {
    mode: { get: () => cutover.current.mode, enumerable: true },
    percent: { get: () => cutover.current.cutover.percent, enumerable: true },
    // Everything is checked before anything changes: a TypeError leaves the bridge as it was.
    configure: { value: configure },
    syncFleet: { value: async () => fleet?.state.sync() },
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
    upgradeKeys: { value: () => requireUpgrade().keys },
    upgradeEndpoint: { value: () => requireUpgrade().endpoint },
    flushStats: { value: async () => stats?.flush() },
    close: {
      value: async () => {
        drain?.close();
        await fleet?.close();
        await stats?.close();
      },
    },
  });
  return bridge;
}
