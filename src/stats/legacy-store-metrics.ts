/**
 * The Prometheus families of the legacy store drain (`legacy.drain`), read from the report's `legacyStore`
 * section. Absent until a scan of a store that can list its sessions has completed.
 */
import type { LegacyStoreCounts } from '../legacy-drain/types.js';
import type { MetricFamilyDefinition, MetricValues } from './metric-types.js';
import type { MigrationReport } from './report-types.js';

const SCANNED =
  "From this instance's last scan of the legacy session store: instances scanning the same store export about the same value, aggregate with max(), not sum().";

function lastScan(report: MigrationReport | null): LegacyStoreCounts | undefined {
  const scan = report?.legacyStore?.scan;
  return scan?.supported ? scan : undefined;
}

export const LEGACY_STORE_METRIC_FAMILIES: readonly MetricFamilyDefinition[] = [
  {
    name: 'session_bridge_legacy_store_sessions',
    help: `Sessions in the legacy store not expired by their cookie at the last scan: live (logged in or not) and logged_in (with a user id). ${SCANNED}`,
    type: 'gauge',
    aggregator: 'max',
    samples: ({ report }: MetricValues) => {
      const scan = lastScan(report);
      if (!scan) return [];
      return [
        { labels: { state: 'live' }, value: scan.sessions },
        { labels: { state: 'logged_in' }, value: scan.loggedIn },
      ];
    },
  },
  {
    name: 'session_bridge_legacy_store_users',
    help: `Distinct users with a logged-in, unexpired legacy session at the last scan: at most this many users are affected by a cutover now. ${SCANNED}`,
    type: 'gauge',
    aggregator: 'max',
    samples: ({ report }: MetricValues) => {
      const scan = lastScan(report);
      return scan ? [{ labels: {}, value: scan.users }] : [];
    },
  },
  {
    name: 'session_bridge_legacy_store_latest_expiry_seconds',
    help: `Unix time by which every logged-in legacy session found by the last scan has expired by itself; absent when some has no expiry or none is logged in. ${SCANNED}`,
    type: 'gauge',
    aggregator: 'max',
    samples: ({ report }: MetricValues) => {
      const latest = lastScan(report)?.latestExpiry;
      return latest ? [{ labels: {}, value: Date.parse(latest) / 1000 }] : [];
    },
  },
];
