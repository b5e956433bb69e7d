/**
 * `express-session-bridge/stats-store`: the contract of a stats store, for someone writing one (the memory and
 * Redis stores implement it): `StatsStore` and every type its methods take and return. Apps that only pass a
 * store (`stats: redisStats(...)`) need none of these; the counts a report shows are also on the main entry.
 */

export type { PasswordMigrationResult } from './password-migration/types.js';
export type {
  AnyStatsEvent,
  LabelledCount,
  PasswordMigrationCounts,
  PasswordMigrationStatsEvent,
  RequestCounts,
  SeriesPoint,
  SessionUpgradeCounts,
  SessionUpgradeStatsEvent,
  StatsEvent,
  StatsOutcome,
  StatsQuery,
  StatsSnapshot,
  StatsStore,
  UserCounts,
  WindowSnapshot,
} from './stats/contract.js';
export type { SessionUpgradeResult } from './upgrade/types.js';
