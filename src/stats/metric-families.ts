/**
 * The migration metric families, in exposition order: what the Prometheus text of the stats endpoint and the
 * prom-client collector both export.
 *
 * Two kinds of numbers, with different aggregation across instances:
 * - process-local counters (requests decided by this instance, recorder health): each instance exports its
 *   own, so `sum()` them in PromQL;
 * - gauges read from the shared stats store (distinct users, legacy share, cutover): every instance exports
 *   the same value, so use `max()` (never `sum()`) across instances.
 */

import type { BridgeMode } from '../types.js';
import type { LabelledCount, PasswordMigrationCounts, SessionUpgradeCounts, UserCounts } from './contract.js';
import { FLEET_METRIC_FAMILIES } from './fleet-metrics.js';
import {
  STATS_KINDS as KINDS,
  STATS_OUTCOMES as OUTCOMES,
  PASSWORD_MIGRATION_RESULTS,
  PASSWORD_RESULT_LABELS,
  SESSION_UPGRADE_RESULTS,
} from './labels.js';
import { LEGACY_STORE_METRIC_FAMILIES } from './legacy-store-metrics.js';
import type { MetricFamily, MetricFamilyDefinition, MetricSample, MetricValues } from './metric-types.js';

const MODES: readonly BridgeMode[] = ['observe', 'bridge', 'provider-only'];

const USER_KINDS: ReadonlyArray<[label: string, key: keyof UserCounts]> = [
  ['legacy', 'legacy'],
  ['provider', 'provider'],
  ['active', 'active'],
  ['migrated', 'migrated'],
  ['legacy_only', 'legacyOnly'],
];
const WINDOWS = ['1d', '7d', '30d'] as const;

const SHARED =
  'Read from the shared stats store: every instance exports the same value, aggregate with max(), not sum().';
const LOCAL = 'Process-local: each instance exports its own counter, sum() them across instances in PromQL.';

function requestSamples(local: readonly LabelledCount[]): MetricSample[] {
  // Every known (kind, outcome) pair is exported, zero included, so rate() sees a series from the start.
  const counts = new Map<string, MetricSample>();
  for (const kind of KINDS) {
    for (const outcome of OUTCOMES)
      counts.set(`${kind}\0${outcome}`, { labels: { kind, outcome }, value: 0 });
  }
  for (const entry of local) {
    const key = `${entry.kind}\0${entry.outcome}`;
    const sample = counts.get(key) ?? { labels: { kind: entry.kind, outcome: entry.outcome }, value: 0 };
    sample.value += entry.count;
    counts.set(key, sample);
  }
  return [...counts.values()];
}

function passwordSamples(counts: PasswordMigrationCounts | undefined): MetricSample[] {
  // Every result is exported, zero included, like the request counters.
  return PASSWORD_MIGRATION_RESULTS.map((result) => ({
    labels: { result: PASSWORD_RESULT_LABELS[result] },
    value: counts?.[result] ?? 0,
  }));
}

function upgradeSamples(counts: SessionUpgradeCounts | undefined): MetricSample[] {
  return SESSION_UPGRADE_RESULTS.map((result) => ({ labels: { result }, value: counts?.[result] ?? 0 }));
}

function isoToSeconds(iso: string | null): number | undefined {
  if (iso === null) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

function single(value: number | undefined): MetricSample[] {
  return value === undefined ? [] : [{ labels: {}, value }];
}

/** The metric families, in exposition order. Names and types never change; samples depend on the sources. */
export const METRIC_FAMILIES: readonly MetricFamilyDefinition[] = [
  {
    name: 'session_bridge_requests_total',
    help: `Requests decided by this instance since it started, by credential kind presented (provider wins when both were) and outcome. ${LOCAL}`,
    type: 'counter',
    aggregator: 'sum',
    samples: ({ local }) => requestSamples(local),
  },
  {
    name: 'session_bridge_password_migrations_total',
    help: `Decisions of this instance's password migration endpoints (Ory hook, Auth0 custom database) since it started, by result: match (the provider now holds the password), mismatch, unknown, rate_limited, unauthorized, error. ${LOCAL}`,
    type: 'counter',
    aggregator: 'sum',
    samples: ({ passwordMigrations }) => passwordSamples(passwordMigrations),
  },
  {
    name: 'session_bridge_session_upgrades_total',
    help: `Decisions of this instance's upgrade endpoint (silent migration) since it started, by result: upgraded (moved to the provider without a password), already, refused, failed, unauthenticated, forbidden, ineligible. ${LOCAL}`,
    type: 'counter',
    aggregator: 'sum',
    samples: ({ sessionUpgrades }) => upgradeSamples(sessionUpgrades),
  },
  {
    name: 'session_bridge_users',
    help: `Distinct users seen in the window ending now (total: the whole retention), by kind: legacy, provider, active (either), migrated (legacy first, then provider), legacy_only (never seen on the provider). ${SHARED}`,
    type: 'gauge',
    aggregator: 'max',
    samples: ({ report }) => {
      if (!report) return [];
      const samples: MetricSample[] = [];
      for (const [kind, key] of USER_KINDS) {
        for (const window of WINDOWS) {
          samples.push({ labels: { kind, window }, value: report.windows[window].users[key] });
        }
        samples.push({ labels: { kind, window: 'total' }, value: report.totals.users[key] });
      }
      return samples;
    },
  },
  {
    name: 'session_bridge_legacy_share',
    help: `Share of the active users of the window still seen on a legacy session (0 to 1; 0 when nobody was active). ${SHARED}`,
    type: 'gauge',
    aggregator: 'max',
    samples: ({ report }) =>
      report ? [{ labels: { window: '7d' }, value: report.cutover.legacyShare7d }] : [],
  },
  {
    name: 'session_bridge_cutover_ready',
    help: `1 when the cutover criteria hold and the legacy login can be switched off, else 0. ${SHARED}`,
    type: 'gauge',
    aggregator: 'max',
    samples: ({ report }) => single(report ? Number(report.cutover.ready) : undefined),
  },
  {
    name: 'session_bridge_cutover_projected_ready_seconds',
    help: `Unix time at which the cutover criteria are projected to hold from the recent trend; absent when the trend does not get there. ${SHARED}`,
    type: 'gauge',
    aggregator: 'max',
    samples: ({ report }) => single(report ? isoToSeconds(report.cutover.projectedReadyAt) : undefined),
  },
  {
    name: 'session_bridge_last_legacy_seen_seconds',
    help: `Unix time of the last legacy session sighting; absent when none was ever recorded. ${SHARED}`,
    type: 'gauge',
    aggregator: 'max',
    samples: ({ report }) => single(report ? isoToSeconds(report.lastLegacyAt) : undefined),
  },
  {
    name: 'session_bridge_stats_approximate',
    help: `1 when some user counts are approximations (more distinct users than the store tracks exactly), else 0. ${SHARED}`,
    type: 'gauge',
    aggregator: 'max',
    samples: ({ report }) => single(report ? Number(report.approximate) : undefined),
  },
  ...LEGACY_STORE_METRIC_FAMILIES,
  ...FLEET_METRIC_FAMILIES,
  {
    name: 'session_bridge_mode',
    help: 'The mode this instance runs in now: 1 for the current mode, 0 for the others. Per instance (set by the `mode` option and bridge.configure()): check that every instance agrees, e.g. count by (mode) (session_bridge_mode == 1).',
    type: 'gauge',
    aggregator: 'sum',
    samples: ({ state }) =>
      state ? MODES.map((mode) => ({ labels: { mode }, value: Number(state.mode === mode) })) : [],
  },
  {
    name: 'session_bridge_cutover_percent',
    help: 'The share of legacy users (0 to 100) this instance already treats as provider-only (`cutover.percent`). Per instance (set by the `cutover` option and bridge.configure()).',
    type: 'gauge',
    aggregator: 'max',
    samples: ({ state }) => single(state?.percent),
  },
  {
    name: 'session_bridge_stats_report_up',
    help: '1 when the shared stats store answered the report query of this scrape, 0 when it failed (the store-derived gauges are then absent).',
    type: 'gauge',
    aggregator: 'min',
    samples: ({ report }) => single(report ? 1 : 0),
  },
  {
    name: 'session_bridge_stats_buffered_events',
    help: `Stats events waiting in this instance's recorder buffer for the next flush to the store. Process-local: sum() across instances.`,
    type: 'gauge',
    aggregator: 'sum',
    samples: ({ recorder }) => single(recorder.buffered),
  },
  {
    name: 'session_bridge_stats_recorded_total',
    help: `Stats events this instance's recorder wrote to the store. ${LOCAL}`,
    type: 'counter',
    aggregator: 'sum',
    samples: ({ recorder }) => single(recorder.recorded),
  },
  {
    name: 'session_bridge_stats_dropped_total',
    help: `Stats events this instance's recorder dropped because its buffer was full (the store was slow or down). ${LOCAL}`,
    type: 'counter',
    aggregator: 'sum',
    samples: ({ recorder }) => single(recorder.dropped),
  },
  {
    name: 'session_bridge_stats_failed_flushes_total',
    help: `Flushes of this instance's recorder that the store failed or did not answer in time. ${LOCAL}`,
    type: 'counter',
    aggregator: 'sum',
    samples: ({ recorder }) => single(recorder.failedFlushes),
  },
];

/** Evaluates every family against the values of one scrape. */
export function buildMetricFamilies(values: MetricValues): MetricFamily[] {
  return METRIC_FAMILIES.map((definition) => ({
    name: definition.name,
    help: definition.help,
    type: definition.type,
    aggregator: definition.aggregator,
    samples: definition.samples(values),
  }));
}
