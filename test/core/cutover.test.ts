import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseOptions } from '../../src/options.js';
import { inCohort } from '../../src/resolve/cutover.js';
import { memoryStats } from '../../src/stats/memory/store.js';
import type { BridgeOptions } from '../../src/types.js';
import { buildApp, eventRecorder, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError, type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { createLegacyLogin, type LegacyLogin, memoryStore } from '../helpers/legacy.js';

const SECRET = 'legacy-secret';

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

    it('needs cutover.key with legacy.resolve, also at run time', () => {
      const bridge = makeBridge({ legacy: { resolve: () => null } });
      expect(() => bridge.configure({ cutover: { percent: 10 } })).toThrow(/`cutover.key` is required/);
      expect(bridge.mode).toBe('bridge');
      bridge.configure({ cutover: { percent: 10, key: 'a-shared-key' } });
      bridge.configure({ cutover: { percent: 20 } }); // the key is kept
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
