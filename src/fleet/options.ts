/** `fleet` -> `FleetConfig`, checked with the bridge's `OptionChecks` (options/checks.ts). */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { OptionChecks } from '../options/checks.js';
import type { FleetOptions } from './types.js';

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
  const options =
    value === undefined || value === true
      ? {}
      : check.record(value, '`fleet` must be `false` or an object such as `{ syncMs: 1000 }`.');
  check.knownKeys(options, FLEET_KEYS, 'fleet.');
  const syncMs = check.integer(
    'fleet.syncMs',
    options.syncMs,
    100,
    1000,
    'the milliseconds between two reads of the shared cutover state, e.g. 1000',
  );
  if (syncMs > 60_000) {
    check.fail(`\`fleet.syncMs\` must be at most 60000 (got ${syncMs}): pass e.g. 1000, or leave it out.`);
  }
  const instanceId = check.string(
    'fleet.instanceId',
    options.instanceId,
    undefined,
    "this instance's name in the registry, e.g. the pod name",
  );
  if (instanceId !== undefined && (instanceId.length === 0 || instanceId.length > 200)) {
    check.fail('`fleet.instanceId` must have 1 to 200 characters: pass e.g. the pod name, or leave it out.');
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
