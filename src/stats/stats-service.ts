import type { CutoverHistoryEntry, CutoverState } from '../cutover/state.js';
import type { FleetReport } from '../fleet/types.js';
import type { LegacyStoreReport } from '../legacy-drain/types.js';
import { OptionChecks } from '../options/checks.js';
import type { BridgeConfig } from '../options/config.js';
import type { AnyBridgeEvent, BridgeMode } from '../types.js';
import type {
  LabelledCount,
  PasswordMigrationCounts,
  SessionUpgradeCounts,
  StatsEvent,
  StatsQuery,
  StatsSnapshot,
  StatsStore,
} from './contract.js';
import { CutoverRefusals } from './cutover-refusals.js';
import { memoryStats } from './memory/store.js';
import type { InstanceState } from './metric-types.js';
import { attemptReport, type MetricsSource, type ReportAttempt } from './metrics-source.js';
import { Recorder } from './recorder.js';
import { buildReport, parseCutoverCriteria, statsQueryFor } from './report.js';
import type { CutoverCriteria, MigrationReport, RecorderReport } from './report-types.js';
import { toAnyStatsEvent, toStatsEvent } from './to-stats-event.js';

/** What the report reads the `legacyStore` section from: the legacy store drain. */
export interface LegacyStoreSource {
  report(): LegacyStoreReport | Promise<LegacyStoreReport>;
}

/** What the report reads the `fleet` section and the fleet's `cutover.history` from (src/fleet/fleet.ts). */
export interface FleetSource {
  read(): Promise<{ fleet: FleetReport; history: CutoverHistoryEntry[] }>;
  readonly state: { readonly lastSyncedAt: number | undefined };
}

/** Options of `bridge.report()`. */
export interface ReportOptions {
  /** Bucket size of `series`. Default `'day'`. */
  seriesBucket?: 'hour' | 'day';
  /** Cutover criteria. Defaults: see `CutoverCriteria`. */
  cutover?: CutoverCriteria;
}

/**
 * Longest a whole report (one store query, two for an hourly series) may take before it is given up:
 * `bridge.report()` rejects, the stats endpoint answers 503 (Prometheus text: this instance's metrics only).
 */
export const REPORT_TIMEOUT_MS = 10_000;

const check: OptionChecks = new OptionChecks();
const SERIES_BUCKETS = ['day', 'hour'] as const;

/**
 * The stats side of one bridge: the recorder between the request path and the store, and the report.
 * `record` is synchronous and O(1); everything that talks to the store happens on the recorder's timer
 * or when a report is asked for.
 */
export class StatsService {
  readonly store: StatsStore;
  readonly recorder: Recorder;
  readonly #config: BridgeConfig;
  readonly #legacyStore: LegacyStoreSource | undefined;
  readonly #cutover: CutoverState;
  readonly #refusals = new CutoverRefusals();
  readonly #fleet: FleetSource | undefined;

  /**
   * `legacyStore`: the legacy store drain whose last scan the report shows (undefined when `legacy.drain` is off).
   * `fleet`: the shared cutover and registry (undefined without a Redis store).
   */
  constructor(
    config: BridgeConfig,
    cutover: CutoverState,
    legacyStore?: LegacyStoreSource,
    fleet?: FleetSource,
  ) {
    this.#config = config;
    this.#cutover = cutover;
    this.#legacyStore = legacyStore;
    this.#fleet = fleet;
    this.store = config.stats || memoryStats();
    this.recorder = new Recorder(this.store, config.recorder, config.now);
  }

  /** Buffers a request, password migration or upgrade event for the store. Synchronous, O(1). */
  record(event: AnyBridgeEvent): void {
    if (event.type === 'request') this.recordRequest(toStatsEvent(event), event.mode);
    else this.recorder.push(toAnyStatsEvent(event));
  }

  /**
   * Buffers a request's stored event (made straight from the decision when no `onEvent` needs the full one).
   * A legacy session the cutover refused outside observe mode is counted for the report's "refused" figure.
   */
  recordRequest(event: StatsEvent, mode: BridgeMode): void {
    if (event.outcome === 'disabled' && event.legacyUserId !== undefined && mode !== 'observe') {
      this.#refusals.add(event.legacyUserId, event.time);
    }
    this.recorder.push(event);
  }

  /**
   * Hands what is buffered to the store before a report is built, waiting at most `maxMs`: the stats endpoint's
   * own request (decided by a bridge mounted in front of it) is then in the figures, not a pending event.
   */
  async settle(maxMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, maxMs);
      timer.unref();
    });
    try {
      await Promise.race([this.recorder.flush(), bound]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** `bridge.report()`: the options are checked on each call; rejects when the report fails or times out. */
  async report(options: ReportOptions = {}): Promise<MigrationReport> {
    const value = check.optionalRecord(
      options,
      '`report(options)` takes an object such as { seriesBucket: "hour" }.',
    );
    const seriesBucket = check.oneOf('seriesBucket', value.seriesBucket, SERIES_BUCKETS, 'day');
    const criteria = parseCutoverCriteria(value.cutover as CutoverCriteria | undefined);
    const attempt = await this.attempt(seriesBucket, criteria);
    if (!attempt.ok) throw attempt.error;
    return attempt.report;
  }

  /** The report within `REPORT_TIMEOUT_MS`, or why there is none; for criteria already parsed. Never rejects. */
  attempt(seriesBucket: 'hour' | 'day', criteria: Required<CutoverCriteria>): Promise<ReportAttempt> {
    return attemptReport(() => this.build(seriesBucket, criteria), REPORT_TIMEOUT_MS);
  }

  /**
   * The report without a deadline, for a caller that sets its own (the prom-client collector). The projection
   * needs daily data: an hourly report asks the store for it separately.
   */
  async build(seriesBucket: 'hour' | 'day', criteria: Required<CutoverCriteria>): Promise<MigrationReport> {
    const now = this.#config.now();
    const shared = this.#fleet?.read();
    shared?.catch(() => {}); // awaited below; a failure must not be unhandled while the query runs
    const snapshot = await this.#query(statsQueryFor(now, seriesBucket, criteria));
    const daily =
      seriesBucket === 'day'
        ? snapshot.series
        : (await this.#query(statsQueryFor(now, 'day', criteria))).series;
    const fleet = await shared;
    const legacyStore = (await this.#legacyStore?.report()) ?? null;
    return buildReport({
      snapshot,
      now,
      mode: this.#cutover.current.mode,
      criteria,
      recorder: this.recorder.health(),
      seriesBucket,
      daily,
      legacyStore,
      history: fleet?.history ?? this.#cutover.history(),
      refused: this.#refusals.count(now, this.#cutover.history()),
      ...(fleet ? { fleet: fleet.fleet } : {}),
    });
  }

  /**
   * What the stats endpoint and the prom-client collector read: the report (judged by `criteria`, default
   * ones when left out) without a deadline (the reader sets one), and this process's numbers.
   */
  metricsSource(criteria: Required<CutoverCriteria> = parseCutoverCriteria()): MetricsSource {
    return {
      getReport: () => this.build('day', criteria),
      local: () => this.local(),
      localPasswordMigrations: () => this.localPasswordMigrations(),
      localSessionUpgrades: () => this.localSessionUpgrades(),
      recorder: () => this.health(),
      state: () => this.state(),
    };
  }

  /** This instance's current mode and ramp (the Prometheus gauges; they need no store). */
  state(): InstanceState {
    const { mode, cutover } = this.#cutover.current;
    if (!this.#fleet) return { mode, percent: cutover.percent };
    return { mode, percent: cutover.percent, fleetSyncedAt: this.#fleet.state.lastSyncedAt ?? null };
  }

  /** Requests decided by this process since it started, by label (the Prometheus counters). */
  local(): LabelledCount[] {
    return this.recorder.local();
  }

  /** Password migration decisions of this process since it started, by result (the Prometheus counters). */
  localPasswordMigrations(): PasswordMigrationCounts {
    return this.recorder.localPasswordMigrations();
  }

  /** Upgrade endpoint decisions of this process since it started, by result (the Prometheus counters). */
  localSessionUpgrades(): SessionUpgradeCounts {
    return this.recorder.localSessionUpgrades();
  }

  /** Health of this process's recorder. */
  health(): RecorderReport {
    return this.recorder.health();
  }

  flush(): Promise<void> {
    return this.recorder.flush();
  }

  async close(): Promise<void> {
    await this.recorder.close();
    await this.store.close?.();
  }

  #query(query: StatsQuery): Promise<StatsSnapshot> {
    return Promise.resolve(this.store.query(query));
  }
}
