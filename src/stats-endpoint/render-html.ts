/**
 * The HTML dashboard of the stats endpoint: one self-contained page (inline CSS, inline SVG chart, no
 * script, no external URL), readable on a phone, with every number of the chart also in a table.
 */

import type { PasswordMigrationCounts, RequestCounts, UserCounts } from '../stats/contract.js';
import type { MigrationReport, ReportSeriesPoint, ReportWindow } from '../stats/report-types.js';
import {
  bucketLabel,
  formatCount,
  formatDateTime,
  formatDay,
  formatDuration,
  formatPercent,
  relativeTo,
} from '../util/format.js';
import { DASHBOARD_CSS } from './dashboard-css.js';
import { html, SafeHtml } from './html-escape.js';
import { cutoverSection, percentLabel } from './render-cutover.js';
import { fleetSection } from './render-fleet.js';
import { legacyStoreSection } from './render-legacy-store.js';
import { upgradesSection } from './render-upgrades.js';
import { endsWithPartialBucket, partialLabel, renderChart } from './svg-chart.js';

export { formatDateTime, formatDuration, formatPercent } from '../util/format.js';

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

/** The series from its first bucket with data: the chart does not draw the days before the stats began. */
export function fromFirstData(series: readonly ReportSeriesPoint[]): ReportSeriesPoint[] {
  const first = series.findIndex(
    (p) => p.legacyUsers + p.providerUsers + p.legacyRequests + p.providerRequests + p.passwordMatches > 0,
  );
  return first === -1 ? [] : series.slice(first);
}

function seriesTable(report: MigrationReport, series: readonly ReportSeriesPoint[]): SafeHtml {
  const unit = report.seriesBucket === 'hour' ? 'Hour' : 'Day';
  const partial = endsWithPartialBucket(series, report.seriesBucket, report.generatedAt);
  const last = series.length - 1;
  const rows = series.map((p, i) => {
    const sofar = partial && i === last;
    return html`<tr${sofar ? html` class="partial-row"` : ''}><th scope="row">${bucketLabel(p.start, report.seriesBucket)}${sofar ? ` (${partialLabel(report.seriesBucket)})` : ''}</th><td>${formatCount(p.legacyUsers)}</td><td>${formatCount(p.providerUsers)}</td><td>${formatCount(p.legacyRequests)}</td><td>${formatCount(p.providerRequests)}</td></tr>`;
  });
  return html`<details><summary>The numbers behind the chart</summary><div class="table-wrap"><table id="series-table">
<caption>Distinct users and authenticated requests per ${unit.toLowerCase()} (UTC).</caption>
<thead><tr><th scope="col">${unit} (UTC)</th><th scope="col">Legacy users</th><th scope="col">Provider users</th><th scope="col">Legacy requests</th><th scope="col">Provider requests</th></tr></thead>
<tbody>${rows}</tbody>
</table></div></details>`;
}

/** The legend: each series' line and marker as drawn, and the partial bucket's look when there is one. */
function legend(bucket: 'hour' | 'day', partial: boolean): SafeHtml {
  const swatch = (name: string, mark: SafeHtml): SafeHtml =>
    html`<svg viewBox="0 0 28 12" aria-hidden="true" focusable="false"><line class="swatch ${name}" x1="1" y1="6" x2="27" y2="6"/>${mark}</svg>`;
  const square = html`<rect class="marker provider" x="9.5" y="1.5" width="9" height="9"/>`;
  const dot = html`<circle class="marker legacy" cx="14" cy="6" r="3.5"/>`;
  const hollow = html`<circle class="marker hollow muted" cx="14" cy="6" r="3.5"/>`;
  return html`<ul class="legend"><li>${swatch('legacy', dot)}Legacy session users</li><li>${swatch('provider', square)}Provider users</li>${partial ? html`<li id="legend-partial">${swatch('partial', hollow)}${partialLabel(bucket, true)} (still counting)</li>` : ''}</ul>`;
}

function chartSection(report: MigrationReport): SafeHtml {
  const unit = report.seriesBucket === 'hour' ? 'hour' : 'day';
  const series = fromFirstData(report.series);
  const partial = endsWithPartialBucket(series, report.seriesBucket, report.generatedAt);
  const trimmed = series.length < report.series.length && series[0] !== undefined;
  const startNote = trimmed
    ? ` The chart starts at ${bucketLabel(series[0]!.start, report.seriesBucket)}, the first ${unit} with data.`
    : '';
  const partialNote = partial
    ? ` The last ${unit}, ${partialLabel(report.seriesBucket)}, is not over: it is drawn apart with hollow markers, not as part of the lines.`
    : '';
  const body =
    series.length === 0
      ? html`<p>No sightings recorded yet: the chart appears once the bridge has seen traffic.</p>`
      : html`<figure>${legend(report.seriesBucket, partial)}${renderChart({ series, bucket: report.seriesBucket, now: report.generatedAt })}
<figcaption>Distinct users seen per ${unit} (UTC). Legacy: users with a valid legacy session cookie; provider: users with a valid provider token; a user who presents both in a ${unit} counts in both. Where the two lines meet, the dashed legacy line runs inside the wider provider line.${startNote}${partialNote}</figcaption>
</figure>${seriesTable(report, series)}`;
  return html`<section aria-labelledby="chart-heading"><h2 id="chart-heading">Active users over time</h2>${body}</section>`;
}

/** The projected ready date, or in words why there is none (`cutover.projection.reason`). */
function projectedText(cutover: MigrationReport['cutover']): string {
  if (cutover.ready) return 'Now';
  const { projection, criteria } = cutover;
  switch (projection.reason) {
    case 'projected':
      return projection.readyAt ? formatDay(projection.readyAt) : 'Not projected';
    case 'too-few-points':
      return `Not enough data yet (${formatCount(projection.points)} of ${formatCount(projection.pointsNeeded)} days needed): the projection fits the daily legacy share of the last ${criteria.trendDays} days`;
    case 'not-decreasing':
      return `Not projected: the daily legacy share has not been falling over the last ${criteria.trendDays} days`;
    case 'too-far':
      return 'Not projected: at the current pace the criteria are more than 10 years away';
    case 'no-daily-series':
      return 'Not projected: this report has no daily series to project from';
    default:
      return cutover.projectedReadyAt ? formatDay(cutover.projectedReadyAt) : 'Not projected';
  }
}

function readinessSection(report: MigrationReport): SafeHtml {
  const { cutover } = report;
  const { criteria } = cutover;
  const projected = projectedText(cutover);
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

/** "ramp at 25 %", "provider-only mode", "no ramp": what refuses legacy users now. */
function refusalSetting(report: MigrationReport): string {
  if (report.mode === 'provider-only') return 'provider-only mode';
  const percent = report.cutover.history.at(-1)?.percent ?? 0;
  return percent > 0 ? `ramp at ${percentLabel(percent)}` : 'no ramp';
}

/**
 * The key figures, each labelled with its window and what it counts, so that figures of different windows
 * and definitions (a user who moved this week still counts in this week's legacy share) cannot be read as
 * contradicting each other.
 */
function figuresSection(report: MigrationReport): SafeHtml {
  const week = report.windows['7d'];
  const last = report.lastLegacyAt;
  const lastNote = last ? relativeTo(last, report.generatedAt) : undefined;
  const refused = report.cutover.refused;
  const tile = (id: string, label: string, value: string, note: string | undefined, kind = ''): SafeHtml =>
    html`<div class="tile"><dt>${label}</dt><dd><span class="value${kind}" id="${id}">${value}</span>${note ? html`<span class="note">${note}</span>` : ''}</dd></div>`;
  const movedThisWeek =
    week.users.migrated > 0
      ? `; the ${formatCount(week.users.migrated)} who moved to the provider in these days ${week.users.migrated === 1 ? 'counts' : 'count'} here too`
      : '';
  return html`<section aria-labelledby="figures-heading">
<h2 id="figures-heading">Key figures</h2>
<dl class="tiles">
${tile('legacy-share', 'Active users who used a legacy session, last 7 days', formatPercent(report.cutover.legacyShare7d), `${formatCount(week.users.legacy)} of ${formatCount(week.users.active)} active users${movedThisWeek}`)}
${tile('migrated', 'Moved to the provider, since the stats began', formatCount(report.totals.users.migrated), `seen on a legacy session first; ${formatCount(week.users.migrated)} in the last 7 days`)}
${refused ? tile('refused-now', 'Refused by the cutover now', formatCount(refused.users), `legacy users sent to the new login since ${formatDateTime(refused.since)} (${refusalSetting(report)}, this instance)`) : ''}
${tile('legacy-only', 'Never seen on the provider, since the stats began', formatCount(report.totals.users.legacyOnly), `legacy users only; ${formatCount(week.users.legacyOnly)} active in the last 7 days`)}
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
<dt>Buffered events</dt><dd id="recorder-buffered">${formatCount(r.buffered)} (not in the figures yet; flushed every ${formatDuration(r.flushIntervalMs)})</dd>
<dt>Recorded events</dt><dd>${formatCount(r.recorded)}</dd>
<dt>Last flush</dt><dd>${r.lastFlushAt ? formatDateTime(r.lastFlushAt) : 'Never'}</dd>
${r.lastError ? html`<dt>Last error</dt><dd id="recorder-error">${r.lastError}</dd>` : ''}
</dl>
</section>`;
}

/**
 * Events the answering instance recorded but has not handed to the store yet: a sign-in of the last moments is
 * not in the figures (its user may still show as legacy-only). Shown only while there are some.
 */
function pendingNotice(report: MigrationReport): SafeHtml | undefined {
  const { buffered, flushIntervalMs } = report.recorder;
  if (!(buffered > 0)) return undefined;
  const within = formatDuration(flushIntervalMs);
  return html`<p class="notice" role="status" id="pending"><strong>${formatCount(buffered)} event${buffered === 1 ? '' : 's'} pending (recorded within ${within}).</strong> The latest requests are not in the figures below yet, so a user who just signed in may still show as legacy-only; reload in ${within} to see them.</p>`;
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
<p class="meta">Report generated ${formatDateTime(report.generatedAt)} · <span id="lag">figures lag the requests by up to ${formatDuration(report.recorder.flushIntervalMs)} (the recorder's flush interval)</span> · schema v${report.schemaVersion}</p>
</header>
${pendingNotice(report)}
${approximateNotice(report)}
${readinessSection(report)}
${cutoverSection(report)}
${fleetSection(report)}
${figuresSection(report)}
${legacyStoreSection(report)}
${passwordsSection(report)}
${upgradesSection(report)}
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
