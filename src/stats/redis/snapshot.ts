import type { PasswordMigrationResult } from '../../password-migration/types.js';
import type { SessionUpgradeResult } from '../../upgrade/types.js';
import type {
  SeriesPoint,
  StatsEvent,
  StatsOutcome,
  StatsSnapshot,
  UserCounts,
  WindowSnapshot,
} from '../contract.js';
import {
  LABEL_COUNT,
  labelIndex,
  labelledCounts,
  PASSWORD_RESULT_COUNT,
  passwordMigrationCounts,
  passwordResultIndex,
  requestCounts,
  sessionUpgradeCounts,
  UPGRADE_RESULT_COUNT,
  upgradeResultIndex,
} from '../labels.js';
import type { BucketPlan, QueryPlan } from './query-plan.js';
import type { QueryReply } from './query-reply.js';

/** Bucket hash fields `pw:<result>` count password migration decisions. */
export const PASSWORD_FIELD_PREFIX = 'pw:';
const PASSWORD_MATCH_FIELD = `${PASSWORD_FIELD_PREFIX}match`;
/** Bucket hash fields `up:<result>` count upgrade endpoint decisions. */
export const UPGRADE_FIELD_PREFIX = 'up:';

/** The counters of a range: requests indexed by `labelIndex`, password decisions by `passwordResultIndex`. */
interface RangeSums {
  requests: Float64Array;
  passwords: Float64Array;
  upgrades: Float64Array;
}

/** Assembles the snapshot of a query from its plan and the script's reply. */
export function toSnapshot(plan: QueryPlan, reply: QueryReply): StatsSnapshot {
  const { ranges, plans, windowNames, hourFrom, dayFrom } = plan;
  const hours = new Map<number, Map<string, number>>();
  reply.hours.forEach((fields, i) => {
    hours.set(hourFrom + i, fields);
  });
  const days = new Map<number, Map<string, number>>();
  reply.days.forEach((fields, i) => {
    days.set(dayFrom + i, fields);
  });
  const horizon = reply.horizon;

  // Requests by label and password decisions by result, summed over the buckets of a range.
  const sumsOf = (bucketPlan: BucketPlan): RangeSums => {
    const sums: RangeSums = {
      requests: new Float64Array(LABEL_COUNT),
      passwords: new Float64Array(PASSWORD_RESULT_COUNT),
      upgrades: new Float64Array(UPGRADE_RESULT_COUNT),
    };
    const add = (fields: Map<string, number> | undefined) => {
      if (!fields) return;
      for (const [field, count] of fields) {
        if (field.startsWith(PASSWORD_FIELD_PREFIX)) {
          const index = passwordResultIndex(
            field.slice(PASSWORD_FIELD_PREFIX.length) as PasswordMigrationResult,
          );
          if (index >= 0) sums.passwords[index]! += count;
          continue;
        }
        if (field.startsWith(UPGRADE_FIELD_PREFIX)) {
          const index = upgradeResultIndex(field.slice(UPGRADE_FIELD_PREFIX.length) as SessionUpgradeResult);
          if (index >= 0) sums.upgrades[index]! += count;
          continue;
        }
        const index = fieldIndex(field);
        if (index >= 0) sums.requests[index]! += count;
      }
    };
    for (let h = bucketPlan.hourFrom; h <= bucketPlan.hourTo; h++) add(hours.get(h));
    for (let d = bucketPlan.dayFrom; d <= bucketPlan.dayTo; d++) add(days.get(d));
    return sums;
  };
  const totalSums = sumsOf(plans[0]!);

  const rangeSnapshot = (index: number): WindowSnapshot => {
    const start = ranges[index]!;
    const counts = reply.counts[index] ?? [];
    const reachesEvicted = horizon !== null && start <= horizon;
    const returning = counts[5] ?? 0;
    const sums = index === 0 ? totalSums : sumsOf(plans[index]!);
    return {
      requests: requestCounts(sums.requests),
      users: userCounts(counts, reachesEvicted ? reply.hll[index] : undefined),
      passwordMigrations: passwordMigrationCounts(sums.passwords),
      sessionUpgrades: sessionUpgradeCounts(sums.upgrades),
      approximate: reachesEvicted || returning > 0,
    };
  };

  const totals = rangeSnapshot(0);
  const windows: Record<string, WindowSnapshot> = {};
  windowNames.forEach((name, i) => {
    windows[name] = rangeSnapshot(i + 1);
  });

  const { hourly, size, first, last } = plan.series;
  const series: SeriesPoint[] = [];
  for (let b = first; b <= last; b++) {
    const fields = (hourly ? hours : days).get(b);
    series.push({
      start: b * size,
      legacyUsers: fields?.get('users:legacy') ?? 0,
      providerUsers: fields?.get('users:provider') ?? 0,
      legacyRequests: fields?.get('legacy:ok') ?? 0,
      providerRequests: fields?.get('provider:ok') ?? 0,
      passwordMatches: fields?.get(PASSWORD_MATCH_FIELD) ?? 0,
    });
  }

  const lastLegacyAt =
    reply.lastLegacyAt !== null && reply.lastLegacyAt >= plan.retentionStart ? reply.lastLegacyAt : null;
  return {
    approximate: totals.approximate || Object.values(windows).some((w) => w.approximate),
    totals: {
      requests: totals.requests,
      users: totals.users,
      passwordMigrations: totals.passwordMigrations,
      sessionUpgrades: totals.sessionUpgrades,
    },
    windows,
    lastLegacyAt,
    series,
    requestsByLabel: labelledCounts(totalSums.requests),
  };
}

/**
 * Index of a bucket hash field `<kind>:<outcome>` in a counter array indexed by `labelIndex`, or -1 for the
 * other fields (`users:legacy`, `users:provider`, `pw:<result>`).
 */
function fieldIndex(field: string): number {
  const colon = field.indexOf(':');
  return labelIndex(field.slice(0, colon) as StatsEvent['kind'], field.slice(colon + 1) as StatsOutcome);
}

/**
 * Exact counts from the sorted sets; for an approximate range, HyperLogLog estimates never below the exact
 * count of the users still tracked, and legacyOnly estimated from them (see the store docs).
 */
function userCounts(counts: number[], hll: number[] | undefined): UserCounts {
  const [legacy = 0, provider = 0, active = 0, migrated = 0, legacyOnly = 0] = counts;
  if (!hll) return { legacy, provider, active, migrated, legacyOnly };
  const [hllLegacy = 0, hllProvider = 0, hllActive = 0, hllMigrated = 0] = hll;
  const estLegacy = Math.max(legacy, hllLegacy);
  const estMigrated = Math.max(migrated, hllMigrated);
  const estLegacyOnly = estLegacy - (legacy - legacyOnly) - (estMigrated - migrated);
  return {
    legacy: estLegacy,
    provider: Math.max(provider, hllProvider),
    active: Math.max(active, hllActive, estLegacy),
    migrated: estMigrated,
    legacyOnly: Math.min(estLegacy, Math.max(legacyOnly, estLegacyOnly)),
  };
}
