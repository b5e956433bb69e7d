/**
 * The Prometheus families of the fleet (a shared Redis store): instances in the registry and how many disagree,
 * read from the report's `fleet` section, and how long ago this instance last synced the fleet state (process
 * state: exported even while Redis is down). Absent without a shared store.
 */
import type { MetricFamilyDefinition, MetricValues } from './metric-types.js';

const SHARED_REGISTRY =
  'Read from the fleet registry in Redis: every instance exports the same value, aggregate with max(), not sum().';

export const FLEET_METRIC_FAMILIES: readonly MetricFamilyDefinition[] = [
  {
    name: 'session_bridge_fleet_instances',
    help: `Instances in the fleet registry: live (heartbeat within 3 intervals) and gone (silent longer, kept for a day). ${SHARED_REGISTRY}`,
    type: 'gauge',
    aggregator: 'max',
    samples: ({ report }: MetricValues) => {
      const fleet = report?.fleet;
      if (!fleet) return [];
      const gone = fleet.instances.filter((i) => i.gone).length;
      return [
        { labels: { state: 'live' }, value: fleet.instances.length - gone },
        { labels: { state: 'gone' }, value: gone },
      ];
    },
  },
  {
    name: 'session_bridge_fleet_disagreeing_instances',
    help: `Live instances whose mode or ramp differs from the fleet state, or all of them when they use different cutover keys; 0 when the fleet agrees. ${SHARED_REGISTRY}`,
    type: 'gauge',
    aggregator: 'max',
    samples: ({ report }: MetricValues) => {
      const fleet = report?.fleet;
      if (!fleet) return [];
      const live = fleet.instances.filter((i) => !i.gone);
      if (fleet.agree) return [{ labels: {}, value: 0 }];
      const state = fleet.state;
      const off = live.filter((i) => !state || i.mode !== state.mode || i.percent !== state.percent).length;
      return [{ labels: {}, value: off > 0 ? off : live.length }];
    },
  },
  {
    name: 'session_bridge_fleet_sync_age_seconds',
    help: 'Seconds since this instance last read the fleet state from Redis (it keeps applying the last one it read meanwhile). Per instance: alert on max().',
    type: 'gauge',
    aggregator: 'max',
    samples: ({ state }: MetricValues) => {
      if (state?.fleetSyncedAt === undefined) return [];
      if (state.fleetSyncedAt === null) return [];
      return [{ labels: {}, value: Math.max(0, (Date.now() - state.fleetSyncedAt) / 1000) }];
    },
  },
];
