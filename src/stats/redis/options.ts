import { OptionChecks } from '../../options/checks.js';
import { parseStoreLimits } from '../store-limits.js';
import { DAY } from '../time.js';

/**
 * Sends one Redis command and resolves with its reply. Bind it to your client:
 *
 * - node-redis 4/5: `(...args) => client.sendCommand(args)` (or `client.sendCommand(args, { timeout: 2000 })`)
 * - ioredis: `(command, ...args) => client.call(command, ...args)`
 */
export type RedisSendCommand = (...args: string[]) => Promise<unknown>;

export interface RedisStatsOptions {
  /**
   * Required. Sends one command to Redis (see {@link RedisSendCommand}). The store depends on no client.
   * Make commands fail fast while Redis is down, so a flush rejects instead of waiting in an offline queue,
   * and give them a timeout: the node-redis and ioredis settings are in docs/stats.md, "Stores".
   */
  sendCommand: RedisSendCommand;
  /**
   * Prefix of every key. Default `'esb:'`. Use one prefix per application. On Redis Cluster it must hold a
   * hash tag, e.g. `'{esb}:'`, because the scripts compute their keys (all keys must share one slot).
   */
  prefix?: string;
  /**
   * Secret for HMAC-SHA-256 of user ids. Default: none, user ids are stored as a plain SHA-256 digest,
   * which anyone holding a list of candidate ids (e-mails, sequential numbers) can match. Set a secret of
   * at least 32 random characters to make the stored digests unlinkable without it. Changing it starts
   * the per-user stats afresh.
   */
  hashKey?: string;
  /** Whole days of data kept (users, day buckets, HyperLogLogs). Default `90`. */
  retentionDays?: number;
  /** Whole days of hourly buckets kept (hourly series, sub-day window precision). Default `7`; at most `retentionDays`. */
  hourlyRetentionDays?: number;
  /**
   * Most distinct users tracked exactly. Default `1_000_000`. Redis memory grows with it: see BENCHMARKS.md, "Stats store memory".
   * Beyond it the least recently seen users are evicted and the affected windows become approximate.
   */
  maxUsers?: number;
}

const OPTION_KEYS: Record<keyof RedisStatsOptions, true> = {
  sendCommand: true,
  prefix: true,
  hashKey: true,
  retentionDays: true,
  hourlyRetentionDays: true,
  maxUsers: true,
};

/** The options with every default filled, retentions in milliseconds. */
export interface RedisStatsConfig {
  sendCommand: RedisSendCommand;
  prefix: string;
  hashKey: string | undefined;
  retentionMs: number;
  hourlyRetentionMs: number;
  maxUsers: number;
}

const check: OptionChecks = new OptionChecks('redisStats');

/** Validates the options once, at construction; every error names the fix. */
export function parseOptions(options: RedisStatsOptions | undefined): RedisStatsConfig {
  const value = check.record(
    options,
    'options are required: pass { sendCommand: (...args) => client.sendCommand(args) } for node-redis.',
  );
  check.knownKeys(value, OPTION_KEYS);
  const sendCommand = check.requiredFunction<RedisSendCommand>(
    'sendCommand',
    value.sendCommand,
    'pass (...args) => client.sendCommand(args) for node-redis, or (command, ...args) => client.call(command, ...args) for ioredis.',
  );
  const prefix = check.string(
    'prefix',
    value.prefix,
    'esb:',
    "a key prefix such as 'esb:' (or '{esb}:' on Redis Cluster)",
  );
  const hashKey = check.string(
    'hashKey',
    value.hashKey,
    undefined,
    'a secret of at least 32 random characters, or leave it out',
  );
  const limits = parseStoreLimits(check, value, 1_000_000);
  return {
    sendCommand,
    prefix,
    hashKey,
    retentionMs: limits.retentionDays * DAY,
    hourlyRetentionMs: limits.hourlyRetentionDays * DAY,
    maxUsers: limits.maxUsers,
  };
}
