/**
 * The example app end to end: the real app (express-session login, oidc-provider under /oidc, the bridge) on an
 * ephemeral port, driven over HTTP and through both logins in headless Chromium; plus `simulate.js` against its
 * ground truth. Browser tests skip without /usr/bin/chromium unless CI=true or REQUIRE_BROWSER=1.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningExample } from '../example-app/server.js';
import type { MigrationReport } from '../src/index.js';
import { launchChromium, skipBrowserSuite } from './helpers/browser.js';

const root = resolve(import.meta.dirname, '..');
interface Me {
  userId: string;
  kind: 'legacy' | 'provider';
  presented: string[];
  provider?: string;
  subject?: string;
}

let example: RunningExample;

beforeAll(async () => {
  // The example imports the package by its own name, which resolves to dist/ (built by test/global-setup.ts).
  const { start } = await import('../example-app/server.js');
  example = await start({ port: 0, mode: 'bridge' });
});

afterAll(async () => {
  await example?.close();
});

/** Signs in with the legacy form; returns the `connect.sid=...` cookie. */
async function legacyLogin(username: string, password: string): Promise<string | undefined> {
  const res = await fetch(`${example.url}/login`, {
    method: 'POST',
    body: new URLSearchParams({ username, password }),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  return res.headers
    .getSetCookie()
    .find((c) => c.startsWith('connect.sid='))
    ?.split(';')[0];
}

function me(headers: Record<string, string> = {}) {
  return fetch(`${example.url}/api/me`, { headers });
}

describe('example app over HTTP', () => {
  it('answers 401 with a Bearer challenge when no credential is sent', async () => {
    const res = await me();
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm=/);
  });

  it('sets no session cookie for a wrong password', async () => {
    expect(await legacyLogin('alice', 'wrong')).toBeUndefined();
  });

  it('resolves a legacy form login to kind legacy, and logout destroys the session', async () => {
    const cookie = await legacyLogin('bob', 'bob');
    expect(cookie).toBeDefined();
    const res = await me({ cookie: cookie! });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ userId: 'u_1002', kind: 'legacy', presented: ['legacy'] });

    const logout = await fetch(`${example.url}/logout`, {
      method: 'POST',
      headers: { cookie: cookie! },
      redirect: 'manual',
    });
    expect(logout.status).toBe(303);
    expect((await me({ cookie: cookie! })).status).toBe(401);
  });

  it('serves the migration report to alice and refuses it to bob and to nobody', async () => {
    const alice = await legacyLogin('alice', 'alice');
    const bob = await legacyLogin('bob', 'bob');
    const report = async () => {
      const res = await fetch(`${example.url}/admin/migration`, {
        headers: { cookie: alice!, accept: 'application/json' },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { totals: { users: { legacy: number } } };
    };
    // Stats are recorded off the request path and flushed every second (recorder default).
    await expect
      .poll(async () => (await report()).totals.users.legacy, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(1);
    const refused = await fetch(`${example.url}/admin/migration`, {
      headers: { cookie: bob!, accept: 'application/json' },
    });
    expect([401, 403]).toContain(refused.status);
    const anonymous = await fetch(`${example.url}/admin/migration`, {
      headers: { accept: 'application/json' },
    });
    expect([401, 403]).toContain(anonymous.status);
  });
});

describe.skipIf(skipBrowserSuite('example-app browser'))('example app in headless Chromium', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every URL the browser requested, from every page of the context (nothing is blocked or rerouted). */
  const requested: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    context = await browser.newContext();
    context.on('request', (request) => requested.push(request.url()));
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
  });

  const who = () => page.getByTestId('who');
  async function shownMe(): Promise<{ status: number; body: Me }> {
    await who().waitFor();
    const text = (await page.getByTestId('me-json').textContent()) ?? '';
    const [statusLine = '', ...json] = text.split('\n');
    return { status: Number(statusLine.replace('HTTP ', '')), body: JSON.parse(json.join('\n')) as Me };
  }
  async function cookie(name: string) {
    return (await context.cookies(example.url)).find((c) => c.name === name);
  }

  it('shows a new visitor as not signed in', async () => {
    await page.goto(example.url);
    await expect.poll(() => who().textContent()).toContain('Not signed in');
  });

  it('signs in with the legacy form and shows kind legacy', async () => {
    await page.fill('form.login input[name=username]', 'alice');
    await page.fill('form.login input[name=password]', 'alice');
    await page.getByRole('button', { name: 'Sign in (old login)' }).click();
    await page.getByTestId('kind').waitFor();
    const { status, body } = await shownMe();
    expect(status).toBe(200);
    expect(body).toMatchObject({ userId: 'u_1001', kind: 'legacy', presented: ['legacy'] });
  });

  it('signs in at the provider (login + consent) and shows kind provider linked to u_1001', async () => {
    await page.getByRole('link', { name: 'Sign in with the new provider' }).click();
    await page.waitForURL(/\/oidc\/interaction\//);
    mkdirSync(resolve(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: resolve(root, 'test-results/example-provider-login.png') });
    await page.fill('input[name=login]', 'alice');
    await page.fill('input[name=password]', 'any password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Continue' }).click(); // consent: profile, api:read
    await page.waitForURL(`${example.url}/?notice=provider-signed-in`);
    await page.getByTestId('kind').waitFor();
    const { status, body } = await shownMe();
    expect(status).toBe(200);
    expect(body).toMatchObject({
      userId: 'u_1001',
      kind: 'provider',
      presented: ['legacy', 'provider'],
      provider: `${example.url}/oidc`,
      subject: 'alice',
    });
    const at = await cookie('provider_at');
    expect(at?.httpOnly).toBe(true);
    mkdirSync(resolve(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: resolve(root, 'test-results/example-app.png'), fullPage: true });
  });

  it('opens the HTML dashboard for alice, which counts her as migrated once her sign-ins are flushed', async () => {
    const dashboard = await context.newPage();
    try {
      const res = await dashboard.goto(`${example.url}/admin/migration`);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-type']).toMatch(/^text\/html/);
      // Figures may lag by the flush interval; what is still buffered is said, not silently left out.
      expect(await dashboard.locator('#lag').textContent()).toContain('lag the requests by up to 1 second');
      const pending = dashboard.locator('#pending');
      if ((await pending.count()) > 0) expect(await pending.textContent()).toMatch(/^\d+ events? pending/);
      await expect
        .poll(
          async () => {
            await dashboard.reload();
            return dashboard.locator('#migrated').textContent();
          },
          { timeout: 10_000, interval: 500 },
        )
        .toBe('1');
      mkdirSync(resolve(root, 'test-results'), { recursive: true });
      await dashboard.screenshot({
        path: resolve(root, 'test-results/example-dashboard.png'),
        fullPage: true,
      });
    } finally {
      await dashboard.close();
    }
  });

  it('shows a browser without access a page that says to sign in, not JSON', async () => {
    const other = await browser.newContext();
    other.on('request', (request) => requested.push(request.url()));
    try {
      const anonymous = await other.newPage();
      const res = await anonymous.goto(`${example.url}/admin/migration`);
      expect(res?.status()).toBe(401);
      expect(res?.headers()['content-type']).toMatch(/^text\/html/);
      expect(res?.headers()['www-authenticate']).toMatch(/^Bearer realm=/);
      expect(await anonymous.locator('h1').textContent()).toBe('Sign in to see the migration dashboard');
      await anonymous.screenshot({ path: resolve(root, 'test-results/example-dashboard-401.png') });
    } finally {
      await other.close();
    }
  });

  it('accepts the same token as a Bearer header, and refuses it next to another user’s legacy session', async () => {
    const token = (await cookie('provider_at'))!.value;
    const bearer = await me({ authorization: `Bearer ${token}` });
    expect(await bearer.json()).toMatchObject({
      userId: 'u_1001',
      kind: 'provider',
      presented: ['provider'],
    });
    const bob = await legacyLogin('bob', 'bob');
    const conflict = await me({ authorization: `Bearer ${token}`, cookie: bob! });
    expect(conflict.status).toBe(400);
    expect(await conflict.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('logs out of the old login and keeps the provider session', async () => {
    await page.getByRole('button', { name: 'Log out of the old login' }).click();
    await page.waitForURL(/notice=legacy-signed-out/);
    await page.getByTestId('kind').waitFor();
    expect((await shownMe()).body).toMatchObject({
      userId: 'u_1001',
      kind: 'provider',
      presented: ['provider'],
    });
  });

  it('logs out of the provider: the cookie is gone and the provider asks for a login again', async () => {
    await page.getByRole('button', { name: 'Log out of the new provider' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL(`${example.url}/`);
    await expect.poll(() => who().textContent()).toContain('Not signed in');
    expect(await cookie('provider_at')).toBeUndefined();
    await page.getByRole('link', { name: 'Sign in with the new provider' }).click();
    await page.locator('input[name=login]').waitFor();
  });

  it('loaded nothing from outside the machine through both sign-ins, the provider pages and the dashboard', () => {
    const origin = new URL(example.url).origin;
    // The run above went through every kind of page: the app, the provider's sign-in, consent and sign-out
    // pages, and the dashboard (signed in, and refused).
    for (const path of ['/oidc/interaction/', '/oidc/session/end', '/admin/migration', '/auth/callback']) {
      expect(
        requested.some((url) => new URL(url).pathname.startsWith(path)),
        path,
      ).toBe(true);
    }
    expect(requested.filter((url) => new URL(url).origin !== origin)).toEqual([]);
    expect(new Set(requested.map((url) => new URL(url).hostname))).toEqual(new Set(['localhost']));
  });
});

describe('npm run simulate', () => {
  it('reports exactly the ground truth of a scripted population', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['example-app/simulate.js', '--users', '60', '--days', '10', '--speed', '0', '--port', '0', '--once'],
      { cwd: root, timeout: 60_000 },
    );
    expect(stdout).toContain('All figures match the ground truth. Failed requests: 0.');
    expect(stdout).not.toContain('MISMATCH');
  }, 90_000);

  it('prints per-day figures and a user count that match the report the dashboard shows', async () => {
    const child = spawn(
      process.execPath,
      ['example-app/simulate.js', '--users', '60', '--days', '10', '--speed', '0', '--port', '0'],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      let stdout = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((resolveDone, reject) => {
        const timer = setTimeout(() => reject(new Error(`simulate did not finish:\n${stdout}`)), 60_000);
        child.stdout.on('data', (chunk: string) => {
          stdout += chunk;
          if (stdout.includes('(Ctrl+C to stop)')) {
            clearTimeout(timer);
            resolveDone();
          }
        });
        child.once('exit', (code) => reject(new Error(`simulate exited (${code}):\n${stdout}`)));
      });
      expect(stdout).toContain('All figures match the ground truth. Failed requests: 0.');
      const url = /Dashboard: (http:\/\/\S+)\s+\(Ctrl\+C/.exec(stdout)?.[1];
      expect(url).toBeDefined();
      const report = (await (
        await fetch(url!, { headers: { accept: 'application/json' } })
      ).json()) as MigrationReport;

      // The head count: 60 on the old login plus 5 % newcomers, as the report counts them.
      expect(stdout).toContain(
        'Simulating 60 users on the old login, plus 3 who sign up at the provider during the run (63 in all)',
      );
      expect(report.totals.users.legacy).toBe(60);
      expect(report.totals.users.active).toBe(63);

      // Every day's printed line is that day's point of the report's series (switch days count in both).
      const days = [...stdout.matchAll(/^day +(\d+)\/10 +(\S+) +legacy +(\d+) +provider +(\d+)$/gm)];
      expect(days).toHaveLength(10);
      for (const [, , date, legacy, provider] of days) {
        const point = report.series.find((p) => p.start.startsWith(date!));
        expect(point, date).toBeDefined();
        expect([Number(legacy), Number(provider)], date).toEqual([point!.legacyUsers, point!.providerUsers]);
      }
      // Some day has users on both logins at once (their switch day), which a per-kind tally would split.
      const both = report.series.filter((p) => p.legacyUsers + p.providerUsers > 63);
      expect(both.length).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
    }
  }, 90_000);
});
