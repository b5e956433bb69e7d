/**
 * The shared cutover state: the mode and the ramp of every instance sharing a Redis stats store.
 *
 * - `configure()` validates locally (the caller did), then runs one script that merges the change onto the state
 *   in Redis, bumps its version and appends it to the history; the instance applies the answer at once. When Redis
 *   fails or does not answer within `fleet.timeoutMs`, it rejects and nothing changes.
 * - A background loop reads the state every `fleet.syncMs` (the same round trip writes the heartbeat) and applies a
 *   version it has not applied yet. Requests never wait for it: they read `CutoverState.current`.
 * - The first sync starts at construction. When Redis has no state, the instance's own settings become version 1
 *   (its construction options, or after Redis lost its data the state it still applies); otherwise the fleet state
 *   wins over the construction options, and `debug` says so.
 */

import type { CutoverSettings, CutoverState } from '../cutover/state.js';
import { BridgeError } from '../errors.js';
import type { FleetConfig } from '../options/fleet.js';
import { withTimeout } from '../util/with-timeout.js';
import { FLEET_KEY_TTL_MS, type FleetKeys, fleetKeys } from './keys.js';
import type { RedisLink } from './redis-link.js';
import { runFleetScript } from './run-script.js';
import { CONFIGURE_SCRIPT, LEAVE_SCRIPT, SYNC_SCRIPT } from './scripts.js';
import { type FleetState, parseFleetState, percentText } from './state-json.js';

/** The fleet history keeps the last 1,000 changes. */
export const FLEET_HISTORY_LIMIT = 1000;
/** Instances silent for a day leave the registry; it holds at most 1,000. */
const PRUNE_AFTER_MS = 86_400_000;
const MAX_INSTANCES = 1000;

export interface SharedStateDeps {
  link: RedisLink;
  config: FleetConfig;
  cutover: CutoverState;
  /** The construction options' settings, to tell when the fleet state overrides them. */
  initial: CutoverSettings;
  debug: (message: string) => void;
  /** The heartbeat's fields besides the state (version, recorder, key id). */
  heartbeat: () => Record<string, unknown>;
}

export class SharedState {
  readonly keys: FleetKeys;
  readonly #deps: SharedStateDeps;
  /** The version applied (0: none yet). */
  #version = 0;
  /** Bumped by each configure: a sync sent before one resolved must not undo it. */
  #generation = 0;
  #lastSyncedAt: number | undefined;
  #failing = false;
  #overrideChecked = false;
  #warnedNoKey = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** The last sync applied a new state: sync again at once, so the heartbeat shows it. */
  #changed = false;
  #running: Promise<void> | undefined;

  constructor(deps: SharedStateDeps) {
    this.#deps = deps;
    this.keys = fleetKeys(deps.link.prefix);
    // The first sync starts once the bridge is built (its heartbeat reads the bridge's recorder).
    queueMicrotask(() => this.#loop());
  }

  get version(): number {
    return this.#version;
  }

  /** Milliseconds since the epoch of the last successful sync (wall clock, not the bridge's `now`), or undefined. */
  get lastSyncedAt(): number | undefined {
    return this.#lastSyncedAt;
  }

  /** Syncs now (joins a running sync); rejects with `ERR_BRIDGE_FLEET_UNAVAILABLE` when Redis fails. */
  sync(): Promise<void> {
    this.#running ??= this.#sync().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stores `next` as the fleet state (merged onto the state in Redis), then applies the answer. */
  async configure(changed: { mode?: string; percent?: number }, by: string | undefined): Promise<void> {
    const { link, config, cutover } = this.#deps;
    const current = cutover.current;
    let reply: unknown;
    try {
      reply = await this.#call(
        runFleetScript(
          link.sendCommand,
          CONFIGURE_SCRIPT,
          [this.keys.state, this.keys.history],
          [
            changed.mode ?? '',
            changed.percent === undefined ? '' : percentText(changed.percent),
            config.instanceId,
            by ?? '',
            String(FLEET_HISTORY_LIMIT),
            current.mode,
            percentText(current.cutover.percent),
            String(FLEET_KEY_TTL_MS),
          ],
        ),
      );
    } catch (cause) {
      throw unavailable(
        'bridge.configure() could not store the change in Redis, so no instance changed',
        cause,
      );
    }
    const state = parseFleetState(typeof reply === 'string' ? reply : String(reply));
    if (!state) throw unavailable('Redis answered bridge.configure() with a malformed state', reply);
    this.#generation++;
    // Two configures at once: the one Redis ran last has the higher version, and wins here too.
    if (state.version > this.#version) this.#apply(state);
  }

  /** Stops the loop and leaves the registry (best effort, within `fleet.timeoutMs`). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // A sync still running would write the heartbeat back after the instance left.
    await this.#running?.catch(() => {});
    const { link, config } = this.#deps;
    await this.#call(
      runFleetScript(
        link.sendCommand,
        LEAVE_SCRIPT,
        [this.keys.instances, this.keys.seen],
        [config.instanceId],
      ),
    ).catch(() => {
      // Redis is down: the registry lists this instance as gone after 3 intervals.
    });
  }

  #loop(): void {
    if (this.#closed) return;
    this.sync()
      .catch(() => {
        // Logged by #sync; the instance keeps its state.
      })
      .finally(() => {
        if (this.#closed) return;
        const delay = this.#changed ? 0 : this.#deps.config.syncMs;
        this.#changed = false;
        this.#timer = setTimeout(() => this.#loop(), delay);
        this.#timer.unref();
      });
  }

  async #sync(): Promise<void> {
    const { link, config, cutover, debug } = this.#deps;
    const generation = this.#generation;
    const current = cutover.current;
    const heartbeat = {
      ...this.#deps.heartbeat(),
      mode: current.mode,
      percent: percentText(current.cutover.percent),
      stateVersion: this.#version,
      intervalMs: config.syncMs,
    };
    let reply: unknown;
    try {
      reply = await this.#call(
        runFleetScript(
          link.sendCommand,
          SYNC_SCRIPT,
          [this.keys.state, this.keys.history, this.keys.instances, this.keys.seen],
          [
            config.instanceId,
            JSON.stringify(heartbeat),
            current.mode,
            String(this.#version),
            percentText(current.cutover.percent),
            this.#version === 0 ? 'initial (construction options)' : 'restored after Redis lost the state',
            String(PRUNE_AFTER_MS),
            String(MAX_INSTANCES),
            String(FLEET_HISTORY_LIMIT),
            String(FLEET_KEY_TTL_MS),
          ],
        ),
      );
    } catch (cause) {
      if (!this.#failing) {
        this.#failing = true;
        debug(`fleet: sync failed (${String(cause)}); keeping ${describe(current)}, ${this.#syncAge()}`);
      }
      throw unavailable('the fleet state could not be read from Redis', cause);
    }
    const [json] = Array.isArray(reply) ? reply : [];
    const state = parseFleetState(typeof json === 'string' ? json : String(json));
    if (!state) {
      debug(
        'fleet: the state in Redis is malformed; keeping the current one (fix it with bridge.configure())',
      );
      throw unavailable('the fleet state in Redis is malformed', reply);
    }
    this.#lastSyncedAt = Date.now();
    if (this.#failing) {
      this.#failing = false;
      debug('fleet: sync works again');
    }
    if (!this.#overrideChecked) {
      this.#overrideChecked = true;
      const { initial } = this.#deps;
      if (state.mode !== initial.mode || state.percent !== initial.cutover.percent) {
        debug(
          `fleet: the shared state wins over this instance's options: ${state.mode} ${state.percent} % ` +
            `(version ${state.version}, set by ${state.instance}${state.by ? ` / ${state.by}` : ''} at ` +
            `${new Date(state.at).toISOString()}) instead of ${describe(initial)}; change it with bridge.configure()`,
        );
      }
    }
    // A sync sent before a configure resolved carries an older state: the next one brings the newer.
    if (generation === this.#generation && state.version !== this.#version) {
      this.#apply(state);
      this.#changed = true;
    }
  }

  #apply(state: FleetState): void {
    const { cutover, debug } = this.#deps;
    const current = cutover.current;
    if (state.percent > 0 && current.cutover.cohort === undefined && !this.#warnedNoKey) {
      this.#warnedNoKey = true;
      debug(
        `fleet: the ramp is ${state.percent} % but this instance has no cutover.key (legacy.resolve): it ramps nobody; pass cutover.key at construction`,
      );
    }
    this.#version = state.version;
    cutover.set(
      { mode: state.mode, cutover: { percent: state.percent, cohort: current.cutover.cohort } },
      { at: state.at, version: state.version, instance: state.instance, by: state.by },
    );
  }

  #call<T>(work: Promise<T>): Promise<T> {
    return withTimeout(work, this.#deps.config.timeoutMs, 'Redis (fleet state)');
  }

  #syncAge(): string {
    const at = this.#lastSyncedAt;
    if (at === undefined) return 'never synced';
    return `last synced ${Math.round((Date.now() - at) / 1000)} s ago`;
  }
}

function describe(settings: CutoverSettings): string {
  return `${settings.mode} ${settings.cutover.percent} %`;
}

function unavailable(message: string, cause: unknown): BridgeError {
  return new BridgeError('ERR_BRIDGE_FLEET_UNAVAILABLE', `${message}: ${String(cause)}`, { cause });
}
