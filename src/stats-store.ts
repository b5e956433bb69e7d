/**
 * `express-session-bridge/stats-store`: the contract of a stats store, for someone writing one (the memory and
 * Redis stores implement it). Apps that only pass a store (`stats: redisStats(...)`) need none of these.
 */
export type {
  AnyStatsEvent,
  LabelledCount,
  PasswordMigrationCounts,
  PasswordMigrationStatsEvent,
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
