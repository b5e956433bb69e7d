import { Registry } from 'prom-client';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type BridgeOptions, memoryStats } from '../../src/index.js';
import { buildApp, eventRecorder, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError, type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { inCohort, parseOptions } from '../helpers/internals.js';
import { createLegacyLogin, type LegacyLogin, memoryStore } from '../helpers/legacy.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';

const SECRET = 'legacy-secret';
const T0 = Date.UTC(2025, 5, 2, 9, 0);

/** The first candidate user id inside (or outside) the cohort of `percent` under the default key. */
function userAt(percent: number, inside: boolean): string {
  const ramp = parseOptions({
    stats: false,
    legacy: { store: memoryStore(), secret: SECRET },
    cutover: { percent },
  }).initial.cutover;
  for (let i = 0; i < 1000; i++) {
    if (inCohort(ramp, `user-${i}`) === inside) return `user-${i}`;
  }
  throw new Error('no such user among 1000 candidates');
}

describe.each(expressVersions)('%s: ramped cutover and bridge.configure()', (_name, express) => {
  let provider: ProviderFixture;
  let store: ReturnType<typeof memoryStore>;
  let legacy: LegacyLogin;
  const inside = userAt(50, true);
  const outside = userAt(50, false);

  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(async () => {
    await provider.server.close();
  });
  beforeEach(() => {
    store = memoryStore();
    legacy = createLegacyLogin({ store, secret: SECRET });
  });

  function subject(extra: BridgeOptions = {}) {
    const recorder = eventRecorder();
    const bridge = makeBridge({
      legacy: { store, secret: SECRET },
      provider: provider.options(),
      onEvent: recorder.onEvent,
      ...extra,
    });
    return { bridge, app: buildApp(express, bridge), recorder };
  }

  const me = (app: ReturnType<typeof subject>['app'], cookie: string) =>
    request(app).get('/me').set('Cookie', cookie);

  describe('cutover.percent', () => {
    it('answers a legacy user in the cohort 401 ERR_BRIDGE_LEGACY_DISABLED with the hint, and lets one outside in', async () => {
      const { app, recorder } = subject({ cutover: { percent: 50 } });
      const inCohortSession = await legacy.login(inside);
      const outsideSession = await legacy.login(outside);
      const body = expectBridgeError(
        await me(app, inCohortSession.cookie),
        401,
        'ERR_BRIDGE_LEGACY_DISABLED',
      );
      expect(body.hint).toBe('provider_login_required');
      expect(authFrom(await me(app, outsideSession.cookie))).toMatchObject({
        userId: outside,
        kind: 'legacy',
      });
      // On every request, not only the first.
      expectBridgeError(await me(app, inCohortSession.cookie), 401, 'ERR_BRIDGE_LEGACY_DISABLED');
      const [refused] = await recorder.waitFor(3);
      expect(refused).toMatchObject({
        mode: 'bridge',
        outcome: 'anonymous',
        code: 'ERR_BRIDGE_LEGACY_DISABLED',
        legacyUserId: inside,
      });
    });

    it('records a refused cohort user with the stats outcome `disabled`, like provider-only mode', async () => {
      const { bridge, app } = subject({ cutover: { percent: 50 }, stats: memoryStats() });
      const { cookie } = await legacy.login(inside);
      await me(app, cookie).expect(401);
      await bridge.flushStats();
      const report = await bridge.report();
      expect(report.requestsByLabel).toContainEqual({ kind: 'legacy', outcome: 'disabled', count: 1 });
      expect(report.windows['1d'].users.legacy).toBe(1);
      await bridge.close();
    });

    it('in observe mode refuses nobody, and the events say what bridge mode with the ramp would decide', async () => {
      const { app, recorder } = subject({ mode: 'observe', cutover: { percent: 50 } });
      const { cookie } = await legacy.login(inside);
      expect(authFrom(await me(app, cookie))).toBeNull();
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({
        mode: 'observe',
        code: 'ERR_BRIDGE_LEGACY_DISABLED',
        legacyUserId: inside,
      });
    });

    it('leaves requests authenticated by a provider credential alone, with or without the legacy cookie', async () => {
      const { app } = subject({ cutover: { percent: 100 } });
      const token = await provider.mint({ sub: inside });
      const { cookie } = await legacy.login(inside);
      const res = await request(app).get('/me').set('Authorization', `Bearer ${token}`).set('Cookie', cookie);
      expect(authFrom(res)).toMatchObject({
        userId: inside,
        kind: 'provider',
        presented: ['legacy', 'provider'],
      });
    });

    it('takes a rollback to 0 % (or a raise) into account from the next request', async () => {
      const { bridge, app } = subject({ cutover: { percent: 50 } });
      const { cookie } = await legacy.login(inside);
      await me(app, cookie).expect(401);
      bridge.configure({ cutover: { percent: 0 } });
      expect(authFrom(await me(app, cookie))).toMatchObject({ userId: inside, kind: 'legacy' });
      bridge.configure({ cutover: { percent: 100 } });
      expectBridgeError(await me(app, cookie), 401, 'ERR_BRIDGE_LEGACY_DISABLED');
    });
  });

  describe('bridge.configure()', () => {
    it('switches the mode, with bridge.mode and the events following it', async () => {
      const { bridge, app, recorder } = subject();
      const { cookie } = await legacy.login(outside);
      expect(bridge.mode).toBe('bridge');
      bridge.configure({ mode: 'provider-only' });
      expect(bridge.mode).toBe('provider-only');
      expectBridgeError(await me(app, cookie), 401, 'ERR_BRIDGE_LEGACY_DISABLED');
      bridge.configure({ mode: 'bridge' }); // the rollback
      expect(authFrom(await me(app, cookie))).toMatchObject({ kind: 'legacy' });
      bridge.configure({ mode: 'observe' });
      expect(authFrom(await request(app).get('/auth-is-undefined').set('Cookie', cookie))).toBe(true);
      // observe: requireUser() lets everything through, as at construction.
      expect(authFrom(await request(app).get('/me'))).toBeNull();
      const events = await recorder.waitFor(4);
      expect(events.map((e) => e.mode)).toEqual(['provider-only', 'bridge', 'observe', 'observe']);
    });

    it('refuses invalid settings with a TypeError and changes nothing', async () => {
      const { bridge, app } = subject({ cutover: { percent: 50 } });
      const { cookie } = await legacy.login(inside);
      const invalid: unknown[] = [
        { cutover: { percent: 101 } },
        { cutover: { percent: Number.NaN } },
        { cutover: { percent: '50' } },
        { cutover: { percent: 10, speed: 1 } },
        { cutover: {} },
        { mode: 'cutover' },
        { mode: 'provider-only', cutover: { percent: 101 } }, // one bad part: nothing applies
        { ramp: 10 },
        'bridge',
        null,
      ];
      for (const options of invalid) {
        expect(() => bridge.configure(options as never), JSON.stringify(options)).toThrow(TypeError);
      }
      expect(() => bridge.configure({ ramp: 10 } as never)).toThrow(
        /bridge.configure: unknown option `ramp`/,
      );
      expect(() => bridge.configure({ cutover: { percent: 101 } })).toThrow(
        /bridge.configure: `cutover.percent` must be a number from 0 to 100 \(got 101\)/,
      );
      expect(bridge.mode).toBe('bridge');
      expectBridgeError(await me(app, cookie), 401, 'ERR_BRIDGE_LEGACY_DISABLED');
      const other = await legacy.login(outside);
      expect(authFrom(await me(app, other.cookie))).toMatchObject({ userId: outside });
    });

    it('keeps every change with the time of the bridge clock, in the report', async () => {
      let clock = T0;
      const { bridge } = subject({ now: () => clock, stats: memoryStats(), cutover: { percent: 10 } });
      clock += 60_000;
      bridge.configure({ cutover: { percent: 25 } });
      clock += 60_000;
      bridge.configure({ cutover: { percent: 25 } }); // no change: not kept
      bridge.configure({ mode: 'provider-only' });
      clock += 60_000;
      expect(() => bridge.configure({ cutover: { percent: -5 } })).toThrow(TypeError); // not kept either
      bridge.configure({ mode: 'bridge', cutover: { percent: 0 } });
      const report = await bridge.report();
      expect(report.mode).toBe('bridge');
      expect(report.cutover.history).toEqual([
        { at: new Date(T0).toISOString(), mode: 'bridge', percent: 10 },
        { at: new Date(T0 + 60_000).toISOString(), mode: 'bridge', percent: 25 },
        { at: new Date(T0 + 120_000).toISOString(), mode: 'provider-only', percent: 25 },
        { at: new Date(T0 + 180_000).toISOString(), mode: 'bridge', percent: 0 },
      ]);
      await bridge.close();
    });

    it('keeps the last 100 changes', async () => {
      let clock = T0;
      const { bridge } = subject({ now: () => clock, stats: memoryStats() });
      for (let i = 1; i <= 150; i++) {
        clock += 1000;
        bridge.configure({ cutover: { percent: i % 2 === 0 ? 10 : 20 } });
      }
      const { history } = (await bridge.report()).cutover;
      expect(history).toHaveLength(100);
      expect(history.at(-1)).toEqual({
        at: new Date(T0 + 150_000).toISOString(),
        mode: 'bridge',
        percent: 10,
      });
      expect(history[0]?.at).toBe(new Date(T0 + 51_000).toISOString());
      await bridge.close();
    });

    it('needs cutover.key with legacy.resolve, also at run time', () => {
      const bridge = makeBridge({ legacy: { resolve: () => null } });
      expect(() => bridge.configure({ cutover: { percent: 10 } })).toThrow(/`cutover.key` is required/);
      expect(bridge.mode).toBe('bridge');
      bridge.configure({ cutover: { percent: 10, key: 'a-shared-key' } });
      bridge.configure({ cutover: { percent: 20 } }); // the key is kept
    });
  });

  describe('Prometheus', () => {
    it('exports the current mode and percent of the instance, also while the stats store fails', async () => {
      let failing = false;
      const stats = memoryStats();
      const { bridge } = subject({
        cutover: { percent: 10 },
        stats: {
          record: (events) => stats.record(events),
          query: (query) => {
            if (failing) throw new Error('store down');
            return stats.query(query);
          },
        },
      });
      const app = express();
      app.get('/metrics', bridge.statsHandler({ public: true }) as never);
      const scrape = async () =>
        parsePrometheusText((await request(app).get('/metrics?format=prometheus')).text);

      let families = await scrape();
      expect(sampleValue(families, 'session_bridge_cutover_percent')).toBe(10);
      expect(families.get('session_bridge_mode')?.samples).toEqual([
        { labels: { mode: 'observe' }, value: 0 },
        { labels: { mode: 'bridge' }, value: 1 },
        { labels: { mode: 'provider-only' }, value: 0 },
      ]);

      bridge.configure({ mode: 'provider-only', cutover: { percent: 25 } });
      failing = true;
      families = await scrape();
      expect(sampleValue(families, 'session_bridge_stats_report_up')).toBe(0);
      expect(sampleValue(families, 'session_bridge_cutover_percent')).toBe(25);
      expect(sampleValue(families, 'session_bridge_mode', { mode: 'provider-only' })).toBe(1);
      expect(sampleValue(families, 'session_bridge_mode', { mode: 'bridge' })).toBe(0);

      const registry = new Registry();
      bridge.registerMetrics(registry, { onError: () => {} });
      const text = (await registry.metrics()).replace(/\n\n/g, '\n');
      expect(sampleValue(parsePrometheusText(text), 'session_bridge_cutover_percent')).toBe(25);
      await bridge.close();
    });
  });

  describe('nudge', () => {
    it('marks legacy-authenticated requests with Session-Bridge-Upgrade and req.auth.upgradeSuggested', async () => {
      const { app } = subject({ nudge: true });
      const { cookie } = await legacy.login(outside);
      const res = await me(app, cookie);
      expect(authFrom(res)).toMatchObject({ kind: 'legacy', upgradeSuggested: true });
      expect(res.headers['session-bridge-upgrade']).toBe('provider');
    });

    it('leaves provider-authenticated requests, and bridges without nudge, unmarked', async () => {
      const { app } = subject({ nudge: true });
      const res = await request(app)
        .get('/me')
        .set('Authorization', `Bearer ${await provider.mint({ sub: outside })}`);
      expect(authFrom(res)).not.toHaveProperty('upgradeSuggested');
      expect(res.headers['session-bridge-upgrade']).toBeUndefined();

      const { cookie } = await legacy.login(outside);
      const plain = await me(subject().app, cookie);
      expect(authFrom(plain)).not.toHaveProperty('upgradeSuggested');
      expect(plain.headers['session-bridge-upgrade']).toBeUndefined();
    });

    it('does nothing in observe mode, where req.auth is never set', async () => {
      const { app } = subject({ nudge: true, mode: 'observe' });
      const { cookie } = await legacy.login(outside);
      const res = await request(app).get('/auth-is-undefined').set('Cookie', cookie);
      expect(authFrom(res)).toBe(true);
      expect(res.headers['session-bridge-upgrade']).toBeUndefined();
    });

    it('rejects a nudge that is not a boolean', () => {
      expect(() => makeBridge({ legacy: { store, secret: SECRET }, nudge: 'yes' as never })).toThrow(
        /`nudge` must be true or false/,
      );
    });
  });
});
