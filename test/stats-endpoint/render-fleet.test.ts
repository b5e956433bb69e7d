import { describe, expect, it } from 'vitest';
import type { FleetInstance, FleetReport } from '../../src/index.js';
import { buildMetricFamilies, renderHtml, renderPrometheus } from '../helpers/internals.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { localCountsFixture, makeReportFixture, recorderFixture } from '../helpers/report-fixture.js';

function instance(id: string, overrides: Partial<FleetInstance> = {}): FleetInstance {
  return {
    id,
    version: '0.1.0',
    mode: 'bridge',
    percent: 25,
    keyId: 'abcd1234',
    stateVersion: 3,
    recorder: { buffered: 0, failedFlushes: 0, lastFlushAt: null },
    lastSeenAt: '2025-03-31T11:59:59.000Z',
    intervalMs: 1000,
    gone: false,
    ...overrides,
  };
}

function fleet(instances: FleetInstance[], agree: boolean): FleetReport {
  return {
    instance: 'pod-a',
    state: {
      version: 3,
      mode: 'bridge',
      percent: 25,
      at: '2025-03-31T11:00:00.000Z',
      instance: 'pod-a',
      by: null,
    },
    lastSyncedAt: '2025-03-31T11:59:59.500Z',
    syncAgeMs: 500,
    instances,
    agree,
  };
}

const metrics = (report: ReturnType<typeof makeReportFixture>) =>
  parsePrometheusText(
    renderPrometheus(
      buildMetricFamilies({ report, local: localCountsFixture(), recorder: recorderFixture() }),
    ),
  );

describe('the fleet on the dashboard and in Prometheus', () => {
  it('says how many instances run and that they all apply the fleet state', () => {
    const report = makeReportFixture({
      fleet: fleet([instance('pod-a'), instance('pod-b'), instance('pod-c')], true),
    });
    const page = renderHtml(report);
    expect(page).toContain('3 instances, all on bridge 25 %.');
    expect(page).toContain('fleet state last synced less than a second ago by this instance (pod-a)');
    const families = metrics(report);
    expect(sampleValue(families, 'session_bridge_fleet_instances', { state: 'live' })).toBe(3);
    expect(sampleValue(families, 'session_bridge_fleet_instances', { state: 'gone' })).toBe(0);
    expect(sampleValue(families, 'session_bridge_fleet_disagreeing_instances', {})).toBe(0);
  });

  it('names the instances that disagree and the ones gone, escaping their ids', () => {
    const report = makeReportFixture({
      fleet: fleet(
        [
          instance('pod-a'),
          instance('<b>pod-b</b>', { percent: 10, stateVersion: 2 }),
          instance('pod-c', { gone: true, percent: 0 }),
        ],
        false,
      ),
    });
    const page = renderHtml(report);
    expect(page).toContain(
      '2 instances; the fleet state is bridge 25 %; not applied yet by &lt;b&gt;pod-b&lt;/b&gt; (bridge 10 %).',
    );
    expect(page).toContain('Gone (no heartbeat for 3 intervals): pod-c.');
    const families = metrics(report);
    expect(sampleValue(families, 'session_bridge_fleet_instances', { state: 'live' })).toBe(2);
    expect(sampleValue(families, 'session_bridge_fleet_instances', { state: 'gone' })).toBe(1);
    expect(sampleValue(families, 'session_bridge_fleet_disagreeing_instances', {})).toBe(1);
  });

  it('tells instances with different cutover keys apart even on the same percent', () => {
    const report = makeReportFixture({
      fleet: fleet([instance('pod-a'), instance('pod-b', { keyId: 'ffff0000' })], false),
    });
    expect(renderHtml(report)).toContain('different cutover keys');
    expect(sampleValue(metrics(report), 'session_bridge_fleet_disagreeing_instances', {})).toBe(2);
  });

  it('shows no fleet section and no fleet metrics for a single instance', () => {
    const report = makeReportFixture();
    expect(renderHtml(report)).not.toContain('id="fleet"');
    expect(metrics(report).has('session_bridge_fleet_instances')).toBe(false);
  });
});
