// The load generator: autocannon's programmatic API in its own process (pinned to the other core than the server).
//
// IPC: `{ type: 'init', fixture }` (fixture.coldTokensPath: a file with one token per line, read once) ->
// `{ type: 'initialised' }`. `{ type: 'run', name, port, connections, warmup, duration }` runs the warm-up, answers
// `{ type: 'warm', check }`, waits for `{ type: 'go' }` (the parent reads the server's CPU clock in between), runs
// the measured phase and answers `{ type: 'result', ... }`.
//
// Every response is checked: its status and its exact body must be what cases.mjs says the request must get.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { traffic } from './cases.mjs';

/** Latency samples kept per phase (bounded; a run at 50k req/s for 20 s fits). */
const MAX_SAMPLES = 1_000_000;
const latencies = new Float64Array(MAX_SAMPLES);

let fixture;
let goResolve;

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** One autocannon run of `seconds` against `port`, taking requests from `stream` and checking every answer. */
function phase({ port, connections, seconds, stream }) {
  const check = { responses: 0, ok: 0, bad: 0, statuses: {}, samples: [] };
  let kept = 0;
  const requests = [
    {
      method: 'GET',
      path: '/me',
      setupRequest(request, context) {
        const next = stream.next();
        context.expect = next;
        request.headers = next.headers;
        return request;
      },
      onResponse(status, body, context) {
        const expect = context.expect;
        check.responses++;
        check.statuses[status] = (check.statuses[status] ?? 0) + 1;
        if (expect && status === expect.status && body === expect.body) {
          check.ok++;
          return;
        }
        check.bad++;
        if (check.samples.length < 5) {
          check.samples.push({ status, body: String(body).slice(0, 300), expected: expect?.body });
        }
      },
    },
  ];
  return new Promise((resolve, reject) => {
    const cpu0 = process.cpuUsage();
    const instance = autocannon(
      { url: `http://127.0.0.1:${port}`, connections, duration: seconds, requests, timeout: 10 },
      (err, result) => {
        if (err) return reject(err);
        const cpu = process.cpuUsage(cpu0);
        const sorted = latencies.subarray(0, kept).sort();
        resolve({
          check,
          seconds: result.duration,
          requestsPerSecond: check.ok / result.duration,
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          latencyMs: {
            p50: percentile(sorted, 50),
            p90: percentile(sorted, 90),
            p99: percentile(sorted, 99),
            max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
            samples: kept,
          },
          loadCpuPercent: ((cpu.user + cpu.system) / 1e6 / result.duration) * 100,
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      if (kept < MAX_SAMPLES) latencies[kept++] = responseTime;
    });
  });
}

/** Where each `sequence` (a server's requests over several runs) has got to, so cold tokens are never sent twice. */
const positions = new Map();

async function run({ name, sequence, port, connections, warmup, duration }) {
  const t = traffic(name, fixture);
  // One sequence per run (warm-up then measurement), or continued across the runs that name the same `sequence`.
  let index = sequence === undefined ? 0 : (positions.get(sequence) ?? 0);
  const stream = {
    next: () => {
      const request = t.at(index++);
      if (sequence !== undefined) positions.set(sequence, index);
      return request;
    },
  };
  const warm = warmup > 0 ? await phase({ port, connections, seconds: warmup, stream }) : undefined;
  const go = new Promise((resolve) => {
    goResolve = resolve;
  });
  process.send({ type: 'warm', check: warm?.check });
  await go;
  const measured = await phase({ port, connections, seconds: duration, stream });
  process.send({
    type: 'result',
    ...measured,
    warmCheck: warm?.check,
    sent: index,
    distinct: t.size,
  });
}

process.on('message', (message) => {
  switch (message?.type) {
    case 'init': {
      fixture = { ...message.fixture };
      if (fixture.coldTokensPath) {
        fixture.coldTokens = readFileSync(fixture.coldTokensPath, 'utf8')
          .split('\n')
          .slice(0, fixture.coldTokenCount);
      }
      process.send({ type: 'initialised', coldTokens: fixture.coldTokens?.length ?? 0 });
      return;
    }
    case 'run':
      run(message).catch((err) => process.send({ type: 'error', message: err?.stack ?? String(err) }));
      return;
    case 'go':
      goResolve?.();
      return;
    case 'close':
      process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'loaded' });
