import { STATS_KINDS as KINDS, STATS_OUTCOMES as OUTCOMES } from '../labels.js';
import type {
  LabelledCount,
  RequestCounts,
  SeriesPoint,
  StatsSnapshot,
  UserCounts,
  WindowSnapshot,
} from '../store.js';
import type { BucketPlan, QueryPlan } from './query-plan.js';
import type { QueryReply } from './query-reply.js';

/** Assembles the snapshot of a query from its plan and the script's reply. */
export function toSnapshot(plan: QueryPlan, reply: QueryReply): StatsSnapshot {
  const { ranges, plans, windowNames, hourFrom, dayFrom, hourly, seriesSize, seriesFirst, seriesLast } = plan;
  const hours = new Map<number, Map<string, number>>();
  reply.hours.forEach((fields, i) => {
    hours.set(hourFrom + i, fields);
  });
  const days = new Map<number, Map<string, number>>();
  reply.days.forEach((fields, i) => {
    days.set(dayFrom + i, fields);
  });
  const horizon = reply.horizon;

  const labelsOf = (bucketPlan: BucketPlan): Map<string, number> => {
    const sum = new Map<string, number>();
    const add = (fields: Map<string, number> | undefined) => {
      if (!fields) return;
      for (const [field, count] of fields) sum.set(field, (sum.get(field) ?? 0) + count);
    };
    for (let h = bucketPlan.hourFrom; h <= bucketPlan.hourTo; h++) add(hours.get(h));
    for (let d = bucketPlan.dayFrom; d <= bucketPlan.dayTo; d++) add(days.get(d));
    return sum;
  };

  const rangeSnapshot = (index: number): WindowSnapshot => {
    const start = ranges[index]!;
    const counts = reply.counts[index] ?? [];
    const reachesEvicted = horizon !== null && start <= horizon;
    const returning = counts[5] ?? 0;
    return {
      requests: requestCounts(labelsOf(plans[index]!)),
      users: userCounts(counts, reachesEvicted ? reply.hll[index] : undefined),
      approximate: reachesEvicted || returning > 0,
    };
  };

  const totals = rangeSnapshot(0);
  const windows: Record<string, WindowSnapshot> = {};
  windowNames.forEach((name, i) => {
    windows[name] = rangeSnapshot(i + 1);
  });

  const series: SeriesPoint[] = [];
  for (let b = seriesFirst; b <= seriesLast; b++) {
    const fields = (hourly ? hours : days).get(b);
    series.push({
      start: b * seriesSize,
      legacyUsers: fields?.get('users:legacy') ?? 0,
      providerUsers: fields?.get('users:provider') ?? 0,
      legacyRequests: fields?.get('legacy:ok') ?? 0,
      providerRequests: fields?.get('provider:ok') ?? 0,
    });
  }

  const totalLabels = labelsOf(plans[0]!);
  const requestsByLabel: LabelledCount[] = [];
  for (const kind of KINDS) {
    for (const outcome of OUTCOMES) {
      const count = totalLabels.get(`${kind}:${outcome}`) ?? 0;
      if (count > 0) requestsByLabel.push({ kind, outcome, count });
    }
  }

  const lastLegacyAt =
    reply.lastLegacyAt !== null && reply.lastLegacyAt >= plan.retentionStart ? reply.lastLegacyAt : null;
  return {
    approximate: totals.approximate || Object.values(windows).some((w) => w.approximate),
    totals: { requests: totals.requests, users: totals.users },
    windows,
    lastLegacyAt,
    series,
    requestsByLabel,
  };
}

function requestCounts(labels: Map<string, number>): RequestCounts {
  const counts: RequestCounts = {
    legacy: 0,
    provider: 0,
    anonymous: 0,
    rejected: 0,
    conflicts: 0,
    unavailable: 0,
  };
  for (const [label, count] of labels) {
    const colon = label.indexOf(':');
    const kind = label.slice(0, colon);
    const outcome = label.slice(colon + 1);
    if (kind === 'users') continue;
    switch (outcome) {
      case 'ok':
        if (kind === 'legacy') counts.legacy += count;
        else if (kind === 'provider') counts.provider += count;
        break;
      case 'anonymous':
        counts.anonymous += count;
        break;
      case 'conflict':
        counts.conflicts += count;
        counts.rejected += count;
        break;
      case 'unavailable':
        counts.unavailable += count;
        counts.rejected += count;
        break;
      case 'invalid':
      case 'expired':
      case 'disabled':
        counts.rejected += count;
        break;
    }
  }
  return counts;
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
