import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { memoryStats } from '../../src/index.js';
import type { StatsEvent } from '../../src/stats-store.js';

// A full GC between measurements, without starting the worker with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
const USERS = 1_000_000;
const MAX_USERS = 50_000;
const BATCH = 1000;

function batch(from: number): StatsEvent[] {
  const events: StatsEvent[] = [];
  for (let i = from; i < from + BATCH; i++) {
    const time = T0 + Math.floor((i * 30 * DAY) / USERS);
    const id = `user-${i}`;
    events.push(
      i % 2 === 0
        ? { time, kind: 'legacy', outcome: 'ok', legacyUserId: id }
        : { time, kind: 'provider', outcome: 'ok', providerUserId: id, provider: 'p' },
    );
  }
  return events;
}

describe('memoryStats memory bound', () => {
  it('keeps its heap bounded by maxUsers while 1,000,000 distinct users go through it', async () => {
    const store = memoryStats({ maxUsers: MAX_USERS });
    const heaps = new Map<number, number>();
    for (let i = 0; i < USERS; i += BATCH) {
      await store.record(batch(i));
      if (i + BATCH === 2 * MAX_USERS || i + BATCH === USERS) heaps.set(i + BATCH, heapUsed());
    }
    const atTwiceLimit = heaps.get(2 * MAX_USERS) as number;
    const atMillion = heaps.get(USERS) as number;
    const growthMb = (atMillion - atTwiceLimit) / 1024 / 1024;
    console.log(
      `memoryStats heap (maxUsers ${MAX_USERS}): ${(atTwiceLimit / 1048576).toFixed(1)} MB at ${2 * MAX_USERS} users, ` +
        `${(atMillion / 1048576).toFixed(1)} MB at ${USERS} users (growth ${growthMb.toFixed(1)} MB)`,
    );
    // Ten times more users after the table is full adds at most the per-hour eviction counters and buckets:
    // far below what 900,000 more user records would take (about 100 MB).
    expect(growthMb).toBeLessThan(8);
    const snapshot = await store.query({
      now: T0 + 30 * DAY,
      windows: { '1d': DAY, '30d': 30 * DAY },
      seriesBucket: 'day',
      seriesFrom: T0,
    });
    expect(snapshot.approximate).toBe(true);
    expect(snapshot.windows['1d']?.approximate).toBe(false);
    expect(snapshot.windows['30d']?.users.active).toBeGreaterThanOrEqual(USERS);
  }, 120_000);
});
