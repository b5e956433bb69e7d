import type { BridgeConfig } from '../options.js';
import type { BridgeEvent } from '../types.js';
import { withTimeout } from '../util/with-timeout.js';
import { memoryStats } from './memory-store.js';
import { Recorder } from './recorder.js';
import { buildReport, parseCutoverCriteria, statsQueryFor } from './report.js';
import type { CutoverCriteria, MigrationReport } from './report-types.js';
import type { StatsStore } from './store.js';
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
    const snapshot = await withTimeout(
      Promise.resolve(this.store.query(statsQueryFor(now, seriesBucket))),
      QUERY_TIMEOUT_MS,
      'stats store query',
    );
    return buildReport({
      snapshot,
      now,
      mode: this.#config.mode,
      criteria,
      recorder: this.recorder.health(),
      seriesBucket,
    });
  }

  flush(): Promise<void> {
    return this.recorder.flush();
  }

  async close(): Promise<void> {
    await this.recorder.close();
    await this.store.close?.();
  }
}
