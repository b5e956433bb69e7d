/** The shapes of the migration metrics: the values of one scrape, and the families computed from them. */
import type { BridgeMode } from '../types.js';
import type { LabelledCount, PasswordMigrationCounts, SessionUpgradeCounts } from './contract.js';
import type { MigrationReport, RecorderReport } from './report-types.js';

/** The values of one scrape, read from a `MetricsSource`. `report` is null when the stats store could not answer. */
export interface MetricValues {
  report: MigrationReport | null;
  /** Requests decided by this process since it started, by kind and outcome. */
  local: readonly LabelledCount[];
  /** Password migration decisions of this process since it started, by result. Left out: all zero. */
  passwordMigrations?: PasswordMigrationCounts;
  /** Upgrade endpoint decisions of this process since it started, by result. Left out: all zero. */
  sessionUpgrades?: SessionUpgradeCounts;
  /** Health of this process's recorder. */
  recorder: RecorderReport;
  /** This instance's current mode and ramp; absent: those gauges are left out. */
  state?: InstanceState | undefined;
}

/** The mode and ramp an instance runs with now (`bridge.configure()` changes them). */
export interface InstanceState {
  mode: BridgeMode;
  /** `cutover.percent`. */
  percent: number;
  /** With a shared store: wall-clock ms of the last fleet sync (null: none yet). Absent: no fleet. */
  fleetSyncedAt?: number | null;
}

export interface MetricSample {
  labels: Record<string, string>;
  value: number;
}

/** How prom-client's `AggregatorRegistry` (cluster mode) combines the workers' values. */
export type MetricAggregator = 'sum' | 'max' | 'min';

export interface MetricFamilyDefinition {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  aggregator: MetricAggregator;
  samples(values: MetricValues): MetricSample[];
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  aggregator: MetricAggregator;
  samples: MetricSample[];
}
