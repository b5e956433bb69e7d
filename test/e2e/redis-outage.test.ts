/**
 * Redis stopped or unreachable mid-traffic. Requests go through the bridge (real HTTP,
 * real express-session cookies, real tokens against a real JWKS server) while the Redis behind `redisStats`
 * is healthy, stopped, and back; and while the store never answers at all.
 *
 * No wall-clock assertion: that the request path never waits on the store is shown by requests completing while
 * every store call hangs forever. Median latencies are only logged (`[outage latency]` lines).
 */
import { createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import session from 'express-session';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MigrationReport, redisStats, type SessionBridge, sessionBridge } from '../../src/index.js';
import {
  ADMIN_KEY_HEADER,
  buildBridgeApp,
  countByLabel,
  listen,
  type PlannedRequest,
  STATS_PATH,
  sendPlanned,
} from '../helpers/bridge-traffic.js';
import { type JwksServer, startJwksServer } from '../helpers/jwks-server.js';
import { badSignatureCookie, createLegacyLogin } from '../helpers/legacy.js';
import { type ExpectedCounts, noPasswordMigrations, noSessionUpgrades } from '../helpers/population.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import {
  connectNodeRedis,
  describeWithRedisServer,
  type NodeRedisClient,
  type RedisConnection,
  type RedisServer,
  startRedisServer,
  testPrefix,
} from '../helpers/redis.js';
import {
  createSigningKey,
  mintToken,
  nowSeconds,
  type SigningKey,
  wrongKeyToken,
} from '../helpers/tokens.js';

const SECRET = 'outage-session-secret';
const ADMIN_KEY = 'outage-admin-key';
const AUDIENCE = 'https://api.example.test';
const LEGACY_USERS = ['outage-legacy-1', 'outage-legacy-2', 'outage-legacy-3'];
const PROVIDER_USERS = ['outage-provider-1', 'outage-provider-2', 'outage-provider-3'];
/** Seen on legacy during the outage, then on the provider after it. */
const SWITCHER = 'outage-switcher';

/** A bridge's users and tokens: a MemoryStore for sessions (only the stats depend on Redis) and a JWKS server. */
interface Fixture {
  jwks: JwksServer;
  key: SigningKey;
  store: session.MemoryStore;
  cookies: Map<string, string>;
  tokens: Map<string, string>;
  forgedCookie: string;
  invalidToken: string;
  expiredToken: string;
  close(): Promise<void>;
}

async function startFixture(): Promise<Fixture> {
  const key = await createSigningKey();
  const jwks = await startJwksServer({ keys: [key] });
  const store = new session.MemoryStore();
  const legacy = createLegacyLogin({ store, secret: SECRET });
  const cookies = new Map<string, string>();
  for (const user of [...LEGACY_USERS, SWITCHER]) cookies.set(user, (await legacy.login(user)).cookie);
  const claims = { iss: jwks.issuer, aud: AUDIENCE };
  const tokens = new Map<string, string>();
  for (const user of [...PROVIDER_USERS, SWITCHER])
    tokens.set(user, await mintToken(key, { ...claims, sub: user }));
  const someone = await legacy.login('someone');
  const expiredAt = nowSeconds() - 120;
  return {
    jwks,
    key,
    store,
    cookies,
    tokens,
    forgedCookie: badSignatureCookie(someone.sid, SECRET),
    invalidToken: await wrongKeyToken(key, { ...claims, sub: 'intruder' }),
    expiredToken: await mintToken(key, { ...claims, sub: 'expired', iat: expiredAt - 600, exp: expiredAt }),
    close: () => jwks.close(),
  };
}

function legacyRequest(f: Fixture, user: string): PlannedRequest {
  return {
    kind: 'legacy',
    outcome: 'ok',
    user,
    path: '/api/me',
    headers: { cookie: f.cookies.get(user)! },
    status: 200,
    body: { userId: user, kind: 'legacy' },
    label: `legacy login of ${user}`,
  };
}

function providerRequest(f: Fixture, user: string): PlannedRequest {
  return {
    kind: 'provider',
    outcome: 'ok',
    user,
    path: '/api/me',
    headers: { authorization: `Bearer ${f.tokens.get(user)!}` },
    status: 200,
    body: { userId: user, kind: 'provider' },
    label: `provider token of ${user}`,
  };
}

/** Ten requests: three legacy users, three provider users, an invalid and an expired token, two anonymous. */
function round(f: Fixture): PlannedRequest[] {
  return [
    ...LEGACY_USERS.map((u) => legacyRequest(f, u)),
    ...PROVIDER_USERS.map((u) => providerRequest(f, u)),
    {
      kind: 'provider',
      outcome: 'invalid',
      path: '/api/me',
      headers: { authorization: `Bearer ${f.invalidToken}` },
      status: 401,
      code: 'ERR_BRIDGE_TOKEN_INVALID',
      label: 'token signed by an unpublished key',
    },
    {
      kind: 'provider',
      outcome: 'expired',
      path: '/api/me',
      headers: { authorization: `Bearer ${f.expiredToken}` },
      status: 401,
      code: 'ERR_BRIDGE_TOKEN_EXPIRED',
      label: 'expired token',
    },
    {
      kind: 'anonymous',
      outcome: 'anonymous',
      path: '/api/me',
      headers: {},
      status: 401,
      code: 'ERR_BRIDGE_UNAUTHENTICATED',
      label: 'anonymous request to a protected route',
    },
    {
      kind: 'anonymous',
      outcome: 'anonymous',
      path: '/api/whoami',
      headers: { cookie: f.forgedCookie },
      status: 200,
      body: null,
      label: 'tampered session cookie on an optional route',
    },
  ];
}

function rounds(f: Fixture, n: number): PlannedRequest[] {
  return Array.from({ length: n }, () => round(f)).flat();
}

/** Sends the requests one after the other, checking each answer; returns each request's milliseconds. */
async function drive(url: string, requests: readonly PlannedRequest[]): Promise<number[]> {
  const durations: number[] = [];
  for (const planned of requests) {
    const start = performance.now();
    await sendPlanned(url, planned);
    durations.push(performance.now() - start);
  }
  return durations;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The report figures of these requests (all inside the last hour, so every window equals the totals). In this
 * test a user seen on both kinds (the switcher) was always seen on legacy first.
 */
function figuresOf(requests: readonly PlannedRequest[]): ExpectedCounts {
  const count = (kind: string, outcome: string) =>
    requests.filter((r) => r.kind === kind && r.outcome === outcome).length;
  const usersOf = (kind: string) =>
    new Set(requests.filter((r) => r.kind === kind && r.outcome === 'ok').map((r) => r.user!));
  const legacy = usersOf('legacy');
  const provider = usersOf('provider');
  const both = [...legacy].filter((u) => provider.has(u)).length;
  const ok = { legacy: count('legacy', 'ok'), provider: count('provider', 'ok') };
  const anonymous = count('anonymous', 'anonymous');
  return {
    requests: {
      ...ok,
      anonymous,
      rejected: requests.length - ok.legacy - ok.provider - anonymous,
      conflicts: 0,
      unavailable: 0,
    },
    users: {
      legacy: legacy.size,
      provider: provider.size,
      active: new Set([...legacy, ...provider]).size,
      migrated: both,
      legacyOnly: legacy.size - both,
    },
    passwordMigrations: noPasswordMigrations(),
    sessionUpgrades: noSessionUpgrades(),
  };
}

/** prom-client separates families with a blank line, which the strict parser refuses. */
async function scrape(registry: Registry) {
  return parsePrometheusText((await registry.metrics()).replace(/\n\n/g, '\n'));
}

async function waitUntil(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Median milliseconds per request of the healthy phase, for the ratio logged by the never-answering test. */
let healthyMedian: number | undefined;

describeWithRedisServer('the bridge while the Redis behind redisStats is stopped and restarted', () => {
  const BUFFER = 64;
  let server: RedisServer;
  let redis: RedisConnection & { client: NodeRedisClient };
  let fixture: Fixture;
  let bridge: SessionBridge;
  let app: Awaited<ReturnType<typeof listen>>;
  const registry = new Registry();
  const phase1 = () => rounds(fixture, 6);
  let phase2: PlannedRequest[];
  const latencies: Record<'healthy' | 'outage' | 'restored', number[]> = {
    healthy: [],
    outage: [],
    restored: [],
  };

  beforeAll(async () => {
    server = await startRedisServer();
    // node-redis as the redisStats docs recommend: disableOfflineQueue, so commands fail while disconnected.
    redis = await connectNodeRedis(server.url);
    fixture = await startFixture();
    bridge = sessionBridge({
      legacy: { store: fixture.store, secret: SECRET },
      provider: { issuer: fixture.jwks.issuer, audience: AUDIENCE, jwksUri: fixture.jwks.jwksUri },
      stats: redisStats({ sendCommand: redis.sendCommand, prefix: testPrefix('e2e-outage') }),
      recorder: { flushIntervalMs: 25, bufferSize: BUFFER, flushTimeoutMs: 1000 },
    });
    bridge.registerMetrics(registry, { timeoutMs: 1000 });
    app = await listen(buildBridgeApp(bridge, { now: 0 }, { adminKey: ADMIN_KEY }));
    phase2 = [...rounds(fixture, 12), legacyRequest(fixture, SWITCHER)];
  });

  afterAll(async () => {
    await bridge?.close();
    await app?.close();
    await fixture?.close();
    await redis?.close();
    await server?.stop();
  });

  const stats = () => request(app.url).get(STATS_PATH).set(ADMIN_KEY_HEADER, ADMIN_KEY);

  it('records everything while Redis is up', async () => {
    const requests = phase1();
    // The first round warms up (JIT, the JWKS fetch): only the other rounds are timed for the log.
    latencies.healthy = (await drive(app.url, requests)).slice(10);
    await bridge.flushStats();
    const report = (await stats().expect(200)).body as MigrationReport;
    expect(report.totals).toEqual(figuresOf(requests));
    expect(report.windows['1d']).toEqual({ ...figuresOf(requests), approximate: false });
    expect(report.recorder).toMatchObject({ buffered: 0, recorded: 60, dropped: 0, failedFlushes: 0 });
  });

  it('answers every request with its status while Redis is stopped, and counts the failed and dropped events', async () => {
    await server.stop();
    latencies.outage = await drive(app.url, phase2);
    await bridge.flushStats(); // fails: the events stay buffered

    const res = await stats();
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ code: 'ERR_BRIDGE_STATS_UNAVAILABLE' });
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.headers['cache-control']).toBe('no-store');

    // The app's prom-client scrape still works: report_up 0, and this instance's recorder health.
    const families = await scrape(registry);
    expect(sampleValue(families, 'session_bridge_stats_report_up')).toBe(0);
    expect(families.get('session_bridge_users')?.samples ?? []).toHaveLength(0); // no store gauges
    expect(sampleValue(families, 'session_bridge_stats_recorded_total')).toBe(60);
    expect(sampleValue(families, 'session_bridge_stats_buffered_events')).toBe(BUFFER);
    // 121 events since the last successful flush, the buffer holds 64: the 57 oldest are dropped and counted.
    expect(phase2).toHaveLength(121);
    expect(sampleValue(families, 'session_bridge_stats_dropped_total')).toBe(phase2.length - BUFFER);
    expect(sampleValue(families, 'session_bridge_stats_failed_flushes_total')).toBeGreaterThanOrEqual(1);
    // The request counters are process-local: they count every decision, recorded or not.
    for (const { kind, outcome, count } of countByLabel([...phase1(), ...phase2])) {
      expect(
        sampleValue(families, 'session_bridge_requests_total', { kind, outcome }),
        `${kind}/${outcome}`,
      ).toBe(count);
    }
    // The stats endpoint's own Prometheus format keeps answering too, with the same process-local figures.
    const prometheus = await stats().query({ format: 'prometheus' });
    expect(prometheus.status).toBe(200);
    const scraped = parsePrometheusText(prometheus.text);
    expect(sampleValue(scraped, 'session_bridge_stats_report_up')).toBe(0);
    expect(sampleValue(scraped, 'session_bridge_stats_dropped_total')).toBe(phase2.length - BUFFER);
    expect(scraped.get('session_bridge_users')?.samples ?? []).toHaveLength(0);
  });

  it('resumes recording when Redis is back: the retained events and the new traffic are counted', async () => {
    await server.start(); // empty: no persistence
    await waitUntil(() => redis.client.isReady, 'the client to reconnect');
    await waitUntil(async () => {
      await bridge.flushStats();
      return sampleValue(await scrape(registry), 'session_bridge_stats_buffered_events') === 0;
    }, 'the retained events to be flushed');

    const phase3 = [...rounds(fixture, 2), providerRequest(fixture, SWITCHER)];
    latencies.restored = await drive(app.url, phase3);
    await bridge.flushStats();

    const report = (await stats().expect(200)).body as MigrationReport;
    // The restarted Redis is empty: it holds the 64 newest outage events (the retried batch) and phase 3.
    const kept = [...phase2.slice(-BUFFER), ...phase3];
    const expected = figuresOf(kept);
    expect(expected.users).toMatchObject({ migrated: 1, legacyOnly: 3 }); // the switcher crossed the outage
    expect(report.totals).toEqual(expected);
    for (const window of ['1d', '7d', '30d'] as const) {
      expect(report.windows[window]).toEqual({ ...expected, approximate: false });
    }
    expect(report.recorder).toMatchObject({
      buffered: 0,
      recorded: 60 + BUFFER + phase3.length,
      dropped: phase2.length - BUFFER,
    });
    expect(report.recorder.failedFlushes).toBeGreaterThanOrEqual(1);

    healthyMedian = median(latencies.healthy);
    const outage = median(latencies.outage);
    console.log(
      `[outage latency] median ms per request: healthy ${healthyMedian.toFixed(2)} (n=${latencies.healthy.length}), ` +
        `Redis stopped ${outage.toFixed(2)} (n=${latencies.outage.length}), ` +
        `restored ${median(latencies.restored).toFixed(2)} (n=${latencies.restored.length}); ` +
        `ratio stopped/healthy ${(outage / healthyMedian).toFixed(2)}`,
    );
  });
});

describe('the bridge with a stats store whose Redis never answers', () => {
  const sockets = new Set<Socket>();
  // Accepts connections and never answers: a hung Redis (or a black-holed network path).
  const blackhole = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  let client: Redis;
  let fixture: Fixture;
  let bridge: SessionBridge;
  let app: Awaited<ReturnType<typeof listen>>;
  const registry = new Registry();
  /** Store commands sent, and how many of them ever settled. */
  const commands = { issued: 0, settled: 0 };

  beforeAll(async () => {
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const { port } = blackhole.address() as { port: number };
    // ioredis with its defaults (offline queue on): commands wait for a ready state that never comes.
    client = new Redis(port, '127.0.0.1', { connectTimeout: 60_000 });
    client.on('error', () => {});
    fixture = await startFixture();
    bridge = sessionBridge({
      legacy: { store: fixture.store, secret: SECRET },
      provider: { issuer: fixture.jwks.issuer, audience: AUDIENCE, jwksUri: fixture.jwks.jwksUri },
      stats: redisStats({
        sendCommand: (command, ...args) => {
          commands.issued++;
          return client.call(command!, ...args).finally(() => commands.settled++);
        },
        prefix: testPrefix('e2e-blackhole'),
      }),
      recorder: { flushIntervalMs: 20, flushTimeoutMs: 100, bufferSize: 50 },
    });
    bridge.registerMetrics(registry, { timeoutMs: 200 });
    app = await listen(buildBridgeApp(bridge, { now: 0 }, { adminKey: ADMIN_KEY }));
  });

  afterAll(async () => {
    await app?.close();
    client?.disconnect();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => blackhole.close(() => resolve()));
    await fixture?.close();
  });

  it('answers 200 requests with their statuses while every store call hangs forever', async () => {
    // The store really hangs: a command neither resolves nor rejects.
    const probe = await Promise.race([
      client.call('PING').then(
        () => 'answered',
        () => 'failed',
      ),
      new Promise((r) => setTimeout(() => r('pending'), 300)),
    ]);
    expect(probe).toBe('pending');

    const requests = rounds(fixture, 20);
    expect(requests).toHaveLength(200);
    // If the request path awaited the store, the first request would never complete and this would time out.
    const durations = await drive(app.url, requests);
    expect(durations).toHaveLength(200);

    // close(): stops the flush timer and makes a last attempt, so the buffer is at rest when read.
    await bridge.close();
    // The recorder did call the store, and none of those calls ever came back.
    expect(commands.issued).toBeGreaterThan(0);
    expect(commands.settled).toBe(0);
    const families = await scrape(registry);
    expect(sampleValue(families, 'session_bridge_stats_report_up')).toBe(0);
    expect(sampleValue(families, 'session_bridge_stats_recorded_total')).toBe(0);
    expect(sampleValue(families, 'session_bridge_stats_buffered_events')).toBe(50);
    expect(sampleValue(families, 'session_bridge_stats_dropped_total')).toBe(150);
    expect(sampleValue(families, 'session_bridge_stats_failed_flushes_total')).toBeGreaterThanOrEqual(1);
    for (const { kind, outcome, count } of countByLabel(requests)) {
      expect(sampleValue(families, 'session_bridge_requests_total', { kind, outcome })).toBe(count);
    }

    const hung = median(durations);
    console.log(
      `[outage latency] median ms per request with a never-answering store: ${hung.toFixed(2)} (n=200)` +
        (healthyMedian === undefined
          ? ''
          : `; ratio to the healthy phase ${(hung / healthyMedian).toFixed(2)}`),
    );
  }, 30_000);
});
