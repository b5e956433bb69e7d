/**
 * Both of the bridge's stores fail during traffic, one after the other, and come back. The stats store
 * is `redisStats` on one private redis-server, the legacy session store connect-redis on a second one (its
 * node-redis client with the defaults: offline queue on). Both servers keep their data on disk across the
 * restart, as production Redis does, so the report can be checked against everything that was sent.
 *
 * Phases: both up; stats Redis down; legacy Redis down too; stats Redis back; legacy Redis back.
 * - Provider tokens answer 200 in every phase, without waiting on either store.
 * - Legacy sessions answer 200 except while their store is down: 503, at once once the circuit is open.
 * - The report counts every request sent, except the events the recorder counted as dropped.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RedisStore } from 'connect-redis';
import express from 'express';
import { createClient } from 'redis';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redisStats, type SessionBridge, sessionBridge } from '../../src/index.js';
import { buildApp } from '../helpers/apps.js';
import { type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { createLegacyLogin } from '../helpers/legacy.js';
import {
  connectNodeRedis,
  describeWithRedisServer,
  type NodeRedisClient,
  type RedisConnection,
  type RedisServer,
  startRedisServer,
  testPrefix,
} from '../helpers/redis.js';

const SECRET = 'store-faults-secret';
const TIMEOUT_MS = 1000;
const THRESHOLD = 3;
const COOL_DOWN_MS = 2000;
const BUFFER = 32;
/** "At once": far below TIMEOUT_MS, with room for a loaded CI machine. */
const FAST_MS = 200;
const LEGACY_USERS = ['faults-legacy-1', 'faults-legacy-2'];
const PROVIDER_USERS = ['faults-provider-1', 'faults-provider-2'];

type Kind = 'legacy' | 'provider' | 'anonymous';
interface Sent {
  phase: string;
  kind: Kind;
  status: number;
  code: string | undefined;
  userId: string | undefined;
  ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithRedisServer('the bridge while its stats store and its legacy store stop and restart', () => {
  let dir: string;
  let statsServer: RedisServer;
  let legacyServer: RedisServer;
  let statsRedis: RedisConnection & { client: NodeRedisClient };
  let legacyClient: ReturnType<typeof createClient>;
  let provider: ProviderFixture;
  let bridge: SessionBridge;
  let app: express.Express;
  const cookies = new Map<string, string>();
  const tokens = new Map<string, string>();
  const sent: Sent[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'esb-store-faults-'));
    statsServer = await startRedisServer({ persistDir: join(dir, 'stats') });
    legacyServer = await startRedisServer({ persistDir: join(dir, 'legacy') });
    statsRedis = await connectNodeRedis(statsServer.url); // the fail-fast settings of docs/stats.md
    legacyClient = createClient({ url: legacyServer.url }); // node-redis defaults: commands queue while offline
    legacyClient.on('error', () => {});
    await legacyClient.connect();
    const store = new RedisStore({ client: legacyClient, prefix: testPrefix('store-faults-sessions') });
    const login = createLegacyLogin({ store, secret: SECRET });
    for (const user of LEGACY_USERS) cookies.set(user, (await login.login(user)).cookie);
    provider = await startProvider();
    for (const user of PROVIDER_USERS) tokens.set(user, await provider.mint({ sub: user }));
    bridge = sessionBridge({
      legacy: {
        store,
        secret: SECRET,
        timeoutMs: TIMEOUT_MS,
        breaker: { failureThreshold: THRESHOLD, coolDownMs: COOL_DOWN_MS },
      },
      provider: provider.options(),
      stats: redisStats({ sendCommand: statsRedis.sendCommand, prefix: testPrefix('store-faults-stats') }),
      recorder: { flushIntervalMs: 20, flushTimeoutMs: 200, bufferSize: BUFFER },
    });
    app = buildApp(express, bridge);
  });

  afterAll(async () => {
    await bridge?.close();
    await statsRedis?.close();
    if (legacyClient?.isOpen) legacyClient.destroy();
    await statsServer?.stop();
    await legacyServer?.stop();
    await provider?.server.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function send(phase: string, kind: Kind, user?: string): Promise<Sent> {
    // Guarded for credentials (requireUser() answers the 503), optional for the anonymous request.
    const req = request(app).get(kind === 'anonymous' ? '/whoami' : '/me');
    if (kind === 'legacy') req.set('Cookie', cookies.get(user!)!);
    if (kind === 'provider') req.set('Authorization', `Bearer ${tokens.get(user!)!}`);
    const start = performance.now();
    const res = await req;
    const body = res.body as { userId?: string; code?: string } | null;
    const entry: Sent = {
      phase,
      kind,
      status: res.status,
      code: body?.code,
      userId: body?.userId,
      ms: performance.now() - start,
    };
    sent.push(entry);
    return entry;
  }

  /** One round: each legacy user, each provider user, one anonymous request. */
  async function round(phase: string): Promise<Sent[]> {
    const out: Sent[] = [];
    for (const user of LEGACY_USERS) out.push(await send(phase, 'legacy', user));
    for (const user of PROVIDER_USERS) out.push(await send(phase, 'provider', user));
    out.push(await send(phase, 'anonymous'));
    return out;
  }

  async function rounds(phase: string, n: number): Promise<Sent[]> {
    const out: Sent[] = [];
    for (let i = 0; i < n; i++) out.push(...(await round(phase)));
    return out;
  }

  function expectAnswers(requests: Sent[], legacy: 'ok' | 'unavailable', fast: boolean): void {
    for (const r of requests) {
      const where = `${r.phase}: ${r.kind} ${r.status} ${r.code ?? ''} in ${r.ms.toFixed(0)} ms`;
      if (r.kind === 'provider') {
        expect(r.status, where).toBe(200);
        expect(PROVIDER_USERS, where).toContain(r.userId);
      } else if (r.kind === 'anonymous') {
        expect(r.status, where).toBe(200);
      } else if (legacy === 'ok') {
        expect(r.status, where).toBe(200);
        expect(LEGACY_USERS, where).toContain(r.userId);
      } else {
        expect([r.status, r.code], where).toEqual([503, 'ERR_BRIDGE_LEGACY_UNAVAILABLE']);
      }
      if (fast) expect(r.ms, where).toBeLessThan(FAST_MS);
    }
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 200 && !condition(); i++) await sleep(25);
    expect(condition(), what).toBe(true);
  }

  it('serves every kind while both stores are up', async () => {
    expectAnswers(await rounds('both up', 4), 'ok', false);
    await bridge.flushStats();
    const report = await bridge.report();
    expect(report.recorder).toMatchObject({ buffered: 0, recorded: sent.length, dropped: 0 });
  });

  it('keeps answering legacy sessions and provider tokens while the stats Redis is down', async () => {
    await bridge.flushStats(); // nothing in flight when the server stops
    await statsServer.stop();
    // More events than the buffer holds: the oldest are dropped and counted.
    expectAnswers(await rounds('stats down', 10), 'ok', true);
  });

  it('answers 503 for legacy sessions while the legacy Redis is down too, at once once the circuit is open', async () => {
    await legacyServer.stop();
    await until(() => !legacyClient.isReady, 'the legacy store client to see the server gone');
    // The first THRESHOLD requests with a legacy cookie wait for legacy.timeoutMs: the client queues the GET.
    const opening = await Promise.all(
      Array.from({ length: THRESHOLD }, (_, i) => send('both down', 'legacy', LEGACY_USERS[i % 2])),
    );
    expectAnswers(opening, 'unavailable', false);
    for (const r of opening) expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expectAnswers(await rounds('both down', 6), 'unavailable', true);
  });

  it('records again once the stats Redis is back, while legacy sessions still answer 503 at once', async () => {
    await statsServer.start(); // with the data it had on disk
    await until(() => statsRedis.client.isReady, 'the stats client to reconnect');
    expectAnswers(await rounds('stats back', 4), 'unavailable', true);
  });

  it('reads legacy sessions again once the legacy Redis is back and a probe succeeded, in the same app', async () => {
    await legacyServer.start();
    await until(() => legacyClient.isReady, 'the legacy store client to reconnect');
    // Until the cool-down ends: 503 at once; then one request probes the store and closes the circuit.
    const deadline = performance.now() + COOL_DOWN_MS + TIMEOUT_MS + 2000;
    let recovered = false;
    while (!recovered && performance.now() < deadline) {
      const r = await send('legacy probing', 'legacy', LEGACY_USERS[0]);
      recovered = r.status === 200;
      if (!recovered) {
        expectAnswers([r], 'unavailable', true);
        await sleep(100);
      }
    }
    expect(recovered, 'a legacy request succeeded after the cool-down').toBe(true);
    expectAnswers(await rounds('both back', 4), 'ok', false);
  });

  it('reports every request sent, less the events counted as dropped', async () => {
    for (let i = 0; i < 40; i++) {
      await bridge.flushStats();
      if ((await bridge.report()).recorder.buffered === 0) break;
      await sleep(50);
    }
    const report = await bridge.report();
    const { recorder } = report;
    expect(recorder.buffered).toBe(0);
    expect(recorder.failedFlushes).toBeGreaterThanOrEqual(1);
    expect(recorder.dropped).toBeGreaterThan(0); // the stats outage overflowed the buffer
    expect(recorder.recorded).toBe(sent.length - recorder.dropped);

    const requests = report.totals.requests;
    const reported = requests.legacy + requests.provider + requests.anonymous + requests.rejected;
    expect(reported).toBe(sent.length - recorder.dropped);
    // Per label: never more than was sent; the missing ones are exactly the dropped events.
    const count = (kind: Kind, status: number) =>
      sent.filter((r) => r.kind === kind && r.status === status).length;
    const expected = {
      legacy: count('legacy', 200),
      provider: count('provider', 200),
      anonymous: count('anonymous', 200),
      unavailable: count('legacy', 503),
    };
    expect(requests.conflicts).toBe(0);
    expect(requests.rejected).toBe(requests.unavailable);
    for (const label of ['legacy', 'provider', 'anonymous', 'unavailable'] as const) {
      expect(requests[label], label).toBeLessThanOrEqual(expected[label]);
    }
    const missing = (Object.keys(expected) as Array<keyof typeof expected>).reduce(
      (sum, label) => sum + expected[label] - requests[label],
      0,
    );
    expect(missing).toBe(recorder.dropped);
    expect(expected.unavailable).toBeGreaterThan(0);

    const byPhase = [...new Set(sent.map((r) => r.phase))].map((phase) => {
      const inPhase = sent.filter((r) => r.phase === phase);
      const legacy503 = inPhase.filter((r) => r.kind === 'legacy' && r.status === 503);
      const provider = inPhase.filter((r) => r.kind === 'provider');
      return `${phase}: ${inPhase.length} requests, legacy 503 ${legacy503.length} (max ${Math.max(0, ...legacy503.map((r) => r.ms)).toFixed(0)} ms), provider max ${Math.max(0, ...provider.map((r) => r.ms)).toFixed(0)} ms`;
    });
    console.log(
      `[store faults] sent ${sent.length}, dropped ${recorder.dropped}, reported ${reported}; ${byPhase.join('; ')}`,
    );
  });
});
