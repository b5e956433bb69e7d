/**
 * Measures the Redis memory the stats store takes per tracked user: 100,000 users (50k legacy-only, 30k
 * migrated, 20k provider-only) over 30 days, recorded in batches of 1000 into a private redis-server, with
 * INFO memory `used_memory` read before and after. Buckets, HyperLogLogs and the script cache are included.
 * The figure is printed and documented in src/stats/redis/store.ts.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisStats } from '../../src/index.js';
import type { StatsEvent } from '../../src/stats-store.js';
import { alignedNow, DAY } from '../helpers/population.js';
import {
  connectNodeRedis,
  describeWithRedisServer,
  type RedisConnection,
  type RedisServer,
  startRedisServer,
} from '../helpers/redis.js';

const USERS = 100_000;

async function usedMemory(redis: RedisConnection): Promise<number> {
  const info = String(await redis.sendCommand('INFO', 'memory'));
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error('no used_memory in INFO memory');
  return Number(match[1]);
}

describeWithRedisServer('redisStats memory per user', () => {
  let server: RedisServer;
  let redis: RedisConnection;

  beforeAll(async () => {
    server = await startRedisServer();
    redis = await connectNodeRedis(server.url);
  });
  afterAll(async () => {
    await redis?.close();
    await server?.stop();
  });

  it('stays under 1 KB of Redis memory per tracked user (100k users)', { timeout: 120_000 }, async () => {
    const now = alignedNow();
    const events: StatsEvent[] = [];
    for (let i = 0; i < USERS; i++) {
      const id = `user-${i}`;
      const t = now - 30 * DAY + Math.floor((i / USERS) * 29 * DAY);
      if (i < 80_000) events.push({ time: t, kind: 'legacy', outcome: 'ok', legacyUserId: id });
      if (i >= 50_000) {
        events.push({
          time: t + DAY / 2,
          kind: 'provider',
          outcome: 'ok',
          providerUserId: id,
          provider: 'idp',
        });
      }
    }
    events.sort((a, b) => a.time - b.time);
    const store = redisStats({ sendCommand: redis.sendCommand, prefix: 'esb:' });
    // Load the script first, so that the script cache is not counted.
    await store.record([{ time: now, kind: 'anonymous', outcome: 'anonymous' }]);

    const before = await usedMemory(redis);
    for (let i = 0; i < events.length; i += 1000) await store.record(events.slice(i, i + 1000));
    const after = await usedMemory(redis);
    const perUser = (after - before) / USERS;

    const usage = async (key: string) =>
      Number(await redis.sendCommand('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    const zsets: Record<string, number> = {};
    for (const z of ['last:legacy', 'last:provider', 'last:any', 'migrated', 'legacyOnly']) {
      zsets[z] = Math.round((await usage(`esb:${z}`)) / USERS);
    }
    const sample = (await redis.sendCommand('ZRANGE', 'esb:last:any', '0', '99')) as string[];
    let hashBytes = 0;
    for (const member of sample) hashBytes += await usage(`esb:u:${member}`);
    const dbsize = Number(await redis.sendCommand('DBSIZE'));
    console.log(
      `redisStats memory: ${USERS} users, ${events.length} events, ${dbsize} keys: ` +
        `used_memory ${before} -> ${after} = ${perUser.toFixed(0)} bytes per user ` +
        `(MEMORY USAGE per user: user hash ${Math.round(hashBytes / sample.length)}, ` +
        `sorted sets ${JSON.stringify(zsets)}; the rest is key-space and expiry overhead, buckets, HyperLogLogs)`,
    );
    expect(Number(await redis.sendCommand('ZCARD', 'esb:last:any'))).toBe(USERS);
    expect(perUser).toBeGreaterThan(100);
    expect(perUser).toBeLessThan(1000);
  });
});
