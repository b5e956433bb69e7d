/**
 * The HTML dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core), served
 * by a real HTTP server on 127.0.0.1. Screenshots go to test-results/ (dashboard.png for desktop,
 * dashboard-mobile.png for a 390x844 phone, dashboard-dark.png for the dark scheme, dashboard-equal.png for two
 * equal series, dashboard-denied.png for the page a browser without access gets).
 *
 * Without Chromium the suite skips with a message, unless CI=true or REQUIRE_BROWSER=1 (then it fails).
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationReport } from '../../src/index.js';
import { launchChromium, skipBrowserSuite } from '../helpers/browser.js';
import { FIXTURE_SERIES_LENGTH, fixtureSeriesPoint, makeReportFixture } from '../helpers/report-fixture.js';
import { ADMIN_USER, buildStatsApp, STATS_PATH } from '../helpers/stats-app.js';

const RESULTS_DIR = new URL('../../test-results/', import.meta.url);

const fmt = (n: number) => n.toLocaleString('en-US');

// Functions given to page.evaluate run in Chromium. The project compiles without the DOM lib, so the few
// browser globals and element members they use are declared here (module scope, nothing is emitted).
declare const document: {
  documentElement: { scrollWidth: number };
  body: object;
  createElement(tag: 'canvas'): BrowserCanvas;
};
declare const window: { innerWidth: number };
declare const Image: new () => { src: string; width: number; height: number; decode(): Promise<void> };
interface BrowserCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    drawImage(image: object, x: number, y: number): void;
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  };
}
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
  let variantServer: Server;
  let browser: Browser;
  let url: string;
  /** A second dashboard serving `variant`, a report a test shapes itself. */
  let variantUrl: string;
  let variant: MigrationReport = makeReportFixture();

  const listen = (app: express.Express) =>
    new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
  const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}${STATS_PATH}`;

  beforeAll(async () => {
    mkdirSync(RESULTS_DIR, { recursive: true });
    server = await listen(buildStatsApp(express));
    url = urlOf(server);
    variantServer = await listen(buildStatsApp(express, { getReport: async () => structuredClone(variant) }));
    variantUrl = urlOf(variantServer);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    for (const s of [server, variantServer]) {
      await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
    }
  });

  /** Opens the dashboard as a browser would (no ?format: the browser's own Accept header chooses HTML). */
  async function open(options: {
    width: number;
    height: number;
    colorScheme?: 'light' | 'dark';
    target?: string;
    user?: string | null;
    status?: number;
  }): Promise<{ context: BrowserContext; page: Page; requests: string[]; problems: string[] }> {
    const user = options.user === undefined ? ADMIN_USER : options.user;
    const context = await browser.newContext({
      viewport: { width: options.width, height: options.height },
      deviceScaleFactor: options.width < 600 ? 2 : 1,
      colorScheme: options.colorScheme ?? 'light',
      extraHTTPHeaders: user === null ? {} : { 'x-test-user': user },
    });
    const page = await context.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    const response = await page.goto(options.target ?? url);
    expect(response?.status()).toBe(options.status ?? 200);
    expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
    return { context, page, requests, problems };
  }

  /**
   * Pixels of `png` (a screenshot) close to each of the given colours (`#rrggbb`), counted in the browser: the
   * image is decoded in a blank page and read back through a canvas.
   */
  async function countColours(png: Buffer, colours: Record<string, string>): Promise<Record<string, number>> {
    const scratch = await browser.newPage();
    try {
      const targets = Object.entries(colours).map(([name, hex]) => ({
        name,
        rgb: [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)),
      }));
      return await scratch.evaluate(
        async ({ src, targets }) => {
          const image = new Image();
          image.src = src;
          await image.decode();
          const canvas = document.createElement('canvas');
          canvas.width = image.width;
          canvas.height = image.height;
          const context = canvas.getContext('2d');
          context.drawImage(image, 0, 0);
          const { data } = context.getImageData(0, 0, image.width, image.height);
          const counts: Record<string, number> = {};
          for (const t of targets) counts[t.name] = 0;
          for (let i = 0; i < data.length; i += 4) {
            for (const t of targets) {
              const d =
                Math.abs(data[i]! - t.rgb[0]!) +
                Math.abs(data[i + 1]! - t.rgb[1]!) +
                Math.abs(data[i + 2]! - t.rgb[2]!);
              if (d < 60) counts[t.name]!++;
            }
          }
          return counts;
        },
        { src: `data:image/png;base64,${png.toString('base64')}`, targets },
      );
    } finally {
      await scratch.close();
    }
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
      const lines = await chart.locator('polyline.line').evaluateAll((nodes) =>
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
      // Provider first (wide), legacy on top (dashed); the current, partial day is not on the lines.
      expect(lines.map((l) => l.series)).toEqual(['provider', 'legacy']);
      for (const line of lines) {
        expect(line.points).toBe(FIXTURE_SERIES_LENGTH - 1);
        expect(line.width).toBeGreaterThan(300);
        expect(line.height).toBeGreaterThan(50);
      }
      expect(lines[0]!.stroke).not.toBe(lines[1]!.stroke);
      expect(await page.locator('.legend li').allTextContents()).toEqual([
        'Legacy session users',
        'Provider users',
        'Today so far (still counting)',
      ]);
      expect(await chart.locator('.x-label').first().textContent()).toBe('Mar 2');
      expect(await chart.locator('.x-label').last().textContent()).toBe('Mar 31, so far');

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
  it('draws the current, partial day apart: hollow markers, a dotted link and "so far" in the legend and table', async () => {
    const { context, page } = await open({ width: 1280, height: 900 });
    try {
      const chart = page.locator('svg.chart');
      const hollow = chart.locator('.marker.hollow');
      expect(await hollow.count()).toBe(2);
      for (const marker of await hollow.all()) {
        expect(await marker.isVisible()).toBe(true);
        // Hollow: filled with the card colour, outlined in the series colour.
        const style = await marker.evaluate((n) => getComputedStyle(n));
        expect(style.stroke).not.toBe('none');
      }
      expect(await chart.locator('line.partial').count()).toBe(2);
      expect(await page.locator('#legend-partial').isVisible()).toBe(true);
      expect(await page.locator('figcaption').textContent()).toContain('today so far, is not over');
      const lastRow = page.locator('#series-table tbody tr').last();
      expect(await lastRow.locator('th').textContent()).toBe('2025-03-31 (today so far)');
      await chart.screenshot({ path: new URL('dashboard-chart.png', RESULTS_DIR).pathname });
    } finally {
      await context.close();
    }
  });

  it('keeps both lines visible when legacy and provider users are equal', async () => {
    variant = makeReportFixture();
    variant.series = variant.series.map((p, i) => ({
      ...p,
      legacyUsers: 100 + 10 * (i % 5),
      providerUsers: 100 + 10 * (i % 5),
    }));
    const { context, page } = await open({ width: 1280, height: 900, target: variantUrl });
    try {
      const chart = page.locator('svg.chart');
      const png = await chart.screenshot({ path: new URL('dashboard-equal.png', RESULTS_DIR).pathname });
      // Light scheme colours of the dashboard CSS: legacy #c2410c, provider #1d4ed8.
      const equal = await countColours(png, { legacy: '#c2410c', provider: '#1d4ed8' });
      expect(equal.legacy, 'legacy pixels').toBeGreaterThan(400);
      expect(equal.provider, 'provider pixels').toBeGreaterThan(400);
      // Both series have a marker at every complete day, the legacy one on top and inside the provider one.
      expect(await chart.locator('.markers.provider rect').count()).toBe(FIXTURE_SERIES_LENGTH - 1);
      expect(await chart.locator('.markers.legacy circle').count()).toBe(FIXTURE_SERIES_LENGTH - 1);
      const [square, dot] = await Promise.all([
        chart.locator('.markers.provider rect').first().boundingBox(),
        chart.locator('.markers.legacy circle').first().boundingBox(),
      ]);
      expect(dot!.width).toBeLessThan(square!.width);
      expect(dot!.x).toBeGreaterThan(square!.x);
      expect(dot!.x + dot!.width).toBeLessThan(square!.x + square!.width);
    } finally {
      await context.close();
    }
  });

  it('says at the top how many events are still pending and that figures lag by the flush interval', async () => {
    variant = makeReportFixture();
    variant.recorder = { ...variant.recorder, buffered: 2 };
    const { context, page } = await open({ width: 390, height: 844, target: variantUrl });
    try {
      const pending = page.locator('#pending');
      expect(await pending.textContent()).toMatch(/^2 events pending \(recorded within 1 second\)\./);
      // Seen without scrolling, before any figure.
      const box = await pending.boundingBox();
      expect(box!.y + box!.height).toBeLessThan(844);
      expect(await page.locator('#lag').textContent()).toBe(
        "figures lag the requests by up to 1 second (the recorder's flush interval)",
      );
      await page.screenshot({ path: new URL('dashboard-pending.png', RESULTS_DIR).pathname });
    } finally {
      await context.close();
    }
  });

  it('shows a browser without access a page that says to sign in, or that access is missing', async () => {
    const anonymous = await open({ width: 390, height: 844, user: null, status: 401 });
    try {
      expect(await anonymous.page.locator('h1').textContent()).toBe('Sign in to see the migration dashboard');
      expect(anonymous.requests).toEqual([url]);
      // Chromium logs the 401 of the document itself; nothing else may go wrong (no blocked resource, no CSP report).
      expect(anonymous.problems.filter((p) => !p.includes('status of 401'))).toEqual([]);
      await anonymous.page.screenshot({ path: new URL('dashboard-denied.png', RESULTS_DIR).pathname });
    } finally {
      await anonymous.context.close();
    }
    const refused = await open({ width: 390, height: 844, user: 'someone-else', status: 403 });
    try {
      expect(await refused.page.locator('h1').textContent()).toBe(
        'You are signed in but not allowed to see this dashboard',
      );
    } finally {
      await refused.context.close();
    }
  });
});
