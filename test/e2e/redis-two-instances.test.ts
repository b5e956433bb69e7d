/**
 * Two bridge instances share one Redis stats store and either one reports the exact figures
 * of a scripted population.
 *
 * - Instance A runs in this process (src/, stats through a node-redis client); instance B runs in a child
 *   process (test/e2e/bridge-instance.mjs: the built package, stats through an ioredis client). Both read the
 *   same legacy sessions (connect-redis) and trust the same provider (a real JWKS server).
 * - The population (7 legacy-only, 24 migrated, 6 provider-only users over 12 simulated days, plus anonymous
 *   and rejected requests) is spread over both instances so that most users are seen by both. At the end of
 *   each simulated day both instances flush, as their timers would over a real day.
 * - The expected figures come from the population's closed form (test/helpers/population.ts), never from the
 *   stores.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type MigrationReport, redisStats, type SessionBridge, sessionBridge } from '../../src/index.js';
import {
  ADMIN_KEY_HEADER,
  buildBridgeApp,
  countByLabel,
  legacyUserIdOf,
  listen,
  type PlannedRequest,
  reportFigures,
  SIM_TIME_HEADER,
  STATS_PATH,
  scriptedTraffic,
  sendPlanned,
} from '../helpers/bridge-traffic.js';
import { type JwksServer, startJwksServer } from '../helpers/jwks-server.js';
import { createLegacyLogin, redisSessionStore } from '../helpers/legacy.js';
import { alignedNow, DAY } from '../helpers/population.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import {
  connectNodeRedis,
  deleteKeys,
  describeRedis,
  type NodeRedisClient,
  REDIS_URL,
  type RedisConnection,
  scanKeys,
  testPrefix,
} from '../helpers/redis.js';
import { createSigningKey } from '../helpers/tokens.js';

const SECRET = 'two-instances-session-secret';
const ADMIN_KEY = 'two-instances-admin-key';
const AUDIENCE = 'https://api.example.test';
const PROVIDER_NAME = 'test-idp';
const now = alignedNow();
const traffic = scriptedTraffic({ legacyOnly: 7, migrated: 24, providerOnly: 6, days: 12, now });

interface ChildInstance {
  url: string;
  close(): Promise<void>;
}

/** Starts test/e2e/bridge-instance.mjs and waits for its URL. */
async function startChildInstance(env: Record<string, string>): Promise<ChildInstance> {
  const child: ChildProcess = fork(resolve(import.meta.dirname, 'bridge-instance.mjs'), [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error('bridge-instance.mjs did not start within 15 s')),
      15_000,
    );
    child.once('message', (message) => {
      clearTimeout(timer);
      resolveUrl((message as { url: string }).url);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bridge-instance.mjs exited with ${String(code)} before it was ready`));
    });
  });
  return {
    url,
    async close() {
      if (child.exitCode !== null) return;
      child.send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

await describeRedis('two bridge instances sharing one redisStats store', () => {
  let redis: RedisConnection & { client: NodeRedisClient };
  let jwks: JwksServer;
  let bridgeA: SessionBridge;
  let appA: Awaited<ReturnType<typeof listen>>;
  let instanceB: ChildInstance;
  let plan: PlannedRequest[];
  const clockA = { now };
  const statsPrefix = testPrefix('e2e-two-instances');
  const sessionPrefix = testPrefix('e2e-two-instances-sessions');
  /** Requests each instance served. */
  const served = { a: 0, b: 0 };

  beforeAll(async () => {
    redis = await connectNodeRedis();
    const key = await createSigningKey();
    jwks = await startJwksServer({ keys: [key] });
    const sessions = redisSessionStore(redis.client, sessionPrefix);
    const legacy = createLegacyLogin({ store: sessions, secret: SECRET, maxAge: DAY });
    bridgeA = sessionBridge({
      legacy: { store: sessions, secret: SECRET, userId: legacyUserIdOf },
      provider: { issuer: jwks.issuer, audience: AUDIENCE, jwksUri: jwks.jwksUri, name: PROVIDER_NAME },
      stats: redisStats({ sendCommand: redis.sendCommand, prefix: statsPrefix }),
      recorder: { flushIntervalMs: 100 },
      now: () => clockA.now,
    });
    appA = await listen(buildBridgeApp(bridgeA, clockA, { adminKey: ADMIN_KEY }));
    instanceB = await startChildInstance({
      ESB_REDIS_URL: REDIS_URL,
      ESB_STATS_PREFIX: statsPrefix,
      ESB_SESSION_PREFIX: sessionPrefix,
      ESB_SESSION_SECRET: SECRET,
      ESB_ISSUER: jwks.issuer,
      ESB_AUDIENCE: AUDIENCE,
      ESB_JWKS_URI: jwks.jwksUri,
      ESB_PROVIDER_NAME: PROVIDER_NAME,
      ESB_ADMIN_KEY: ADMIN_KEY,
      ESB_FLUSH_INTERVAL_MS: '100',
    });
    const credentials = await traffic.credentials(legacy, SECRET, {
      key,
      issuer: jwks.issuer,
      audience: AUDIENCE,
    });
    plan = traffic.plan(credentials);
  });

  afterAll(async () => {
    await instanceB?.close();
    await bridgeA?.close();
    await appA?.close();
    await jwks?.close();
    if (redis) {
      await deleteKeys(redis.sendCommand, statsPrefix);
      await deleteKeys(redis.sendCommand, sessionPrefix);
      await redis.close();
    }
  });

  const statsOf = (url: string) =>
    request(url).get(STATS_PATH).set(ADMIN_KEY_HEADER, ADMIN_KEY).set(SIM_TIME_HEADER, String(now));

  it('answers every request on both instances with its status, code and user', async () => {
    expect(countByLabel(plan)).toEqual(traffic.expected.requestsByLabel);
    const instancesOf = new Map<string, Set<'a' | 'b'>>();
    const days = traffic.options.days;
    for (let day = 0; day < days; day++) {
      const today = plan.filter((r) => r.day === day);
      const onA: PlannedRequest[] = [];
      const onB: PlannedRequest[] = [];
      today.forEach((r, j) => {
        const instance = (j + day) % 2 === 0 ? 'a' : 'b';
        (instance === 'a' ? onA : onB).push(r);
        if (r.user !== undefined) {
          const seen = instancesOf.get(r.user) ?? new Set();
          seen.add(instance);
          instancesOf.set(r.user, seen);
        }
      });
      // Each instance serves its share one request at a time (its clock follows x-sim-time); the two
      // instances run side by side.
      await Promise.all([
        (async () => {
          for (const r of onA) await sendPlanned(appA.url, r);
        })(),
        (async () => {
          for (const r of onB) await sendPlanned(instanceB.url, r);
        })(),
      ]);
      served.a += onA.length;
      served.b += onB.length;
      // End of the simulated day: both recorders have flushed by now in a real deployment.
      await bridgeA.flushStats();
      await request(instanceB.url).post('/__test/flush').expect(200);
    }
    expect(served.a + served.b).toBe(plan.length);
    expect(Math.min(served.a, served.b)).toBeGreaterThan(plan.length / 3);
    const onBoth = [...instancesOf.values()].filter((s) => s.size === 2).length;
    expect(onBoth).toBeGreaterThan(instancesOf.size / 2);
  });

  it('reports the exact totals, windows, series and last legacy sighting on either instance', async () => {
    const [a, b] = await Promise.all([statsOf(appA.url).expect(200), statsOf(instanceB.url).expect(200)]);
    const reportA = a.body as MigrationReport;
    const reportB = b.body as MigrationReport;
    const expected = { approximate: false, ...traffic.expected };
    expect(reportFigures(reportA)).toEqual(expected);
    expect(reportFigures(reportB)).toEqual(expected);
    expect(reportA.totals.users).toMatchObject({ migrated: 24, legacyOnly: 7 });
    // The recorder section is per instance: each recorded what it served, nothing lost.
    expect(reportA.recorder).toMatchObject({ buffered: 0, recorded: served.a, dropped: 0, failedFlushes: 0 });
    expect(reportB.recorder).toMatchObject({ buffered: 0, recorded: served.b, dropped: 0, failedFlushes: 0 });
    expect(a.headers['cache-control']).toBe('no-store');
    expect(b.headers['cache-control']).toBe('no-store');
  });

  it('exports per-instance request counters that sum to the requests sent, and the same user gauges on both', async () => {
    const [a, b] = await Promise.all(
      [appA.url, instanceB.url].map(async (url) =>
        parsePrometheusText((await statsOf(url).query({ format: 'prometheus' }).expect(200)).text),
      ),
    );
    for (const { kind, outcome, count } of countByLabel(plan)) {
      const onA = sampleValue(a!, 'session_bridge_requests_total', { kind, outcome }) ?? 0;
      const onB = sampleValue(b!, 'session_bridge_requests_total', { kind, outcome }) ?? 0;
      expect(onA + onB, `${kind}/${outcome}`).toBe(count);
    }
    const { windows, totals } = traffic.expected;
    for (const families of [a!, b!]) {
      for (const [window, users] of [
        ['1d', windows['1d'].users],
        ['7d', windows['7d'].users],
        ['30d', windows['30d'].users],
        ['total', totals.users],
      ] as const) {
        expect(sampleValue(families, 'session_bridge_users', { kind: 'active', window })).toBe(users.active);
        expect(sampleValue(families, 'session_bridge_users', { kind: 'migrated', window })).toBe(
          users.migrated,
        );
        expect(sampleValue(families, 'session_bridge_users', { kind: 'legacy_only', window })).toBe(
          users.legacyOnly,
        );
      }
    }
  });

  it('refuses the stats without the admin key on either instance', async () => {
    for (const url of [appA.url, instanceB.url]) {
      const res = await request(url).get(STATS_PATH).set(SIM_TIME_HEADER, String(now));
      expect(res.status).toBe(401);
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('keeps no user id in clear in Redis (key names and sorted-set members)', async () => {
    const keys = await scanKeys(redis.sendCommand, statsPrefix);
    expect(keys.length).toBeGreaterThan(0);
    const stored = [...keys];
    for (const key of keys) {
      if ((await redis.sendCommand('TYPE', key)) === 'zset') {
        stored.push(...((await redis.sendCommand('ZRANGE', key, '0', '-1')) as string[]));
      }
    }
    expect(stored.some((k) => k.endsWith('last:any'))).toBe(true);
    for (const text of stored) expect(text).not.toMatch(/legacy-only-|migrated-|provider-only-/);
  });
});
