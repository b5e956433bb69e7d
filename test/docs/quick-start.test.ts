/**
 * The README's quick start, as a new user would run it: the first `js` block under "## Quick start" is copied
 * into a scratch app (`.tmp/`, where `express-session-bridge` resolves to this package's dist/), given only the
 * placeholders it names (environment variables), and run as its own process against the example app's OpenID
 * provider (example-app/oidc-provider.js, mounted by the example under /oidc) and the real Redis.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { RedisStore } from 'connect-redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunningExample } from '../../example-app/server.js';
import { CookieJar, providerSignIn } from '../helpers/example-flows.js';
import { destroySession, setSession, signedCookie } from '../helpers/legacy.js';
import {
  connectNodeRedis,
  describeRedis,
  freePort,
  type NodeRedisClient,
  REDIS_URL,
} from '../helpers/redis.js';

const root = resolve(import.meta.dirname, '../..');

/** The first ```js block after the "## Quick start" heading of the README. */
function quickStartCode(readme: string): string {
  const section = readme.slice(readme.indexOf('\n## Quick start'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error('README.md has no ```js block under "## Quick start"');
  return match[1];
}

/** The environment variables the quick start reads (`process.env.NAME`). */
function placeholders(code: string): string[] {
  return [...new Set([...code.matchAll(/process\.env\.([A-Z_]+)/g)].map((m) => m[1] ?? ''))].sort();
}

await describeRedis('the README quick start', () => {
  const secret = `quick-start-${randomBytes(8).toString('hex')}`;
  const sid = `quick-start-${randomBytes(12).toString('hex')}`;
  const legacyUserId = `u_${randomBytes(4).toString('hex')}`;
  const scratch = resolve(root, '.tmp', `quick-start-${randomBytes(4).toString('hex')}`);
  let example: RunningExample;
  let redis: NodeRedisClient;
  let store: RedisStore;
  let app: ChildProcess | undefined;
  let base = '';
  let output = '';

  beforeAll(async () => {
    const { start } = await import('../../example-app/server.js');
    example = await start({ port: 0, mode: 'bridge' });
    redis = (await connectNodeRedis(REDIS_URL)).client;
    // A legacy login as express-session writes it through connect-redis with its defaults.
    store = new RedisStore({ client: redis });
    await setSession(store, sid, {
      cookie: { originalMaxAge: null, httpOnly: true, path: '/' },
      userId: legacyUserId,
    });

    const code = quickStartCode(readFileSync(resolve(root, 'README.md'), 'utf8'));
    mkdirSync(scratch, { recursive: true });
    writeFileSync(resolve(scratch, 'app.mjs'), code);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = {
      REDIS_URL,
      SESSION_SECRET: secret,
      OIDC_ISSUER: `${example.url}/oidc`,
      OIDC_AUDIENCE: `${example.url}/api`,
      ADMIN_USER_IDS: 'alice',
      PORT: String(port),
    };
    expect(placeholders(code)).toEqual(Object.keys(env).sort());
    app = spawn(process.execPath, ['app.mjs'], {
      cwd: scratch,
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    app.stdout?.on('data', (chunk) => (output += chunk));
    app.stderr?.on('data', (chunk) => (output += chunk));
    for (let i = 0; ; i++) {
      if (app.exitCode !== null) throw new Error(`the quick start exited (${app.exitCode}):\n${output}`);
      const up = await fetch(`${base}/api/me`).then(
        () => true,
        () => false,
      );
      if (up) break;
      if (i > 100) throw new Error(`the quick start did not listen within 10 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    app?.kill();
    if (store) await destroySession(store, sid);
    await redis?.close();
    await example?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('answers 401 to a request without credentials', async () => {
    const res = await fetch(`${base}/api/me`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
  });

  it('resolves a legacy connect-redis session to its user', async () => {
    const res = await fetch(`${base}/api/me`, { headers: { cookie: signedCookie(sid, secret) } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ userId: legacyUserId, kind: 'legacy' });
  });

  it("resolves the provider's access token to its subject, and serves the stats to an admin", async () => {
    const token = await providerSignIn(example.url, new CookieJar(), 'alice');
    const me = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toEqual({ userId: 'alice', kind: 'provider' });

    const denied = await fetch(`${base}/admin/migration`, { headers: { cookie: signedCookie(sid, secret) } });
    expect(denied.status).toBe(403);

    let report: { totals: { users: { legacy: number; provider: number } } } | undefined;
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${base}/admin/migration`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      report = (await res.json()) as typeof report;
      if (report?.totals.users.legacy === 1 && report.totals.users.provider === 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(report?.totals.users).toMatchObject({ legacy: 1, provider: 1 });
  });
});
