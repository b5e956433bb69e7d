// One benchmark case's server, in its own process (forked by processes.mjs, pinned to its own core).
//
// IPC protocol: receives `{ type: 'start', name, ctx }`, builds the case (cases.mjs), listens on 127.0.0.1 (ephemeral
// port) and answers `{ type: 'ready', port }`. `{ type: 'cpu' }` answers `{ type: 'cpu', cpu: process.cpuUsage(),
// requests }` (requests served so far), so the CPU time per request is measured inside this process only.
// `{ type: 'close' }` closes the app and exits normally (so `node --cpu-prof` writes its profile). The `cpu` answer
// also carries `gcMs`: the garbage collector's pause time so far (PerformanceObserver 'gc' entries).
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { buildCase } from './cases.mjs';

let requests = 0;
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });
let server;
let built;

function send(message) {
  process.send?.(message);
}

async function start({ name, ctx }) {
  built = await buildCase(name, ctx);
  server = createServer(built.app);
  server.keepAliveTimeout = 60_000;
  server.on('request', () => {
    requests++;
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  send({ type: 'ready', port: server.address().port, pid: process.pid });
}

async function close() {
  await new Promise((resolve) => {
    if (!server) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
  await built?.close?.();
  process.exit(0);
}

/**
 * Profiles of the measured phase only, through the inspector: `profile-start` `{ kind: 'cpu' }` starts V8's CPU
 * profiler; `{ kind: 'heap', interval }` its sampling heap profiler, counting the objects the GC already collected
 * too (so it sees every allocation, not what survives). `profile-stop` writes the profile to `file` (.cpuprofile
 * or .heapprofile, for Chrome DevTools) and answers the requests served in between.
 */
let inspector;
let profiling;
let profileFrom = 0;
async function profileStart({ kind, interval }) {
  inspector = new Session();
  inspector.connect();
  if (kind === 'cpu') {
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.setSamplingInterval', { interval: 100 });
    await inspector.post('Profiler.start');
  } else {
    await inspector.post('HeapProfiler.enable');
    await inspector.post('HeapProfiler.startSampling', {
      samplingInterval: interval,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  profiling = kind;
  profileFrom = requests;
  send({ type: 'profile-started' });
}
async function profileStop({ file }) {
  const served = requests - profileFrom;
  const { profile } = await inspector.post(
    profiling === 'cpu' ? 'Profiler.stop' : 'HeapProfiler.stopSampling',
  );
  inspector.disconnect();
  writeFileSync(file, JSON.stringify(profile));
  send({ type: 'profile-stopped', requests: served });
}

process.on('message', (message) => {
  switch (message?.type) {
    case 'start':
      start(message).catch((err) => {
        send({ type: 'error', message: err?.stack ?? String(err) });
        process.exit(1);
      });
      return;
    case 'cpu':
      send({ type: 'cpu', cpu: process.cpuUsage(), requests, gcMs });
      return;
    case 'profile-start':
      profileStart(message).catch((err) => send({ type: 'error', message: err?.stack ?? String(err) }));
      return;
    case 'profile-stop':
      profileStop(message).catch((err) => send({ type: 'error', message: err?.stack ?? String(err) }));
      return;
    case 'close':
      close().catch(() => process.exit(1));
      return;
  }
});
// The parent is gone (crashed or killed): do not linger.
process.on('disconnect', () => process.exit(0));
send({ type: 'loaded' });
