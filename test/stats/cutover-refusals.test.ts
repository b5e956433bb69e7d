import { describe, expect, it } from 'vitest';
import { CutoverRefusals } from '../../src/stats/cutover-refusals.js';
import { DAY, HOUR } from '../../src/stats/time.js';

const NOW = Date.UTC(2026, 11, 6, 12);

describe('CutoverRefusals', () => {
  it('counts distinct users refused in the last 24 hours', () => {
    const refusals = new CutoverRefusals();
    refusals.add('u1', NOW - HOUR);
    refusals.add('u1', NOW - 30 * 60_000);
    refusals.add('u2', NOW - 2 * HOUR);
    refusals.add('u3', NOW - DAY - HOUR); // before the window
    expect(refusals.count(NOW, [])).toEqual({ users: 2, since: NOW - DAY });
  });

  it('starts the count at the last change that let users back in', () => {
    const refusals = new CutoverRefusals();
    refusals.add('u1', NOW - 3 * HOUR);
    refusals.add('u2', NOW - HOUR);
    const history = [
      { at: NOW - 10 * HOUR, mode: 'bridge' as const, percent: 50 },
      { at: NOW - 2 * HOUR, mode: 'bridge' as const, percent: 25 }, // lowered: u1 may be back in
      { at: NOW - 90 * 60_000, mode: 'bridge' as const, percent: 40 }, // raised: nobody let back in
    ];
    expect(refusals.count(NOW, history)).toEqual({ users: 1, since: NOW - 2 * HOUR });
    const leftProviderOnly = [
      { at: NOW - 10 * HOUR, mode: 'provider-only' as const, percent: 0 },
      { at: NOW - 30 * 60_000, mode: 'bridge' as const, percent: 50 },
    ];
    expect(refusals.count(NOW, leftProviderOnly)).toEqual({ users: 0, since: NOW - 30 * 60_000 });
  });

  it('forgets the least recently refused users past its bound', () => {
    const refusals = new CutoverRefusals(2);
    refusals.add('u1', NOW - 3);
    refusals.add('u2', NOW - 2);
    refusals.add('u1', NOW - 1); // u1 refused again: u2 is now the oldest
    refusals.add('u3', NOW);
    expect(refusals.count(NOW, []).users).toBe(2);
  });
});
