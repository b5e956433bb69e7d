/**
 * Fleet instances in their own Node processes (test/fleet/fleet-instance.mjs, the built package): start them,
 * talk to them over HTTP, kill them.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { resolve } from 'node:path';
import { signedCookie } from '../helpers/legacy.js';

export const FLEET_SECRET = 'fleet-session-secret';

export interface FleetProcess {
  id: string;
  url: string;
  get<T = Record<string, unknown>>(path: string, cookieSid?: string): Promise<{ status: number; body: T }>;
  post<T = Record<string, unknown>>(path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** The mode and percent it applies now. */
  state(): Promise<{ mode: string; percent: number }>;
  /** `GET /api/me` as legacy user `sid`: 200 admitted, 401 refused by the ramp. */
  me(sid: string): Promise<number>;
  /** Asks it to close (final flush) and waits for the exit. */
  close(): Promise<void>;
  /** SIGKILL: dies at once, mid-scan if it scans. */
  kill(): Promise<void>;
}

export async function startFleetProcess(env: Record<string, string>): Promise<FleetProcess> {
  const id = env.ESB_INSTANCE_ID ?? 'instance';
  const child: ChildProcess = fork(resolve(import.meta.dirname, 'fleet-instance.mjs'), [], {
    env: { ...process.env, ESB_SESSION_SECRET: FLEET_SECRET, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = await new Promise<string>((ready, reject) => {
    const timer = setTimeout(() => reject(new Error(`${id} did not start within 15 s`)), 15_000);
    child.once('message', (message) => {
      clearTimeout(timer);
      ready((message as { url: string }).url);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${id} exited with ${String(code)} before it was ready`));
    });
  });
  const call = async <T>(method: string, path: string, body?: unknown, sid?: string) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (sid !== undefined) headers.cookie = signedCookie(sid, FLEET_SECRET);
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const instance: FleetProcess = {
    id,
    url,
    get: (path, sid) => call('GET', path, undefined, sid),
    post: (path, body) => call('POST', path, body ?? {}),
    state: async () => (await call<{ mode: string; percent: number }>('GET', '/__test/state')).body,
    me: async (sid) => (await call('GET', '/api/me', undefined, sid)).status,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: 'close' });
      await exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  return instance;
}

/** Milliseconds until `check` holds (polled every 20 ms), or throws after `withinMs`. */
export async function msUntil(
  check: () => Promise<boolean>,
  withinMs: number,
  what: string,
): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The statuses of `GET /api/me` for each user, `rounds` requests per user spread round robin over `instances`. */
export async function answersPerUser(
  instances: readonly FleetProcess[],
  users: readonly string[],
  rounds: number,
): Promise<Map<string, Set<number>>> {
  const answers = new Map<string, Set<number>>(users.map((u) => [u, new Set<number>()]));
  let n = 0;
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      users.map(async (user) => {
        const instance = instances[n++ % instances.length] as FleetProcess;
        answers.get(user)?.add(await instance.me(user));
      }),
    );
  }
  return answers;
}
