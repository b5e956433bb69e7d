/**
 * Real Redis for tests.
 *
 * The shared server is `REDIS_URL` (default redis://127.0.0.1:6379). When it is unreachable the suites
 * wrapped in `describeRedis` skip with a message saying so; with `REQUIRE_REDIS=1` (CI) they fail instead.
 *
 * ```ts
 * await describeRedis('redisStats', () => {
 *   let redis: RedisConnection;
 *   beforeAll(async () => { redis = await connectNodeRedis(); });
 *   afterAll(() => redis.close());
 *   it('...', async () => {
 *     const prefix = testPrefix('redis-store');
 *     onTestFinished(() => deleteKeys(redis.sendCommand, prefix));
 *   });
 * });
 * ```
 *
 * `startRedisServer()` runs a private `redis-server` on a free port (no persistence), for tests that stop
 * and restart Redis or measure its memory without other suites writing to it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { Redis, type RedisOptions } from 'ioredis';
import { createClient, type RedisClientOptions } from 'redis';
import { describe } from 'vitest';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REQUIRE_REDIS = process.env.REQUIRE_REDIS === '1';

/** `sendCommand` as the stores take it. */
export type SendCommand = (...args: string[]) => Promise<unknown>;

let probe: Promise<string | null> | undefined;

/** Null when Redis at `url` answers PING within a second, else why not. */
async function probeRedis(url: string): Promise<string | null> {
  const client = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message || error.name : String(error);
  } finally {
    if (client.isOpen) client.destroy();
  }
}

/**
 * The shared Redis URL when it is reachable; `null` (after logging why) when not. Throws when it is
 * unreachable and `REQUIRE_REDIS=1`. Probes once per test file.
 */
export async function redisOrSkip(): Promise<{ url: string } | null> {
  probe ??= probeRedis(REDIS_URL);
  const failure = await probe;
  if (failure === null) return { url: REDIS_URL };
  const message = `Redis is unreachable at ${REDIS_URL} (${failure}): start redis-server or set REDIS_URL`;
  if (REQUIRE_REDIS) throw new Error(`${message}. REQUIRE_REDIS=1 makes this a failure.`);
  console.warn(`${message}. Skipping the Redis suites (REQUIRE_REDIS=1 makes this a failure).`);
  return null;
}

/**
 * `describe` when the shared Redis is reachable, `describe.skip` with the reason in its name when not,
 * and a failure when not and `REQUIRE_REDIS=1`. Use with top-level await: `await describeRedis(...)`.
 */
export async function describeRedis(name: string, fn: () => void): Promise<void> {
  const redis = await redisOrSkip();
  if (redis) describe(name, fn);
  else describe.skip(`${name} [skipped: no Redis at ${REDIS_URL}]`, fn);
}

/** A unique key prefix for one test: `esb-test:<name>:<random>:`. */
export function testPrefix(name: string): string {
  return `esb-test:${name}:${randomBytes(6).toString('hex')}:`;
}

/** Escapes the glob characters of SCAN MATCH. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Every key starting with `prefix` (SCAN MATCH). */
export async function scanKeys(sendCommand: SendCommand, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const reply = (await sendCommand('SCAN', cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', '1000')) as [
      unknown,
      unknown[],
    ];
    cursor = String(reply[0]);
    for (const key of reply[1]) keys.push(String(key));
  } while (cursor !== '0');
  return keys;
}

/**
 * Every key starting with `prefix` and its value, as text (hashes by HGETALL, sorted sets with their scores,
 * lists by LRANGE, everything else by GET: strings, HyperLogLogs, the Bloom filter), for asserting what a store wrote.
 */
export async function dumpKeys(sendCommand: SendCommand, prefix: string): Promise<string> {
  let text = '';
  for (const key of await scanKeys(sendCommand, prefix)) {
    const type = String(await sendCommand('TYPE', key));
    const value =
      type === 'hash'
        ? await sendCommand('HGETALL', key)
        : type === 'zset'
          ? await sendCommand('ZRANGE', key, '0', '-1', 'WITHSCORES')
          : type === 'list'
            ? await sendCommand('LRANGE', key, '0', '-1')
            : await sendCommand('GET', key);
    text += `${key}\n${JSON.stringify(value)}\n`;
  }
  return text;
}

/** Deletes every key starting with `prefix` (SCAN + UNLINK). */
export async function deleteKeys(sendCommand: SendCommand, prefix: string): Promise<void> {
  const keys = await scanKeys(sendCommand, prefix);
  for (let i = 0; i < keys.length; i += 500) await sendCommand('UNLINK', ...keys.slice(i, i + 500));
}

export interface RedisConnection {
  /** The store-facing adapter. */
  sendCommand: SendCommand;
  close(): Promise<void>;
}

export type NodeRedisClient = ReturnType<typeof createClient>;

/**
 * A connected node-redis v5 client with the options docs/stats.md recommends for stats: commands fail
 * while disconnected instead of waiting in the offline queue.
 */
export async function connectNodeRedis(
  url: string = REDIS_URL,
  options: RedisClientOptions = {},
): Promise<RedisConnection & { client: NodeRedisClient }> {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: 2000, reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 500) },
    ...options,
  });
  client.on('error', () => {});
  await client.connect();
  return {
    client,
    sendCommand: (...args) => client.sendCommand(args),
    close: async () => {
      if (client.isOpen) client.destroy();
    },
  };
}

/** A connected ioredis client that fails commands while disconnected (no offline queue, no retries). */
export async function connectIoredis(
  url: string = REDIS_URL,
  options: RedisOptions = {},
): Promise<RedisConnection & { client: Redis }> {
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    lazyConnect: true,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 500),
    ...options,
  });
  client.on('error', () => {});
  await client.connect();
  return {
    client,
    sendCommand: (command, ...args) => client.call(command!, ...args),
    close: async () => {
      client.disconnect();
    },
  };
}

/** A local TCP port that nothing listens on (at the time of the call). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** True when a `redis-server` binary is on the PATH. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * `describe` for suites that start their own redis-server (to stop and restart it): skips with a clear
 * message when the binary is missing, unless REQUIRE_REDIS=1, where that is a failure.
 */
export function describeWithRedisServer(name: string, fn: () => void): void {
  if (hasRedisServer()) {
    describe(name, fn);
    return;
  }
  if (process.env.REQUIRE_REDIS === '1') {
    throw new Error(
      'redis-server is not on the PATH: install it (apt-get install redis-server). REQUIRE_REDIS=1',
    );
  }
  describe.skip(`${name} [skipped: no redis-server binary on the PATH]`, fn);
}

export interface RedisServer {
  port: number;
  url: string;
  /** Stops the server (SIGTERM: without `persistDir` all data is gone) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty, unless `persistDir`) and waits until it answers PING. */
  start(): Promise<void>;
}

async function answersPing(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

/**
 * Starts a private `redis-server` (no RDB, no AOF) on a free port. Stop it in `afterAll`. Throws when the
 * binary is missing: check `hasRedisServer()` first. With `persistDir`, an append-only file there (fsync on
 * every write) keeps the data across `stop()` and `start()`, like a production Redis that restarts.
 */
export async function startRedisServer(options: { persistDir?: string } = {}): Promise<RedisServer> {
  if (options.persistDir) mkdirSync(options.persistDir, { recursive: true });
  const persistence = options.persistDir
    ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.persistDir]
    : ['--appendonly', 'no'];
  const port = await freePort();
  let child: ChildProcess | undefined;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child) throw new Error('redis-server is already running');
      const proc = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence],
        { stdio: 'ignore' },
      );
      child = proc;
      proc.once('exit', () => {
        if (child === proc) child = undefined;
      });
      for (let i = 0; i < 100; i++) {
        if (await answersPing(port)) return;
        if (!child) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`redis-server did not start on port ${port}`);
    },
    async stop() {
      const proc = child;
      if (!proc) return;
      child = undefined;
      const exited = new Promise((resolve) => proc.once('exit', resolve));
      proc.kill('SIGTERM');
      await exited;
    },
  };
  await server.start();
  return server;
}
