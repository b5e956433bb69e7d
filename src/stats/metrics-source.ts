/**
 * Where the migration numbers come from: the one interface the stats endpoint (JSON, Prometheus text, HTML)
 * and the prom-client collector read, on every request or scrape. The reader gives `getReport` its deadline
 * (`attemptReport`).
 */
import { withTimeout } from '../util/with-timeout.js';
import type { LabelledCount, PasswordMigrationCounts, SessionUpgradeCounts } from './contract.js';
import type { InstanceState } from './metric-types.js';
import type { MigrationReport, RecorderReport } from './report-types.js';

export interface MetricsSource {
  /** The report from the shared stats store. A rejection or timeout leaves the store's numbers out. */
  getReport: () => Promise<MigrationReport>;
  /** Requests decided by this process since it started (the Prometheus counters). */
  local: () => readonly LabelledCount[];
  /** Password migration decisions of this process since it started. Optional: left out, all zero. */
  localPasswordMigrations?: () => PasswordMigrationCounts;
  /** Upgrade endpoint decisions of this process since it started. Optional: left out, all zero. */
  localSessionUpgrades?: () => SessionUpgradeCounts;
  /** Health of this process's recorder. */
  recorder: () => RecorderReport;
  /** This instance's current mode and ramp. Optional: left out, those gauges are left out. */
  state?: () => InstanceState;
}

/** A report, or why there is none (the store failed, or did not answer before the deadline). */
export type ReportAttempt = { ok: true; report: MigrationReport } | { ok: false; error: unknown };

/**
 * The one place a report gets a deadline: runs `getReport` (a throw counts as a failure) and settles with the
 * report, or with the error once it fails or `timeoutMs` have passed. Never rejects, so every caller chooses its
 * fallback: the endpoint a 503, a scrape this instance's metrics without the store's.
 */
export async function attemptReport(
  getReport: () => Promise<MigrationReport> | MigrationReport,
  timeoutMs: number,
): Promise<ReportAttempt> {
  try {
    const work = Promise.resolve().then(getReport);
    return { ok: true, report: await withTimeout(work, timeoutMs, 'The stats store') };
  } catch (error) {
    return { ok: false, error };
  }
}
