/**
 * A second application instance for test/e2e/redis-two-instances.test.ts, in its own process. It loads the
 * built package by its name (dist/, built by test/global-setup.ts), as an installed dependency would be, and
 * builds the same app as `buildBridgeApp` in test/helpers/bridge-traffic.ts, with its own Redis clients:
 * ioredis for the stats store, node-redis for connect-redis (the legacy sessions the other instance writes).
 *
 * Configuration comes from the environment (see `env()` calls). It listens on 127.0.0.1 (ephemeral port), sends
 * `{ type: 'ready', url }` over IPC, and on `{ type: 'close' }` closes the bridge (final flush), its server and
 * clients, then exits. It also serves `POST /__test/flush` (the bridge's `flushStats()`), before the bridge.
 */
import { createServer } from 'node:http';
import { RedisStore } from 'connect-redis';
import express from 'express';
import { redisStats, sessionBridge } from 'express-session-bridge';
import { Redis } from 'ioredis';
import { createClient } from 'redis';

function env(name) {
  const value = process.env[name];
  if (!value) throw new Error(`bridge-instance: ${name} is required`);
  return value;
}

const SIM_TIME_HEADER = 'x-sim-time';
const ADMIN_KEY_HEADER = 'x-admin-key';
const adminKey = env('ESB_ADMIN_KEY');

// Same as legacyUserIdOf in test/helpers/bridge-traffic.ts.
async function legacyUserIdOf(session) {
  if (session.userLookup === 'broken') throw new Error('user directory unavailable');
  return typeof session.userId === 'string' ? session.userId : undefined;
}

// The stats client as the redisStats docs recommend: commands fail while disconnected.
const statsClient = new Redis(env('ESB_REDIS_URL'), {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 1,
  connectTimeout: 2000,
  lazyConnect: true,
});
statsClient.on('error', () => {});
await statsClient.connect();

const sessionClient = createClient({ url: env('ESB_REDIS_URL') });
sessionClient.on('error', () => {});
await sessionClient.connect();

const clock = { now: Date.now() };
const bridge = sessionBridge({
  legacy: {
    store: new RedisStore({ client: sessionClient, prefix: env('ESB_SESSION_PREFIX') }),
    secret: env('ESB_SESSION_SECRET'),
    userId: legacyUserIdOf,
  },
  provider: {
    issuer: env('ESB_ISSUER'),
    audience: env('ESB_AUDIENCE'),
    jwksUri: env('ESB_JWKS_URI'),
    name: env('ESB_PROVIDER_NAME'),
  },
  stats: redisStats({
    sendCommand: (command, ...args) => statsClient.call(command, ...args),
    prefix: env('ESB_STATS_PREFIX'),
  }),
  recorder: { flushIntervalMs: Number(env('ESB_FLUSH_INTERVAL_MS')) },
  now: () => clock.now,
});

const app = express();
app.use((req, _res, next) => {
  const header = req.headers[SIM_TIME_HEADER];
  if (typeof header === 'string') clock.now = Number(header);
  next();
});
app.get(
  '/admin/migration',
  bridge.statsHandler({ authorize: (req) => req.headers[ADMIN_KEY_HEADER] === adminKey }),
);
app.post('/__test/flush', async (_req, res) => {
  await bridge.flushStats();
  res.json({ flushed: true });
});
app.use(bridge);
const userOf = (req) => (req.auth ? { userId: req.auth.userId, kind: req.auth.kind } : null);
app.get('/api/whoami', (req, res) => {
  res.json(userOf(req));
});
app.get('/api/me', bridge.requireUser(), (req, res) => {
  res.json(userOf(req));
});
app.use((err, _req, res, _next) => {
  res.status(500).json({ unexpected: true, message: String(err) });
});

const server = createServer(app);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

async function shutdown(code) {
  try {
    await bridge.close();
    await new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    statsClient.disconnect();
    if (sessionClient.isOpen) sessionClient.destroy();
  } finally {
    process.exit(code);
  }
}

process.on('message', (message) => {
  if (message?.type === 'close') void shutdown(0);
});
// The test process went away without closing us.
process.on('disconnect', () => void shutdown(1));
process.send?.({ type: 'ready', url: `http://127.0.0.1:${server.address().port}` });
