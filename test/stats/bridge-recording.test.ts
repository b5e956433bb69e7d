import type { RequestHandler } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryStats, type StatsStore, sessionBridge } from '../../src/index.js';
import type { StatsEvent, StatsQuery, StatsSnapshot } from '../../src/stats-store.js';
import { expressVersions } from '../helpers/express-versions.js';
import { AUDIENCE, type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { createLegacyLogin, memoryStore } from '../helpers/legacy.js';
import { nowSeconds } from '../helpers/tokens.js';

const SECRET = 'legacy-secret';
const COOKIE = 'provider_jwt';

/** A real memory store that also tells how many record() calls were made and can be made to hang. */
class WatchedStore implements StatsStore {
  readonly inner = memoryStats();
  calls = 0;
  hang = false;
  record(events: readonly StatsEvent[]): Promise<void> | void {
    this.calls++;
    if (this.hang) return new Promise<void>(() => {});
    return this.inner.record(events);
  }
  query(query: StatsQuery): Promise<StatsSnapshot> | StatsSnapshot {
    return this.inner.query(query);
  }
}

describe.each(expressVersions)('%s: how the bridge records stats', (_name, express) => {
  let provider: ProviderFixture;
  const store = memoryStore();
  const login = createLegacyLogin({ store, secret: SECRET });

  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(async () => {
    await provider.server.close();
  });

  function app(stats: StatsStore, recorder: { flushIntervalMs?: number; flushTimeoutMs?: number } = {}) {
    const bridge = sessionBridge({
      legacy: { store, secret: SECRET },
      provider: provider.options({ cookieName: COOKIE }),
      stats,
      recorder,
    });
    const server = express();
    server.use(bridge as unknown as RequestHandler);
    server.get('/', (req, res) => {
      res.json({ userId: (req as unknown as { auth?: { userId: string } }).auth?.userId ?? null });
    });
    return { server, bridge };
  }

  it('never calls the stats store while answering requests: the store is only written by the recorder', async () => {
    const watched = new WatchedStore();
    const { server, bridge } = app(watched, { flushIntervalMs: 3_600_000 });
    const { cookie } = await login.login('u-1');
    for (let i = 0; i < 50; i++) {
      expect((await request(server).get('/').set('Cookie', cookie)).body).toEqual({ userId: 'u-1' });
    }
    expect(watched.calls).toBe(0);
    await bridge.flushStats();
    expect(watched.calls).toBe(1);
    expect((await bridge.report()).totals.requests.legacy).toBe(50);
    await bridge.close();
  });

  it('answers every request while the stats store hangs on its first call', async () => {
    const watched = new WatchedStore();
    watched.hang = true;
    const { server } = app(watched, { flushIntervalMs: 5, flushTimeoutMs: 600_000 });
    const { cookie } = await login.login('u-2');
    for (let i = 0; i < 100; i++) {
      expect((await request(server).get('/').set('Cookie', cookie)).status).toBe(200);
    }
    for (let i = 0; i < 100 && watched.calls === 0; i++) await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 20; i++) {
      expect((await request(server).get('/').set('Cookie', cookie)).status).toBe(200);
    }
    // The recorder tried the store once and is still waiting on that call; the requests never waited.
    expect(watched.calls).toBe(1);
  });

  it('counts a request let in by the legacy session as legacy even when it carried an expired provider cookie', async () => {
    const stats = memoryStats();
    const { server, bridge } = app(stats);
    const { cookie } = await login.login('u-3');
    const expired = await provider.mint({
      sub: 'u-3',
      aud: AUDIENCE,
      exp: nowSeconds() - 3600,
      iat: nowSeconds() - 7200,
    });
    const res = await request(server).get('/').set('Cookie', `${cookie}; ${COOKIE}=${expired}`);
    expect(res.body).toEqual({ userId: 'u-3' });
    await bridge.flushStats();
    const report = await bridge.report();
    expect(report.totals.requests).toMatchObject({ legacy: 1, provider: 0, rejected: 0 });
    expect(report.totals.users).toMatchObject({ legacy: 1, provider: 0, legacyOnly: 1 });
    await bridge.close();
  });
});
