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
  SessionUpgradeCounts,
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
export type { Auth0TokenExchangeOptions } from './upgrade/adapters/auth0-token-exchange.js';
export { auth0TokenExchange } from './upgrade/adapters/auth0-token-exchange.js';
export type { AuthgearCreateSessionOptions } from './upgrade/adapters/authgear-create-session.js';
export { authgearCreateSession } from './upgrade/adapters/authgear-create-session.js';
export type { JwtBearerGrantOptions } from './upgrade/adapters/jwt-bearer-grant.js';
export { jwtBearerGrant } from './upgrade/adapters/jwt-bearer-grant.js';
export type { ClientAuth } from './upgrade/adapters/oauth-token.js';
export type { StytchAttestOptions } from './upgrade/adapters/stytch-attest.js';
export { stytchAttest } from './upgrade/adapters/stytch-attest.js';
export type { TokenExchangeOptions } from './upgrade/adapters/token-exchange.js';
export { tokenExchange } from './upgrade/adapters/token-exchange.js';
export type {
  LegacyUpgradeSubject,
  SessionUpgradeEvent,
  SessionUpgradeResult,
  UpgradeCookieOptions,
  UpgradeExchange,
  UpgradeExchangeInput,
  UpgradeGrant,
  UpgradeKeySet,
  UpgradeLink,
  UpgradeOptions,
} from './upgrade/types.js';
export { UpgradeRefusal } from './upgrade/types.js';
