// Heap growth of memoryStats() while 1,000,000 distinct users go through it.
//
//   npm run build && node --expose-gc bench/memory-1m.mjs
//   ESB_MODULE=../.tmp/memory-store.js node --expose-gc bench/memory-1m.mjs   (a build of the store alone)
//
// Each user makes one request (alternately legacy and provider, every tenth user on both), 30 simulated days
// in all, recorded in batches of 1000 as the recorder would. The heap is measured after a full GC with the
// default maxUsers (100,000), and, for comparison, with maxUsers = 1,000,000 (nothing evicted).
if (typeof globalThis.gc !== 'function') {
  console.error('Run with node --expose-gc bench/memory-1m.mjs');
  process.exit(1);
}
const { memoryStats } = await import(process.env.ESB_MODULE ?? '../dist/index.js');

const DAY = 86_400_000;
const USERS = 1_000_000;
const BATCH = 1000;
const MARKS = [100_000, 200_000, 500_000, USERS];
const T0 = Date.UTC(2025, 0, 1);
const STEP = (30 * DAY) / USERS;
const MB = (bytes) => (bytes / 1024 / 1024).toFixed(1);

function heap() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

function eventOf(i) {
  const time = T0 + Math.floor(i * STEP);
  const id = `user-${i}`;
  if (i % 10 === 0)
    return { time, kind: 'provider', outcome: 'ok', legacyUserId: id, providerUserId: id, provider: 'idp' };
  return i % 2 === 0
    ? { time, kind: 'legacy', outcome: 'ok', legacyUserId: id }
    : { time, kind: 'provider', outcome: 'ok', providerUserId: id, provider: 'idp' };
}

async function run(label, options) {
  const before = heap();
  const store = memoryStats(options);
  const empty = heap();
  const marks = {};
  const started = process.hrtime.bigint();
  for (let from = 0; from < USERS; from += BATCH) {
    const batch = [];
    for (let i = from; i < from + BATCH; i++) batch.push(eventOf(i));
    await store.record(batch);
    const seen = from + BATCH;
    if (MARKS.includes(seen)) marks[seen] = heap();
  }
  const recordMs = Number(process.hrtime.bigint() - started) / 1e6;
  const now = T0 + 30 * DAY;
  const q0 = process.hrtime.bigint();
  const snapshot = await store.query({
    now,
    windows: { '1d': DAY, '7d': 7 * DAY, '30d': 30 * DAY },
    seriesBucket: 'day',
    seriesFrom: now - 29 * DAY,
  });
  const queryMs = Number(process.hrtime.bigint() - q0) / 1e6;
  const base = empty - before;
  console.log(`\n${label}`);
  console.log(`  empty store:            ${MB(base)} MB above the process baseline (${MB(before)} MB)`);
  for (const [seen, used] of Object.entries(marks)) {
    console.log(
      `  after ${String(seen).padStart(9)} users: ${MB(used - before)} MB (${((used - before) / Math.max(base, 1)).toFixed(1)}x the empty store)`,
    );
  }
  console.log(
    `  record: ${(USERS / (recordMs / 1000)).toFixed(0)} events/s; query: ${queryMs.toFixed(0)} ms`,
  );
  console.log(
    `  approximate: ${snapshot.approximate}; 30d active users reported: ${snapshot.windows['30d'].users.active}; 1d: ${snapshot.windows['1d'].users.active} (exact: ${snapshot.windows['1d'].approximate ? 'no' : 'yes'})`,
  );
  await store.close?.();
  return { store };
}

await run('memoryStats() (maxUsers 100,000)', {});
heap();
await run('memoryStats({ maxUsers: 1_000_000 }) for comparison', { maxUsers: 1_000_000 });
