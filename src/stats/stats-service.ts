import {
  createPromClientCollector,
  type PromClientCollectorOptions,
  type PromClientRegistryLike,
} from '../http/prom-client-collector.js';
import {
  createStatsHandler,
  parseStatsHandlerOptions,
  type StatsHandlerOptions,
  type StatsRequestHandler,
} from '../http/stats-handler.js';
import type { BridgeConfig } from '../options.js';
import type { BridgeEvent } from '../types.js';
import { withTimeout } from '../util/with-timeout.js';
import { memoryStats } from './memory-store.js';
import { Recorder } from './recorder.js';
import { buildReport, parseCutoverCriteria, statsQueryFor } from './report.js';
import type { CutoverCriteria, MigrationReport } from './report-types.js';
import type { StatsQuery, StatsSnapshot, StatsStore } from './store.js';
import { toStatsEvent } from './to-stats-event.js';

/** Options of `bridge.report()`. */
export interface ReportOptions {
  /** Bucket size of `series`. Default `'day'`. */
  seriesBucket?: 'hour' | 'day';
  /** Cutover criteria. Defaults: see `CutoverCriteria`. */
  cutover?: CutoverCriteria;
}

/** Longest a report query may take before the stats endpoint answers 503. */
export const QUERY_TIMEOUT_MS = 10_000;

/**
 * The stats side of one bridge: the recorder between the request path and the store, and the report.
 * `record` is synchronous and O(1); everything that talks to the store happens on the recorder's timer
 * or when the stats endpoint asks.
 */
export class StatsService {
  readonly store: StatsStore;
  readonly recorder: Recorder;
  readonly #config: BridgeConfig;

  constructor(config: BridgeConfig) {
    this.#config = config;
    this.store = config.stats || memoryStats();
    this.recorder = new Recorder(this.store, config.recorder, config.now);
  }

  record(event: BridgeEvent): void {
    this.recorder.push(toStatsEvent(event));
  }

  async report(options: ReportOptions = {}): Promise<MigrationReport> {
    const seriesBucket = options.seriesBucket ?? 'day';
    if (seriesBucket !== 'day' && seriesBucket !== 'hour') {
      throw new TypeError("report: `seriesBucket` must be 'day' or 'hour'.");
    }
    const criteria = parseCutoverCriteria(options.cutover);
    const now = this.#config.now();
    const snapshot = await this.#query(statsQueryFor(now, seriesBucket, criteria));
    // The projection needs daily data; an hourly report asks the store for it separately.
    const daily =
      seriesBucket === 'day'
        ? snapshot.series
        : (await this.#query(statsQueryFor(now, 'day', criteria))).series;
    return buildReport({
      snapshot,
      now,
      mode: this.#config.mode,
      criteria,
      recorder: this.recorder.health(),
      seriesBucket,
      daily,
    });
  }

  #query(query: StatsQuery): Promise<StatsSnapshot> {
    return withTimeout(Promise.resolve(this.store.query(query)), QUERY_TIMEOUT_MS, 'stats store query');
  }

  /** The stats endpoint. Options are validated here, once. */
  handler(options: StatsHandlerOptions): StatsRequestHandler {
    const { authorize, public: isPublic, cutover } = parseStatsHandlerOptions(options);
    return createStatsHandler({
      ...(authorize ? { authorize } : { public: isPublic }),
      getReport: () => this.report({ cutover }),
      local: () => this.recorder.local(),
      recorder: () => this.recorder.health(),
      debug: this.#config.debug,
    });
  }

  /** Registers the migration metrics into a prom-client registry. */
  registerMetrics(registry: PromClientRegistryLike, options: PromClientCollectorOptions = {}): void {
    createPromClientCollector(
      {
        getReport: () => this.report(),
        local: () => this.recorder.local(),
        recorder: () => this.recorder.health(),
      },
      options,
    ).register(registry);
  }

  flush(): Promise<void> {
    return this.recorder.flush();
  }

  async close(): Promise<void> {
    await this.recorder.close();
    await this.store.close?.();
  }
}
