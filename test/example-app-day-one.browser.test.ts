/**
 * A fresh example app on its first day, with a 50 % cutover ramp, looked at in headless Chromium: nothing the
 * dashboard says may contradict its own figures (impact, pending events, key figures, chart), and the example's
 * pages answer a browser with pages. Screenshots go to test-results/ (ignored by git).
 *
 * The ramp's key is pinned so the cohort is known: at 50 %, alice (u_1001) and bob (u_1002) still bridge, dave
 * (u_1004) and erin (u_1005) are sent to the new provider.
 */
import { resolve } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningExample } from '../example-app/server.js';
import type { MigrationReport } from '../src/stats/report-types.js';
import { launchChromium, skipBrowserSuite } from './helpers/browser.js';
import { CookieJar, legacySignIn, providerSignIn } from './helpers/example-flows.js';

const root = resolve(import.meta.dirname, '..');
const shot = (name: string) => resolve(root, 'test-results', name);
const RAMP = { percent: 50, key: 'ramp-4' };

describe.skipIf(skipBrowserSuite('example app, day one'))(
  'the dashboard of a fresh example app, day one, ramp at 50 %',
  () => {
    let example: RunningExample;
    let browser: Browser;
    let context: BrowserContext;
    const jars: Record<string, CookieJar> = {};
    const status: Record<string, number> = {};

    /** The browser's cookies for `jar`, on the example's host. */
    function cookiesOf(jar: CookieJar, names: string[]) {
      return names.flatMap((name) => {
        const value = jar.get(name);
        return value ? [{ name, value, url: example.url }] : [];
      });
    }

    beforeAll(async () => {
      const { start } = await import('../example-app/server.js');
      example = await start({ port: 0, mode: 'bridge', cutover: RAMP });
      // Four users come back with their old login; the ramp refuses two of them.
      for (const name of ['alice', 'bob', 'dave', 'erin']) {
        const jar = new CookieJar();
        await legacySignIn(example.url, jar, name, name);
        const me = await fetch(`${example.url}/api/me`, { headers: { cookie: jar.header() } });
        status[name] = me.status;
        jars[name] = jar;
      }
      // alice also signs in with the new provider: she has moved, on the same day.
      await providerSignIn(example.url, jars.alice!, 'alice');
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
      await context.addCookies(cookiesOf(jars.alice!, ['connect.sid', 'provider_at']));
    });

    afterAll(async () => {
      await browser?.close();
      await example?.close();
    });

    it('refuses the ramp cohort and bridges the rest (the ground truth of the page)', () => {
      expect(status).toEqual({ alice: 200, bob: 200, dave: 401, erin: 401 });
    });

    it('states the impact from today so far, says what it rests on, and never says nobody would be sent back', async () => {
      const page = await context.newPage();
      const res = await page.goto(`${example.url}/admin/migration`);
      expect(res?.status()).toBe(200);
      await page.screenshot({ path: shot('day-one-dashboard.png'), fullPage: true });
      const report = (await (
        await fetch(`${example.url}/admin/migration?format=json`, {
          headers: { cookie: jars.alice!.header() },
        })
      ).json()) as MigrationReport;

      // Figures the page rests on.
      expect(report.windows['1d'].users).toMatchObject({ active: 4, legacy: 4, provider: 1, migrated: 1 });
      expect(report.cutover.impact).toMatchObject({ todaySoFar: 4, completeDays: 0, usersPerDay: 4 });
      expect(report.cutover.refused?.users).toBe(2);

      const impact = await page.locator('#cutover-impact').innerText();
      expect(impact).not.toMatch(/nobody/i);
      expect(impact).toContain('would send about 4 users a day back to sign in');
      expect(impact).toContain('4 users with a legacy session seen today so far');
      expect(impact).toContain('no complete day of data yet');
      expect(impact).toContain('50%: 2');

      // The users the ramp refuses now: a figure of its own, which matches the ramp's expected share.
      expect(await page.locator('#refused-now').innerText()).toBe('2');
      const refused = await page.locator('#cutover-refused').innerText();
      expect(refused).toContain('the ramp at 50%');
      expect(refused).toContain('2 users');
      await page.close();
    });

    it('shows no pending event for its own request: it is flushed before the figures are read', async () => {
      const page = await context.newPage();
      for (let i = 0; i < 3; i++) {
        await page.goto(`${example.url}/admin/migration`);
        expect(await page.locator('#pending').count()).toBe(0);
      }
      expect(await page.locator('#recorder-buffered').innerText()).toMatch(/^0 /);
      await page.close();
    });

    it('labels the key figures so a 100 % legacy share next to a migrated user reads as consistent', async () => {
      const page = await context.newPage();
      await page.goto(`${example.url}/admin/migration`);
      const tiles = page.locator('#figures-heading + dl.tiles');
      await tiles.screenshot({ path: shot('day-one-key-figures.png') });
      expect(await page.locator('#legacy-share').innerText()).toBe('100%');
      const shareTile = await page.locator('.tile', { has: page.locator('#legacy-share') }).innerText();
      expect(shareTile).toContain('Active users who used a legacy session, last 7 days');
      expect(shareTile).toContain('4 of 4 active users');
      expect(shareTile).toContain('the 1 who moved to the provider in these days counts here too');
      expect(await page.locator('#migrated').innerText()).toBe('1');
      const migratedTile = await page.locator('.tile', { has: page.locator('#migrated') }).innerText();
      expect(migratedTile).toContain('Moved to the provider, since the stats began');
      expect(migratedTile).toContain('seen on a legacy session first');
      await page.close();
    });

    it('starts the chart at the first day with data: today, drawn as "so far"', async () => {
      const page = await context.newPage();
      await page.goto(`${example.url}/admin/migration`);
      await page.locator('#chart-heading').scrollIntoViewIfNeeded();
      await page
        .locator('section', { has: page.locator('#chart-heading') })
        .screenshot({ path: shot('day-one-chart.png') });
      const rows = page.locator('#series-table tbody tr');
      expect(await rows.count()).toBe(1);
      expect(await rows.first().locator('th').textContent()).toContain('today so far');
      expect(await page.locator('figcaption').innerText()).toContain('the first day with data');
      // 30 days of zeros are not drawn: one x label only.
      expect(
        await page.locator('#chart-heading ~ figure svg text.x-label, figure svg .x-label').count(),
      ).toBeLessThanOrEqual(1);
      await page.close();
    });

    it("answers a browser whose cookies name two users with a page at /admin/migration, not the bridge's JSON", async () => {
      const conflicted = await browser.newContext();
      await conflicted.addCookies([
        ...cookiesOf(jars.bob!, ['connect.sid']),
        ...cookiesOf(jars.alice!, ['provider_at']),
      ]);
      const page = await conflicted.newPage();
      const res = await page.goto(`${example.url}/admin/migration`);
      expect(res?.status()).toBe(400);
      expect(res?.headers()['content-type']).toContain('text/html');
      expect(await page.locator('h1').innerText()).toBe('Two different users are signed in');
      await page.screenshot({ path: shot('day-one-conflict.png') });
      // fetch and curl still get the JSON error.
      const api = await fetch(`${example.url}/admin/migration`, {
        headers: { cookie: `${jars.bob!.header()}; provider_at=${jars.alice!.get('provider_at')}` },
      });
      expect(api.status).toBe(400);
      expect(((await api.json()) as { code: string }).code).toBe('ERR_BRIDGE_CONFLICT');
      await conflicted.close();
    });

    it('lists every provider account on the home page, dave included', async () => {
      const fresh = await browser.newContext();
      const page = await fresh.newPage();
      await page.goto(example.url);
      const hint = await page.locator('#provider-title ~ .hint').innerText();
      expect(hint).toMatch(/alice, bob, carol or dave/);
      await fresh.close();
    });

    it('tells an unlinked provider account that it is not linked, without saying it signed in to the app', async () => {
      const jar = new CookieJar();
      await providerSignIn(example.url, jar, 'dave'); // dave's provider account, no legacy session: not linked
      const fresh = await browser.newContext();
      await fresh.addCookies(cookiesOf(jar, ['provider_at']));
      const page = await fresh.newPage();
      await page.goto(`${example.url}/?notice=provider-signed-in`);
      const who = page.getByTestId('who');
      await expect.poll(() => who.innerText()).toContain('not linked to a user here yet');
      const notice = await page.locator('.notice').innerText();
      expect(notice).not.toContain('Signed in with the new provider');
      expect(await who.innerText()).not.toBe('Not signed in.');
      await page.screenshot({ path: shot('day-one-unlinked.png'), fullPage: true });
      await fresh.close();
    });
  },
);
