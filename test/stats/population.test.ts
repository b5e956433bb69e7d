import { describe, expect, it } from 'vitest';
import type { StatsEvent, UserCounts } from '../../src/stats-store.js';
import { PASSWORD_MIGRATION_RESULTS } from '../helpers/internals.js';
import { alignedNow, DAY, scriptedPopulation } from '../helpers/population.js';

/**
 * The population helper's answers are closed-form; this checks them against a naive count over its own events
 * (per-user first/last sightings, straight from the definitions), so the store tests rest on a
 * ground truth checked two independent ways.
 */
function naiveUsers(events: readonly StatsEvent[], start: number, end: number): UserCounts {
  const users = new Map<string, { fl?: number; ll?: number; fp?: number; lp?: number }>();
  for (const e of events) {
    if (e.time > end) continue;
    if (e.legacyUserId) {
      const u = users.get(e.legacyUserId) ?? {};
      u.fl = Math.min(u.fl ?? e.time, e.time);
      u.ll = Math.max(u.ll ?? e.time, e.time);
      users.set(e.legacyUserId, u);
    }
    if (e.providerUserId) {
      const u = users.get(e.providerUserId) ?? {};
      u.fp = Math.min(u.fp ?? e.time, e.time);
      u.lp = Math.max(u.lp ?? e.time, e.time);
      users.set(e.providerUserId, u);
    }
  }
  const out: UserCounts = { legacy: 0, provider: 0, active: 0, migrated: 0, legacyOnly: 0 };
  for (const u of users.values()) {
    const legacy = u.ll !== undefined && u.ll >= start;
    const provider = u.lp !== undefined && u.lp >= start;
    if (legacy) out.legacy++;
    if (provider) out.provider++;
    if (legacy || provider) out.active++;
    if (u.fl !== undefined && u.fp !== undefined && u.fp >= start && u.fl <= u.fp) out.migrated++;
    if (legacy && u.fp === undefined) out.legacyOnly++;
  }
  return out;
}

describe('scriptedPopulation', () => {
  const cases = [
    { legacyOnly: 37, migrated: 23, providerOnly: 19, days: 40 },
    { legacyOnly: 5, migrated: 90, providerOnly: 0, days: 12 },
    { legacyOnly: 0, migrated: 1, providerOnly: 3, days: 2 },
  ];
  for (const params of cases) {
    it(`gives closed-form answers that match a naive count of its events (${JSON.stringify(params)})`, () => {
      const now = alignedNow(Date.UTC(2025, 5, 30, 9, 0));
      const { events, expected } = scriptedPopulation({ ...params, now });
      for (let i = 1; i < events.length; i++) expect(events[i]!.time).toBeGreaterThan(events[i - 1]!.time);
      expect(events.at(-1)!.time).toBeLessThanOrEqual(now);
      for (const w of [1, 2, 7, 30, params.days, 90]) {
        expect(expected.window(w).users, `window ${w}d`).toEqual(naiveUsers(events, now - w * DAY, now));
        const inWindow = events.filter((e) => e.time >= now - w * DAY);
        const ok = (kind: string) => inWindow.filter((e) => e.kind === kind && e.outcome === 'ok').length;
        expect(expected.window(w).requests.legacy).toBe(ok('legacy'));
        expect(expected.window(w).requests.provider).toBe(ok('provider'));
        expect(expected.window(w).requests.rejected).toBe(
          inWindow.filter((e) => e.outcome !== 'ok' && e.outcome !== 'anonymous').length,
        );
      }
      const legacyTimes = events.filter((e) => e.legacyUserId).map((e) => e.time);
      expect(expected.lastLegacyAt).toBe(legacyTimes.length ? Math.max(...legacyTimes) : null);
      for (const point of expected.dailySeries) {
        const inDay = events.filter((e) => e.time >= point.start && e.time < point.start + DAY);
        expect(point.legacyUsers).toBe(new Set(inDay.map((e) => e.legacyUserId).filter(Boolean)).size);
        expect(point.providerUsers).toBe(new Set(inDay.map((e) => e.providerUserId).filter(Boolean)).size);
      }
      const labelTotal = expected.requestsByLabel.reduce((sum, l) => sum + l.count, 0);
      expect(labelTotal).toBe(events.length);
    });
  }

  it('gives closed-form password migration counts that match a naive count of its password events', () => {
    const now = alignedNow(Date.UTC(2025, 5, 30, 9, 0));
    const { events, passwordEvents, allEvents, expected } = scriptedPopulation({
      legacyOnly: 3,
      migrated: 4,
      providerOnly: 2,
      days: 40,
      now,
      passwords: true,
    });
    expect(allEvents).toHaveLength(events.length + passwordEvents.length);
    for (let i = 1; i < allEvents.length; i++)
      expect(allEvents[i]!.time).toBeGreaterThan(allEvents[i - 1]!.time);
    for (const w of [1, 2, 7, 30, 40, 90]) {
      const inWindow = passwordEvents.filter((e) => e.time >= now - w * DAY);
      const counts = expected.window(w).passwordMigrations;
      for (const result of PASSWORD_MIGRATION_RESULTS) {
        expect(counts[result], `${result} in ${w}d`).toBe(inWindow.filter((e) => e.result === result).length);
      }
    }
    for (const point of expected.dailySeries) {
      const inDay = passwordEvents.filter((e) => e.time >= point.start && e.time < point.start + DAY);
      expect(point.passwordMatches).toBe(inDay.filter((e) => e.result === 'match').length);
    }
    expect(
      scriptedPopulation({ legacyOnly: 1, migrated: 1, providerOnly: 1, days: 3, now }).passwordEvents,
    ).toEqual([]);
  });

  it('refuses a now too close to the start of its hour to fit a day of events', () => {
    expect(() =>
      scriptedPopulation({
        legacyOnly: 1,
        migrated: 1,
        providerOnly: 1,
        days: 3,
        now: Date.UTC(2025, 0, 1, 12),
      }),
    ).toThrow(TypeError);
  });
});
