// One benchmark case's server, in its own process (forked by processes.mjs, pinned to its own core).
//
// IPC protocol: receives `{ type: 'start', name, ctx }`, builds the case (cases.mjs), listens on 127.0.0.1 (ephemeral
// port) and answers `{ type: 'ready', port }`. `{ type: 'cpu' }` answers `{ type: 'cpu', cpu: process.cpuUsage(),
// requests }` (requests served so far), so the CPU time per request is measured inside this process only.
// `{ type: 'close' }` closes the app and exits normally (so `node --cpu-prof` writes its profile).
import { createServer } from 'node:http';
import { buildCase } from './cases.mjs';

let requests = 0;
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

process.on('message', (message) => {
  switch (message?.type) {
    case 'start':
      start(message).catch((err) => {
        send({ type: 'error', message: err?.stack ?? String(err) });
        process.exit(1);
      });
      return;
    case 'cpu':
      send({ type: 'cpu', cpu: process.cpuUsage(), requests });
      return;
    case 'close':
      close().catch(() => process.exit(1));
      return;
  }
});
// The parent is gone (crashed or killed): do not linger.
process.on('disconnect', () => process.exit(0));
send({ type: 'loaded' });
