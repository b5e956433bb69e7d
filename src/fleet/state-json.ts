/**
 * The fleet state as Redis holds it (JSON written by the Lua scripts) and its checked, typed form. Anything
 * malformed (written by another version, or by hand) is refused here, never applied.
 */
import type { BridgeMode } from '../types.js';

export interface FleetState {
  version: number;
  mode: BridgeMode;
  percent: number;
  /** Milliseconds since the epoch, Redis clock. */
  at: number;
  instance: string;
  by: string | null;
}

const MODES: readonly string[] = ['observe', 'bridge', 'provider-only'];

/** The state in `json`, or undefined when it is not a valid state. */
export function parseFleetState(json: unknown): FleetState | undefined {
  if (typeof json !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const raw = value as Record<string, unknown>;
  const percent = Number(raw.percent);
  const at = Number(raw.at);
  if (
    typeof raw.v !== 'number' ||
    !Number.isSafeInteger(raw.v) ||
    typeof raw.mode !== 'string' ||
    !MODES.includes(raw.mode) ||
    typeof raw.percent !== 'string' ||
    !Number.isFinite(percent) ||
    percent < 0 ||
    percent > 100 ||
    !Number.isFinite(at) ||
    typeof raw.instance !== 'string'
  ) {
    return undefined;
  }
  return {
    version: raw.v,
    mode: raw.mode as BridgeMode,
    percent,
    at,
    instance: raw.instance,
    by: typeof raw.by === 'string' ? raw.by : null,
  };
}

/** The percent as the scripts store it: a string that parses back to exactly the same number. */
export function percentText(percent: number): string {
  return String(percent);
}
