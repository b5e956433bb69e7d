/**
 * A private three-master Redis Cluster for tests: three `redis-server --cluster-enabled yes` on free loopback
 * ports (no persistence, config files in a temporary directory), joined by `redis-cli --cluster create`.
 * Always `stop()` it: the servers are killed and the directory removed.
 *
 * Clients, with the settings docs/many-instances.md recommends (commands fail fast instead of queueing):
 * `nodeRedisCluster()` (node-redis `createCluster`) and `ioredisCluster()` (ioredis `Cluster`), each with the
 * `sendCommand` the stores take.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { createCluster } from 'redis';
import { freePort, type RedisConnection } from './redis.js';

export interface RedisCluster {
  ports: number[];
  /** `host:port,...`, for test/fleet/fleet-instance.mjs (ESB_CLUSTER_NODES). */
  nodes: string;
  stop(): Promise<void>;
}

/** True when `redis-server` and `redis-cli` are on the PATH. */
export function hasRedisClusterTools(): boolean {
  return (
    spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0 &&
    spawnSync('redis-cli', ['--version'], { stdio: 'ignore' }).status === 0
  );
}

function clusterOk(port: number): boolean {
  const info = spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' });
  return info.stdout.includes('cluster_state:ok');
}

export async function startRedisCluster(): Promise<RedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'esb-cluster-'));
  const ports: number[] = [];
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      ports.push(port);
      children.push(
        spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--dir',
            dir,
            '--save',
            '',
            '--appendonly',
            'no',
            '--daemonize',
            'no',
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    for (const port of ports) {
      for (let i = 0; ; i++) {
        if (
          spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout.includes('PONG')
        )
          break;
        if (i > 100) throw new Error(`redis-server did not start on ${port}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8' },
    );
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    for (let i = 0; !ports.every(clusterOk); i++) {
      if (i > 100) throw new Error('the cluster did not reach cluster_state:ok');
      await new Promise((r) => setTimeout(r, 100));
    }
    return { ports, nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** node-redis `createCluster`; `sendCommand` routes by the first key (after the key count for EVAL/EVALSHA). */
export async function nodeRedisCluster(cluster: RedisCluster): Promise<RedisConnection> {
  const client = createCluster({
    rootNodes: cluster.ports.map((p) => ({ url: `redis://127.0.0.1:${p}` })),
    defaults: { disableOfflineQueue: true, socket: { connectTimeout: 2000, reconnectStrategy: 200 } },
  });
  client.on('error', () => {});
  await client.connect();
  const firstKey = (args: string[]) => (args[0]?.toUpperCase().startsWith('EVAL') ? args[3] : args[1]);
  return {
    sendCommand: (...args) => client.sendCommand(firstKey(args), false, args),
    close: async () => client.destroy(),
  };
}

/** ioredis `Cluster`; it routes every command by its keys itself. */
export async function ioredisCluster(cluster: RedisCluster): Promise<RedisConnection> {
  const client = new Cluster(
    cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
    {
      enableOfflineQueue: false,
      lazyConnect: true,
      redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 2000 },
    },
  );
  client.on('error', () => {});
  await client.connect();
  return {
    sendCommand: (command, ...args) => client.call(command as string, ...args),
    close: async () => client.disconnect(),
  };
}
