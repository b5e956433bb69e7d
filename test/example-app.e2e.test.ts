/**
 * The example app end to end: the real app (express-session login, oidc-provider under /oidc, the bridge) on an
 * ephemeral port, driven over HTTP and through both logins in headless Chromium; plus `simulate.js` against its
 * ground truth. Browser tests skip without /usr/bin/chromium unless CI=true or REQUIRE_BROWSER=1.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningExample } from '../example-app/server.js';
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

  beforeAll(async () => {
    browser = await launchChromium();
    context = await browser.newContext();
    // oidc-provider's development screens import a web font; nothing may leave the machine.
    await context.route('**/*', (route) =>
      route.request().url().startsWith(example.url) ? route.continue() : route.abort(),
    );
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
    await page.fill('input[name=login]', 'alice');
    await page.fill('input[name=password]', 'any password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
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

  it('opens the HTML dashboard for alice', async () => {
    const dashboard = await context.newPage();
    try {
      const res = await dashboard.goto(`${example.url}/admin/migration`);
      expect(res?.status()).toBe(200);
      expect(res?.headers()['content-type']).toMatch(/^text\/html/);
    } finally {
      await dashboard.close();
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
});
