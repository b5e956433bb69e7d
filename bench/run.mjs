// The side-by-side HTTP benchmark of issue #8.
//
//   npm run bench                  # 5 interleaved rounds × 4 s per case (+1 s warm-up each); about 6-8 minutes
//   npm run bench -- --quick       # one round × 3 s per case; under 2 minutes
//   npm run bench -- --rounds 3 --duration 8 --cases express,bridge-legacy-memory
//   npm run bench -- --connections 1 --cases bridge-mixed   # one request at a time: latency without queueing
//
// Each case's server runs in a fresh process pinned to core 1 (`taskset -c 1`), the autocannon load generator in
// another pinned to core 0, 50 connections, `GET /me`. Every response's status and body are checked. Rounds are
// interleaved (round 1 runs every case, then round 2, ...), with the order rotated each round. Figures are medians
// over rounds; ratios pair each run with the baseline's run of the same round. See BENCHMARKS.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES, SAME, sendsCredentials } from './lib/cases.mjs';
import { CACHE_DIR, createFixture, ISSUER, TOKEN_USERS, USERS } from './lib/fixtures.mjs';
import { canPin, startCaseServer, startJwksServer, startLoadWorker } from './lib/processes.mjs';
import { probeRedis, REDIS_URL } from './lib/redis-probe.mjs';
import { markdownTable, markdownTargets, median, summarise, targets } from './lib/report.mjs';

const started = Date.now();
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string', default: '50' },
    cases: { type: 'string' },
    'cold-tokens': { type: 'string' },
    budget: { type: 'string', default: '1200' },
    json: { type: 'string' },
    before: { type: 'string' },
    slices: { type: 'string' },
    same: { type: 'boolean', default: false },
  },
});

const positive = (name, value) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new TypeError(`--${name} must be a positive number (got ${value})`);
  return n;
};
const rounds = Math.floor(positive('rounds', args.rounds ?? (args.quick ? 2 : 4)));
const duration = positive('duration', args.duration ?? 1);
const slices = Math.floor(positive('slices', args.slices ?? (args.quick ? 2 : 4)));
const warmup = Math.floor(positive('warmup', args.warmup ?? 1));
/** A case's warm-up: the 10,000-user case needs every token verified once before it is "warm" (about 4 s of CPU). */
const warmupOf = (c) => Math.max(warmup, c.warmup ?? 0);
const connections = Math.floor(positive('connections', args.connections));
const log = (message) => console.error(message);
if (rounds % 2 === 1)
  log(
    `note: ${rounds} rounds, an odd number: who starts first alternates by round, so its effect does not cancel`,
  );
// Wall-clock budget in seconds: a run that would end after it is not started (the table says how many rounds each
// case got). Keeps the default run under 20 minutes even on a machine much busier than expected.
const budgetMs = positive('budget', args.budget) * 1000;

let cases = CASES;
if (args.cases) {
  const wanted = args.cases.split(',').map((s) => s.trim());
  const unknown = wanted.filter((w) => !CASES.some((c) => c.name === w));
  if (unknown.length)
    throw new TypeError(`unknown case(s) ${unknown.join(', ')}: use ${CASES.map((c) => c.name).join(', ')}`);
  // The baseline is always measured: ratios need it in every round.
  cases = CASES.filter((c) => c.name === 'express' || wanted.includes(c.name));
}

const redisFailure = cases.some((c) => c.redis) ? await probeRedis() : null;
if (redisFailure !== null) {
  const message = `Redis is unreachable at ${REDIS_URL} (${redisFailure}): start redis-server or set REDIS_URL`;
  if (process.env.REQUIRE_REDIS === '1') {
    log(`${message}. REQUIRE_REDIS=1 makes this a failure.`);
    process.exit(1);
  }
  log(`${message}. Skipping the connect-redis cases.`);
  cases = cases.filter((c) => !c.redis);
}

// Cold tokens: enough distinct ones for a warm-up plus a measured phase (plus the tail until autocannon's next
// one-second tick) at up to 6,000 req/s, or 4,000 req/s with --quick (signing them takes about 1 ms of CPU each; the
// pool is cached in .tmp/bench/, so only the first run pays). A run that needs more reuses tokens and is flagged.
// The 10k case sends the pool's first TOKEN_USERS tokens (one per user) in turn.
const needCold = cases.some((c) => c.cold || c.wide);
const coldCount = Math.max(
  cases.some((c) => c.wide) ? TOKEN_USERS : 0,
  Math.floor(
    positive(
      'cold-tokens',
      args['cold-tokens'] ??
        Math.max(
          USERS,
          cases.some((c) => c.cold) ? (warmup + 1 + slices * duration + 2) * (args.quick ? 4000 : 6000) : 0,
        ),
    ),
  ),
);
const prepared = await createFixture({ tokenCount: needCold ? coldCount : USERS, log });
const fixture = {
  ...prepared.client,
  ...(needCold ? { coldTokensPath: join(CACHE_DIR, 'token-pool.txt'), coldTokenCount: coldCount } : {}),
};

const pinned = canPin() && cpus().length >= 2;
log(
  pinned
    ? 'pinning: case servers on core 1 (taskset -c 1), load generator and JWKS server on core 0'
    : 'taskset is unavailable or there is one core: processes are not pinned (figures are noisier)',
);
const SERVER_CORE = pinned ? 1 : undefined;
const LOAD_CORE = pinned ? 0 : undefined;

const jwks = await startJwksServer(prepared.jwks, { core: LOAD_CORE, issuer: ISSUER });
const load = await startLoadWorker(fixture, { core: LOAD_CORE });
const ctx = { jwksUri: jwks.jwksUri, sessions: prepared.sessions, redisUrl: REDIS_URL };
// `--before DIR`: every bridge case also runs on DIR (another build's dist/, e.g. of the code before a change), in
// the same rounds, each next to a bare Express run of its own.
const beforeCtx = args.before ? { ...ctx, bridgeDist: resolve(args.before) } : undefined;
if (beforeCtx) {
  cases = cases.flatMap((c) =>
    c.name.startsWith('bridge-')
      ? [c, { ...c, name: `${c.name}@before`, base: c.name, label: `${c.label}, ${args.before}` }]
      : [c],
  );
}

const runs = [];
let stopping = false;
process.once('SIGINT', () => {
  stopping = true;
  log('interrupted: finishing the current run, then stopping');
});

/** One phase of load on `server` (warm-up `warm` s, then `seconds` measured), with the server's own clocks around it. */
async function phase(server, c, warm, seconds) {
  const name = c.base ?? c.name;
  const { check: warmCheck } = await load.child.call(
    { type: 'run', name, sequence: c.name, port: server.port, connections, warmup: warm, duration: seconds },
    'warm',
    (warm + 30) * 1000,
  );
  const before = await server.cpu();
  const t0 = performance.now();
  const measured = await load.child.call({ type: 'go' }, 'result', (seconds + 30) * 1000);
  const after = await server.cpu();
  return {
    warmCheck,
    measured,
    wallMicros: (performance.now() - t0) * 1000,
    served: after.requests - before.requests,
    cpuMicros: after.cpu.user - before.cpu.user + (after.cpu.system - before.cpu.system),
    gcMs: after.gcMs - before.gcMs,
  };
}

/** Sums the slices of one side of a pair into a run: CPU and GC per request over all of them, medians of the rest. */
function summariseSlices(c, round, slices, error) {
  const run = { name: c.name, round, ok: false, notes: [], slices: slices.length };
  if (error) {
    run.error = error;
    return run;
  }
  const sum = (f) => slices.reduce((a, s) => a + f(s), 0);
  const served = sum((s) => s.served);
  const cpuMicros = sum((s) => s.cpuMicros);
  const seconds = sum((s) => s.measured.seconds);
  Object.assign(run, {
    requestsPerSecond: sum((s) => s.measured.check.ok) / seconds,
    latencyMs: {
      p50: median(slices.map((s) => s.measured.latencyMs.p50)),
      p99: median(slices.map((s) => s.measured.latencyMs.p99)),
    },
    cpuMicrosPerRequest: cpuMicros / Math.max(served, 1),
    // Garbage collection pauses per 10,000 requests served (ms).
    gcMsPer10k: (sum((s) => s.gcMs) / Math.max(served, 1)) * 10_000,
    // The share of one core the server process used while loaded: well under 100 % means it was starved.
    serverCpuPercent: (cpuMicros / sum((s) => s.wallMicros)) * 100,
    served,
    loadCpuPercent: median(slices.map((s) => s.measured.loadCpuPercent)),
    responses: sum((s) => s.measured.check.responses),
    sent: Math.max(...slices.map((s) => s.measured.sent)),
    distinct: slices[0].measured.distinct,
    seconds,
  });
  const problems = [];
  for (const [index, slice] of slices.entries()) {
    for (const [what, check] of [
      ['warm-up', slice.warmCheck],
      [`slice ${index + 1}`, slice.measured.check],
    ]) {
      if (!check) continue;
      if (check.bad > 0) {
        problems.push(
          `${check.bad} of ${check.responses} responses in the ${what} were wrong (statuses ${JSON.stringify(check.statuses)}); e.g. ${JSON.stringify(check.samples[0])}`,
        );
      }
      if (check.responses === 0) problems.push(`no response at all in the ${what}`);
    }
    if (slice.measured.errors > 0)
      problems.push(`${slice.measured.errors} connection errors (${slice.measured.timeouts} timeouts)`);
  }
  if (problems.length) run.error = problems.join('; ');
  else run.ok = true;
  if (c.cold && run.sent > run.distinct) {
    run.notes.push(`token pool reused: ${run.sent} requests for ${run.distinct} tokens (use --cold-tokens)`);
  }
  if (run.loadCpuPercent > 90) run.notes.push('load generator near saturation');
  if (connections >= 10 && run.serverCpuPercent < 80) run.notes.push('server starved of CPU in some rounds');
  return run;
}

/**
 * One pair: a fresh server for the case and one for bare Express, both alive (and pinned to the same core), each
 * warmed up, then `slices` slices of `duration` seconds of load, alternating between the two (the order flips
 * every slice). This machine's speed drifts by tens of per cent within a minute; two servers measured second by
 * second in turn see the same drift, and their ratio does not.
 */
async function runPair(c, round) {
  // The case, bare Express, and (for a case that sends credentials) bare Express sent the same requests.
  const same =
    args.same && sendsCredentials(c.base ?? c.name)
      ? { name: `${SAME}${c.base ?? c.name}`, label: 'bare Express 5, sent the same requests', same: true }
      : undefined;
  // The server started and warmed up first measures 2-5 % less CPU per request than the one after it (an A/A run,
  // bare Express against itself, read 0.985× with bare Express started first and 1.036× with the case started
  // first), so who starts first alternates by round (the order is reversed): over an even number of rounds the
  // effect cancels.
  const forward = [bare, ...(same ? [same] : []), c];
  const members = round % 2 === 1 ? forward : forward.toReversed();
  const launched = await Promise.allSettled(
    members.map((m) => startCaseServer(m.base ?? m.name, m.base ? beforeCtx : ctx, { core: SERVER_CORE })),
  );
  const sides = members.map((m, i) => ({
    c: m,
    server: launched[i].status === 'fulfilled' ? launched[i].value : undefined,
    slices: [],
    error: undefined,
  }));
  try {
    const failed = launched.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (const side of sides) await phase(side.server, side.c, warmupOf(side.c), 1);
    for (let slice = 0; slice < slices; slice++) {
      // Rotate who goes first, slice by slice.
      const shift = (slice + round) % sides.length;
      const order = [...sides.slice(shift), ...sides.slice(0, shift)];
      for (const side of order) side.slices.push(await phase(side.server, side.c, 0, duration));
    }
  } catch (err) {
    for (const side of sides) side.error ??= err?.message ?? String(err);
  } finally {
    await Promise.all(sides.map((side) => side.server?.close()));
  }
  return sides.map((side) => {
    const run = summariseSlices(side.c, round, side.slices, side.error);
    // Every bare Express run sent a case's requests is one row (`express-same`), tied to its case by `pair`.
    if (side.c.same) run.name = 'express-same';
    return run;
  });
}

/** Logs one run's figures. */
function report(run, round) {
  if (run.ok) {
    log(
      `[${round}/${rounds}] ${run.name.padEnd(30)} ${Math.round(run.requestsPerSecond).toString().padStart(6)} req/s  p50 ${run.latencyMs.p50.toFixed(2)} ms  p99 ${run.latencyMs.p99.toFixed(2)} ms  ${run.cpuMicrosPerRequest.toFixed(0)} µs CPU/req  GC ${run.gcMsPer10k.toFixed(0)} ms/10k  server ${run.serverCpuPercent.toFixed(0)} % of a core  load ${run.loadCpuPercent.toFixed(0)} %`,
    );
  } else {
    log(`\n!!! FAILED [${round}/${rounds}] ${run.name}: ${run.error}\n`);
  }
}

// Every case runs next to a bare Express run of its own (before it in one round, after it in the next), and its
// ratios are taken against that run: this machine's speed drifts by tens of per cent within a minute, far more than
// between two runs a few seconds apart. Ratios between two cases (connect-redis, stats on/off) compare their
// ratios to their own bare Express runs.
const bare = cases.find((c) => c.name === 'express');
const measured = cases.filter((c) => c !== bare);
let pair = 0;
try {
  for (let round = 1; round <= rounds && !stopping; round++) {
    // Rotate the order each round so no case always runs first or last.
    const order = measured.map((_, i) => measured[(i + round - 1) % measured.length]);
    for (const c of order) {
      if (stopping) break;
      const elapsed = Date.now() - started;
      const perPair = runs.length ? (elapsed / runs.length) * 3 : (warmup + slices * duration + 3) * 3000; // at most 3 runs a pair
      if (elapsed + perPair > budgetMs) {
        log(
          `\n!!! time budget of ${budgetMs / 1000} s reached: stopping before round ${round} ${c.name} (--budget)\n`,
        );
        stopping = true;
        break;
      }
      pair++;
      for (const run of await runPair(c, round)) {
        run.pair = pair;
        runs.push(run);
        report(run, round);
      }
    }
  }
} finally {
  await load.close();
  await jwks.close();
}

const rows = summarise(
  [
    ...cases.filter((c) => c.name === 'express'),
    { name: 'express-same', label: "bare Express 5, sent each case's requests (which it does not read)" },
    ...cases.filter((c) => c.name !== 'express'),
  ].filter((c) => runs.some((r) => r.name === c.name)),
  runs,
);
const goals = targets(runs, { connections });
const when = new Date();
const header = `${when.toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${rounds} round(s) × ${slices} slices of ${duration} s per side (+${warmup} s warm-up), ${connections} connections${pinned ? ', server pinned to core 1, load to core 0' : ', unpinned'}; took ${Math.round((Date.now() - started) / 1000)} s`;
console.log(`\n${header}\n\n${markdownTable(rows)}\n\n${markdownTargets(goals)}\n`);

const jsonPath = args.json ?? join(CACHE_DIR, `results-${when.toISOString().replace(/[:.]/g, '-')}.json`);
mkdirSync(CACHE_DIR, { recursive: true });
writeFileSync(
  jsonPath,
  JSON.stringify(
    {
      date: when.toISOString(),
      node: process.version,
      cpus: cpus().length,
      rounds,
      duration,
      warmup,
      connections,
      pinned,
      rows,
      targets: goals,
      runs,
    },
    null,
    2,
  ),
);
log(`results: ${jsonPath}`);

const failures = runs.filter((r) => !r.ok);
if (failures.length) {
  log(`\n!!! ${failures.length} run(s) FAILED:`);
  for (const f of failures) log(`  round ${f.round} ${f.name}: ${f.error}`);
  process.exitCode = 1;
}
