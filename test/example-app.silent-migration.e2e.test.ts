/**
 * The example app with silent migration on (what `npm start` runs): the local oidc-provider's RFC 8693 grant
 * trusts the app's `upgradeKeys()`; a signed-in legacy user's next page load moves them to the provider with no
 * password prompt, and the dashboard shows the move.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningExample } from '../example-app/server.js';
import { launchChromium, skipBrowserSuite } from './helpers/browser.js';

let example: RunningExample;

beforeAll(async () => {
  const { start } = await import('../example-app/server.js');
  example = await start({ port: 0, mode: 'bridge', silentMigration: true });
});

afterAll(async () => {
  await example?.close();
});

async function legacyLogin(username: string): Promise<string> {
  const res = await fetch(`${example.url}/login`, {
    method: 'POST',
    body: new URLSearchParams({ username, password: username }),
    redirect: 'manual',
  });
  const cookie = res.headers
    .getSetCookie()
    .find((c) => c.startsWith('connect.sid='))
    ?.split(';')[0];
  if (!cookie) throw new Error('no legacy cookie');
  return cookie;
}

describe('example app with silent migration, over HTTP', () => {
  it('nudges a legacy user, upgrades them through the provider grant, and the provider cookie alone is the same user', async () => {
    const cookie = await legacyLogin('bob');
    const before = await fetch(`${example.url}/api/me`, { headers: { cookie } });
    expect(before.headers.get('session-bridge-upgrade')).toBe('provider');
    expect(await before.json()).toMatchObject({ userId: 'u_1002', kind: 'legacy' });

    const up = await fetch(`${example.url}/auth/upgrade`, {
      method: 'POST',
      headers: { cookie, origin: example.url },
    });
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ upgraded: true, userId: 'u_1002', provider: `${example.url}/oidc` });
    const providerCookie = up.headers
      .getSetCookie()
      .find((c) => c.startsWith('provider_at='))
      ?.split(';')[0];
    expect(providerCookie).toBeDefined();

    const after = await fetch(`${example.url}/api/me`, { headers: { cookie: providerCookie as string } });
    expect(await after.json()).toMatchObject({ userId: 'u_1002', kind: 'provider', presented: ['provider'] });
    expect(after.headers.get('session-bridge-upgrade')).toBeNull();
  });

  it('serves the public upgrade keys the provider trusts', async () => {
    const res = await fetch(`${example.url}/.well-known/upgrade-keys.json`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    const { keys } = (await res.json()) as { keys: Array<Record<string, unknown>> };
    expect(keys.map((k) => [k.kid, 'd' in k])).toEqual([['example-upgrade-1', false]]);
  });
});

describe.skipIf(skipBrowserSuite('example-app silent migration browser'))(
  'example app with silent migration in headless Chromium',
  () => {
    let browser: Browser;
    let context: BrowserContext;
    let page: Page;

    beforeAll(async () => {
      browser = await launchChromium();
      context = await browser.newContext();
      page = await context.newPage();
    });

    afterAll(async () => {
      await browser?.close();
    });

    it('moves alice to the provider on the page load after her old-login sign-in, with no password prompt', async () => {
      await page.goto(example.url);
      await page.fill('form.login input[name=username]', 'alice');
      await page.fill('form.login input[name=password]', 'alice');
      await page.getByRole('button', { name: 'Sign in (old login)' }).click();
      await expect.poll(() => page.getByTestId('kind').textContent(), { timeout: 10_000 }).toBe('provider');
      expect(await page.getByTestId('presented').textContent()).toBe('legacy + provider');
      const cookies = await context.cookies(example.url);
      expect(cookies.find((c) => c.name === 'provider_at')?.httpOnly).toBe(true);
      expect(page.url()).not.toContain('/oidc');
    });

    it('shows the move on the dashboard as moved silently', async () => {
      const dashboard = await context.newPage();
      try {
        await expect
          .poll(
            async () => {
              await dashboard.goto(`${example.url}/admin/migration`);
              return dashboard.locator('#moved-silently').textContent();
            },
            { timeout: 10_000, interval: 500 },
          )
          .toBe('2');
      } finally {
        await dashboard.close();
      }
    });
  },
);

describe('npm run simulate -- --silent', () => {
  it('moves the legacy tail silently and prints the tail and the projected cutover with and without it', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        'example-app/simulate.js',
        '--users',
        '40',
        '--days',
        '8',
        '--speed',
        '0',
        '--port',
        '0',
        '--once',
        '--silent',
      ],
      { cwd: resolve(import.meta.dirname, '..'), timeout: 90_000 },
    );
    expect(stdout).toContain('All figures match the ground truth. Failed requests: 0.');
    const row = (label: string) => stdout.match(new RegExp(`^${label}\\s+(\\S+)\\s+(\\S+)$`, 'm'))?.slice(1);
    const [without, withIt] = (row('legacy-only users \\(retention\\)') ?? []).map(Number);
    expect(without).toBeGreaterThan(0);
    expect(withIt).toBeLessThan(without as number);
    expect(Number(row('moved silently')?.[1])).toBeGreaterThan(0);
    expect(row('projected cutover')).toHaveLength(2);
  }, 120_000);
});
