import type { RedisStore } from 'connect-redis';
import { afterAll, beforeAll, expect, it, onTestFinished } from 'vitest';
import { type LegacySessionStore, type SessionBridge, sessionBridge } from '../../src/index.js';
import {
  deleteRedisPrefix,
  type RedisClient,
  redisPrefix,
  redisSessionStore,
  setSession,
} from '../helpers/legacy.js';
import { countWrites, EXPECTED_SCAN, SCAN_AT, SECRET, writeKnownSessions } from '../helpers/legacy-drain.js';
import {
  connectIoredis,
  connectNodeRedis,
  describeRedis,
  type RedisConnection,
  scanKeys,
} from '../helpers/redis.js';

interface KeyState {
  value: string | null;
  pttl: number;
}

await describeRedis('legacy.drain on connect-redis (node-redis, real Redis)', () => {
  let redis: RedisConnection & { client: RedisClient };
  const bridges: SessionBridge[] = [];

  beforeAll(async () => {
    redis = await connectNodeRedis();
  });
  afterAll(async () => {
    await Promise.all(bridges.map((b) => b.close()));
    await redis.close();
  });

  async function knownStore(
    options: { scanCount?: number } = {},
  ): Promise<{ store: RedisStore; prefix: string }> {
    const prefix = redisPrefix('legacy-drain');
    onTestFinished(() => deleteRedisPrefix(redis.client, prefix));
    const store = redisSessionStore(redis.client, prefix);
    if (options.scanCount) store.scanCount = options.scanCount;
    await writeKnownSessions(store);
    return { store, prefix };
  }

  function drainBridge(store: LegacySessionStore): SessionBridge {
    const bridge = sessionBridge({
      legacy: { store, secret: SECRET, drain: true },
      now: () => SCAN_AT,
      stats: false,
    });
    bridges.push(bridge);
    return bridge;
  }

  async function keyStates(prefix: string): Promise<Map<string, KeyState>> {
    const states = new Map<string, KeyState>();
    for (const key of (await scanKeys(redis.sendCommand, prefix)).sort()) {
      states.set(key, {
        value: (await redis.client.get(key)) as string | null,
        pttl: Number(await redis.client.pTTL(key)),
      });
    }
    return states;
  }

  it('counts live, logged-in and distinct users, the latest expiry and expiries per day', async () => {
    const { store } = await knownStore();
    expect(await drainBridge(store).scanLegacyStore()).toEqual({
      ...EXPECTED_SCAN,
      durationMs: expect.any(Number),
    });
  });

  it('reads with SCAN and MGET only (MONITOR), leaving every value and TTL as it was', async () => {
    // scanCount 3: several SCAN pages for ten keys.
    const { store, prefix } = await knownStore({ scanCount: 3 });
    const before = await keyStates(prefix);
    expect(before.size).toBe(10);
    const writes = countWrites(store);

    const monitor = await connectNodeRedis();
    onTestFinished(() => monitor.close());
    const lines: string[] = [];
    await monitor.client.monitor((line) => lines.push(String(line)));
    const result = await drainBridge(store).scanLegacyStore();
    const marker = `${prefix}scan-done`;
    await redis.client.echo(marker);
    await expect.poll(() => lines.some((line) => line.includes(marker))).toBe(true);

    expect(result).toMatchObject({ sessions: 7, loggedIn: 6, users: 4 });
    expect(writes()).toBe(0);
    const commands = lines
      .filter((line) => line.includes(prefix) && !line.includes(marker))
      .map((line) => /"([a-zA-Z]+)"/.exec(line.slice(line.indexOf(']') + 1))?.[1]?.toLowerCase());
    expect(new Set(commands)).toEqual(new Set(['scan', 'mget']));
    expect(commands.filter((c) => c === 'scan').length).toBeGreaterThan(1);

    const after = await keyStates(prefix);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [key, state] of after) {
      const was = before.get(key)!;
      expect(state.value).toBe(was.value);
      // Never touched: the TTL only ran down.
      expect(state.pttl).toBeGreaterThan(0);
      expect(state.pttl).toBeLessThanOrEqual(was.pttl);
    }
  });

  it('parses values with the store serializer', async () => {
    const prefix = redisPrefix('legacy-drain-serializer');
    onTestFinished(() => deleteRedisPrefix(redis.client, prefix));
    const serializer = {
      stringify: (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64'),
      parse: (text: string) => JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as unknown,
    };
    const store = redisSessionStore(redis.client, prefix);
    store.serializer = serializer as RedisStore['serializer'];
    await writeKnownSessions(store);
    expect(await drainBridge(store).scanLegacyStore()).toMatchObject({ sessions: 7, loggedIn: 6, users: 4 });
  });

  it('counts a session without cookie.expires apart (its TTL is the store default)', async () => {
    const { store } = await knownStore();
    await setSession(store, 'no-expiry', {
      cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' },
      userId: 'u6',
    });
    expect(await drainBridge(store).scanLegacyStore()).toMatchObject({
      sessions: 8,
      loggedIn: 7,
      users: 5,
      latestExpiry: null,
      sessionsWithoutExpiry: 1,
    });
  });

  it('scans through an ioredis client too (connect-redis 7 takes one)', async () => {
    const { prefix } = await knownStore();
    const io = await connectIoredis();
    onTestFinished(() => io.close());
    // The members connect-redis 7 has on an ioredis client: the scan uses `client.call`.
    const store = {
      get: () => {},
      client: io.client,
      prefix,
      scanCount: 100,
    } as unknown as LegacySessionStore;
    expect(await drainBridge(store).scanLegacyStore()).toEqual({
      ...EXPECTED_SCAN,
      durationMs: expect.any(Number),
    });
  });

  it('fails the scan with ERR_BRIDGE_LEGACY_UNAVAILABLE when the Redis client is closed, and recovers', async () => {
    const { store } = await knownStore();
    const bridge = drainBridge(store);
    const first = await bridge.scanLegacyStore();
    const broken = await connectNodeRedis();
    await broken.close();
    store.client = broken.client as never;
    await expect(bridge.scanLegacyStore()).rejects.toMatchObject({ code: 'ERR_BRIDGE_LEGACY_UNAVAILABLE' });
    store.client = redis.client as never;
    expect(await bridge.scanLegacyStore()).toEqual({ ...first, durationMs: expect.any(Number) });
  });
});
