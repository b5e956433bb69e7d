import { describe, expect, it } from 'vitest';
import type { SeriesPoint, StatsSnapshot, WindowSnapshot } from '../../src/stats-store.js';
import {
  buildReport,
  DAY,
  escapeHtml,
  escapeLabelValue,
  formatDuration,
  formatPercent,
  HOUR,
  html,
  type MetricFamily,
  niceStep,
  relativeTo,
  renderChart,
  renderHtml,
  renderPrometheus,
} from '../helpers/internals.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { fixtureSeriesPoint, makeReportFixture, recorderFixture } from '../helpers/report-fixture.js';

const NOW = Date.UTC(2025, 5, 30, 15, 20);
const TODAY = Math.floor(NOW / DAY) * DAY;

/** A report built by the real `buildReport`: `legacy` of `active` users in every window, the given daily series. */
function realReport(
  legacy: number,
  active: number,
  lastLegacyAt: number | null,
  series: SeriesPoint[],
  buffered = 0,
) {
  const w: WindowSnapshot = {
    requests: { legacy: 0, provider: 0, anonymous: 0, rejected: 0, conflicts: 0, unavailable: 0 },
    users: { legacy, provider: active - legacy, active, migrated: 0, legacyOnly: 0 },
    approximate: false,
  };
  const snapshot: StatsSnapshot = {
    approximate: false,
    totals: { requests: w.requests, users: w.users },
    windows: { '1d': w, '7d': w, '30d': w },
    lastLegacyAt,
    series,
    requestsByLabel: [],
  };
  const recorder = { ...recorderFixture({ dropped: 0, failedFlushes: 0, lastError: null }), buffered };
  return buildReport({ snapshot, now: NOW, mode: 'bridge', recorder, seriesBucket: 'day' });
}

/** Daily points ending today: `[legacyUsers, providerUsers]` per day, oldest first. */
function days(points: Array<[number, number]>): SeriesPoint[] {
  return points.map(([legacyUsers, providerUsers], k) => ({
    start: TODAY - (points.length - 1 - k) * DAY,
    legacyUsers,
    providerUsers,
    legacyRequests: legacyUsers,
    providerRequests: providerUsers,
  }));
}

/** The text of a page, tags removed and entities of the escaper decoded. */
function pageText(page: string): string {
  return page
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

describe('renderHtml', () => {
  it('warns when the report is approximate and marks the approximate windows', () => {
    const report = makeReportFixture({ approximate: true });
    report.windows['30d'].approximate = true;
    const page = renderHtml(report);
    expect(page).toContain('id="approximate"');
    expect(page).toMatch(/some user counts \(30 days and the retention totals\) are estimates/);
    // 5 user rows x (30 days + total) are marked, request counts never are.
    expect(page.match(/<abbr title="approximate">≈<\/abbr>/g)).toHaveLength(10);
    expect(renderHtml(makeReportFixture())).not.toContain('id="approximate"');
  });

  it('shows readiness, a missing projection and a missing legacy sighting in words', () => {
    const report = makeReportFixture({ lastLegacyAt: null });
    const projection = { readyAt: null, points: 14, pointsNeeded: 3 };
    report.cutover = {
      ...report.cutover,
      ready: true,
      projectedReadyAt: null,
      projection: { ...projection, reason: 'ready' },
    };
    const ready = renderHtml(report);
    expect(ready).toContain('✓ Ready to switch off the legacy login');
    expect(ready).toContain('id="projected">Now<');
    expect(ready).toContain('id="last-legacy">Never<');
    report.cutover.ready = false;
    report.cutover.projection = { ...projection, reason: 'not-decreasing' };
    expect(renderHtml(report)).toContain(
      'Not projected: the daily legacy share has not been falling over the last 14 days',
    );
    report.cutover.projection = { ...projection, reason: 'too-far' };
    expect(renderHtml(report)).toContain('more than 10 years away');
  });

  it('says there is not enough data yet, with the days it has and needs, when the trend has too few points', () => {
    // One day of data (today): the share is above the threshold, but no trend can be fitted yet.
    const page = renderHtml(realReport(1, 2, NOW - HOUR, days([[1, 1]])));
    const projected = page.match(/id="projected">([^<]*)</)?.[1];
    expect(projected).toMatch(/^Not enough data yet \(1 of 3 days needed\)/);
    expect(page).not.toContain('does not reach');
    const two = renderHtml(
      realReport(
        1,
        2,
        NOW - HOUR,
        days([
          [2, 1],
          [1, 1],
        ]),
      ),
    );
    expect(two).toContain('Not enough data yet (2 of 3 days needed)');
  });

  it('says how many events are pending and that the figures lag by up to the flush interval', () => {
    const pending = renderHtml(makeReportFixture({ recorder: recorderFixture({ buffered: 3 }) }));
    expect(pageText(pending)).toContain('3 events pending (recorded within 1 second).');
    expect(pending).toMatch(/id="pending"[^>]*>[\s\S]*may still show as legacy-only/);
    expect(pageText(pending)).toContain('figures lag the requests by up to 1 second');
    // The notice comes before every figure.
    expect(pending.indexOf('id="pending"')).toBeLessThan(pending.indexOf('id="readiness"'));
    const one = renderHtml(makeReportFixture({ recorder: recorderFixture({ buffered: 1 }) }));
    expect(pageText(one)).toContain('1 event pending (recorded within 1 second).');
    const slow = renderHtml(
      makeReportFixture({ recorder: recorderFixture({ buffered: 0, flushIntervalMs: 5_000 }) }),
    );
    expect(slow).not.toContain('id="pending"');
    expect(pageText(slow)).toContain('figures lag the requests by up to 5 seconds');
  });

  it('prints the same share and the same duration the same way everywhere on the page', () => {
    // 240 of 2,100 users (11.43 %); the last legacy sighting 4.75 hours before the report.
    const report = realReport(240, 2_100, NOW - 4.75 * HOUR, days([[240, 1_860]]));
    const text = pageText(renderHtml(report));
    const share = formatPercent(240 / 2_100);
    expect(share).toBe('11.4%');
    expect(text).toContain(`${share} of the users active`); // the reason
    expect(text).toMatch(new RegExp(`Legacy share, last 7 days ${share.replace('.', '\\.')}`)); // the tile
    // Every printed form of the share, and of any percentage, is the formatter's.
    expect(text.match(/11[.,]\d+\s?%/g)).toEqual([share, share]);
    expect(text).not.toMatch(/\d\s%/);
    const duration = formatDuration(4.75 * HOUR);
    expect(duration).toBe('4.7 hours');
    expect(text).toContain(`was ${duration} ago`); // the reason
    expect(text).toContain(`${duration} before this report`); // the last sighting tile
    expect(text.match(/\d+(?:\.\d+)? hours?/g)).toEqual([duration, duration]);
    // Times: one format (no ISO timestamps in the text).
    expect(text).not.toMatch(/\d{4}-\d\d-\d\dT/);
    expect(text.match(/2025-06-30 10:35 UTC/g)?.length).toBe(2);
  });

  it('reports recorder losses and the last error of the instance', () => {
    const page = renderHtml(makeReportFixture({ recorder: recorderFixture() }));
    expect(page).toContain('Events were lost or delayed');
    expect(page).toContain('id="recorder-dropped">25<');
    expect(page).toContain('id="recorder-failed">2<');
    expect(page).toContain('connect ECONNREFUSED 127.0.0.1:6379');
  });

  it('shows the password migration decisions per window next to the key figures', () => {
    const page = renderHtml(makeReportFixture());
    expect(page).toContain('<h2 id="passwords-heading">Passwords moved across</h2>');
    expect(page).toContain('3,412 passwords taken over by the new provider, 402 in the last 7 days.');
    const table = page.slice(
      page.indexOf('id="passwords-table"'),
      page.indexOf('</table>', page.indexOf('id="passwords-table"')),
    );
    const row = (label: string) =>
      table.match(new RegExp(`<th scope="row">${label}</th>((?:<td>[^<]*</td>)+)`))?.[1];
    expect(row('Moved across \\(match\\)')).toBe('<td>38</td><td>402</td><td>3,105</td><td>3,412</td>');
    expect(row('Wrong password')).toBe('<td>4</td><td>31</td><td>260</td><td>287</td>');
    expect(row('Unknown user')).toBe('<td>2</td><td>12</td><td>88</td><td>96</td>');
    expect(row('Rate\u2011limited')).toBe('<td>0</td><td>6</td><td>39</td><td>41</td>');
    expect(row('Wrong API key')).toBe('<td>0</td><td>1</td><td>5</td><td>5</td>');
    expect(row('Errors')).toBe('<td>1</td><td>2</td><td>7</td><td>7</td>');
    // Between the key figures and the chart.
    expect(page.indexOf('id="figures-heading"')).toBeLessThan(page.indexOf('id="passwords"'));
    expect(page.indexOf('id="passwords"')).toBeLessThan(page.indexOf('id="chart-heading"'));
  });

  it('leaves the password panel out while no password migration decision was recorded', () => {
    const report = makeReportFixture();
    const zero = { match: 0, mismatch: 0, unknown: 0, rateLimited: 0, unauthorized: 0, error: 0 };
    report.totals.passwordMigrations = { ...zero };
    for (const w of ['1d', '7d', '30d'] as const) report.windows[w].passwordMigrations = { ...zero };
    expect(renderHtml(report)).not.toContain('id="passwords"');
  });

  it('replaces the chart by a sentence when nothing was recorded yet', () => {
    const page = renderHtml(makeReportFixture({ series: [] }));
    expect(page).not.toContain('<svg class="chart"');
    expect(page).not.toContain('id="series-table"');
    expect(page).toContain('No sightings recorded yet');
  });

  it('labels hourly series by hour', () => {
    const series = [0, 1, 2].map((i) => ({ ...fixtureSeriesPoint(i), start: `2025-03-31T0${i}:00:00.000Z` }));
    const page = renderHtml(makeReportFixture({ seriesBucket: 'hour', series }));
    expect(page).toContain('Mar 31 02:00');
    expect(page).toContain('<th scope="row">2025-03-31 01:00</th>');
    expect(page).toContain('Distinct users seen per hour (UTC)');
  });
});

describe('the cutover panel', () => {
  it('states the impact of a cutover next to the readiness, and lists the mode and ramp changes', () => {
    const page = renderHtml(makeReportFixture());
    expect(page).toContain(
      'A full cutover today would send about 61 users a day back to sign in; 10 %: 6, 25 %: 15, 50 %: 31.',
    );
    expect(page.indexOf('id="cutover-impact"')).toBeGreaterThan(page.indexOf('id="readiness"'));
    expect(page.indexOf('id="cutover-impact"')).toBeLessThan(page.indexOf('id="figures-heading"'));
    const timeline = /<ol id="cutover-history">(.*?)<\/ol>/s.exec(page)?.[1] ?? '';
    const items = [...timeline.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ''));
    expect(items).toEqual([
      '2025-03-02 08:00 UTC bridge (start)',
      '2025-03-24 09:30 UTC bridge, 10 % cut over',
      '2025-03-28 09:30 UTC bridge, 25 % cut over (current)',
    ]);
    expect(timeline).toContain('<time datetime="2025-03-28T09:30:00.000Z">');
  });

  it('labels provider-only and observe by their mode, and says when nobody would be sent back', () => {
    const report = makeReportFixture();
    report.cutover.history = [
      { at: '2025-03-30T10:00:00.000Z', mode: 'provider-only', percent: 25 },
      { at: '2025-03-31T10:00:00.000Z', mode: 'observe', percent: 0 },
    ];
    report.cutover.impact = { usersPerDay: 0, byPercent: { '10': 0, '25': 0, '50': 0, '100': 0 } };
    const page = renderHtml(report);
    expect(page).toContain('2025-03-30 10:00 UTC</time> provider-only (start)');
    expect(page).toContain('2025-03-31 10:00 UTC</time> observe <strong>(current)</strong>');
    expect(page).toContain('A full cutover today would send nobody back to sign in');
    report.cutover.impact = { usersPerDay: 1.3, byPercent: { '10': 0, '25': 0, '50': 1, '100': 1 } };
    expect(renderHtml(report)).toContain(
      'send about 1 user a day back to sign in; 10 %: 0, 25 %: 0, 50 %: 1.',
    );
  });
});

describe('renderChart', () => {
  it('draws a lone point as markers, since a one-point line is invisible', () => {
    const chart = renderChart({ series: [fixtureSeriesPoint(0)], bucket: 'day' }).value;
    expect(chart.match(/<circle class="marker legacy"/g)).toHaveLength(1);
    expect(chart.match(/<rect class="marker provider"/g)).toHaveLength(1);
    expect(chart.match(/<polyline /g)).toHaveLength(2);
  });

  it('leaves the current, partial day out of the lines and draws it apart, hollow and labelled so far', () => {
    const series = [0, 1, 2, 3].map(fixtureSeriesPoint);
    const now = new Date(Date.parse(series[3]!.start) + 2 * HOUR).toISOString();
    const chart = renderChart({ series, bucket: 'day', now }).value;
    const lines = [...chart.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' '));
    expect(lines.map((points) => points.length)).toEqual([3, 3]);
    expect(chart.match(/<line class="partial (legacy|provider)" data-series="\w+-so-far"/g)).toHaveLength(2);
    expect(chart.match(/class="marker (legacy|provider) hollow"/g)).toHaveLength(2);
    expect(chart).toContain('>Mar 5, so far</text>');
    expect(chart).toMatch(/<desc[^>]*>[^<]*Today so far \(Mar 5, still counting\)/);
    // A day that is over is an ordinary point; so is every point without a report time.
    const later = new Date(Date.parse(series[3]!.start) + DAY).toISOString();
    for (const c of [
      renderChart({ series, bucket: 'day', now: later }),
      renderChart({ series, bucket: 'day' }),
    ]) {
      expect(c.value).not.toContain('hollow');
      expect([...c.value.matchAll(/<polyline [^>]*points="([^"]*)"/g)][0]![1]!.split(' ')).toHaveLength(4);
    }
  });

  it('keeps two equal series apart: the wide provider line first, the dashed legacy line and its dots on top', () => {
    const series = [0, 1, 2].map((i) => ({ ...fixtureSeriesPoint(i), legacyUsers: 50, providerUsers: 50 }));
    const chart = renderChart({ series, bucket: 'day' }).value;
    const order = [...chart.matchAll(/class="(line|markers) (legacy|provider)"/g)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(order).toEqual(['line provider', 'line legacy', 'markers provider', 'markers legacy']);
    expect(chart.match(/<rect class="marker provider"/g)).toHaveLength(3);
    expect(chart.match(/<circle class="marker legacy"/g)).toHaveLength(3);
  });

  it('scales the axis to nice round steps above the highest value', () => {
    expect(niceStep(0, 4)).toBe(1);
    expect(niceStep(3, 4)).toBe(1);
    expect(niceStep(9, 4)).toBe(5);
    expect(niceStep(420, 4)).toBe(200);
    expect(niceStep(95, 4)).toBe(25);
    expect(niceStep(1_000_000, 4)).toBe(250_000);
    const chart = renderChart({
      series: [fixtureSeriesPoint(0), fixtureSeriesPoint(1)],
      bucket: 'day',
    }).value;
    expect(chart).toContain('>600 users</text>');
  });
});

describe('escaping helpers', () => {
  it('escapes interpolations but keeps nested html fragments', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p>${inner}${['<', html`<br>`]}${null}${undefined}${false}${0}</p>`.value).toBe(
      '<p><b>&lt;i&gt;</b>&lt;<br>0</p>',
    );
  });

  it('formats shares as percentages with sensible precision', () => {
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(0.00001)).toBe('<0.01%');
    expect(formatPercent(0.0042)).toBe('0.42%');
    expect(formatPercent(0.01)).toBe('1%');
    expect(formatPercent(0.0104)).toBe('1.04%'); // just above a 1 % threshold never reads as 1%
    expect(formatPercent(0.1143)).toBe('11.4%');
    expect(formatPercent(0.2505)).toBe('25.1%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(Number.NaN)).toBe('–');
  });

  it('formats durations in their largest unit, truncated to one decimal', () => {
    expect(formatDuration(4.75 * HOUR)).toBe('4.7 hours');
    expect(formatDuration(4.7 * HOUR)).toBe('4.7 hours');
    expect(formatDuration(6.99 * DAY)).toBe('6.9 days'); // never rounds up to a threshold
    expect(formatDuration(DAY)).toBe('1 day');
    expect(formatDuration(1_000)).toBe('1 second');
    expect(formatDuration(90_000)).toBe('1.5 minutes');
    expect(formatDuration(250)).toBe('less than a second');
    expect(formatDuration(46_500)).toBe('46.5 seconds');
    expect(formatDuration(-1)).toBe('–');
    expect(relativeTo('2025-03-31T07:15:00.000Z', '2025-03-31T12:00:00.000Z')).toBe(
      '4.7 hours before this report',
    );
    expect(relativeTo('2025-03-31T11:59:30.000Z', '2025-03-31T12:00:00.000Z')).toBe(
      '30 seconds before this report',
    );
    expect(relativeTo('2025-03-31T12:00:01.000Z', '2025-03-31T12:00:00.000Z')).toBe(
      'at the time of this report',
    );
  });

  it('escapes Prometheus label values and HELP text so the exposition still parses', () => {
    const tricky = 'a"b\\c\nd';
    expect(escapeLabelValue(tricky)).toBe('a\\"b\\\\c\\nd');
    const families: MetricFamily[] = [
      {
        name: 'x_total',
        help: 'line one\nback\\slash',
        type: 'counter',
        aggregator: 'sum',
        samples: [
          { labels: { kind: tricky }, value: 1 },
          { labels: { kind: 'plain' }, value: Number.POSITIVE_INFINITY },
        ],
      },
      { name: 'empty', help: 'left out', type: 'gauge', aggregator: 'max', samples: [] },
    ];
    const parsed = parsePrometheusText(renderPrometheus(families));
    expect([...parsed.keys()]).toEqual(['x_total']);
    expect(parsed.get('x_total')?.help).toBe('line one\nback\\slash');
    expect(parsed.get('x_total')?.samples).toEqual([
      { labels: { kind: tricky }, value: 1 },
      { labels: { kind: 'plain' }, value: Number.POSITIVE_INFINITY },
    ]);
  });
});
