import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AggregatorRegistry, Counter, type OpenMetricsContentType, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { MigrationReport } from '../../src/index.js';
import {
  createPromClientCollector,
  METRIC_FAMILIES,
  type MetricsSource as StatsMetricsSource,
} from '../helpers/internals.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import {
  localCountsFixture,
  localPasswordMigrationsFixture,
  makeReportFixture,
  recorderFixture,
} from '../helpers/report-fixture.js';

function source(
  getReport: () => Promise<MigrationReport> = async () => makeReportFixture(),
): StatsMetricsSource & {
  calls: () => number;
} {
  let calls = 0;
  return {
    getReport: () => {
      calls += 1;
      return getReport();
    },
    local: localCountsFixture,
    localPasswordMigrations: localPasswordMigrationsFixture,
    recorder: () => recorderFixture(),
    calls: () => calls,
  };
}

/** prom-client separates families with a blank line, which the strict parser refuses. */
function parseRegistryText(text: string) {
  return parsePrometheusText(text.replace(/\n\n/g, '\n'));
}

describe('createPromClientCollector with the real prom-client', () => {
  it('registers every family into a Registry and renders the same values as the endpoint', async () => {
    const registry = new Registry();
    const appCounter = new Counter({
      name: 'app_requests_total',
      help: 'The app own metric.',
      registers: [registry],
    });
    appCounter.inc();
    createPromClientCollector(source()).register(registry);

    const families = parseRegistryText(await registry.metrics());
    for (const definition of METRIC_FAMILIES) {
      expect(families.get(definition.name)?.type).toBe(definition.type);
    }
    expect(sampleValue(families, 'app_requests_total')).toBe(1);
    expect(sampleValue(families, 'session_bridge_requests_total', { kind: 'provider', outcome: 'ok' })).toBe(
      5_678,
    );
    expect(sampleValue(families, 'session_bridge_users', { kind: 'provider', window: '7d' })).toBe(455);
    expect(sampleValue(families, 'session_bridge_password_migrations_total', { result: 'match' })).toBe(321);
    expect(
      sampleValue(families, 'session_bridge_password_migrations_total', { result: 'rate_limited' }),
    ).toBe(2);
    expect(sampleValue(families, 'session_bridge_stats_dropped_total')).toBe(25);
    expect(sampleValue(families, 'session_bridge_stats_report_up')).toBe(1);
  });

  it('reads the report once per scrape for all families', async () => {
    const src = source();
    const registry = new Registry();
    createPromClientCollector(src).register(registry);
    await registry.metrics();
    expect(src.calls()).toBe(1);
    await registry.getMetricsAsJSON();
    expect(src.calls()).toBe(2);
  });

  it('keeps the scrape working when the stats store fails, with report_up 0 and the local counters', async () => {
    const errors: unknown[] = [];
    const registry = new Registry();
    const collector = createPromClientCollector(
      source(async () => {
        throw new Error('redis down');
      }),
      { onError: (error) => errors.push(error) },
    );
    collector.register(registry);
    const families = parseRegistryText(await registry.metrics());
    expect(sampleValue(families, 'session_bridge_stats_report_up')).toBe(0);
    expect(sampleValue(families, 'session_bridge_requests_total', { kind: 'legacy', outcome: 'ok' })).toBe(
      1_234,
    );
    expect(families.get('session_bridge_users')?.samples ?? []).toHaveLength(0);
    expect(errors).toHaveLength(1);
  });

  it('gives up waiting for a report that does not settle in time', async () => {
    const registry = new Registry();
    createPromClientCollector(
      source(() => new Promise<never>(() => {})),
      { timeoutMs: 50 },
    ).register(registry);
    const families = parseRegistryText(await registry.metrics());
    expect(sampleValue(families, 'session_bridge_stats_report_up')).toBe(0);
  });

  it('works with an OpenMetrics registry (counter names without _total in TYPE)', async () => {
    const registry = new Registry<OpenMetricsContentType>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    createPromClientCollector(source()).register(registry);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE session_bridge_requests counter');
    expect(text).toContain('session_bridge_requests_total{kind="legacy",outcome="ok"} 1234');
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it('aggregates cluster workers: process-local numbers are summed, shared gauges are not', async () => {
    const scrape = async () => {
      const registry = new Registry();
      createPromClientCollector(source()).register(registry);
      return registry.getMetricsAsJSON();
    };
    const merged = AggregatorRegistry.aggregate([await scrape(), await scrape()]);
    const families = parseRegistryText(await merged.metrics());
    expect(sampleValue(families, 'session_bridge_requests_total', { kind: 'provider', outcome: 'ok' })).toBe(
      2 * 5_678,
    );
    expect(sampleValue(families, 'session_bridge_stats_dropped_total')).toBe(2 * 25);
    expect(sampleValue(families, 'session_bridge_users', { kind: 'legacy', window: '7d' })).toBe(131);
    expect(sampleValue(families, 'session_bridge_cutover_ready')).toBe(0);
  });

  it('refuses a registration that would collide, like prom-client does', () => {
    const registry = new Registry();
    createPromClientCollector(source()).register(registry);
    expect(() => createPromClientCollector(source()).register(registry)).toThrow(/already been registered/);
  });

  it('validates its source and registry', () => {
    expect(() => createPromClientCollector({} as never)).toThrow(TypeError);
    expect(() => createPromClientCollector(source()).register({} as never)).toThrow(TypeError);
    expect(() => createPromClientCollector(source(), { timeoutMs: -1 })).toThrow(TypeError);
  });

  it('is not imported by any source file (prom-client is an optional peer dependency)', () => {
    const src = fileURLToPath(new URL('../../src', import.meta.url));
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(join(src, file), 'utf8');
      expect(text, file).not.toMatch(/^\s*(?:import|export)\b[^;]*from\s+['"]prom-client['"]/m);
      expect(text, file).not.toMatch(/require\(\s*['"]prom-client['"]\s*\)|import\(\s*['"]prom-client/);
    }
  });

  it('exports the upgrade endpoint counters of localSessionUpgrades, every result, zero included', async () => {
    const registry = new Registry();
    createPromClientCollector({
      ...source(),
      localSessionUpgrades: () => ({
        upgraded: 7,
        already: 1,
        refused: 0,
        failed: 2,
        unauthenticated: 0,
        forbidden: 0,
        ineligible: 0,
      }),
    }).register(registry);
    const families = parseRegistryText(await registry.metrics());
    expect(sampleValue(families, 'session_bridge_session_upgrades_total', { result: 'upgraded' })).toBe(7);
    expect(sampleValue(families, 'session_bridge_session_upgrades_total', { result: 'failed' })).toBe(2);
    expect(sampleValue(families, 'session_bridge_session_upgrades_total', { result: 'ineligible' })).toBe(0);
  });
});
