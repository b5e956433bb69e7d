import { createHash } from 'node:crypto';
import type { RedisSendCommand } from '../stats/redis/options.js';
import type { RedisScript } from '../stats/redis/scripts.js';

/** A Lua script with its SHA-1, computed locally (no `SCRIPT LOAD` round trip). */
export function fleetScript(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * Runs `script` by its SHA-1 (`EVALSHA`) with every key it touches declared, so that a cluster-aware client
 * routes it and Redis Cluster can check that they share a slot; on `NOSCRIPT` sends the source once (`EVAL`).
 */
export async function runFleetScript(
  sendCommand: RedisSendCommand,
  script: RedisScript,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args];
  try {
    return await sendCommand('EVALSHA', script.sha, ...tail);
  } catch (error) {
    if (!(error instanceof Error && error.message.includes('NOSCRIPT'))) throw error;
    return await sendCommand('EVAL', script.source, ...tail);
  }
}
