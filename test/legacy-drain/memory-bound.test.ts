/**
 * The scan keeps no session: 100,000 sessions in an express-session MemoryStore are scanned with a heap that
 * stays near its level before the scan, measured after full GCs at several points during the scan and after it.
 * For scale, the same sessions held as `store.all()` hands them over are measured too.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { sessionBridge } from '../../src/index.js';
import { memoryStore } from '../helpers/legacy.js';

// A full GC between measurements, without starting the worker with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const SESSIONS = 100_000;
const MB = 1024 * 1024;

it('scans 100,000 MemoryStore sessions without keeping them: the heap stays within a few MB of its level', async () => {
  const store = memoryStore();
  const day = Date.UTC(2030, 0, 1);
  for (let i = 0; i < SESSIONS; i++) {
    store.set(`sid-${i}`, {
      cookie: {
        originalMaxAge: 1,
        expires: new Date(day + (i % 30) * 86_400_000),
        httpOnly: true,
        path: '/',
      },
      userId: `user-${i % 60_000}`,
      cart: Array.from({ length: 5 }, (_, j) => `sku-${i}-${j}`),
    } as never);
  }
  const during: number[] = [];
  let seen = 0;
  const bridge = sessionBridge({
    legacy: {
      store,
      secret: 's',
      drain: true,
      userId: (session) => {
        // A full GC now and then, in the middle of a batch: what the scan holds at that moment is live.
        if (++seen % 20_000 === 0) during.push(heapUsed());
        return session.userId as string;
      },
    },
    now: () => Date.UTC(2029, 11, 1),
    stats: false,
  });
  // A first scan compiles the code it runs: the measured one is the second.
  await bridge.scanLegacyStore();
  during.length = 0;
  const baseline = heapUsed();
  const result = await bridge.scanLegacyStore();
  const after = heapUsed();
  await bridge.close();
  expect(result).toMatchObject({ sessions: SESSIONS, loggedIn: SESSIONS, users: 60_000, approximate: false });

  const held = await new Promise<unknown>((resolve) => store.all((_err, all) => resolve(all)));
  const withAll = heapUsed();
  expect(Object.keys(held as object)).toHaveLength(SESSIONS);

  const peak = Math.max(...during) - baseline;
  const kept = after - baseline;
  const allCost = withAll - after;
  console.log(
    `legacy store scan of ${SESSIONS} MemoryStore sessions: heap ${(baseline / MB).toFixed(1)} MB before, ` +
      `at most +${(peak / MB).toFixed(2)} MB during (${during.length} samples), ${(kept / MB).toFixed(2)} MB kept after; ` +
      `store.all() holds +${(allCost / MB).toFixed(1)} MB`,
  );
  expect(during).toHaveLength(SESSIONS / 20_000);
  // The distinct-user table (60,000 hashes: a 1 MB Float64Array) and one batch of 500 sessions.
  expect(peak).toBeLessThan(4 * MB);
  expect(kept).toBeLessThan(0.5 * MB);
  expect(peak * 5).toBeLessThan(allCost);
});
