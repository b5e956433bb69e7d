import type { RedisSendCommand } from './options.js';
import type { RedisScript } from './scripts.js';

/**
 * Runs a script by its SHA-1 (`EVALSHA`) with one declared key, `routingKey`; on `NOSCRIPT` (first use,
 * restart, failover, `SCRIPT FLUSH`) sends the source once with `EVAL`, which caches it.
 */
export function scriptRunner(
  sendCommand: RedisSendCommand,
  routingKey: string,
): (script: RedisScript, args: string[]) => Promise<unknown> {
  return async function run(script, args) {
    try {
      return await sendCommand('EVALSHA', script.sha, '1', routingKey, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await sendCommand('EVAL', script.source, '1', routingKey, ...args);
    }
  };
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.includes('NOSCRIPT');
}
