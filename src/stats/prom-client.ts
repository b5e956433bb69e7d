/**
 * Registration of the migration metrics into a prom-client registry, for apps that already expose
 * prom-client's `/metrics`. prom-client is an optional peer dependency and is never imported: the metrics
 * are duck-typed to what `Registry.registerMetric()` and `Registry.metrics()` use (prom-client 14 and 15:
 * `name`, `help`, `type`, `aggregator`, `get()`, `reset()`).
 */

import { OptionChecks } from '../options/checks.js';
import { METRIC_FAMILIES } from './metric-families.js';
import type { MetricAggregator, MetricValues } from './metric-types.js';
import { attemptReport, type MetricsSource } from './metrics-source.js';

export interface PromClientCollectorOptions {
  /** Milliseconds to wait for the report before scraping without it. Default `5000`. */
  timeoutMs?: number;
  /** Called with the error when the report fails (the scrape still succeeds). Default: none. */
  onError?: (error: unknown) => void;
}

const OPTION_KEYS: Record<keyof PromClientCollectorOptions, true> = { timeoutMs: true, onError: true };

/** What prom-client's `get()` returns. */
export interface PromClientMetricObject {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  aggregator: MetricAggregator;
  values: Array<{ labels: Record<string, string>; value: number }>;
}

/** One metric family as prom-client's registry sees a metric. */
export interface PromClientMetric {
  /** Mutable: an OpenMetrics registry strips `_total` from counter names, as it does for its own counters. */
  name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  /** How `AggregatorRegistry` combines cluster workers: `sum` for process-local numbers, `max` for shared ones. */
  readonly aggregator: MetricAggregator;
  get(): Promise<PromClientMetricObject>;
  /** No-op: the values are read from the bridge on each scrape, `registry.resetMetrics()` cannot reset them. */
  reset(): void;
}

/** Anything with prom-client's `registerMetric`, typed loosely so prom-client's own `Registry` type fits. */
export interface PromClientRegistryLike {
  registerMetric(metric: never): void;
}

export interface PromClientCollector {
  /** One metric per family, in exposition order. */
  readonly metrics: readonly PromClientMetric[];
  /** Registers every metric into `registry` (throws like prom-client if a name is already taken). */
  register(registry: PromClientRegistryLike): void;
}

/**
 * Creates the migration metrics for a prom-client registry:
 * ```ts
 * import { register } from 'prom-client';
 * createPromClientCollector(source).register(register);
 * ```
 * One scrape reads the report once for all families (concurrent `get()` calls share it). When the report
 * fails, the scrape still succeeds with the process-local metrics and `session_bridge_stats_report_up 0`,
 * so a stats store outage never breaks the app's other metrics.
 */
export function createPromClientCollector(
  source: MetricsSource,
  options: PromClientCollectorOptions = {},
): PromClientCollector {
  const check: OptionChecks = new OptionChecks('registerMetrics');
  const value = check.record(source, 'pass the source `{ getReport, local, recorder }`.');
  for (const name of ['getReport', 'local', 'recorder'] as const) {
    check.requiredFunction(name, value[name], 'the metrics source needs it.');
  }
  check.optionalFunction('localPasswordMigrations', value.localPasswordMigrations, '() => counts');
  check.optionalFunction('localSessionUpgrades', value.localSessionUpgrades, '() => counts');
  const opts = check.optionalRecord(options, 'options must be an object such as { timeoutMs: 5000 }.');
  check.knownKeys(opts, OPTION_KEYS);
  const timeoutMs = check.integer(
    'timeoutMs',
    opts.timeoutMs,
    1,
    5000,
    'the milliseconds to wait for the report before scraping without it, e.g. 5000',
  );
  const onError = check.optionalFunction<PromClientCollectorOptions['onError']>(
    'onError',
    opts.onError,
    '(error) => void',
  );

  let pending: Promise<MetricValues> | undefined;
  const load = async (): Promise<MetricValues> => {
    const sources = {
      local: source.local(),
      passwordMigrations: source.localPasswordMigrations?.(),
      sessionUpgrades: source.localSessionUpgrades?.(),
      recorder: source.recorder(),
      state: source.state?.(),
    };
    const attempt = await attemptReport(() => source.getReport(), timeoutMs);
    if (attempt.ok) return { ...sources, report: attempt.report };
    try {
      onError?.(attempt.error);
    } catch {
      // A failing error callback must not fail the scrape.
    }
    return { ...sources, report: null };
  };
  // Registry.metrics() calls every get() in the same tick: they share one load.
  const sources = (): Promise<MetricValues> => {
    pending ??= load().finally(() => {
      pending = undefined;
    });
    return pending;
  };

  const metrics = METRIC_FAMILIES.map((definition): PromClientMetric => {
    const metric: PromClientMetric = {
      name: definition.name,
      help: definition.help,
      type: definition.type,
      aggregator: definition.aggregator,
      async get() {
        const values = definition
          .samples(await sources())
          .map((s) => ({ labels: { ...s.labels }, value: s.value }));
        return {
          name: metric.name,
          help: metric.help,
          type: metric.type,
          aggregator: metric.aggregator,
          values,
        };
      },
      reset() {},
    };
    return metric;
  });

  return {
    metrics,
    register(registry) {
      if (typeof registry?.registerMetric !== 'function') {
        throw new TypeError(
          'register(registry) needs a prom-client Registry, e.g. `register` from prom-client.',
        );
      }
      for (const metric of metrics) registry.registerMetric(metric as never);
    },
  };
}
