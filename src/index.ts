export type { SessionBridge } from './bridge.js';
export { sessionBridge } from './bridge.js';
export type { BridgeErrorCode, OAuthErrorClass } from './errors.js';
export { BridgeError, isBridgeError } from './errors.js';
export type { FleetInstance, FleetOptions, FleetReport } from './fleet/types.js';
export type {
  LegacyDrainOptions,
  LegacyExpiryDay,
  LegacyStoreCounts,
  LegacyStoreReport,
  LegacyStoreScan,
  LegacyStoreScanError,
  LegacyStoreUnsupported,
} from './legacy-drain/types.js';
export type {
  Auth0CustomDatabaseOptions,
  Auth0Profile,
  PasswordMigrationHookOptions,
  PasswordMigrationLimits,
  PasswordVerifier,
  RateWindowOptions,
} from './password-migration/options.js';
export type { PasswordMigrationEndpoint, PasswordMigrationResult } from './password-migration/types.js';
export type { Auth0PresetOptions } from './presets/auth0.js';
export { auth0 } from './presets/auth0.js';
export type { AuthgearPresetOptions } from './presets/authgear.js';
export { authgear } from './presets/authgear.js';
export type { IntrospectionPresetOptions } from './presets/introspection.js';
export { introspection } from './presets/introspection.js';
export { oidc } from './presets/oidc.js';
export type { OryPresetOptions } from './presets/ory.js';
export { ory } from './presets/ory.js';
export type { StytchPresetOptions } from './presets/stytch.js';
export { stytch } from './presets/stytch.js';
export type { Middleware, NextFunction } from './request/middleware-types.js';
export type { RequireUserOptions } from './request/require-user.js';
export type {
  LabelledCount,
  PasswordMigrationCounts,
  RecorderOptions,
  RequestCounts,
  StatsOutcome,
  StatsStore,
  UserCounts,
} from './stats/contract.js';
export type { MemoryStatsOptions } from './stats/memory/options.js';
export { memoryStats } from './stats/memory/store.js';
export type { PromClientCollectorOptions, PromClientRegistryLike } from './stats/prom-client.js';
export type { RedisSendCommand, RedisStatsOptions } from './stats/redis/options.js';
export { redisStats } from './stats/redis/store.js';
export type {
  CutoverChange,
  CutoverCriteria,
  CutoverImpact,
  CutoverProjection,
  CutoverRefusals,
  CutoverReport,
  MigrationReport,
  ProjectionReason,
  RecorderReport,
  ReportSeriesPoint,
  ReportWindow,
} from './stats/report-types.js';
export type { ReportOptions } from './stats/stats-service.js';
export type { StatsHandlerOptions } from './stats-endpoint/stats-handler.js';
export type {
  AnyBridgeEvent,
  BridgeAuth,
  BridgeEvent,
  BridgeMode,
  BridgeOptions,
  BridgeOutcome,
  BridgeRequest,
  ConfigureOptions,
  ConflictPolicy,
  CredentialKind,
  CutoverOptions,
  LegacyBreakerOptions,
  LegacyIdentity,
  LegacyOptions,
  LegacyResolverOptions,
  LegacyScopes,
  LegacySessionData,
  LegacySessionStore,
  LegacyStoreOptions,
  PasswordMigrationEvent,
  ProviderAlgorithm,
  ProviderIdentity,
  ProviderOptions,
  ProviderSessionOptions,
  ProviderSessionTuning,
} from './types.js';
