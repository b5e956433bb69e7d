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
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES } from './lib/cases.mjs';
import { CACHE_DIR, createFixture, ISSUER, TOKEN_USERS, USERS } from './lib/fixtures.mjs';
import { canPin, startCaseServer, startJwksServer, startLoadWorker } from './lib/processes.mjs';
import { probeRedis, REDIS_URL } from './lib/redis-probe.mjs';
import { markdownTable, markdownTargets, summarise, targets } from './lib/report.mjs';

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
    budget: { type: 'string', default: '900' },
    json: { type: 'string' },
  },
});

const positive = (name, value) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new TypeError(`--${name} must be a positive number (got ${value})`);
  return n;
};
const rounds = Math.floor(positive('rounds', args.rounds ?? (args.quick ? 1 : 5)));
const duration = Math.floor(positive('duration', args.duration ?? 3));
const warmup = Math.floor(positive('warmup', args.warmup ?? 1));
/** A case's warm-up: the 10,000-user case needs every token verified once before it is "warm" (about 4 s of CPU). */
const warmupOf = (c) => Math.max(warmup, c.warmup ?? 0);
const connections = Math.floor(positive('connections', args.connections));
const log = (message) => console.error(message);
// Wall-clock budget in seconds: a run that would end after it is not started (the table says how many rounds each
// case got). Keeps the default run under 10 minutes even on a machine much busier than expected.
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
        Math.max(USERS, cases.some((c) => c.cold) ? (warmup + duration + 1) * (args.quick ? 4000 : 6000) : 0),
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

const runs = [];
let stopping = false;
process.once('SIGINT', () => {
  stopping = true;
  log('interrupted: finishing the current run, then stopping');
});

/** One measured run of one case: a fresh server, a warm-up, then `duration` seconds of load. */
async function runCase(c, round) {
  const run = { name: c.name, round, ok: false, notes: [] };
  const server = await startCaseServer(c.name, ctx, { core: SERVER_CORE });
  try {
    const warm = load.child.call(
      { type: 'run', name: c.name, port: server.port, connections, warmup: warmupOf(c), duration },
      'warm',
      (warmupOf(c) + 30) * 1000,
    );
    const { check: warmCheck } = await warm;
    const before = await server.cpu();
    const t0 = performance.now();
    const result = load.child.call({ type: 'go' }, 'result', (duration + 30) * 1000);
    const measured = await result;
    const after = await server.cpu();
    const wallMicros = (performance.now() - t0) * 1000;
    const served = after.requests - before.requests;
    const cpuMicros = after.cpu.user - before.cpu.user + (after.cpu.system - before.cpu.system);
    Object.assign(run, {
      requestsPerSecond: measured.requestsPerSecond,
      latencyMs: measured.latencyMs,
      cpuMicrosPerRequest: cpuMicros / Math.max(served, 1),
      // Garbage collection pauses per 10,000 requests served (ms).
      gcMsPer10k: ((after.gcMs - before.gcMs) / Math.max(served, 1)) * 10_000,
      // The share of one core the server process used while loaded: well under 100 % means it was starved
      // (by other processes on its core), not busy, and its req/s understates it.
      serverCpuPercent: (cpuMicros / wallMicros) * 100,
      served,
      loadCpuPercent: measured.loadCpuPercent,
      responses: measured.check.responses,
      sent: measured.sent,
      seconds: measured.seconds,
    });
    const problems = [];
    for (const [phase, check] of [
      ['warm-up', warmCheck],
      ['measurement', measured.check],
    ]) {
      if (!check) continue;
      if (check.bad > 0) {
        problems.push(
          `${check.bad} of ${check.responses} responses in the ${phase} were wrong (statuses ${JSON.stringify(check.statuses)}); e.g. ${JSON.stringify(check.samples[0])}`,
        );
      }
      if (check.responses === 0) problems.push(`no response at all in the ${phase}`);
    }
    if (measured.errors > 0)
      problems.push(`${measured.errors} connection errors (${measured.timeouts} timeouts)`);
    if (problems.length) {
      run.error = problems.join('; ');
    } else {
      run.ok = true;
    }
    if (c.cold && measured.sent > measured.distinct) {
      run.notes.push(
        `token pool reused: ${measured.sent} requests for ${measured.distinct} tokens (use --cold-tokens)`,
      );
    }
    if (measured.loadCpuPercent > 90) run.notes.push('load generator near saturation');
    if (connections >= 10 && run.serverCpuPercent < 80)
      run.notes.push('server starved of CPU in some rounds');
  } catch (err) {
    run.error = err?.message ?? String(err);
  } finally {
    await server.close();
  }
  return run;
}

log(
  `${cases.length} cases × ${rounds} round(s) × (${warmup} s warm-up + ${duration} s), ${connections} connections, Node ${process.version}`,
);
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
    for (const [index, c] of order.entries()) {
      if (stopping) break;
      const elapsed = Date.now() - started;
      const perPair = runs.length ? (elapsed / runs.length) * 2 : (warmup + duration + 2) * 2000;
      if (elapsed + perPair > budgetMs) {
        log(
          `\n!!! time budget of ${budgetMs / 1000} s reached: stopping before round ${round} ${c.name} (--budget)\n`,
        );
        stopping = true;
        break;
      }
      pair++;
      const bareFirst = (round + index) % 2 === 0;
      for (const which of bareFirst ? [bare, c] : [c, bare]) {
        const run = await runCase(which, round);
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

const rows = summarise(cases, runs);
const goals = targets(runs, { connections });
const when = new Date();
const header = `${when.toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), ${rounds} round(s) × ${duration} s (+${warmup} s warm-up), ${connections} connections${pinned ? ', server pinned to core 1, load to core 0' : ', unpinned'}; took ${Math.round((Date.now() - started) / 1000)} s`;
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
