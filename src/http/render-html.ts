/**
 * The HTML dashboard of the stats endpoint: one self-contained page (inline CSS, inline SVG chart, no
 * script, no external URL), readable on a phone, with every number of the chart also in a table.
 */
import type { MigrationReport, ReportWindow } from '../stats/report-types.js';
import type { RequestCounts, UserCounts } from '../stats/store.js';
import { html, SafeHtml } from './html-escape.js';
import { renderChart } from './svg-chart.js';

export const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

/**
 * Sent with the dashboard: nothing may load (no script, no external resource), inline styles only.
 * `frame-ancestors`, `base-uri` and `form-action` are not covered by `default-src` and are closed too.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// Chart text is sized in viewBox units: the breakpoints keep it near 12-15 CSS px at every width.
const STYLE = `
:root{--bg:#f5f6f8;--card:#fff;--text:#17202b;--muted:#526070;--border:#d9dee5;--grid:#e6e9ee;
--legacy:#c2410c;--provider:#1d4ed8;--ok:#166534;--ok-bg:#e8f5ec;--warn:#8a4b00;--warn-bg:#fff4e0;color-scheme:light dark}
@media (prefers-color-scheme:dark){:root{--bg:#0f141a;--card:#18202a;--text:#e7ecf2;--muted:#a3afbd;--border:#2c3744;
--grid:#26303c;--legacy:#fb923c;--provider:#7aa7ff;--ok:#86efac;--ok-bg:#12301d;--warn:#fcd34d;--warn-bg:#3a2a08}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:960px;margin:0 auto;padding:16px}
h1{font-size:1.6rem;margin:8px 0 0}
h2{font-size:1.15rem;margin:0 0 12px}
.meta{color:var(--muted);margin:4px 0 16px;font-size:.9rem}
section{background:var(--card);border:1px solid var(--border);border-radius:10px;padding:16px;margin:0 0 16px}
.notice{border-radius:10px;padding:12px 16px;margin:0 0 16px;background:var(--warn-bg);color:var(--warn);border:1px solid currentColor}
.status{display:inline-block;font-weight:700;font-size:1.05rem;padding:4px 12px;border-radius:999px;margin:0 0 8px}
.status.ready{background:var(--ok-bg);color:var(--ok)}
.status.not-ready{background:var(--warn-bg);color:var(--warn)}
.reason{margin:0 0 12px}
dl{margin:0}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}
.facts dt{color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px}
.tile{border:1px solid var(--border);border-radius:8px;padding:12px}
.tile dt{color:var(--muted);font-size:.9rem}
.tile dd{margin:0}
.value{display:block;font-size:1.7rem;font-weight:700;line-height:1.2;font-variant-numeric:tabular-nums}
.value.date{font-size:1.2rem;padding:4px 0 3px}
.note{display:block;color:var(--muted);font-size:.85rem}
figure{margin:0}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 20px;margin:0 0 8px;padding:0}
.legend li{display:flex;align-items:center;gap:8px}
.legend svg{width:28px;height:10px;flex:none}
figcaption{color:var(--muted);font-size:.85rem;margin-top:4px}
.chart{display:block;width:100%;height:auto}
.chart text{font-size:10px;fill:var(--muted)}
@media (max-width:960px){.chart text{font-size:11px}}
@media (max-width:700px){.chart text{font-size:15px}}
@media (max-width:480px){.chart text{font-size:22px}.chart .minor{display:none}}
.chart .y-label{paint-order:stroke;stroke:var(--card);stroke-width:4px;stroke-linejoin:round}
.chart .grid{stroke:var(--grid);stroke-width:1;vector-effect:non-scaling-stroke}
.chart .axis{stroke:var(--muted)}
.chart .tick{stroke:var(--muted);vector-effect:non-scaling-stroke}
.line{fill:none;stroke-width:2.5;stroke-linejoin:round;stroke-linecap:round;vector-effect:non-scaling-stroke}
.line.legacy,.swatch.legacy{stroke:var(--legacy);stroke-dasharray:7 4}
.line.provider,.swatch.provider{stroke:var(--provider)}
.swatch{stroke-width:3;fill:none}
.dot.legacy{fill:var(--legacy)}.dot.provider{fill:var(--provider)}
@media (max-width:600px){main{padding:12px 8px}section{padding:12px 10px}.tiles{grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:8px}.tile{padding:10px}.value{font-size:1.45rem}
.value.date{font-size:1.05rem}#readiness .facts{grid-template-columns:1fr;gap:0}#readiness .facts dd{margin-bottom:8px}
table{font-size:.8125rem}th,td{padding:6px 3px}}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
caption{text-align:left;color:var(--muted);font-size:.9rem;padding:0 0 8px}
th,td{padding:6px 8px;border-bottom:1px solid var(--border);text-align:right;white-space:nowrap}
th[scope=row],thead th:first-child{text-align:left}
th[scope=row]{font-weight:400;white-space:normal}
th[scope=rowgroup]{text-align:left;font-size:.85rem;color:var(--muted);padding-top:14px}
thead th{font-size:.85rem;color:var(--muted)}
details{margin-top:12px}
summary{cursor:pointer;color:var(--provider)}
a{color:var(--provider)}
footer{color:var(--muted);font-size:.85rem;padding:0 0 24px}
`;

function formatCount(value: number): string {
  return Number.isFinite(value) ? value.toLocaleString('en-US') : '–';
}

/** A share (0..1) as a percentage: two decimals under 1 %, one above, trailing zeros trimmed. */
export function formatPercent(share: number): string {
  if (!Number.isFinite(share)) return '–';
  const percent = share * 100;
  const text = percent === 0 ? '0' : percent < 1 ? percent.toFixed(2) : percent.toFixed(1);
  return `${text.includes('.') ? text.replace(/\.?0+$/, '') : text}%`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function formatDate(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

/** `2025-03-14 09:30 UTC`; an unparseable value is shown as is. */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${formatDate(date)} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

function formatDay(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : formatDate(date);
}

function bucketLabel(iso: string, bucket: 'hour' | 'day'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return bucket === 'hour' ? `${formatDate(date)} ${pad(date.getUTCHours())}:00` : formatDate(date);
}

/** `3 days before this report`, relative to the report's `generatedAt` (never to the clock of the viewer). */
function relativeTo(iso: string, reference: string): string | undefined {
  const diff = Date.parse(reference) - Date.parse(iso);
  if (!Number.isFinite(diff)) return undefined;
  if (diff < 60_000) return 'at the time of this report';
  const units: Array<[string, number]> = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ];
  for (const [unit, ms] of units) {
    if (diff >= ms) {
      const n = Math.floor(diff / ms);
      return `${n} ${unit}${n === 1 ? '' : 's'} before this report`;
    }
  }
  return undefined;
}

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
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
<main>
<header>
<h1>Login migration</h1>
<p class="meta">Report generated ${formatDateTime(report.generatedAt)} · schema v${report.schemaVersion}</p>
</header>
${approximateNotice(report)}
${readinessSection(report)}
${figuresSection(report)}
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
