export type { Middleware, NextFunction, SessionBridge } from './bridge.js';
export { sessionBridge } from './bridge.js';
export type { BridgeErrorCode, OAuthErrorClass } from './errors.js';
export { BridgeError, isBridgeError } from './errors.js';
export type { PromClientCollectorOptions, PromClientRegistryLike } from './http/prom-client-collector.js';
export type { StatsHandlerOptions } from './http/stats-handler.js';
export type {
  Auth0CustomDatabaseOptions,
  Auth0Profile,
  PasswordMigrationHookOptions,
  PasswordMigrationLimits,
  PasswordVerifier,
  RateWindowOptions,
} from './migration/options.js';
export type { PasswordMigrationEndpoint, PasswordMigrationResult } from './migration/types.js';
export type {
  AnyStatsEvent,
  LabelledCount,
  PasswordMigrationCounts,
  PasswordMigrationStatsEvent,
  RecorderOptions,
  RequestCounts,
  SeriesPoint,
  StatsEvent,
  StatsOutcome,
  StatsQuery,
  StatsSnapshot,
  StatsStore,
  UserCounts,
  WindowSnapshot,
} from './stats/contract.js';
export type { MemoryStatsOptions } from './stats/memory/options.js';
export { memoryStats } from './stats/memory/store.js';
export type { RedisSendCommand, RedisStatsOptions } from './stats/redis/options.js';
export { redisStats } from './stats/redis/store.js';
export type {
  CutoverCriteria,
  CutoverReport,
  MigrationReport,
  RecorderReport,
  ReportSeriesPoint,
  ReportWindow,
} from './stats/report-types.js';
export type { ReportOptions } from './stats/stats-service.js';
export type {
  AnyBridgeEvent,
  BridgeAuth,
  BridgeEvent,
  BridgeMode,
  BridgeOptions,
  BridgeOutcome,
  BridgeRequest,
  ConflictPolicy,
  CredentialKind,
  LegacyIdentity,
  LegacyOptions,
  LegacyResolverOptions,
  LegacySessionData,
  LegacySessionStore,
  LegacyStoreOptions,
  PasswordMigrationEvent,
  ProviderAlgorithm,
  ProviderOptions,
} from './types.js';
