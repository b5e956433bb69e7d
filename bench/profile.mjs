// Where a bench server's time and memory go (npm run bench:profile): for each case, a fresh server (pinned like in
// the benchmark) under the same autocannon load, profiled during the measured phase only (after a warm-up), twice:
//
// - CPU: V8's CPU profiler (100 µs sampling). Prints the top functions and packages by self time and this package's
//   own functions by self and total time, mapped to src/ through dist/'s source map, also as µs per request.
// - Allocations: V8's sampling heap profiler with collected objects included, so every allocation counts, not only
//   what survives. Prints bytes and (estimated) objects per request, by package and by function.
//
// GC pause time per 10,000 requests comes from a third, unprofiled phase of the same server (PerformanceObserver).
//
//   npm run bench:profile                                   # the default cases, 5 s of load per phase
//   npm run bench:profile -- --duration 10 --cases bridge-mixed
//   The .cpuprofile and .heapprofile files stay in .tmp/bench/profiles/ (Chrome DevTools, VS Code).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { caseByName } from './lib/cases.mjs';
import { markdownProfile, summariseProfile } from './lib/cpuprofile.mjs';
import { CACHE_DIR, createFixture, ISSUER, ROOT, TOKEN_USERS } from './lib/fixtures.mjs';
import { markdownHeapProfile, summariseHeapProfile } from './lib/heapprofile.mjs';
import { canPin, startCaseServer, startJwksServer, startLoadWorker } from './lib/processes.mjs';
import { REDIS_URL } from './lib/redis-probe.mjs';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '50' },
    cases: {
      type: 'string',
      default: 'express,bridge-provider-warm,bridge-provider-warm-10k,bridge-legacy-memory,bridge-mixed',
    },
    top: { type: 'string', default: '12' },
    interval: { type: 'string', default: '512' },
    json: { type: 'string' },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const interval = Number(args.interval);
const cases = args.cases.split(',').map((n) => caseByName(n.trim()));
const log = (m) => console.error(m);

const dir = join(CACHE_DIR, 'profiles');
mkdirSync(dir, { recursive: true });
const wide = cases.some((c) => c.wide || c.cold);
const prepared = await createFixture({ tokenCount: wide ? TOKEN_USERS : undefined, log });
const pinned = canPin();
const jwks = await startJwksServer(prepared.jwks, { core: pinned ? 0 : undefined, issuer: ISSUER });
const load = await startLoadWorker(
  {
    ...prepared.client,
    ...(wide ? { coldTokensPath: join(CACHE_DIR, 'token-pool.txt'), coldTokenCount: TOKEN_USERS } : {}),
  },
  { core: pinned ? 0 : undefined },
);
const ctx = { jwksUri: jwks.jwksUri, sessions: prepared.sessions, redisUrl: REDIS_URL };

/** One phase of load on `server`: `during` runs between the warm-up (or the previous phase) and the load. */
async function phase(server, name, seconds, { warmup = 0, around } = {}) {
  await load.child.call(
    { type: 'run', name, port: server.port, connections, warmup, duration: seconds },
    'warm',
    60_000,
  );
  await around?.before();
  const result = await load.child.call({ type: 'go' }, 'result', (seconds + 30) * 1000);
  const after = await around?.after();
  if (result.check.bad > 0) {
    throw new Error(
      `${name}: ${result.check.bad} wrong responses, e.g. ${JSON.stringify(result.check.samples[0])}`,
    );
  }
  return { result, after };
}

const sections = [];
const summaries = {};
let failed = false;
try {
  for (const c of cases) {
    const name = c.name;
    const server = await startCaseServer(name, ctx, { core: pinned ? 1 : undefined });
    try {
      // Warm-up, then an unprofiled phase for the GC pause time, then the CPU and the allocation phases.
      let gc0;
      const plain = await phase(server, name, duration, {
        warmup: Math.max(2, c.warmup ?? 0),
        around: {
          before: async () => {
            gc0 = await server.cpu();
          },
          after: () => server.cpu(),
        },
      });
      const served = plain.after.requests - gc0.requests;
      const gcMsPer10k = ((plain.after.gcMs - gc0.gcMs) / served) * 10_000;
      const cpuMicrosPerRequest =
        (plain.after.cpu.user - gc0.cpu.user + plain.after.cpu.system - gc0.cpu.system) / served;

      const cpuFile = join(dir, `${name}.cpuprofile`);
      rmSync(cpuFile, { force: true });
      let cpuStop;
      const cpuPhase = await phase(server, name, duration, {
        around: {
          before: () => server.profileStart({ kind: 'cpu' }),
          after: async () => {
            cpuStop = await server.profileStop(cpuFile);
          },
        },
      });
      const heapFile = join(dir, `${name}.heapprofile`);
      rmSync(heapFile, { force: true });
      let heapStop;
      await phase(server, name, duration, {
        around: {
          before: () => server.profileStart({ kind: 'heap', interval }),
          after: async () => {
            heapStop = await server.profileStop(heapFile);
          },
        },
      });
      const cpuSummary = summariseProfile(cpuFile, { root: ROOT, top: Number(args.top) });
      const heapSummary = summariseHeapProfile(heapFile, { root: ROOT, interval });
      summaries[name] = {
        gcMsPer10k,
        cpuMicrosPerRequest,
        requestsPerSecond: plain.result.requestsPerSecond,
        cpu: { requests: cpuStop.requests, ...cpuSummary },
        heap: { requests: heapStop.requests, ...heapSummary },
      };
      log(
        `${name}: ${Math.round(plain.result.requestsPerSecond)} req/s unprofiled, ${cpuMicrosPerRequest.toFixed(1)} µs CPU/req, GC ${gcMsPer10k.toFixed(1)} ms per 10k requests; ${Math.round(cpuPhase.result.requestsPerSecond)} req/s under the CPU profiler`,
      );
      sections.push(
        `### ${c.label} (\`${name}\`)\n\nUnprofiled: ${cpuMicrosPerRequest.toFixed(1)} µs server CPU per request, GC pauses ${gcMsPer10k.toFixed(1)} ms per 10,000 requests.`,
        markdownProfile(`CPU (${cpuStop.requests.toLocaleString('en-US')} requests)`, cpuSummary, {
          requests: cpuStop.requests,
        }),
        markdownHeapProfile('Allocations', heapSummary, { requests: heapStop.requests, gcMsPer10k }),
      );
    } catch (err) {
      failed = true;
      log(`!!! ${name}: ${err?.message ?? err}`);
    } finally {
      await server.close();
    }
  }
} finally {
  await load.close();
  await jwks.close();
}
console.log(`\n${sections.join('\n\n')}\n`);
if (args.json) {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(args.json, JSON.stringify(summaries, null, 2));
  log(`summaries: ${args.json}`);
}
if (failed) process.exitCode = 1;
