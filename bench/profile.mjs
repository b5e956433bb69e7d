// CPU profiles of the bridge under load (npm run bench:profile): the legacy MemoryStore and the provider-warm
// servers run with `node --cpu-prof` (pinned like in the benchmark) under the same autocannon load, and the top
// self-time functions and packages of each profile are printed as Markdown (for BENCHMARKS.md, "Profile").
//
//   npm run bench:profile                       # 10 s of load per case
//   npm run bench:profile -- --duration 20 --cases bridge-mixed
//   node bench/lib/cpuprofile.mjs is the reader; the .cpuprofile files stay in .tmp/bench/profiles/ (open them in
//   Chrome DevTools or VS Code for the call tree).
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { caseByName } from './lib/cases.mjs';
import { markdownProfile, summariseProfile } from './lib/cpuprofile.mjs';
import { CACHE_DIR, createFixture, ISSUER, ROOT } from './lib/fixtures.mjs';
import { canPin, startCaseServer, startJwksServer, startLoadWorker } from './lib/processes.mjs';
import { REDIS_URL } from './lib/redis-probe.mjs';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    cases: { type: 'string', default: 'bridge-legacy-memory,bridge-provider-warm' },
    top: { type: 'string', default: '15' },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const names = args.cases.split(',').map((n) => caseByName(n.trim()).name);
const log = (m) => console.error(m);

const dir = join(CACHE_DIR, 'profiles');
mkdirSync(dir, { recursive: true });
const prepared = await createFixture({ log });
const pinned = canPin();
const jwks = await startJwksServer(prepared.jwks, { core: pinned ? 0 : undefined, issuer: ISSUER });
const load = await startLoadWorker(prepared.client, { core: pinned ? 0 : undefined });
const ctx = { jwksUri: jwks.jwksUri, sessions: prepared.sessions, redisUrl: REDIS_URL };

const sections = [];
let failed = false;
try {
  for (const name of names) {
    const file = join(dir, `${name}.cpuprofile`);
    rmSync(file, { force: true });
    const server = await startCaseServer(name, ctx, {
      core: pinned ? 1 : undefined,
      nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`],
    });
    let result;
    try {
      await load.child.call(
        { type: 'run', name, port: server.port, connections, warmup: 1, duration },
        'warm',
        60_000,
      );
      result = await load.child.call({ type: 'go' }, 'result', (duration + 30) * 1000);
    } finally {
      await server.close(); // a normal exit: node writes the profile
    }
    if (result.check.bad > 0) {
      failed = true;
      log(
        `!!! ${name}: ${result.check.bad} wrong responses, e.g. ${JSON.stringify(result.check.samples[0])}`,
      );
    }
    log(`${name}: ${Math.round(result.requestsPerSecond)} req/s under the profiler; profile in ${file}`);
    sections.push(
      markdownProfile(
        `${name} (${Math.round(result.requestsPerSecond)} req/s under the profiler)`,
        summariseProfile(file, { root: ROOT, top: Number(args.top) }),
      ),
    );
  }
} finally {
  await load.close();
  await jwks.close();
}
console.log(`\n${sections.join('\n\n')}\n`);
if (failed) process.exitCode = 1;
