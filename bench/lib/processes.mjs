// Child processes of the benchmark, each pinned to a core with `taskset -c` where it exists, talking over IPC:
// the JWKS server, one server per case and run, and the load generator.
import { fork, spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

let tasksetChecked;
/** True when `taskset` (util-linux) can pin processes here, and the machine has at least two cores to pin to. */
export function canPin() {
  tasksetChecked ??= spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  return tasksetChecked;
}

/**
 * A node child process running `script` with an IPC channel. `core`: pin it there (`taskset -c core`) when possible.
 * Messages are queued until someone asks for them with `next(type)`.
 */
export class NodeChild {
  constructor(script, { core, nodeArgs = [], env, label = script, wrapper = [] } = {}) {
    this.label = label;
    const stdio = ['ignore', 'inherit', 'inherit', 'ipc'];
    const options = { stdio, env: { ...process.env, ...env } };
    this.pinned = core !== undefined && canPin();
    // `wrapper`: a command that runs node, e.g. valgrind (bench/instructions.mjs); the IPC channel passes through.
    const command = [...wrapper, process.execPath, ...nodeArgs, join(HERE, script)];
    this.child = this.pinned
      ? spawn('taskset', ['-c', String(core), ...command], options)
      : wrapper.length
        ? spawn(command[0], command.slice(1), options)
        : fork(join(HERE, script), [], { ...options, execArgv: nodeArgs });
    this.queue = [];
    this.waiters = [];
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitCode = code ?? signal;
        const error = new Error(`${this.label} exited (${String(code ?? signal)})`);
        for (const waiter of this.waiters.splice(0)) waiter.reject(error);
        resolve(code ?? signal);
      });
    });
    this.child.on('message', (message) => {
      if (message?.type === 'error') {
        const error = new Error(`${this.label}: ${message.message}`);
        for (const waiter of this.waiters.splice(0)) waiter.reject(error);
        return;
      }
      const index = this.waiters.findIndex((w) => w.type === message?.type);
      if (index >= 0) this.waiters.splice(index, 1)[0].resolve(message);
      else this.queue.push(message);
    });
  }

  /** The next message of `type` (queued or future); rejects after `timeoutMs` or when the child exits. */
  next(type, timeoutMs = 30_000) {
    const queued = this.queue.findIndex((m) => m?.type === type);
    if (queued >= 0) return Promise.resolve(this.queue.splice(queued, 1)[0]);
    if (this.exitCode !== undefined)
      return Promise.reject(new Error(`${this.label} has exited (${this.exitCode})`));
    return new Promise((resolve, reject) => {
      const waiter = {
        type,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`${this.label}: no '${type}' message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  send(message) {
    if (this.exitCode === undefined && this.child.connected) this.child.send(message);
  }

  /** Sends `message` and waits for the answer of type `type`. */
  call(message, type, timeoutMs) {
    const answer = this.next(type, timeoutMs);
    this.send(message);
    return answer;
  }

  /** Asks the child to close (`{ type: 'close' }`), then kills it (by its own pid) if it has not exited in time. */
  async stop(timeoutMs = 10_000) {
    if (this.exitCode !== undefined) return;
    this.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Starts the JWKS server (a separate process) publishing `jwks`. Returns `{ jwksUri, close }`. */
export async function startJwksServer(jwks, { core, issuer } = {}) {
  const child = new NodeChild('jwks-server.mjs', { core, label: 'jwks server' });
  try {
    await child.next('loaded');
    const { port } = await child.call({ type: 'start', jwks, issuer }, 'ready');
    return { jwksUri: `http://127.0.0.1:${port}/jwks.json`, close: () => child.stop() };
  } catch (err) {
    await child.stop(1000);
    throw err;
  }
}

/**
 * Starts a case's server in its own process (case-server.mjs). `ctx`: see `buildCase`. `nodeArgs`: e.g.
 * `['--cpu-prof', '--cpu-prof-dir=...']`; `wrapper`: a command in front of node (valgrind). Returns `{ port, pid, pinned, cpu(), profileStart(), profileStop(), close() }`;
 * `cpu()` resolves to `{ cpu: { user, system }, requests, gcMs }` read inside the server; `profileStart({ kind,
 * interval })` and `profileStop(file)` take a CPU or allocation profile of a phase (see case-server.mjs).
 */
export async function startCaseServer(name, ctx, { core, nodeArgs, wrapper, timeoutMs = 30_000 } = {}) {
  const child = new NodeChild('case-server.mjs', { core, nodeArgs, wrapper, label: `server ${name}` });
  try {
    await child.next('loaded', timeoutMs);
    const { port, pid } = await child.call({ type: 'start', name, ctx }, 'ready', timeoutMs);
    return {
      port,
      pid,
      pinned: child.pinned,
      cpu: () => child.call({ type: 'cpu' }, 'cpu', 10_000),
      profileStart: (options) => child.call({ type: 'profile-start', ...options }, 'profile-started', 10_000),
      profileStop: (file) => child.call({ type: 'profile-stop', file }, 'profile-stopped', 120_000),
      close: () => child.stop(),
      exited: child.exited,
    };
  } catch (err) {
    await child.stop(1000);
    throw err;
  }
}

/** Starts the load generator (load-worker.mjs) with the client-side fixture. */
export async function startLoadWorker(fixture, { core } = {}) {
  const child = new NodeChild('load-worker.mjs', { core, label: 'load generator' });
  await child.next('loaded');
  await child.call({ type: 'init', fixture }, 'initialised', 120_000);
  return { child, pinned: child.pinned, close: () => child.stop() };
}
