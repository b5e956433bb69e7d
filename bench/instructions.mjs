// Instructions per request (npm run bench:instructions): what each case's server executes per request, counted by
// valgrind (cachegrind, no cache simulation), so the figure does not drift with the machine the way CPU time does.
//
// For each case two fresh servers run under valgrind: one is sent W + N1 requests, the other W + N2 (W warms the JIT
// and the caches up), then both close. Everything they share (start-up, warm-up, closing) cancels in the difference:
// instructions per request = (Ir(W + N2) - Ir(W + N1)) / (N2 - N1). Every answer's status and exact body are
// checked, as in the HTTP benchmark. What this counts: user-space instructions of the server process, all its
// threads (the JIT compiler and the GC helpers too); not the kernel's work (socket reads and writes), which the CPU
// time of `npm run bench` includes. Valgrind runs a server about 40 times slower, so work driven by timers (the stats
// recorder's flush once a second) counts more per request here than in a real server. One request at a time, so
// every request pays a turn of the event loop of its own (as at `--connections 1` in `npm run bench`).
//
//   npm run bench:instructions                       # about 8 minutes
//   npm run bench:instructions -- --cases express-auth,bridge-provider-warm --requests 1000,3000 --warmup 2000
//   npm run bench:instructions -- --connections 8 --node-args=   # concurrent requests, V8's own threads
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { addedInstructions, perRequestByFunction } from './lib/cachegrind.mjs';
import { caseByName, requestsOf, SAME, traffic } from './lib/cases.mjs';
import { CACHE_DIR, createFixture, ISSUER, TOKEN_USERS } from './lib/fixtures.mjs';
import { startCaseServer, startJwksServer } from './lib/processes.mjs';
import { REDIS_URL } from './lib/redis-probe.mjs';

const DEFAULT_CASES = [
  'express',
  'express-noop',
  'express-auth',
  `${SAME}bridge-provider-warm`,
  'bridge-provider-warm',
  'bridge-provider-warm-nostats',
  `${SAME}bridge-legacy-memory`,
  'bridge-legacy-memory',
  'bridge-legacy-memory-nostats',
  `${SAME}bridge-mixed`,
  'bridge-mixed',
];
const { values: args } = parseArgs({
  options: {
    cases: { type: 'string', default: DEFAULT_CASES.join(',') },
    warmup: { type: 'string', default: '3000' },
    requests: { type: 'string', default: '1000,4000' },
    // One connection and V8's --predictable (no concurrent compiler or GC threads): three counts of bare Express
    // then agree within 0.8 %; with 8 connections and the default threads, within 2.4 %.
    connections: { type: 'string', default: '1' },
    'node-args': { type: 'string', default: '--predictable' },
    json: { type: 'string' },
    // Print the tables of an earlier run's --json again (its cachegrind files must still be there).
    report: { type: 'string' },
  },
});
const log = (m) => console.error(m);
const warmup = Number(args.warmup);
const [n1, n2] = args.requests.split(',').map(Number);
const connections = Number(args.connections);
if (!(Number.isInteger(warmup) && warmup >= 0))
  throw new TypeError('--warmup must be a whole number of requests');
if (!(Number.isInteger(n1) && Number.isInteger(n2) && n2 > n1 && n1 > 0))
  throw new TypeError('--requests must be two numbers N1,N2 with 0 < N1 < N2');
// A cache geometry of its own, so valgrind does not warn about the host's L3 (no cache is simulated anyway).
const QUIET = ['--I1=32768,8,64', '--D1=32768,8,64', '--LL=8388608,16,64'];
/** Where the cachegrind output of a case's run with `n` measured requests goes. */
const outFile = (name, n) => join(CACHE_DIR, 'instructions', `${name.replace(/[^a-z0-9-]/gi, '_')}-${n}.out`);

/** Counts every case: two servers under valgrind each, W + N1 and W + N2 requests. */
async function measure() {
  if (spawnSync('valgrind', ['--version'], { stdio: 'ignore' }).status !== 0) {
    log('valgrind is not installed (apt-get install -y valgrind): it counts the instructions');
    process.exit(1);
  }
  const names = args.cases.split(',').map((n) => n.trim());
  const wide = names.map(requestsOf).some((c) => c.wide);
  const prepared = await createFixture({ tokenCount: wide ? TOKEN_USERS : undefined, log });
  const client = { ...prepared.client, ...(wide ? { coldTokens: prepared.pool.tokens } : {}) };
  const jwks = await startJwksServer(prepared.jwks, { issuer: ISSUER });
  const ctx = { jwksUri: jwks.jwksUri, sessions: prepared.sessions, redisUrl: REDIS_URL };
  const dir = join(CACHE_DIR, 'instructions');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  /** Sends requests `from`..`to`-1 of the case's sequence over `connections` keep-alive connections, checking each. */
  async function send(port, sequence, from, to) {
    const agent = new Agent({ keepAlive: true, maxSockets: connections });
    let next = from;
    const one = (i) =>
      new Promise((resolve, reject) => {
        const expected = sequence.at(i);
        const req = request(
          { port, host: '127.0.0.1', path: '/me', headers: expected.headers, agent },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk) => {
              body += chunk;
            });
            res.on('end', () => {
              if (res.statusCode === expected.status && body === expected.body) resolve();
              else
                reject(
                  new Error(
                    `request ${i}: ${res.statusCode} ${body.slice(0, 200)}, expected ${expected.body}`,
                  ),
                );
            });
          },
        );
        req.on('error', reject);
        req.end();
      });
    const worker = async () => {
      while (next < to) await one(next++);
    };
    try {
      await Promise.all(Array.from({ length: connections }, worker));
    } finally {
      agent.destroy();
    }
  }

  /** Instructions a fresh server of `name` executes for its whole life when sent warmup + n requests. */
  async function countRun(name, n) {
    const file = outFile(name, n);
    const server = await startCaseServer(name, ctx, {
      nodeArgs: args['node-args'].split(' ').filter(Boolean),
      wrapper: [
        'valgrind',
        '-q',
        '--tool=cachegrind',
        '--cache-sim=no',
        '--branch-sim=no',
        ...QUIET,
        `--cachegrind-out-file=${file}`,
      ],
      timeoutMs: 300_000,
    });
    const sequence = traffic(name, client);
    try {
      await send(server.port, sequence, 0, warmup + n);
    } finally {
      await server.close();
    }
    const summary = /^summary:\s+(\d+)/m.exec(readFileSync(file, 'utf8'));
    if (!summary) throw new Error(`no cachegrind summary in ${file}`);
    return { total: Number(summary[1]), file };
  }

  const results = [];
  for (const name of names) {
    const t0 = Date.now();
    const [a, b] = await Promise.all([countRun(name, n1), countRun(name, n2)]);
    const perRequest = (b.total - a.total) / (n2 - n1);
    results.push({ name, perRequest, totals: [a.total, b.total], files: [a.file, b.file] });
    log(
      `${name.padEnd(40)} ${Math.round(perRequest).toLocaleString('en-US').padStart(10)} instructions/request  (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
    );
  }
  await jwks.close();
  return { warmup, n1, n2, connections, nodeArgs: args['node-args'], node: process.version, results };
}

/** The tables of one run. */
function report({ warmup, n1, n2, connections, nodeArgs, node, results, seconds }) {
  const bare = results.find((r) => r.name === 'express')?.perRequest;
  const label = (name) =>
    name.startsWith(SAME)
      ? `bare Express 5, sent the requests of \`${name.slice(SAME.length)}\``
      : `${caseByName(name).label} (\`${name}\`)`;
  const sameOf = (name) => results.find((r) => r.name === `${SAME}${name}`)?.perRequest;
  const fmt = (n) => Math.round(n).toLocaleString('en-US');
  const lines = [
    `Instructions per request (valgrind cachegrind, user space, the server's threads), ${warmup} warm-up requests, N = ${n1} and ${n2}, ${connections} connection(s), node ${nodeArgs || '(no flags)'}, Node ${node}; took ${seconds} s`,
    '',
    '| Case | instructions/request | × bare | added over bare | added over bare sent the same requests |',
    '|---|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const same = r.name.startsWith(SAME) ? undefined : sameOf(r.name);
    lines.push(
      `| ${label(r.name)} | ${fmt(r.perRequest)} | ${bare ? (bare / r.perRequest).toFixed(3) : 'n/a'} | ${bare ? fmt(r.perRequest - bare) : 'n/a'} | ${same ? fmt(r.perRequest - same) : ''} |`,
    );
  }
  // Where each case's added instructions go, by function, against its baseline (bare Express sent the same
  // requests when it was counted, bare Express otherwise). JIT-compiled JavaScript has no symbols here; the CPU
  // profiles of `npm run bench:profile` attribute that part.
  const byFunction = (r) => {
    const [file1, file2] = r.files ?? [outFile(r.name, n1), outFile(r.name, n2)];
    return perRequestByFunction(file1, file2, n1, n2);
  };
  for (const r of results.filter((r) => !r.name.startsWith(SAME) && r.name !== 'express')) {
    const base =
      results.find((b) => b.name === `${SAME}${r.name}`) ?? results.find((b) => b.name === 'express');
    if (!base) continue;
    const added = addedInstructions(byFunction(base), byFunction(r));
    const fn = (name) => `\`${name.replace(/\(.*$/, '').replaceAll('|', '\\|').slice(0, 90)}\``;
    lines.push(
      '',
      `\`${r.name}\` against \`${base.name}\`: ${fmt(added.total)} instructions per request added; by area: ${added.areas
        .filter((a) => Math.abs(a.added) >= 500)
        .map((a) => `${a.area} ${fmt(a.added)}`)
        .join(', ')}`,
      '',
      '| Function | added/request |',
      '|---|---:|',
      ...added.functions.map((f) => `| ${fn(f.fn)} | ${fmt(f.added)} |`),
    );
  }
  console.log(`\n${lines.join('\n')}\n`);
}

const started = Date.now();
const run = args.report ? JSON.parse(readFileSync(args.report, 'utf8')) : await measure();
run.seconds ??= Math.round((Date.now() - started) / 1000);
if (args.json && !args.report) writeFileSync(args.json, JSON.stringify(run, null, 2));
report(run);
