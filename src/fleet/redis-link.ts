/**
 * How the bridge finds the Redis behind a shared stats store: `redisStats()` attaches its `sendCommand` and
 * `prefix` under a symbol (not part of the `StatsStore` contract, so custom stores are unaffected). A store
 * without it (`memoryStats()`, a custom store) keeps the cutover, the drain and the registry per process.
 */

import type { StatsStore } from '../stats/contract.js';
import type { RedisSendCommand } from '../stats/redis/options.js';

/** `Symbol.for`: the ESM and CommonJS builds of this package see the same symbol. */
export const REDIS_LINK: unique symbol = Symbol.for('express-session-bridge.redis-link');

/** The Redis a shared store writes to: every fleet key lives under `prefix`. */
export interface RedisLink {
  sendCommand: RedisSendCommand;
  prefix: string;
}

/** The store's Redis link, or undefined for a per-process store. */
export function redisLinkOf(store: StatsStore | false): RedisLink | undefined {
  if (store === false) return undefined;
  const link = (store as { [REDIS_LINK]?: RedisLink })[REDIS_LINK];
  return link && typeof link.sendCommand === 'function' ? link : undefined;
}

/** Attaches `link` to `store` (non-enumerable, read-only). */
export function withRedisLink<S extends StatsStore>(store: S, link: RedisLink): S {
  Object.defineProperty(store, REDIS_LINK, { value: link, enumerable: false });
  return store;
}
