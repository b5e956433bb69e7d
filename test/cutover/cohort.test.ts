import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { type BridgeOptions, type BridgeRequest, sessionBridge } from '../../src/index.js';
import type { Bridge } from '../helpers/apps.js';
import {
  Cohort,
  type CutoverConfig,
  inCohort,
  OptionChecks,
  parseCutover,
  parseOptions,
} from '../helpers/internals.js';
import { memoryStore } from '../helpers/legacy.js';

const USERS = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
const SECRET = 'legacy-secret';

/** The ramp `sessionBridge(options)` would run with, as parsed at construction. */
function rampOf(options: BridgeOptions): CutoverConfig {
  return parseOptions({ stats: false, ...options }).initial.cutover;
}

const storeRamp = (percent: number, key?: string) =>
  rampOf({ legacy: { store: memoryStore(), secret: SECRET }, cutover: { percent, key } });

function cohortOf(ramp: CutoverConfig): string[] {
  return USERS.filter((u) => inCohort(ramp, u));
}

function share(ramp: CutoverConfig): number {
  return (cohortOf(ramp).length / USERS.length) * 100;
}

/** A bridge whose legacy login is the `x-user` header (so 10,000 users cost no session store). */
function headerBridge(cutover: BridgeOptions['cutover']): Bridge {
  return sessionBridge({
    stats: false,
    legacy: { resolve: (req) => ({ userId: String(req.headers['x-user']) }) },
    cutover,
  });
}

const res = { headersSent: false, setHeader() {}, getHeader() {} } as unknown as ServerResponse;

/** The users whose legacy login `bridge` refuses (the cohort), by calling the middleware directly. */
async function cohortThrough(bridge: Bridge): Promise<Set<string>> {
  const refused = new Set<string>();
  for (const user of USERS) {
    const req = { headers: { 'x-user': user }, method: 'GET', url: '/' } as unknown as IncomingMessage;
    await new Promise<void>((resolve, reject) =>
      bridge(req, res, (err) => (err === undefined ? resolve() : reject(err))),
    );
    if ((req as BridgeRequest).auth === undefined) refused.add(user);
  }
  return refused;
}

describe('the cutover cohort', () => {
  it('holds the share of 10,000 users within 1 point of the percent', () => {
    for (const percent of [10, 25, 50]) {
      expect(Math.abs(share(storeRamp(percent)) - percent)).toBeLessThanOrEqual(1);
      expect(Math.abs(share(storeRamp(percent, 'another-key')) - percent)).toBeLessThanOrEqual(1);
    }
  });

  it('is nobody at 0 % and everybody at 100 %', () => {
    expect(share(storeRamp(0))).toBe(0);
    expect(share(storeRamp(100))).toBe(100);
  });

  it('only adds users when the percent goes up', () => {
    const at25 = cohortOf(storeRamp(25));
    const at50 = new Set(cohortOf(storeRamp(50)));
    expect(at25.every((u) => at50.has(u))).toBe(true);
    expect(at50.size).toBeGreaterThan(at25.length);
  });

  it('places users by the key: the default key is derived from the first legacy secret', () => {
    const a = cohortOf(storeRamp(25));
    const b = cohortOf(storeRamp(25));
    expect(b).toEqual(a);
    const other = new Set(cohortOf(storeRamp(25, 'another-key')));
    // Independent placements share about a quarter of a quarter: far from all of them.
    const common = a.filter((u) => other.has(u)).length;
    expect(common).toBeLessThan(a.length * 0.4);
    const rotated = rampOf({
      legacy: { store: memoryStore(), secret: ['new-secret', SECRET] },
      cutover: { percent: 25 },
    });
    expect(cohortOf(rotated)).not.toEqual(a);
  });

  it('gives two bridge instances with the same configuration the same cohort, and keeps it when the percent rises', async () => {
    const first = headerBridge({ percent: 25, key: 'shared-key' });
    const second = headerBridge({ percent: 25, key: 'shared-key' });
    const a = await cohortThrough(first);
    const b = await cohortThrough(second);
    expect([...b]).toEqual([...a]);
    expect(Math.abs((a.size / USERS.length) * 100 - 25)).toBeLessThanOrEqual(1);

    second.configure({ cutover: { percent: 50 } }); // the key is kept
    const raised = await cohortThrough(second);
    expect([...a].every((u) => raised.has(u))).toBe(true);
    expect(Math.abs((raised.size / USERS.length) * 100 - 50)).toBeLessThanOrEqual(1);

    const otherKey = await cohortThrough(headerBridge({ percent: 25, key: 'another-key' }));
    expect([...otherKey]).not.toEqual([...a]);
  });
});

describe('Cohort', () => {
  it('answers the same place from its cache as from a fresh HMAC, also past the cache size', () => {
    const key = Buffer.from('a-key');
    const cached = new Cohort(key);
    const first = USERS.slice(0, 100).map((u) => cached.place(u));
    for (let i = 0; i < 20_000; i++) cached.place(`other-${i}`); // evicts the first users
    expect(USERS.slice(0, 100).map((u) => cached.place(u))).toEqual(first);
    expect(USERS.slice(0, 100).map((u) => new Cohort(key).place(u))).toEqual(first);
    expect(first.every((p) => p >= 0 && p < 100)).toBe(true);
  });
});

describe('parseCutover', () => {
  const check = new OptionChecks('test');
  const store = { type: 'store', secrets: [SECRET] } as never;
  const resolve = { type: 'resolve' } as never;

  it('rejects a percent that is not a finite number from 0 to 100, and unknown keys', () => {
    for (const percent of [101, -1, Number.NaN, Number.POSITIVE_INFINITY, '50', null]) {
      expect(() => parseCutover({ percent }, check, store)).toThrow(TypeError);
    }
    expect(() => parseCutover({}, check, store)).toThrow(/`cutover.percent` is required/);
    expect(() => parseCutover({ percent: 10, ratio: 1 }, check, store)).toThrow(
      /unknown option `cutover.ratio`/,
    );
    expect(() => parseCutover({ percent: 10, key: '' }, check, store)).toThrow(/cutover.key/);
    expect(() => parseCutover(10, check, store)).toThrow(TypeError);
    expect(parseCutover({ percent: 12.5 }, check, store).percent).toBe(12.5);
  });

  it('requires a key with legacy.resolve once the percent is above 0, and says so', () => {
    expect(parseCutover(undefined, check, resolve)).toEqual({ percent: 0, cohort: undefined });
    expect(parseCutover({ percent: 0 }, check, resolve).percent).toBe(0);
    expect(() => parseCutover({ percent: 10 }, check, resolve)).toThrow(
      /`cutover.key` is required when `cutover.percent` is above 0 with `legacy.resolve`/,
    );
    expect(parseCutover({ percent: 10, key: 'k' }, check, resolve).cohort).toBeDefined();
    expect(() =>
      sessionBridge({ stats: false, legacy: { resolve: () => null }, cutover: { percent: 5 } }),
    ).toThrow(TypeError);
  });

  it('is the check sessionBridge() runs at construction', () => {
    const legacy = { store: memoryStore(), secret: SECRET };
    for (const cutover of [
      { percent: 101 },
      { percent: Number.NaN },
      { percent: '50' },
      { percent: 1, x: 1 },
    ]) {
      expect(() => sessionBridge({ stats: false, legacy, cutover: cutover as never })).toThrow(
        /^sessionBridge: .*cutover\./,
      );
    }
    expect(() =>
      sessionBridge({ stats: false, legacy, cutover: { percent: 0 }, mode: 'provider-only' }),
    ).not.toThrow();
  });
});
