/**
 * The HTML dashboard of the stats endpoint: one self-contained page (inline CSS, inline SVG chart, no
 * script, no external URL), readable on a phone, with every number of the chart also in a table.
 */

import type { PasswordMigrationCounts, RequestCounts, UserCounts } from '../stats/contract.js';
import type { MigrationReport, ReportWindow } from '../stats/report-types.js';
import { DASHBOARD_CSS } from './dashboard-css.js';
import { bucketLabel, formatCount, formatDateTime, formatDay, formatPercent, relativeTo } from './format.js';
import { html, SafeHtml } from './html-escape.js';
import { cutoverSection } from './render-cutover.js';
import { legacyStoreSection } from './render-legacy-store.js';
import { renderChart } from './svg-chart.js';

export { formatDateTime, formatPercent } from './format.js';

export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

/**
 * Sent with the dashboard: nothing may load (no script, no external resource), inline styles only.
 * `frame-ancestors`, `base-uri` and `form-action` are not covered by `default-src` and are closed too.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const WINDOW_COLUMNS: ReadonlyArray<[key: '1d' | '7d' | '30d', label: string]> = [
  ['1d', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days'],
];

const USER_ROWS: ReadonlyArray<[keyof UserCounts, string]> = [
  ['active', 'Active'],
  ['legacy', 'Legacy'],
  ['provider', 'Provider'],
  ['migrated', 'Migrated'],
  ['legacyOnly', 'Legacy\u2011only'],
];

const REQUEST_ROWS: ReadonlyArray<[keyof RequestCounts, string]> = [
  ['legacy', 'Legacy'],
  ['provider', 'Provider'],
  ['anonymous', 'Anonymous'],
  ['rejected', 'Rejected'],
  ['conflicts', 'Conflicts'],
  ['unavailable', 'Unavailable'],
];

function windowsTable(report: MigrationReport): SafeHtml {
  const columns: Array<{
    label: string;
    data: Pick<ReportWindow, 'users' | 'requests'>;
    approximate: boolean;
  }> = [
    ...WINDOW_COLUMNS.map(([key, label]) => ({
      label,
      data: report.windows[key],
      approximate: report.windows[key].approximate,
    })),
    { label: 'Total', data: report.totals, approximate: report.approximate },
  ];
  const cell = (value: number, approximate: boolean): SafeHtml =>
    html`<td>${approximate ? html`<abbr title="approximate">≈</abbr>&#8202;` : ''}${formatCount(value)}</td>`;
  const userRows = USER_ROWS.map(
    ([key, label]) =>
      html`<tr><th scope="row">${label}</th>${columns.map((c) => cell(c.data.users[key], c.approximate))}</tr>`,
  );
  const requestRows = REQUEST_ROWS.map(
    ([key, label]) =>
      html`<tr><th scope="row">${label}</th>${columns.map((c) => cell(c.data.requests[key], false))}</tr>`,
  );
  const anyApproximate = columns.some((c) => c.approximate);
  return html`<div class="table-wrap"><table id="windows-table">
<caption>Distinct users and requests in the windows ending at the report time; total: the whole retention period; legacy and provider requests are the authenticated ones${anyApproximate ? '; ≈ marks approximate user counts' : ''}.</caption>
<thead><tr><th scope="col">Measure</th>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead>
<tbody><tr><th scope="rowgroup" colspan="${columns.length + 1}">Distinct users</th></tr>${userRows}</tbody>
<tbody><tr><th scope="rowgroup" colspan="${columns.length + 1}">Requests</th></tr>${requestRows}</tbody>
</table></div>`;
}

function seriesTable(report: MigrationReport): SafeHtml {
  const unit = report.seriesBucket === 'hour' ? 'Hour' : 'Day';
  const rows = report.series.map(
    (p) =>
      html`<tr><th scope="row">${bucketLabel(p.start, report.seriesBucket)}</th><td>${formatCount(p.legacyUsers)}</td><td>${formatCount(p.providerUsers)}</td><td>${formatCount(p.legacyRequests)}</td><td>${formatCount(p.providerRequests)}</td></tr>`,
  );
  return html`<details><summary>The numbers behind the chart</summary><div class="table-wrap"><table id="series-table">
<caption>Distinct users and authenticated requests per ${unit.toLowerCase()} (UTC).</caption>
<thead><tr><th scope="col">${unit} (UTC)</th><th scope="col">Legacy users</th><th scope="col">Provider users</th><th scope="col">Legacy requests</th><th scope="col">Provider requests</th></tr></thead>
<tbody>${rows}</tbody>
</table></div></details>`;
}

function legend(): SafeHtml {
  const swatch = (name: string): SafeHtml =>
    html`<svg viewBox="0 0 28 10" aria-hidden="true" focusable="false"><line class="swatch ${name}" x1="1" y1="5" x2="27" y2="5"/></svg>`;
  return html`<ul class="legend"><li>${swatch('legacy')}Legacy session users</li><li>${swatch('provider')}Provider users</li></ul>`;
}

function chartSection(report: MigrationReport): SafeHtml {
  const unit = report.seriesBucket === 'hour' ? 'hour' : 'day';
  const body =
    report.series.length === 0
      ? html`<p>No sightings recorded yet: the chart appears once the bridge has seen traffic.</p>`
      : html`<figure>${legend()}${renderChart({ series: report.series, bucket: report.seriesBucket })}
<figcaption>Distinct users seen per ${unit} (UTC). Legacy: users with a valid legacy session cookie; provider: users with a valid provider token.</figcaption>
</figure>${seriesTable(report)}`;
  return html`<section aria-labelledby="chart-heading"><h2 id="chart-heading">Active users over time</h2>${body}</section>`;
}

function readinessSection(report: MigrationReport): SafeHtml {
  const { cutover } = report;
  const { criteria } = cutover;
  const projected = cutover.ready
    ? 'Now'
    : cutover.projectedReadyAt
      ? formatDay(cutover.projectedReadyAt)
      : 'Not projected: the recent trend does not reach the criteria';
  return html`<section aria-labelledby="readiness-heading" id="readiness">
<h2 id="readiness-heading">Cutover readiness</h2>
<p class="status ${cutover.ready ? 'ready' : 'not-ready'}">${cutover.ready ? '✓ Ready to switch off the legacy login' : 'Not ready yet'}</p>
<p class="reason">${cutover.reason}</p>
<dl class="facts">
<dt>Projected ready date</dt><dd id="projected">${projected}</dd>
<dt>Criteria</dt><dd>Legacy share of active users over 7 days at most ${formatPercent(criteria.maxLegacyShare)}, and no legacy sighting for ${criteria.quietDays} days (projection from the last ${criteria.trendDays} days).</dd>
<dt>Mode</dt><dd>${report.mode}</dd>
</dl>
</section>`;
}

function figuresSection(report: MigrationReport): SafeHtml {
  const week = report.windows['7d'];
  const last = report.lastLegacyAt;
  const lastNote = last ? relativeTo(last, report.generatedAt) : undefined;
  const tile = (id: string, label: string, value: string, note: string | undefined, kind = ''): SafeHtml =>
    html`<div class="tile"><dt>${label}</dt><dd><span class="value${kind}" id="${id}">${value}</span>${note ? html`<span class="note">${note}</span>` : ''}</dd></div>`;
  return html`<section aria-labelledby="figures-heading">
<h2 id="figures-heading">Key figures</h2>
<dl class="tiles">
${tile('legacy-share', 'Legacy share, last 7 days', formatPercent(report.cutover.legacyShare7d), `${formatCount(week.users.legacy)} of ${formatCount(week.users.active)} active users`)}
${tile('migrated', 'Migrated users', formatCount(report.totals.users.migrated), `${formatCount(week.users.migrated)} in the last 7 days`)}
${tile('legacy-only', 'Legacy-only users', formatCount(report.totals.users.legacyOnly), `never seen on the provider; ${formatCount(week.users.legacyOnly)} active in the last 7 days`)}
${tile('last-legacy', 'Last legacy sighting', last ? formatDateTime(last) : 'Never', lastNote, ' date')}
</dl>
</section>`;
}

const PASSWORD_ROWS: ReadonlyArray<[keyof PasswordMigrationCounts, string]> = [
  ['match', 'Moved across (match)'],
  ['mismatch', 'Wrong password'],
  ['unknown', 'Unknown user'],
  ['rateLimited', 'Rate\u2011limited'],
  ['unauthorized', 'Wrong API key'],
  ['error', 'Errors'],
];

/**
 * The password migration endpoints' decisions per window, next to the key figures; left out while none was
 * recorded (an app that does not mount the endpoints never sees it).
 */
function passwordsSection(report: MigrationReport): SafeHtml | undefined {
  const total = report.totals.passwordMigrations;
  if (!PASSWORD_ROWS.some(([key]) => total[key] > 0)) return undefined;
  const columns: Array<{ label: string; counts: PasswordMigrationCounts }> = [
    ...WINDOW_COLUMNS.map(([key, label]) => ({ label, counts: report.windows[key].passwordMigrations })),
    { label: 'Total', counts: total },
  ];
  const rows = PASSWORD_ROWS.map(
    ([key, label]) =>
      html`<tr><th scope="row">${label}</th>${columns.map((c) => html`<td>${formatCount(c.counts[key])}</td>`)}</tr>`,
  );
  const week = report.windows['7d'].passwordMigrations.match;
  return html`<section aria-labelledby="passwords-heading" id="passwords">
<h2 id="passwords-heading">Passwords moved across</h2>
<p>${formatCount(total.match)} password${total.match === 1 ? '' : 's'} taken over by the new provider, ${formatCount(week)} in the last 7 days.</p>
<div class="table-wrap"><table id="passwords-table">
<caption>Decisions of the password migration endpoints in the windows ending at the report time; total: the whole retention period.</caption>
<thead><tr><th scope="col">Decision</th>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead>
<tbody>${rows}</tbody>
</table></div>
</section>`;
}

function recorderSection(report: MigrationReport): SafeHtml {
  const r = report.recorder;
  const losing = r.dropped > 0 || r.failedFlushes > 0;
  return html`<section aria-labelledby="recorder-heading" id="recorder">
<h2 id="recorder-heading">Stats recorder (instance that answered)</h2>
<p class="status ${losing ? 'not-ready' : 'ready'}">${losing ? 'Events were lost or delayed' : 'Healthy'}</p>
<dl class="facts">
<dt>Dropped events</dt><dd id="recorder-dropped">${formatCount(r.dropped)}</dd>
<dt>Failed flushes</dt><dd id="recorder-failed">${formatCount(r.failedFlushes)}</dd>
<dt>Buffered events</dt><dd>${formatCount(r.buffered)}</dd>
<dt>Recorded events</dt><dd>${formatCount(r.recorded)}</dd>
<dt>Last flush</dt><dd>${r.lastFlushAt ? formatDateTime(r.lastFlushAt) : 'Never'}</dd>
${r.lastError ? html`<dt>Last error</dt><dd id="recorder-error">${r.lastError}</dd>` : ''}
</dl>
</section>`;
}

function approximateNotice(report: MigrationReport): SafeHtml | undefined {
  if (!report.approximate) return undefined;
  const windows = WINDOW_COLUMNS.filter(([key]) => report.windows[key].approximate).map(([, label]) => label);
  const which = windows.length > 0 ? ` (${windows.join(', ').toLowerCase()} and the retention totals)` : '';
  return html`<p class="notice" role="note" id="approximate"><strong>Approximate numbers.</strong> More distinct users were seen than the stats store tracks exactly, so some user counts${which} are estimates. See the store's documentation for the error bound.</p>`;
}

/** The dashboard page for a report. Every value from the report is escaped. */
export function renderHtml(report: MigrationReport): string {
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Login migration</title>
<style>${new SafeHtml(DASHBOARD_CSS)}</style>
</head>
<body>
<main>
<header>
<h1>Login migration</h1>
<p class="meta">Report generated ${formatDateTime(report.generatedAt)} · schema v${report.schemaVersion}</p>
</header>
${approximateNotice(report)}
${readinessSection(report)}
${cutoverSection(report)}
${figuresSection(report)}
${legacyStoreSection(report)}
${passwordsSection(report)}
${chartSection(report)}
<section aria-labelledby="windows-heading"><h2 id="windows-heading">By window</h2>${windowsTable(report)}</section>
${recorderSection(report)}
<footer>Also available as <a href="?format=json">JSON</a> and <a href="?format=prometheus">Prometheus metrics</a>.</footer>
</main>
</body>
</html>
`;
  return page.value;
}
