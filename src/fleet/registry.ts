/**
 * The fleet registry as a report shows it: every instance's last heartbeat (written by the sync loop, see
 * shared-state.ts), which of them are gone (silent for more than 3 of their intervals), and whether the live
 * ones agree with the fleet state. Read at report time, never on the request path.
 */
import type { CutoverHistoryEntry } from '../cutover/state.js';
import type { BridgeMode } from '../types.js';
import type { FleetKeys } from './keys.js';
import type { RedisLink } from './redis-link.js';
import { runFleetScript } from './run-script.js';
import { READ_SCRIPT } from './scripts.js';
import { type FleetState, parseFleetState } from './state-json.js';
import type { FleetInstance, FleetReport } from './types.js';

/** A heartbeat older than this many of its intervals lists the instance as gone. */
export const GONE_AFTER_INTERVALS = 3;

export interface FleetRead {
  /** `cutover.history`: the fleet's changes, oldest first. */
  history: CutoverHistoryEntry[];
  fleet: FleetReport;
}

const MODES: readonly string[] = ['observe', 'bridge', 'provider-only'];

/** One round trip: the state, the last `historyLimit` changes and every heartbeat. */
export async function readFleet(
  link: RedisLink,
  keys: FleetKeys,
  historyLimit: number,
  self: { instance: string; lastSyncedAt: number | undefined },
): Promise<FleetRead> {
  const reply = await runFleetScript(
    link.sendCommand,
    READ_SCRIPT,
    [keys.state, keys.history, keys.instances],
    [String(historyLimit)],
  );
  const [stateJson, historyJson, instancesFlat, nowText] = Array.isArray(reply) ? reply : [];
  const now = Number(nowText);
  const state = parseFleetState(typeof stateJson === 'string' ? stateJson : undefined);
  const history: CutoverHistoryEntry[] = [];
  for (const json of Array.isArray(historyJson) ? historyJson : []) {
    const entry = parseFleetState(typeof json === 'string' ? json : undefined);
    if (entry) history.push(historyEntry(entry));
  }
  history.reverse();
  const instances: FleetInstance[] = [];
  const flat = Array.isArray(instancesFlat) ? instancesFlat : [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const instance = parseHeartbeat(String(flat[i]), flat[i + 1], now);
    if (instance) instances.push(instance);
  }
  instances.sort((a, b) => Number(a.gone) - Number(b.gone) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const wallNow = Date.now();
  return {
    history,
    fleet: {
      instance: self.instance,
      state: state
        ? {
            version: state.version,
            mode: state.mode,
            percent: state.percent,
            at: new Date(state.at).toISOString(),
            instance: state.instance,
            by: state.by,
          }
        : null,
      lastSyncedAt: self.lastSyncedAt === undefined ? null : new Date(self.lastSyncedAt).toISOString(),
      syncAgeMs: self.lastSyncedAt === undefined ? null : Math.max(0, wallNow - self.lastSyncedAt),
      instances,
      agree: agrees(state, instances),
    },
  };
}

/** Every live instance on the fleet state's mode and percent, with one cutover key. */
export function agrees(state: FleetState | undefined, instances: readonly FleetInstance[]): boolean {
  const live = instances.filter((i) => !i.gone);
  if (live.length === 0) return true;
  const keyIds = new Set(live.map((i) => i.keyId));
  if (keyIds.size > 1) return false;
  const first = live[0] as FleetInstance;
  const mode = state?.mode ?? first.mode;
  const percent = state?.percent ?? first.percent;
  return live.every((i) => i.mode === mode && i.percent === percent);
}

function historyEntry(state: FleetState): CutoverHistoryEntry {
  return {
    at: state.at,
    mode: state.mode,
    percent: state.percent,
    version: state.version,
    instance: state.instance,
    by: state.by,
  };
}

function parseHeartbeat(id: string, json: unknown, now: number): FleetInstance | undefined {
  if (typeof json !== 'string') return undefined;
  let raw: Record<string, unknown>;
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value !== 'object' || value === null) return undefined;
    raw = value as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const at = Number(raw.at);
  const intervalMs = Number(raw.intervalMs);
  const percent = Number(raw.percent);
  if (!Number.isFinite(at) || !Number.isFinite(intervalMs) || typeof raw.mode !== 'string') return undefined;
  if (!MODES.includes(raw.mode) || !Number.isFinite(percent)) return undefined;
  const recorder = (typeof raw.recorder === 'object' && raw.recorder !== null ? raw.recorder : {}) as Record<
    string,
    unknown
  >;
  return {
    id,
    version: typeof raw.version === 'string' ? raw.version : 'unknown',
    mode: raw.mode as BridgeMode,
    percent,
    keyId: typeof raw.keyId === 'string' ? raw.keyId : null,
    stateVersion: Number(raw.stateVersion) || 0,
    recorder: {
      buffered: Number(recorder.buffered) || 0,
      failedFlushes: Number(recorder.failedFlushes) || 0,
      lastFlushAt: typeof recorder.lastFlushAt === 'string' ? recorder.lastFlushAt : null,
    },
    lastSeenAt: new Date(at).toISOString(),
    intervalMs,
    gone: now - at > GONE_AFTER_INTERVALS * intervalMs,
  };
}
