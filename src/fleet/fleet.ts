/**
 * The fleet of one bridge: what instances sharing a `redisStats()` store share (see docs/many-instances.md).
 * Built by `sessionBridge()` when its stats store links to Redis and `fleet` is not false.
 */
import type { CutoverHistoryEntry, CutoverSettings, CutoverState } from '../cutover/state.js';
import type { DrainCoordinator } from '../legacy-drain/types.js';
import type { FleetConfig } from '../options/fleet.js';
import type { RecorderReport } from '../stats/report-types.js';
import { withTimeout } from '../util/with-timeout.js';
import { drainLock } from './drain-lock.js';
import { PACKAGE_VERSION } from './package-version.js';
import type { RedisLink } from './redis-link.js';
import { readFleet } from './registry.js';
import { FLEET_HISTORY_LIMIT, SharedState } from './shared-state.js';
import type { FleetReport } from './types.js';

export interface FleetDeps {
  link: RedisLink;
  config: FleetConfig;
  cutover: CutoverState;
  initial: CutoverSettings;
  debug: (message: string) => void;
  /** This instance's recorder, for its heartbeat (undefined: stats off). */
  recorder: () => RecorderReport | undefined;
}

export class Fleet {
  readonly state: SharedState;
  readonly #deps: FleetDeps;

  constructor(deps: FleetDeps) {
    this.#deps = deps;
    this.state = new SharedState({
      link: deps.link,
      config: deps.config,
      cutover: deps.cutover,
      initial: deps.initial,
      debug: deps.debug,
      heartbeat: () => {
        const recorder = deps.recorder();
        return {
          version: PACKAGE_VERSION,
          keyId: deps.cutover.current.cutover.cohort?.keyId() ?? null,
          recorder: recorder && {
            buffered: recorder.buffered,
            failedFlushes: recorder.failedFlushes,
            lastFlushAt: recorder.lastFlushAt,
          },
        };
      },
    });
  }

  get instanceId(): string {
    return this.#deps.config.instanceId;
  }

  /** The lock that makes one instance scan the legacy store per interval. */
  drainCoordinator(intervalMs: number): DrainCoordinator {
    return drainLock({
      link: this.#deps.link,
      keys: this.state.keys,
      instanceId: this.#deps.config.instanceId,
      intervalMs,
      timeoutMs: this.#deps.config.timeoutMs,
      debug: this.#deps.debug,
    });
  }

  /** The report's `fleet` section and the fleet's `cutover.history`. */
  read(): Promise<{ fleet: FleetReport; history: CutoverHistoryEntry[] }> {
    return withTimeout(
      readFleet(this.#deps.link, this.state.keys, FLEET_HISTORY_LIMIT, {
        instance: this.#deps.config.instanceId,
        lastSyncedAt: this.state.lastSyncedAt,
      }),
      this.#deps.config.timeoutMs,
      'Redis (fleet registry)',
    );
  }

  close(): Promise<void> {
    return this.state.close();
  }
}
