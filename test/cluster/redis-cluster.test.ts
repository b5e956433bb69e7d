/**
 * Issue 16 acceptance, Redis Cluster: a local three-master cluster (test/helpers/redis-cluster.ts). Two bridge
 * instances, one through node-redis `createCluster` and one through ioredis `Cluster` (via `sendCommand`), share
 * one `redisStats()` store with a hash-tag prefix: the stats ground truth of a scripted population, the shared
 * cutover and the drain lock work as on a single node. The legacy sessions stay on the shared single Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MigrationReport, redisStats, type SessionBridge, sessionBridge } from '../../src/index.js';
import {
  ADMIN_KEY_HEADER,
  buildBridgeApp,
  legacyUserIdOf,
  listen,
  type PlannedRequest,
  reportFigures,
  SIM_TIME_HEADER,
  STATS_PATH,
  scriptedTraffic,
  sendPlanned,
} from '../helpers/bridge-traffic.js';
import { drainLock, fleetKeys } from '../helpers/internals.js';
import { type JwksServer, startJwksServer } from '../helpers/jwks-server.js';
import { createLegacyLogin, redisSessionStore } from '../helpers/legacy.js';
import { alignedNow, DAY } from '../helpers/population.js';
import {
  connectNodeRedis,
  deleteKeys,
  type NodeRedisClient,
  type RedisConnection,
  redisOrSkip,
  testPrefix,
} from '../helpers/redis.js';
import {
  hasRedisClusterTools,
  ioredisCluster,
  nodeRedisCluster,
  type RedisCluster,
  startRedisCluster,
} from '../helpers/redis-cluster.js';
import { createSigningKey } from '../helpers/tokens.js';

const SECRET = 'cluster-session-secret';
const ADMIN_KEY = 'cluster-admin-key';
const AUDIENCE = 'https://api.example.test';
const now = alignedNow();
const traffic = scriptedTraffic({ legacyOnly: 7, migrated: 24, providerOnly: 6, days: 12, now });

const usable = hasRedisClusterTools() && (await redisOrSkip()) !== null;
if (!usable && process.env.REQUIRE_REDIS === '1') throw new Error('redis-server/redis-cli or Redis missing');

(usable ? describe : describe.skip)('a three-master Redis Cluster through node-redis and ioredis', () => {
  let cluster: RedisCluster;
  let viaNodeRedis: RedisConnection;
  let viaIoredis: RedisConnection;
  let sessionsRedis: RedisConnection & { client: NodeRedisClient };
  let jwks: JwksServer;
  const bridges: SessionBridge[] = [];
  const apps: Awaited<ReturnType<typeof listen>>[] = [];
  const clocks = [{ now }, { now }];
  // A hash tag: every key of the store and the fleet in one slot.
  const prefix = `{${testPrefix('cluster')}}:`;
  const sessionPrefix = testPrefix('cluster-sessions');
  let plan: PlannedRequest[];

  beforeAll(async () => {
    cluster = await startRedisCluster();
    [viaNodeRedis, viaIoredis] = await Promise.all([nodeRedisCluster(cluster), ioredisCluster(cluster)]);
    sessionsRedis = await connectNodeRedis();
    const key = await createSigningKey();
    jwks = await startJwksServer({ keys: [key] });
    const sessions = redisSessionStore(sessionsRedis.client, sessionPrefix);
    const legacy = createLegacyLogin({ store: sessions, secret: SECRET, maxAge: DAY });
    for (const [i, connection] of [viaNodeRedis, viaIoredis].entries()) {
      const clock = clocks[i] as { now: number };
      const bridge = sessionBridge({
        legacy: { store: sessions, secret: SECRET, userId: legacyUserIdOf },
        provider: { issuer: jwks.issuer, audience: AUDIENCE, jwksUri: jwks.jwksUri, name: 'test-idp' },
        stats: redisStats({ sendCommand: connection.sendCommand, prefix }),
        fleet: { syncMs: 200, instanceId: i === 0 ? 'node-redis' : 'ioredis' },
        recorder: { flushIntervalMs: 100 },
        now: () => clock.now,
      });
      bridges.push(bridge);
      apps.push(await listen(buildBridgeApp(bridge, clock, { adminKey: ADMIN_KEY })));
    }
    const credentials = await traffic.credentials(legacy, SECRET, {
      key,
      issuer: jwks.issuer,
      audience: AUDIENCE,
    });
    plan = traffic.plan(credentials);
  }, 60_000);

  afterAll(async () => {
    for (const bridge of bridges) await bridge.close();
    for (const app of apps) await app.close();
    await jwks?.close();
    await viaNodeRedis?.close();
    await viaIoredis?.close();
    if (sessionsRedis) {
      await deleteKeys(sessionsRedis.sendCommand, sessionPrefix);
      await sessionsRedis.close();
    }
    await cluster?.stop();
  }, 30_000);

  it('reports the exact figures of a scripted population served by both instances, on either one', async () => {
    for (let day = 0; day < traffic.options.days; day++) {
      const today = plan.filter((r) => r.day === day);
      await Promise.all(
        [0, 1].map(async (i) => {
          for (const [j, r] of today.entries()) {
            if ((j + day) % 2 === i) await sendPlanned((apps[i] as { url: string }).url, r);
          }
        }),
      );
      await Promise.all(bridges.map((b) => b.flushStats()));
    }
    const expected = { approximate: false, ...traffic.expected };
    for (const app of apps) {
      const res = await fetch(`${app.url}${STATS_PATH}`, {
        headers: {
          [ADMIN_KEY_HEADER]: ADMIN_KEY,
          [SIM_TIME_HEADER]: String(now),
          accept: 'application/json',
        },
      });
      expect(res.status).toBe(200);
      expect(reportFigures((await res.json()) as MigrationReport)).toEqual(expected);
    }
  });

  it('shares the cutover: a ramp set through one client is applied through the other, with one history', async () => {
    const [a, b] = bridges as [SessionBridge, SessionBridge];
    await a.configure({ cutover: { percent: 35 }, by: 'cluster test' });
    expect(a.percent).toBe(35);
    const start = Date.now();
    while (b.percent !== 35 && Date.now() - start < 2000) await new Promise((r) => setTimeout(r, 20));
    expect(b.percent).toBe(35);
    await b.configure({ mode: 'provider-only' });
    const { cutover, fleet } = await a.report();
    expect(cutover.history.slice(-2).map((h) => [h.instance, h.mode, h.percent])).toEqual([
      ['node-redis', 'bridge', 35],
      ['ioredis', 'provider-only', 35],
    ]);
    expect(fleet?.instances.map((i) => i.id).sort()).toEqual(['ioredis', 'node-redis']);
  });

  it('lets one client hold the drain lock, refuses it to the other, and shares the scan through both', async () => {
    const keys = fleetKeys(prefix);
    const lock = (connection: RedisConnection, instanceId: string) =>
      drainLock({
        link: { sendCommand: connection.sendCommand, prefix },
        keys,
        instanceId,
        intervalMs: 1000,
        timeoutMs: 2000,
        debug: () => {},
      });
    const [first, second] = [lock(viaNodeRedis, 'node-redis'), lock(viaIoredis, 'ioredis')];
    const claim = await first.claim();
    expect(claim).not.toBeNull();
    expect(await second.claim()).toBeNull();
    const scan = { supported: false as const, scannedAt: new Date().toISOString(), reason: 'cluster test' };
    await claim?.finish({ scan });
    // Scanned just now: not due for another instance either.
    expect(await second.claim()).toBeNull();
    expect(await second.report()).toEqual({ scan, lastError: null, scannedBy: 'node-redis' });
  });
});
