/**
 * The HTML dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core), served
 * by a real HTTP server on 127.0.0.1. Screenshots go to test-results/ (dashboard.png for desktop,
 * dashboard-mobile.png for a 390x844 phone, dashboard-dark.png for the dark scheme).
 *
 * Without Chromium the suite skips with a message, unless CI=true or REQUIRE_BROWSER=1 (then it fails).
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, skipBrowserSuite } from '../helpers/browser.js';
import { FIXTURE_SERIES_LENGTH, fixtureSeriesPoint } from '../helpers/report-fixture.js';
import { ADMIN_USER, buildStatsApp, STATS_PATH } from '../helpers/stats-app.js';

const RESULTS_DIR = new URL('../../test-results/', import.meta.url);

const fmt = (n: number) => n.toLocaleString('en-US');

// Functions given to page.evaluate run in Chromium. The project compiles without the DOM lib, so the few
// browser globals and element members they use are declared here (module scope, nothing is emitted).
declare const document: { documentElement: { scrollWidth: number }; body: object };
declare const window: { innerWidth: number };
declare function getComputedStyle(element: object): {
  display: string;
  stroke: string;
  backgroundColor: string;
};
interface BrowserElement {
  getBoundingClientRect(): { width: number; height: number };
}
interface BrowserPolyline extends BrowserElement {
  dataset: Record<string, string | undefined>;
  points: { numberOfItems: number };
}

describe.skipIf(skipBrowserSuite('dashboard.browser'))('stats dashboard in headless Chromium', () => {
  let server: Server;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const app = buildStatsApp(express);
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${STATS_PATH}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  /** Opens the dashboard as a browser would (no ?format: the browser's own Accept header chooses HTML). */
  async function open(options: {
    width: number;
    height: number;
    colorScheme?: 'light' | 'dark';
  }): Promise<{ context: BrowserContext; page: Page; requests: string[]; problems: string[] }> {
    const context = await browser.newContext({
      viewport: { width: options.width, height: options.height },
      deviceScaleFactor: options.width < 600 ? 2 : 1,
      colorScheme: options.colorScheme ?? 'light',
      extraHTTPHeaders: { 'x-test-user': ADMIN_USER },
    });
    const page = await context.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    const response = await page.goto(url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
    return { context, page, requests, problems };
  }

  it('renders the chart, the numbers and the readiness on a desktop, loading nothing else', async () => {
    const { context, page, requests, problems } = await open({ width: 1280, height: 900 });
    try {
      expect(requests).toEqual([url]);
      expect(problems).toEqual([]);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      expect(await page.locator('h1').count()).toBe(1);

      // The chart: an accessible image with two lines of one point per day.
      const chart = page.locator('svg.chart');
      expect(await chart.count()).toBe(1);
      expect(await chart.getAttribute('role')).toBe('img');
      expect(await chart.getAttribute('aria-label')).toMatch(/legacy session users and provider users/i);
      expect(await chart.locator('title').textContent()).toMatch(/Legacy/);
      expect(await chart.locator('desc').textContent()).toContain(
        `from ${fmt(fixtureSeriesPoint(0).legacyUsers)} to`,
      );
      const lines = await chart.locator('polyline').evaluateAll((nodes) =>
        nodes.map((node) => {
          const line = node as BrowserPolyline;
          const box = line.getBoundingClientRect();
          return {
            series: line.dataset.series,
            points: line.points.numberOfItems,
            stroke: getComputedStyle(line).stroke,
            width: box.width,
            height: box.height,
          };
        }),
      );
      expect(lines.map((l) => l.series)).toEqual(['legacy', 'provider']);
      for (const line of lines) {
        expect(line.points).toBe(FIXTURE_SERIES_LENGTH);
        expect(line.width).toBeGreaterThan(300);
        expect(line.height).toBeGreaterThan(50);
      }
      expect(lines[0]!.stroke).not.toBe(lines[1]!.stroke);
      expect(await page.locator('.legend li').allTextContents()).toEqual([
        'Legacy session users',
        'Provider users',
      ]);
      expect(await chart.locator('.x-label').first().textContent()).toBe('Mar 2');
      expect(await chart.locator('.x-label').last().textContent()).toBe('Mar 31');

      // Key figures and readiness.
      expect(await page.locator('#legacy-share').textContent()).toBe('25%');
      expect(await page.locator('#migrated').textContent()).toBe('661');
      expect(await page.locator('#legacy-only').textContent()).toBe('543');
      expect(await page.locator('#last-legacy').textContent()).toBe('2025-03-31 09:45 UTC');
      const readiness = page.locator('#readiness');
      expect(await readiness.locator('.status').textContent()).toBe('Not ready yet');
      expect(await readiness.textContent()).toContain('above the 1% allowed');
      expect(await page.locator('#projected').textContent()).toBe('2025-05-09');
      expect(await page.locator('#approximate').count()).toBe(0);

      // The same numbers as text: windows table and the chart's data table.
      const users = page.locator('#windows-table tbody').first();
      const legacyRow = users.locator('tr', { has: page.locator('th', { hasText: /^Legacy$/ }) });
      expect(await legacyRow.locator('td').allTextContents()).toEqual(['44', '131', '1,017', '1,204']);
      const seriesRows = page.locator('#series-table tbody tr');
      expect(await seriesRows.count()).toBe(FIXTURE_SERIES_LENGTH);
      const first = fixtureSeriesPoint(0);
      expect(await seriesRows.first().locator('th, td').allTextContents()).toEqual([
        '2025-03-02',
        fmt(first.legacyUsers),
        fmt(first.providerUsers),
        fmt(first.legacyRequests),
        fmt(first.providerRequests),
      ]);

      // Table semantics: captions and header scopes.
      for (const table of await page.locator('table').all()) {
        expect(await table.locator('caption').count()).toBe(1);
        expect(await table.locator('thead th:not([scope="col"])').count()).toBe(0);
        expect(await table.locator('tbody th:not([scope="row"]):not([scope="rowgroup"])').count()).toBe(0);
      }

      await page.screenshot({ path: new URL('dashboard.png', RESULTS_DIR).pathname, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('fits a 390x844 phone without horizontal scrolling and with legible chart labels', async () => {
    const { context, page, problems } = await open({ width: 390, height: 844 });
    try {
      expect(problems).toEqual([]);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      const labelHeights = await page
        .locator('svg.chart text')
        .evaluateAll((nodes) =>
          nodes
            .filter((n) => getComputedStyle(n).display !== 'none')
            .map((n) => n.getBoundingClientRect().height),
        );
      expect(labelHeights.length).toBeGreaterThan(3);
      for (const height of labelHeights) expect(height).toBeGreaterThanOrEqual(11);
      await page.screenshot({ path: new URL('dashboard-mobile.png', RESULTS_DIR).pathname, fullPage: true });
    } finally {
      await context.close();
    }
  });

  it('keeps the chart labels between 11 and 20 CSS px and the page unscrolled sideways at every width', async () => {
    const { context, page } = await open({ width: 360, height: 800 });
    try {
      for (const width of [360, 480, 600, 700, 768, 961, 1024, 1440]) {
        await page.setViewportSize({ width, height: 800 });
        const heights = await page
          .locator('svg.chart text')
          .evaluateAll((nodes) =>
            nodes
              .filter((n) => getComputedStyle(n).display !== 'none')
              .map((n) => n.getBoundingClientRect().height),
          );
        expect(Math.min(...heights), `at ${width}px`).toBeGreaterThanOrEqual(11);
        expect(Math.max(...heights), `at ${width}px`).toBeLessThanOrEqual(20);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `at ${width}px`).toBeLessThanOrEqual(0);
      }
    } finally {
      await context.close();
    }
  });

  it('follows the dark colour scheme', async () => {
    const { context, page } = await open({ width: 1024, height: 768, colorScheme: 'dark' });
    try {
      const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const channels = background.match(/\d+/g)!.slice(0, 3).map(Number);
      expect(Math.max(...channels)).toBeLessThan(60);
      await page.screenshot({ path: new URL('dashboard-dark.png', RESULTS_DIR).pathname, fullPage: true });
    } finally {
      await context.close();
    }
  });
});
