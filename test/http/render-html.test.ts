import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../src/http/html-escape.js';
import { formatPercent, renderHtml } from '../../src/http/render-html.js';
import { escapeLabelValue, type MetricFamily, renderPrometheus } from '../../src/http/render-prometheus.js';
import { niceStep, renderChart } from '../../src/http/svg-chart.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { fixtureSeriesPoint, makeReportFixture, recorderFixture } from '../helpers/report-fixture.js';

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
    report.cutover = { ...report.cutover, ready: true, projectedReadyAt: null };
    const ready = renderHtml(report);
    expect(ready).toContain('✓ Ready to switch off the legacy login');
    expect(ready).toContain('id="projected">Now<');
    expect(ready).toContain('id="last-legacy">Never<');
    report.cutover.ready = false;
    expect(renderHtml(report)).toContain('Not projected: the recent trend does not reach the criteria');
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
  it('draws a lone point as dots, since a one-point line is invisible', () => {
    const chart = renderChart({ series: [fixtureSeriesPoint(0)], bucket: 'day' }).value;
    expect(chart.match(/<circle /g)).toHaveLength(2);
    expect(chart.match(/<polyline /g)).toHaveLength(2);
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
    expect(formatPercent(0.0042)).toBe('0.42%');
    expect(formatPercent(0.01)).toBe('1%');
    expect(formatPercent(0.2505)).toBe('25.1%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPercent(Number.NaN)).toBe('–');
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
