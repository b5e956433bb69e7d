/**
 * The Redis store alone while Redis is unreachable, stopped mid-way, and back. Uses a private redis-server
 * on a free port (it is stopped and restarted), with clients configured as the store's docs recommend:
 * commands fail while disconnected instead of waiting in an offline queue.
 */
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStats, type StatsStore } from '../../src/index.js';
import type { StatsEvent, StatsQuery } from '../../src/stats-store.js';
import { alignedNow, DAY } from '../helpers/population.js';
import {
  connectIoredis,
  connectNodeRedis,
  describeWithRedisServer,
  freePort,
  type RedisConnection,
  type RedisServer,
  startRedisServer,
  testPrefix,
} from '../helpers/redis.js';

const now = alignedNow();
const batch = (user: string, at = now - 1000): StatsEvent[] => [
  { time: at, kind: 'legacy', outcome: 'ok', legacyUserId: user },
];
const query: StatsQuery = { now, windows: { '1d': DAY }, seriesBucket: 'day', seriesFrom: now };

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describeWithRedisServer('redisStats while Redis is down', () => {
  let server: RedisServer;

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** Records, stops Redis, checks that record and query reject, restarts Redis, checks that they work again. */
  async function outageRoundTrip(connection: RedisConnection, isReady: () => boolean): Promise<void> {
    const commands: string[] = [];
    const store: StatsStore = redisStats({
      sendCommand: (...args) => {
        commands.push(args[0]!);
        return connection.sendCommand(...args);
      },
      prefix: testPrefix('outage'),
    });
    await store.record(batch('before'));
    expect((await store.query(query)).windows['1d']!.users.legacy).toBe(1);

    await server.stop();
    await expect(store.record(batch('during'))).rejects.toThrow();
    await expect(store.query(query)).rejects.toThrow();

    await server.start(); // empty: no persistence, and no cached scripts (NOSCRIPT, then EVAL)
    await waitUntil(isReady, 'the client to reconnect');
    commands.length = 0;
    await store.record(batch('after'));
    expect(commands).toEqual(['EVALSHA', 'EVAL']); // the new server had not cached the script
    const snapshot = await store.query(query);
    expect(snapshot.windows['1d']!.users.legacy).toBe(1);
    expect(snapshot.lastLegacyAt).toBe(now - 1000);
  }

  it('node-redis (disableOfflineQueue): record rejects while Redis is stopped and works once it is back', async () => {
    const connection = await connectNodeRedis(server.url);
    try {
      await outageRoundTrip(connection, () => connection.client.isReady);
    } finally {
      await connection.close();
    }
  });

  it('ioredis (enableOfflineQueue: false): record rejects while Redis is stopped and works once it is back', async () => {
    const connection = await connectIoredis(server.url);
    try {
      await outageRoundTrip(connection, () => connection.client.status === 'ready');
    } finally {
      await connection.close();
    }
  });
});

describe('redisStats when nothing listens', () => {
  it('rejects through a node-redis client that could not connect', async () => {
    const port = await freePort();
    const client = createClient({
      url: `redis://127.0.0.1:${port}`,
      disableOfflineQueue: true,
      socket: { connectTimeout: 500, reconnectStrategy: false },
    });
    client.on('error', () => {});
    await expect(client.connect()).rejects.toThrow();
    const store = redisStats({ sendCommand: (...args) => client.sendCommand(args) });
    await expect(store.record(batch('x'))).rejects.toThrow();
    await expect(store.query(query)).rejects.toThrow();
  });

  it('rejects through an ioredis client without offline queue', async () => {
    const port = await freePort();
    const client = new Redis(port, '127.0.0.1', {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 500,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      const store = redisStats({ sendCommand: (command, ...args) => client.call(command!, ...args) });
      await expect(store.record(batch('x'))).rejects.toThrow();
      await expect(store.query(query)).rejects.toThrow();
    } finally {
      client.disconnect();
    }
  });
});
