/**
 * One instance of a fleet for the test/fleet/ suites, in its own Node process. It loads the built package by its
 * name (dist/), as an installed dependency would be, and shares the mode, the ramp, the legacy store scan and the
 * registry with the other instances through a `redisStats()` store.
 *
 * Environment: ESB_REDIS_URL (one node) or ESB_CLUSTER_NODES (host:port,...: a Redis Cluster), ESB_CLIENT
 * (`ioredis` default, or `node-redis`), ESB_STATS_PREFIX, ESB_SESSION_SECRET, ESB_INSTANCE_ID, ESB_SYNC_MS,
 * ESB_MODE / ESB_PERCENT (construction options), ESB_DRAIN_INTERVAL_MS (turns `legacy.drain` on),
 * ESB_LIST_DELAY_MS (each listing of the legacy store takes this long), ESB_SYNC_BEFORE_LISTEN=1
 * (`await bridge.syncFleet()` before listening).
 *
 * The legacy store knows every session id: the session of sid `u-N` is user `u-N`, logged in, expiring in a day.
 * Its `all()` counts its calls (one per scan). Routes: GET /api/me (`requireUser()`), GET /__test/state,
 * POST /__test/configure (JSON body: configure options; 200, or 503 with the error code), GET /__test/report, GET /__test/stats (the public stats endpoint),
 * POST /__test/scan, GET /__test/list-calls, POST /__test/list-delay (`{ ms }`). Sends `{ type: 'ready', url }` over IPC; `{ type: 'close' }` closes.
 */
import { createServer } from 'node:http';
import express from 'express';
import { redisStats, sessionBridge } from 'express-session-bridge';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`fleet-instance: ${name} is required`);
  return value;
};

/** `sendCommand` for the chosen client, single node or cluster, with the settings docs/many-instances.md gives. */
async function connect() {
  const client = env('ESB_CLIENT', 'ioredis');
  const clusterNodes = process.env.ESB_CLUSTER_NODES?.split(',').map((hostPort) => {
    const [host, port] = hostPort.split(':');
    return { host, port: Number(port) };
  });
  if (client === 'node-redis') {
    if (clusterNodes) {
      const cluster = createCluster({
        rootNodes: clusterNodes.map(({ host, port }) => ({ url: `redis://${host}:${port}` })),
        defaults: { disableOfflineQueue: true, socket: { connectTimeout: 2000, reconnectStrategy: 200 } },
      });
      cluster.on('error', () => {});
      await cluster.connect();
      // EVAL/EVALSHA: the first key follows the key count; other commands: the first argument.
      const firstKey = (args) => (args[0].startsWith('EVAL') ? args[3] : args[1]);
      return {
        sendCommand: (...args) => cluster.sendCommand(firstKey(args), false, args),
        close: () => cluster.destroy(),
      };
    }
    const redis = createClient({
      url: env('ESB_REDIS_URL'),
      disableOfflineQueue: true,
      socket: { connectTimeout: 2000, reconnectStrategy: 200 },
    });
    redis.on('error', () => {});
    await redis.connect();
    return {
      sendCommand: (...args) => redis.sendCommand(args),
      close: () => redis.isOpen && redis.destroy(),
    };
  }
  const options = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    lazyConnect: true,
    retryStrategy: () => 200,
  };
  const redis = clusterNodes
    ? new Cluster(clusterNodes, { enableOfflineQueue: false, lazyConnect: true, redisOptions: options })
    : new Redis(env('ESB_REDIS_URL'), options);
  redis.on('error', () => {});
  await redis.connect();
  return { sendCommand: (command, ...args) => redis.call(command, ...args), close: () => redis.disconnect() };
}

const DAY = 86_400_000;
let listDelayMs = Number(env('ESB_LIST_DELAY_MS', '0'));
let listCalls = 0;
/** The legacy store: sid `u-N` is user `u-N`. Listing returns 20 sessions, after ESB_LIST_DELAY_MS. */
const legacyStore = {
  get(sid, callback) {
    setImmediate(() =>
      callback(null, { cookie: { expires: new Date(Date.now() + DAY).toISOString() }, userId: sid }),
    );
  },
  all(callback) {
    listCalls++;
    const expires = new Date(Date.now() + DAY).toISOString();
    const sessions = {};
    for (let i = 0; i < 20; i++) sessions[`u-${i}`] = { cookie: { expires }, userId: `u-${i}` };
    setTimeout(() => callback(null, sessions), listDelayMs);
  },
};

const redis = await connect();
const drainInterval = process.env.ESB_DRAIN_INTERVAL_MS;
const bridge = sessionBridge({
  legacy: {
    store: legacyStore,
    secret: env('ESB_SESSION_SECRET'),
    ...(drainInterval ? { drain: { intervalMs: Number(drainInterval) } } : {}),
  },
  mode: env('ESB_MODE', 'bridge'),
  cutover: { percent: Number(env('ESB_PERCENT', '0')) },
  stats: redisStats({ sendCommand: redis.sendCommand, prefix: env('ESB_STATS_PREFIX') }),
  fleet: { syncMs: Number(env('ESB_SYNC_MS', '1000')), instanceId: env('ESB_INSTANCE_ID'), timeoutMs: 1000 },
  recorder: { flushIntervalMs: 200 },
  debug: (message) => {
    if (process.env.ESB_DEBUG) console.error(`[${env('ESB_INSTANCE_ID')}] ${message}`);
  },
});
if (process.env.ESB_SYNC_BEFORE_LISTEN === '1') await bridge.syncFleet();

const app = express();
app.use(express.json());
app.get('/__test/state', (_req, res) => res.json({ mode: bridge.mode, percent: bridge.percent }));
app.post('/__test/configure', (req, res) => {
  bridge.configure(req.body).then(
    () => res.json({ ok: true, mode: bridge.mode, percent: bridge.percent }),
    (error) => res.status(503).json({ ok: false, code: error.code ?? error.name, message: String(error) }),
  );
});
app.get('/__test/report', (_req, res) => {
  bridge.report().then(
    (report) => res.json(report),
    (error) => res.status(503).json({ code: error.code, message: String(error) }),
  );
});
app.post('/__test/scan', (_req, res) => {
  bridge.scanLegacyStore().then(
    (scan) => res.json(scan),
    (error) => res.status(503).json({ code: error.code, message: String(error) }),
  );
});
app.get('/__test/stats', bridge.statsHandler({ public: true }));
app.get('/__test/list-calls', (_req, res) => res.json({ listCalls }));
app.post('/__test/list-delay', (req, res) => {
  listDelayMs = Number(req.body.ms);
  res.json({ listDelayMs });
});
app.use(bridge);
app.get('/api/me', bridge.requireUser(), (req, res) =>
  res.json({ userId: req.auth.userId, kind: req.auth.kind }),
);
app.use((err, _req, res, _next) => res.status(500).json({ unexpected: true, message: String(err) }));

const server = createServer(app);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

async function shutdown(code) {
  try {
    await bridge.close();
    await new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await redis.close();
  } finally {
    process.exit(code);
  }
}
process.on('message', (message) => {
  if (message?.type === 'close') void shutdown(0);
});
process.on('disconnect', () => void shutdown(1));
process.send?.({ type: 'ready', url: `http://127.0.0.1:${server.address().port}` });
