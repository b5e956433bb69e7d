/**
 * The fleet's Redis keys, all under the stats store's prefix. A script only touches keys of one group, declared
 * in KEYS; with a hash tag in the prefix (`'{esb}:'`) every key shares one slot, as Redis Cluster requires.
 */
/**
 * Every fleet key expires (like every key of the stats store): each sync, configure or scan pushes the expiry back
 * to 30 days, so the state outlives any outage of the fleet but not a fleet that is gone for good.
 */
export const FLEET_KEY_TTL_MS = 30 * 86_400_000;

export interface FleetKeys {
  /** String: the current state as JSON `{ v, mode, percent, at, instance, by }`. */
  state: string;
  /** List: every change as the same JSON, newest first, the last 1,000. */
  history: string;
  /** Hash: instance id -> heartbeat JSON. */
  instances: string;
  /** Sorted set: instance id scored by its last heartbeat (ms, Redis clock), for pruning. */
  seen: string;
  /** String: the token of the instance scanning the legacy store, with a lease (PX). */
  drainLock: string;
  /** Hash: the last shared scan, `doneAt` (ms, Redis clock) and `json`. */
  drainLast: string;
}

export function fleetKeys(prefix: string): FleetKeys {
  return {
    state: `${prefix}fleet:state`,
    history: `${prefix}fleet:history`,
    instances: `${prefix}fleet:instances`,
    seen: `${prefix}fleet:seen`,
    drainLock: `${prefix}drain:lock`,
    drainLast: `${prefix}drain:last`,
  };
}
