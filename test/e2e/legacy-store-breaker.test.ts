/**
 * The legacy store's Redis stops mid-traffic. The store is connect-redis on a node-redis client with
 * its defaults (offline queue on, reconnecting forever), the setting that made every request with a legacy
 * cookie wait `legacy.timeoutMs` before its 503. With the circuit breaker, after `failureThreshold` such
 * timeouts the 503 comes at once; provider tokens never wait; when Redis is back and the cool-down has passed,
 * one request probes and legacy sessions work again in the same app.
 *
 * Everything is real: a private redis-server started and stopped by the test, express-session's login writing
 * the sessions, a JWKS server for the provider tokens, HTTP through supertest.
 */
import { performance } from 'node:perf_hooks';
import { RedisStore } from 'connect-redis';
import express from 'express';
import { createClient } from 'redis';
import request from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type SessionBridge, sessionBridge } from '../../src/index.js';
import { buildApp } from '../helpers/apps.js';
import { authFrom, expectBridgeError, type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { createLegacyLogin, destroySession, type LegacySession } from '../helpers/legacy.js';
import { describeWithRedisServer, type RedisServer, startRedisServer, testPrefix } from '../helpers/redis.js';

const SECRET = 'breaker-e2e-secret';
const TIMEOUT_MS = 1500;
const THRESHOLD = 3;
const COOL_DOWN_MS = 3000;
/** What "at once" means here: far below TIMEOUT_MS, with room for a loaded CI machine. */
const FAST_MS = 200;

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await work();
  return { value, ms: performance.now() - start };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeWithRedisServer('a legacy store whose Redis stops and comes back, behind the circuit breaker', () => {
  const prefix = testPrefix('legacy-breaker');
  let server: RedisServer;
  let client: ReturnType<typeof createClient>;
  let provider: ProviderFixture;
  let bridge: SessionBridge;
  let app: express.Express;
  let alice: LegacySession;
  let token: string;
  const debug: string[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
    // node-redis defaults: commands wait in the offline queue while the client reconnects.
    client = createClient({ url: server.url });
    client.on('error', () => {});
    await client.connect();
    const store = new RedisStore({ client, prefix });
    alice = await createLegacyLogin({ store, secret: SECRET }).login('alice');
    provider = await startProvider();
    token = await provider.mint({ sub: 'bob' });
    bridge = sessionBridge({
      legacy: {
        store,
        secret: SECRET,
        timeoutMs: TIMEOUT_MS,
        breaker: { failureThreshold: THRESHOLD, coolDownMs: COOL_DOWN_MS },
      },
      provider: provider.options(),
      stats: false,
      debug: (message) => debug.push(message),
    });
    app = buildApp(express, bridge);
  });

  afterAll(async () => {
    if (client?.isOpen) client.destroy();
    await server?.stop();
    await provider?.server.close();
  });

  // Guarded: app.use(bridge) only decides; requireUser() answers the 503. `/whoami` for an optional route.
  const legacy = (cookie = alice.cookie, path = '/me') =>
    timed(() => request(app).get(path).set('Cookie', cookie));
  const bearer = () => timed(() => request(app).get('/me').set('Authorization', `Bearer ${token}`));

  it('reads legacy sessions and provider tokens while Redis is up; a destroyed session does not count as a failure', async () => {
    const store = new RedisStore({ client, prefix });
    const gone = await createLegacyLogin({ store, secret: SECRET }).login('gone');
    await destroySession(store, gone.sid);
    for (let i = 0; i < THRESHOLD + 2; i++)
      expect(authFrom((await legacy(gone.cookie, '/whoami')).value)).toBeNull();
    expect(authFrom((await legacy()).value)).toMatchObject({ userId: 'alice', kind: 'legacy' });
    expect(authFrom((await bearer()).value)).toMatchObject({ userId: 'bob', kind: 'provider' });
  });

  let saved: { value: string; ttlMs: number };

  it('answers 503 at once once the circuit is open while Redis is down, and provider tokens keep working', async () => {
    const key = `${prefix}${alice.sid}`;
    saved = { value: (await client.get(key))!, ttlMs: await client.pTTL(key) };
    expect(saved.value).toContain('alice');
    await server.stop();
    for (let i = 0; i < 100 && client.isReady; i++) await sleep(20);
    expect(client.isReady, 'the client saw the server gone').toBe(false);

    // The first THRESHOLD requests wait for legacy.timeoutMs: the client queues the GET and never sends it.
    const waiting = await Promise.all(Array.from({ length: THRESHOLD }, () => legacy()));
    for (const { value, ms } of waiting) {
      expectBridgeError(value, 503, 'ERR_BRIDGE_LEGACY_UNAVAILABLE');
      expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    }
    expect(debug).toContain('legacy store failed repeatedly: circuit open, 503 at once for the cool-down');

    // Circuit open: every further request with the legacy cookie is refused without asking the store.
    const refused: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { value, ms } = await legacy();
      expectBridgeError(value, 503, 'ERR_BRIDGE_LEGACY_UNAVAILABLE');
      const retryAfter = Number(value.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(COOL_DOWN_MS / 1000);
      refused.push(ms);
    }
    expect(Math.max(...refused)).toBeLessThan(FAST_MS);

    // Provider tokens never touch the legacy store; a request with both credentials is decided by the token
    // and, with the circuit open, no longer waits for the store either.
    for (let i = 0; i < 5; i++) {
      const { value, ms } = await bearer();
      expect(authFrom(value)).toMatchObject({ userId: 'bob', kind: 'provider' });
      expect(ms).toBeLessThan(FAST_MS);
    }
    const both = await timed(() =>
      request(app).get('/whoami').set('Cookie', alice.cookie).set('Authorization', `Bearer ${token}`),
    );
    expect(authFrom(both.value)).toMatchObject({ userId: 'bob', kind: 'provider' });
    expect(both.ms).toBeLessThan(FAST_MS);

    const waited = waiting.map((w) => w.ms);
    console.log(
      `[legacy breaker] 503 while the circuit was closed: median ${median(waited).toFixed(0)} ms ` +
        `(timeoutMs ${TIMEOUT_MS}); with the circuit open: median ${median(refused).toFixed(1)} ms, ` +
        `max ${Math.max(...refused).toFixed(1)} ms (n=${refused.length})`,
    );
  });

  it('probes the store after the cool-down once Redis is back, and reads legacy sessions again in the same app', async () => {
    await server.start(); // empty: no persistence, so put the session back as a persistent Redis would have kept it
    for (let i = 0; i < 100 && !client.isReady; i++) await sleep(50);
    expect(client.isReady).toBe(true);
    await client.set(`${prefix}${alice.sid}`, saved.value, { PX: saved.ttlMs });

    // Until the cool-down ends the circuit stays open (503 at once), then the first request probes and succeeds.
    let recovered: Awaited<ReturnType<typeof legacy>> | undefined;
    const deadline = performance.now() + COOL_DOWN_MS + TIMEOUT_MS + 2000;
    while (performance.now() < deadline) {
      const attempt = await legacy();
      if (attempt.value.status === 200) {
        recovered = attempt;
        break;
      }
      expectBridgeError(attempt.value, 503, 'ERR_BRIDGE_LEGACY_UNAVAILABLE');
      expect(attempt.ms).toBeLessThan(FAST_MS);
      await sleep(100);
    }
    expect(recovered, 'a legacy request succeeded after the cool-down').toBeDefined();
    expect(authFrom(recovered!.value)).toMatchObject({ userId: 'alice', kind: 'legacy' });
    expect(debug).toContain('legacy store answered again: circuit closed');
    for (let i = 0; i < 5; i++) {
      expect(authFrom((await legacy()).value)).toMatchObject({ userId: 'alice', kind: 'legacy' });
    }
    expect(authFrom((await bearer()).value)).toMatchObject({ userId: 'bob', kind: 'provider' });
  });
});
