/** `fleet` options of `sessionBridge()` -> the `FleetConfig` the shared cutover and registry run with. */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { FleetOptions } from '../fleet/types.js';
import { isRecord, type OptionChecks, type OptionRecord } from './checks.js';

/** `fleet` with every default filled; `false`: per process. */
export interface FleetConfig {
  syncMs: number;
  instanceId: string;
  timeoutMs: number;
}

const FLEET_KEYS: Record<keyof FleetOptions, true> = { syncMs: true, instanceId: true, timeoutMs: true };

function defaultInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
}

/** `undefined` and `true`: the defaults; `false`: no fleet; an object: checked, defaults filled. */
export function parseFleet(check: OptionChecks, value: unknown): FleetConfig | false {
  if (value === false) return false;
  if (value !== undefined && value !== true && !isRecord(value)) {
    check.invalid(
      'fleet',
      value,
      'false or an object such as { syncMs: 1000 }',
      'false, or leave it out for the defaults',
    );
  }
  const options: OptionRecord = isRecord(value) ? value : {};
  check.knownKeys(options, FLEET_KEYS, 'fleet.');
  const syncMs = check.integer(
    'fleet.syncMs',
    options.syncMs,
    100,
    1000,
    'the milliseconds between two reads of the shared cutover state, e.g. 1000',
    60_000,
  );
  const instanceId = check.string(
    'fleet.instanceId',
    options.instanceId,
    undefined,
    "this instance's name in the registry, e.g. the pod name",
  );
  if (instanceId !== undefined && instanceId.length > 200) {
    check.invalid(
      'fleet.instanceId',
      instanceId,
      'a string of at most 200 characters',
      'e.g. the pod name, or leave it out',
    );
  }
  const timeoutMs = check.integer(
    'fleet.timeoutMs',
    options.timeoutMs,
    1,
    2000,
    'the milliseconds a fleet call to Redis may take, e.g. 2000',
  );
  return { syncMs, instanceId: instanceId ?? defaultInstanceId(), timeoutMs };
}
