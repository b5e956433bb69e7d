/**
 * The circuit breaker around the legacy store and `legacy.resolve`, on the bridge's clock.
 * `legacy.resolve` is the app's own function (no stand-in for a store): it fails, hangs or answers as a legacy
 * login system would. The store side with a real Redis that goes down is test/e2e/legacy-store-breaker.test.ts.
 */
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  type BridgeOptions,
  type LegacyIdentity,
  type LegacyResolverOptions,
  sessionBridge,
} from '../../src/index.js';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { authFrom, expectBridgeError } from '../helpers/fixtures.js';
import { createLegacyLogin, destroySession, memoryStore } from '../helpers/legacy.js';

const SECRET = 'breaker-secret';

/** A legacy login system behind `legacy.resolve`: up (answers a user), down (throws) or hung (never answers). */
function legacySystem() {
  const system = {
    state: 'up' as 'up' | 'down' | 'hung',
    calls: 0,
    resolve: (): LegacyIdentity | Promise<LegacyIdentity> => {
      system.calls++;
      if (system.state === 'down') throw new Error('legacy login database is down');
      if (system.state === 'hung') return new Promise<never>(() => {});
      return { userId: 'legacy-user' };
    },
  };
  return system;
}

function subject(breaker?: LegacyResolverOptions['breaker'], timeoutMs = 200) {
  const clock = { t: 1_700_000_000_000 };
  const system = legacySystem();
  const bridge = makeBridge({
    legacy: { resolve: system.resolve, timeoutMs, ...(breaker === undefined ? {} : { breaker }) },
    now: () => clock.t,
  });
  return { app: buildApp(express, bridge), clock, system };
}

const whoami = (app: express.Express) => request(app).get('/me');

async function expectOpen(app: express.Express, retryAfter: string): Promise<void> {
  const res = await whoami(app);
  expectBridgeError(res, 503, 'ERR_BRIDGE_RESOLVER_UNAVAILABLE');
  expect(res.headers['retry-after']).toBe(retryAfter);
}

describe('the circuit breaker around legacy.resolve', () => {
  it('opens after failureThreshold consecutive failures and then answers 503 without calling the resolver', async () => {
    const { app, clock, system } = subject({ failureThreshold: 3, coolDownMs: 10_000 });
    system.state = 'down';
    for (let i = 0; i < 3; i++) expectBridgeError(await whoami(app), 503, 'ERR_BRIDGE_RESOLVER_UNAVAILABLE');
    expect(system.calls).toBe(3);

    await expectOpen(app, '10');
    clock.t += 4_000;
    await expectOpen(app, '6');
    clock.t += 5_500;
    await expectOpen(app, '1');
    expect(system.calls).toBe(3);
  });

  it('gives the failure that opens the circuit the cool-down as Retry-After', async () => {
    const { app, system } = subject({ failureThreshold: 2, coolDownMs: 30_000 });
    system.state = 'down';
    const first = await whoami(app);
    expect(first.headers['retry-after']).toBe('5'); // the bridge's default while the circuit is closed
    const opening = await whoami(app);
    expectBridgeError(opening, 503, 'ERR_BRIDGE_RESOLVER_UNAVAILABLE');
    expect(opening.headers['retry-after']).toBe('30');
  });

  it('lets one request probe after the cool-down; a successful probe closes the circuit', async () => {
    const { app, clock, system } = subject({ failureThreshold: 2, coolDownMs: 5_000 });
    system.state = 'down';
    await whoami(app);
    await whoami(app);
    system.state = 'up';
    await expectOpen(app, '5');
    expect(system.calls).toBe(2);

    clock.t += 5_000;
    expect(authFrom(await whoami(app))).toMatchObject({ userId: 'legacy-user', kind: 'legacy' });
    expect(authFrom(await whoami(app))).toMatchObject({ userId: 'legacy-user', kind: 'legacy' });
    expect(system.calls).toBe(4);
  });

  it('opens the circuit again for a whole cool-down when the probe fails', async () => {
    const { app, clock, system } = subject({ failureThreshold: 2, coolDownMs: 5_000 });
    system.state = 'down';
    await whoami(app);
    await whoami(app);
    clock.t += 5_000;
    const probe = await whoami(app);
    expectBridgeError(probe, 503, 'ERR_BRIDGE_RESOLVER_UNAVAILABLE');
    expect(probe.headers['retry-after']).toBe('5');
    expect(system.calls).toBe(3);
    await expectOpen(app, '5');
    expect(system.calls).toBe(3);
  });

  it('counts a resolver that does not answer within timeoutMs as a failure, and lets only one probe wait', async () => {
    const { app, clock, system } = subject({ failureThreshold: 2, coolDownMs: 5_000 }, 400);
    system.state = 'hung';
    await whoami(app);
    await whoami(app);
    expect(system.calls).toBe(2);

    clock.t += 5_000;
    const started = performance.now();
    // Three requests at once after the cool-down: one probes (and waits for its timeout), two are refused at once.
    const answers = await Promise.all(
      [0, 1, 2].map(async () => {
        const res = await whoami(app);
        return { status: res.status, ms: performance.now() - started };
      }),
    );
    expect(system.calls).toBe(3);
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503]);
    const times = answers.map((a) => a.ms).sort((a, b) => a - b);
    expect(times[1]).toBeLessThan(250);
    expect(times[2]).toBeGreaterThanOrEqual(395);
  });

  it('keeps calling the resolver on every request with breaker: false', async () => {
    const { app, system } = subject(false);
    system.state = 'down';
    for (let i = 0; i < 8; i++) {
      const res = await whoami(app);
      expectBridgeError(res, 503, 'ERR_BRIDGE_RESOLVER_UNAVAILABLE');
      expect(res.headers['retry-after']).toBe('5');
    }
    expect(system.calls).toBe(8);
  });

  it('keeps one breaker per bridge: another bridge on the same resolver still asks it', async () => {
    const first = subject({ failureThreshold: 1 });
    first.system.state = 'down';
    await whoami(first.app);
    await expectOpen(first.app, '10');

    const other = makeBridge({ legacy: { resolve: first.system.resolve, breaker: { failureThreshold: 1 } } });
    first.system.state = 'up';
    expect(authFrom(await whoami(buildApp(express, other)))).toMatchObject({ userId: 'legacy-user' });
    await expectOpen(first.app, '10');
  });
});

describe('the circuit breaker around the legacy store', () => {
  it('counts a session the store does not find as a success, not as a failure', async () => {
    const store = memoryStore();
    const login = createLegacyLogin({ store, secret: SECRET });
    const gone: string[] = [];
    for (let i = 0; i < 5; i++) {
      const session = await login.login(`gone-${i}`);
      await destroySession(store, session.sid);
      gone.push(session.cookie);
    }
    const { cookie } = await login.login('still-here');
    const app = buildApp(
      express,
      makeBridge({ legacy: { store, secret: SECRET, breaker: { failureThreshold: 1 } } }),
    );
    for (const dead of gone)
      expect(authFrom(await request(app).get('/whoami').set('Cookie', dead))).toBeNull();
    expect(authFrom(await whoami(app).set('Cookie', cookie))).toMatchObject({ userId: 'still-here' });
  });
});

describe('legacy.breaker options', () => {
  const store = { store: memoryStore(), secret: SECRET };
  const build = (legacy: unknown) =>
    sessionBridge({ stats: false, legacy: legacy as BridgeOptions['legacy'] });

  it('accepts false, an empty object and whole numbers, for a store and for a resolver', () => {
    for (const breaker of [false, {}, { failureThreshold: 1, coolDownMs: 1 }, { coolDownMs: 60_000 }]) {
      expect(() => build({ ...store, breaker })).not.toThrow();
      expect(() => build({ resolve: () => null, breaker })).not.toThrow();
    }
  });

  it.each([
    [{ failureThreshold: 0 }, /legacy\.breaker\.failureThreshold/],
    [{ failureThreshold: 2.5 }, /legacy\.breaker\.failureThreshold/],
    [{ coolDownMs: -1 }, /legacy\.breaker\.coolDownMs/],
    [{ coolDownMs: '10s' }, /legacy\.breaker\.coolDownMs/],
    [{ threshold: 3 }, /unknown option `legacy\.breaker\.threshold`/],
    [true, /`legacy\.breaker` must be false/],
    ['off', /`legacy\.breaker` must be false/],
    [null, /`legacy\.breaker` must be false/],
  ])('refuses breaker %j with a TypeError naming the option', (breaker, message) => {
    expect(() => build({ ...store, breaker })).toThrow(TypeError);
    expect(() => build({ ...store, breaker })).toThrow(message);
    expect(() => build({ resolve: () => null, breaker })).toThrow(message);
  });
});
