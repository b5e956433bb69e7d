/**
 * The server side of `npm run soak`: the example app, unchanged (example-app/server.js `start()`), alone in a
 * child process so that its heap and RSS are not mixed with the load generator's. scripts/soak.mjs forks it.
 *
 * Over IPC it answers `{ type: 'memory', id, gc }` with `process.memoryUsage()` (after two full collections when
 * `gc` is asked for and the process runs with --expose-gc) and with the requests it has seen, among them the
 * provider's JWKS and discovery routes. They are counted by a `request` listener put in front of the app's own:
 * it only reads `req.url`, so the app handles every request exactly as it would without it. The JWKS is fetched
 * over HTTP by the bridge inside this same process, so every fetch shows up here.
 */
import { start } from '../example-app/server.js';

if (typeof process.send !== 'function') {
  console.error('scripts/soak-server.mjs is started by scripts/soak.mjs (npm run soak), not on its own.');
  process.exit(1);
}

const seen = { requests: 0, jwks: 0, discovery: 0 };
const example = await start({ port: 0, host: '127.0.0.1', mode: 'bridge' });
example.server.prependListener('request', (req) => {
  seen.requests++;
  const path = (req.url ?? '').split('?')[0];
  if (path === '/oidc/jwks') seen.jwks++;
  else if (path === '/oidc/.well-known/openid-configuration') seen.discovery++;
});

process.on('message', (message) => {
  if (message?.type === 'memory') {
    if (message.gc && typeof globalThis.gc === 'function') {
      globalThis.gc();
      globalThis.gc();
    }
    process.send({ type: 'memory', id: message.id, memory: process.memoryUsage(), seen: { ...seen } });
  } else if (message?.type === 'close') {
    example.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  }
});
// The soak script went away without saying goodbye: do not linger.
process.on('disconnect', () => process.exit(0));

process.send({
  type: 'ready',
  url: example.url,
  port: example.server.address().port,
  gc: typeof globalThis.gc === 'function',
});
