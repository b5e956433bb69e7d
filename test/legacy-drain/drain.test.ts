import type { Store } from 'express-session';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type LegacyStoreOptions, type SessionBridge, sessionBridge } from '../../src/index.js';
import { expressVersions } from '../helpers/express-versions.js';
import { memoryStore, setSession, signedCookie } from '../helpers/legacy.js';
import { countWrites, EXPECTED_SCAN, SCAN_AT, SECRET, writeKnownSessions } from '../helpers/legacy-drain.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { STATS_PATH } from '../helpers/stats-app.js';

const bridges: SessionBridge[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(bridges.splice(0).map((b) => b.close()));
});

function drainBridge(legacy: Partial<LegacyStoreOptions> & Pick<LegacyStoreOptions, 'store'>, stats = false) {
  const bridge = sessionBridge({
    legacy: { secret: SECRET, drain: true, ...legacy },
    now: () => SCAN_AT,
    ...(stats ? {} : { stats: false as const }),
  });
  bridges.push(bridge);
  return bridge;
}

/** Express-session stores as plain objects, for the other ways of listing. */
function callbackStore(members: Record<string, unknown>): Store {
  return members as unknown as Store;
}

async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('legacy.drain on express-session stores', () => {
  it('counts live, logged-in and distinct users, the latest expiry and expiries per day (MemoryStore)', async () => {
    const store = memoryStore();
    await writeKnownSessions(store);
    const bridge = drainBridge({ store });
    expect(await bridge.scanLegacyStore()).toEqual({ ...EXPECTED_SCAN, durationMs: expect.any(Number) });
  });

  it('never writes: no set, touch, destroy or clear, and the expired sessions stay in the MemoryStore', async () => {
    const store = memoryStore();
    const sids = await writeKnownSessions(store);
    const before = { ...(store as unknown as { sessions: Record<string, string> }).sessions };
    const writes = countWrites(store);
    const get = vi.spyOn(store, 'get');
    const all = vi.spyOn(store, 'all');
    await drainBridge({ store }).scanLegacyStore();
    expect(writes()).toBe(0);
    // MemoryStore's own all() and get() delete the expired sessions they meet: the scan reads its table instead.
    expect(all).not.toHaveBeenCalled();
    expect(get).not.toHaveBeenCalled();
    expect((store as unknown as { sessions: Record<string, string> }).sessions).toEqual(before);
    expect(Object.keys(before).sort()).toEqual([...sids].sort());
  });

  it.each([
    [
      'all(cb) answering an object by id',
      (mem: Store) => callbackStore({ get: mem.get.bind(mem), all: (cb: unknown) => mem.all?.(cb as never) }),
    ],
    [
      'all(cb) answering an array',
      (mem: Store) =>
        callbackStore({
          get: mem.get.bind(mem),
          all: (cb: (err: unknown, list?: unknown[]) => void) =>
            mem.all?.((err, sessions) => cb(err, Object.values(sessions ?? {}))),
        }),
    ],
    [
      'ids(cb) and get',
      (mem: Store) =>
        callbackStore({
          get: mem.get.bind(mem),
          ids: (cb: (err: unknown, ids?: string[]) => void) =>
            cb(null, Object.keys((mem as unknown as { sessions: object }).sessions)),
        }),
    ],
  ])('counts the same sessions through %s', async (_name, wrap) => {
    const mem = memoryStore();
    await writeKnownSessions(mem);
    const store = wrap(mem);
    const writes = countWrites(mem);
    expect(await drainBridge({ store }).scanLegacyStore()).toEqual({
      ...EXPECTED_SCAN,
      durationMs: expect.any(Number),
    });
    expect(writes()).toBe(0);
  });

  it('says so when the store cannot list its sessions', async () => {
    const mem = memoryStore();
    const store = callbackStore({
      get: mem.get.bind(mem),
      length: (cb: (e: null, n: number) => void) => cb(null, 0),
    });
    const result = await drainBridge({ store }).scanLegacyStore();
    expect(result).toEqual({
      supported: false,
      scannedAt: new Date(SCAN_AT).toISOString(),
      reason: expect.stringContaining('neither `all(callback)` nor `ids(callback)`'),
    });
    expect(result.supported === false && result.reason).toContain('It has `length`');
  });

  it('reports a logged-in session without cookie.expires: latestExpiry is null and it is counted', async () => {
    const store = memoryStore();
    await writeKnownSessions(store);
    await setSession(store, 'no-expiry', {
      cookie: { originalMaxAge: null, expires: null, httpOnly: true, path: '/' },
      userId: 'u6',
    });
    const result = await drainBridge({ store }).scanLegacyStore();
    expect(result).toMatchObject({
      sessions: 8,
      loggedIn: 7,
      users: 5,
      latestExpiry: null,
      sessionsWithoutExpiry: 1,
      expiringByDay: EXPECTED_SCAN.expiringByDay,
    });
  });

  it('counts expiries more than ten years out apart from expiringByDay, and unparseable sessions as unreadable', async () => {
    const store = memoryStore();
    const far = '2045-06-01T00:00:00.000Z';
    await setSession(store, 'far', { cookie: { expires: far, originalMaxAge: 1, path: '/' }, userId: 'far' });
    (store as unknown as { sessions: Record<string, string> }).sessions.broken = '{not json';
    const result = await drainBridge({ store }).scanLegacyStore();
    expect(result).toMatchObject({
      sessions: 1,
      loggedIn: 1,
      users: 1,
      latestExpiry: far,
      expiringByDay: [],
      expiringLater: 1,
      unreadable: 1,
    });
  });

  it('uses the configured legacy.userId, async included; one that throws makes its session unreadable', async () => {
    const store = memoryStore();
    await writeKnownSessions(store);
    await setSession(store, 'odd', { cookie: { expires: null }, account: 'boom' });
    const userId = async (session: Record<string, unknown>) => {
      if (session.account === 'boom') throw new Error('cannot read this one');
      // Every logged-in user of the population becomes one account.
      return session.userId !== undefined || session.passport !== undefined ? 'acct-1' : null;
    };
    const result = await drainBridge({ store, userId }).scanLegacyStore();
    expect(result).toMatchObject({ sessions: 7, loggedIn: 6, users: 1, unreadable: 1 });
  });

  it('shares one running scan between concurrent calls', async () => {
    const mem = memoryStore();
    await writeKnownSessions(mem);
    const all = vi.fn((cb: (err: unknown, sessions?: unknown) => void) => mem.all?.(cb as never));
    const bridge = drainBridge({ store: callbackStore({ get: mem.get.bind(mem), all }) });
    const [a, b] = await Promise.all([bridge.scanLegacyStore(), bridge.scanLegacyStore()]);
    expect(a).toBe(b);
    expect(all).toHaveBeenCalledTimes(1);
    await bridge.scanLegacyStore();
    expect(all).toHaveBeenCalledTimes(2);
  });

  it('keeps the previous result and records lastError, without URL credentials, when a scan fails', async () => {
    const mem = memoryStore();
    await writeKnownSessions(mem);
    let fail = false;
    const all = (cb: (err: unknown, sessions?: unknown) => void) =>
      fail ? cb(new Error('connect ECONNREFUSED redis://app:hunter2@10.0.0.7:6379')) : mem.all?.(cb as never);
    const bridge = drainBridge({ store: callbackStore({ get: mem.get.bind(mem), all }) }, true);
    const first = await bridge.scanLegacyStore();
    fail = true;
    await expect(bridge.scanLegacyStore()).rejects.toMatchObject({ code: 'ERR_BRIDGE_LEGACY_UNAVAILABLE' });
    const { legacyStore } = await bridge.report();
    expect(legacyStore).toEqual({
      scan: first,
      lastError: {
        message: 'connect ECONNREFUSED redis://***@10.0.0.7:6379',
        at: new Date(SCAN_AT).toISOString(),
      },
    });
    fail = false;
    await bridge.scanLegacyStore();
    expect((await bridge.report()).legacyStore?.lastError).toBeNull();
  });

  it('abandons a store call slower than drain.timeoutMs', async () => {
    const store = callbackStore({ get: () => {}, all: () => {} });
    const bridge = drainBridge({ store, drain: { timeoutMs: 30 } }, true);
    await expect(bridge.scanLegacyStore()).rejects.toMatchObject({ code: 'ERR_BRIDGE_LEGACY_UNAVAILABLE' });
    expect((await bridge.report()).legacyStore).toEqual({
      scan: null,
      lastError: { message: "the legacy store's all did not answer within 30 ms", at: expect.any(String) },
    });
  });

  it('runs the first scan 5 s after start, then every intervalMs; close() stops the timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const all = vi.fn((cb: (err: unknown, sessions?: unknown) => void) => cb(null, []));
    const bridge = drainBridge({
      store: callbackStore({ get: () => {}, all }),
      drain: { intervalMs: 60_000 },
    });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(all).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    await turns();
    expect(all).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(59_999);
    expect(all).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    await turns();
    expect(all).toHaveBeenCalledTimes(2);
    await bridge.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(600_000);
    await turns();
    expect(all).toHaveBeenCalledTimes(2);
    await expect(bridge.scanLegacyStore()).rejects.toThrow(TypeError);
  });

  it('never makes a request wait for a scan: a legacy session is read while the scan hangs', async () => {
    const mem = memoryStore();
    const sids = await writeKnownSessions(mem);
    // `all` never answers: the scan hangs in it until drain.timeoutMs.
    const store = callbackStore({ get: mem.get.bind(mem), all: () => {} });
    const bridge = sessionBridge({
      legacy: { store, secret: SECRET, drain: { timeoutMs: 10_000 } },
      now: () => SCAN_AT,
      stats: false,
    });
    bridges.push(bridge);
    const scan = bridge.scanLegacyStore().catch((error: unknown) => error);
    const [, express] = expressVersions[1]!;
    const app = express();
    app.use(bridge as never);
    app.get('/whoami', (req, res) => res.json((req as { auth?: unknown }).auth ?? null));
    const res = await request(app).get('/whoami').set('Cookie', signedCookie(sids[0]!, SECRET)).expect(200);
    expect(res.body).toMatchObject({ userId: 'u1', kind: 'legacy' });
    // close() stops the hung scan at once.
    await bridge.close();
    expect(await scan).toMatchObject({ code: 'ERR_BRIDGE_LEGACY_UNAVAILABLE' });
  });
});

describe('legacy.drain options', () => {
  const store = memoryStore();

  it('refuses drain next to legacy.resolve, saying why', () => {
    expect(() => sessionBridge({ legacy: { resolve: () => null, drain: true } as never })).toThrow(
      /`legacy\.drain` needs `legacy\.store`: a custom `legacy\.resolve` has no session store to list/,
    );
  });

  it.each([
    [{ intervalMs: 10 }, /legacy\.drain\.intervalMs` must be a whole number from 1000/],
    [{ timeoutMs: 0 }, /legacy\.drain\.timeoutMs` must be a positive whole number/],
    [{ every: 5 }, /unknown option `legacy\.drain\.every`/],
    ['yes', /`legacy\.drain` must be `true` or an object/],
  ])('refuses drain %j', (drain, message) => {
    expect(() => sessionBridge({ legacy: { store, secret: SECRET, drain: drain as never } })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) }),
    );
  });

  it('rejects scanLegacyStore() with a TypeError when drain is off, and the report has no section', async () => {
    const bridge = sessionBridge({ legacy: { store, secret: SECRET } });
    bridges.push(bridge);
    await expect(bridge.scanLegacyStore()).rejects.toThrow(/needs `legacy\.drain`/);
    expect((await bridge.report()).legacyStore).toBeNull();
  });
});

describe('the legacyStore section of the report, dashboard and metrics', () => {
  async function scannedBridge() {
    const store = memoryStore();
    await writeKnownSessions(store);
    const bridge = sessionBridge({
      legacy: {
        store,
        secret: SECRET,
        drain: true,
        userId: (s) => (s.userId ?? (s.passport as { user?: string })?.user) as string,
      },
      now: () => SCAN_AT,
    });
    bridges.push(bridge);
    return bridge;
  }

  function statsApp(bridge: SessionBridge) {
    const [, express] = expressVersions[1]!;
    const app = express();
    app.get(STATS_PATH, bridge.statsHandler({ public: true }) as never);
    return app;
  }

  it('is "not scanned yet" before the first scan, then holds the last scan', async () => {
    const bridge = await scannedBridge();
    expect((await bridge.report()).legacyStore).toEqual({ scan: null, lastError: null });
    const html = (await request(statsApp(bridge)).get(`${STATS_PATH}?format=html`).expect(200)).text;
    expect(html).toContain('The legacy store has not been scanned yet.');
    const scan = await bridge.scanLegacyStore();
    expect((await bridge.report()).legacyStore).toEqual({ scan, lastError: null });
    const json = (await request(statsApp(bridge)).get(`${STATS_PATH}?format=json`).expect(200)).body;
    expect(json.legacyStore).toEqual({
      scan: { ...EXPECTED_SCAN, durationMs: scan.supported && scan.durationMs },
      lastError: null,
    });
  });

  it('tells on the dashboard how many users a cutover affects now and by when they all expire', async () => {
    const bridge = await scannedBridge();
    await bridge.scanLegacyStore();
    const html = (await request(statsApp(bridge)).get(`${STATS_PATH}?format=html`).expect(200)).text;
    expect(html).toContain(
      'If you cut over now, at most 4 users with a still-valid legacy session are affected; all of them expire by 2030-01-20 12:00 UTC.',
    );
    expect(html).toContain(
      'id="legacy-store-scanned">2030-01-10 14:00 UTC (less than a second before this report)<',
    );
    expect(html).toContain('<th scope="row">2030-01-13</th><td>2</td>');
  });

  it('exports the live and logged-in sessions, the users and the latest expiry to Prometheus', async () => {
    const bridge = await scannedBridge();
    const before = parsePrometheusText(
      (await request(statsApp(bridge)).get(`${STATS_PATH}?format=prometheus`).expect(200)).text,
    );
    expect(before.has('session_bridge_legacy_store_users')).toBe(false);
    await bridge.scanLegacyStore();
    const families = parsePrometheusText(
      (await request(statsApp(bridge)).get(`${STATS_PATH}?format=prometheus`).expect(200)).text,
    );
    expect(families.get('session_bridge_legacy_store_sessions')?.samples).toEqual([
      { labels: { state: 'live' }, value: 7 },
      { labels: { state: 'logged_in' }, value: 6 },
    ]);
    expect(families.get('session_bridge_legacy_store_users')?.samples).toEqual([{ labels: {}, value: 4 }]);
    expect(families.get('session_bridge_legacy_store_latest_expiry_seconds')?.samples).toEqual([
      { labels: {}, value: Date.parse('2030-01-20T12:00:00Z') / 1000 },
    ]);
  });

  it('shows on the dashboard that the store cannot list its sessions', async () => {
    const bridge = sessionBridge({
      legacy: { store: callbackStore({ get: () => {} }), secret: SECRET, drain: true },
      now: () => SCAN_AT,
    });
    bridges.push(bridge);
    await bridge.scanLegacyStore();
    const html = (await request(statsApp(bridge)).get(`${STATS_PATH}?format=html`).expect(200)).text;
    expect(html).toContain('The legacy store cannot list its sessions: the legacy store has neither');
  });
});
