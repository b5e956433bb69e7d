/**
 * Server-side SVG line chart of legacy vs provider users over time, for the HTML dashboard (no script).
 *
 * The chart scales with its container (viewBox); strokes keep their width (`vector-effect`), and the
 * dashboard's CSS enlarges the text (in viewBox units) on narrow screens so labels stay legible on a phone.
 * Series are told apart by colour and dash pattern, not colour alone.
 */
import type { ReportSeriesPoint } from '../stats/report-types.js';
import { groupDigits, pad } from './format.js';
import { html, type SafeHtml } from './html-escape.js';

export const CHART_WIDTH = 640;
export const CHART_HEIGHT = 360;
const MARGIN = { top: 30, right: 12, bottom: 40, left: 12 };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface ChartOptions {
  series: readonly ReportSeriesPoint[];
  bucket: 'hour' | 'day';
}

/** A short axis label in UTC: `Mar 14`, or `Mar 14 09:00` for hourly buckets. */
export function axisLabel(iso: string, bucket: 'hour' | 'day'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const day = `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}`;
  return bucket === 'hour' ? `${day} ${pad(date.getUTCHours())}:00` : day;
}

/** A "nice" tick step (1, 2, 2.5 or 5 times a power of ten) giving about `count` steps up to `max`. */
export function niceStep(max: number, count: number): number {
  const raw = max / count;
  if (!(raw > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  const nice =
    fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 && power >= 10 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** Indices of the x labels: at most 5 spread evenly, first and last included. */
function xLabelIndices(n: number): number[] {
  const count = Math.min(n, 5);
  if (count <= 1) return n === 1 ? [0] : [];
  const indices = new Set<number>();
  for (let k = 0; k < count; k++) indices.add(Math.round((k * (n - 1)) / (count - 1)));
  return [...indices];
}

function round1(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}

/** One sentence describing the trend, used as the chart's `<desc>`. */
export function describeSeries(series: readonly ReportSeriesPoint[], bucket: 'hour' | 'day'): string {
  const first = series[0];
  const last = series[series.length - 1];
  if (!first || !last) return 'No users recorded yet.';
  const unit = bucket === 'hour' ? 'hour' : 'day';
  return (
    `Distinct users per ${unit} from ${axisLabel(first.start, bucket)} to ${axisLabel(last.start, bucket)} (UTC): ` +
    `legacy session users went from ${groupDigits(first.legacyUsers)} to ${groupDigits(last.legacyUsers)}, ` +
    `provider users from ${groupDigits(first.providerUsers)} to ${groupDigits(last.providerUsers)}.`
  );
}

/**
 * The chart as inline SVG markup: `role="img"` with an `aria-label`, `<title>` and `<desc>`; one
 * `<polyline>` per series (`data-series="legacy"` and `"provider"`) with one point per series entry.
 */
export function renderChart({ series, bucket }: ChartOptions): SafeHtml {
  const plot = {
    left: MARGIN.left,
    right: CHART_WIDTH - MARGIN.right,
    top: MARGIN.top,
    bottom: CHART_HEIGHT - MARGIN.bottom,
  };
  const maxValue = Math.max(0, ...series.map((p) => Math.max(p.legacyUsers, p.providerUsers)));
  const step = niceStep(maxValue, 4);
  const top = Math.max(step, Math.ceil(maxValue / step) * step);
  const x = (i: number): number =>
    series.length <= 1
      ? (plot.left + plot.right) / 2
      : plot.left + (i * (plot.right - plot.left)) / (series.length - 1);
  const y = (value: number): number => plot.bottom - (value / top) * (plot.bottom - plot.top);
  const points = (pick: (p: ReportSeriesPoint) => number): string =>
    series.map((p, i) => `${round1(x(i))},${round1(y(pick(p)))}`).join(' ');

  // Grid lines go under the data; their labels (inside the plot, with a halo) go over it.
  const grid: SafeHtml[] = [];
  const yLabels: SafeHtml[] = [];
  for (let value = 0; value <= top + 1e-9; value += step) {
    const label = value === top ? `${groupDigits(value)} users` : groupDigits(value);
    grid.push(
      html`<line class="grid${value === 0 ? ' axis' : ''}" x1="${plot.left}" x2="${plot.right}" y1="${round1(y(value))}" y2="${round1(y(value))}"/>`,
    );
    yLabels.push(html`<text class="y-label" x="${plot.left}" y="${round1(y(value) - 5)}">${label}</text>`);
  }

  const labelIndices = xLabelIndices(series.length);
  const xLabels = labelIndices.map((index, k) => {
    const point = series[index]!;
    const anchor =
      labelIndices.length === 1
        ? 'middle'
        : k === 0
          ? 'start'
          : k === labelIndices.length - 1
            ? 'end'
            : 'middle';
    // On phones only the first, middle and last labels are shown (see the dashboard CSS).
    const major = k === 0 || k === labelIndices.length - 1 || k * 2 === labelIndices.length - 1;
    return html`<line class="tick" x1="${round1(x(index))}" x2="${round1(x(index))}" y1="${plot.bottom}" y2="${plot.bottom + 6}"/><text class="x-label${major ? '' : ' minor'}" x="${round1(x(index))}" y="${plot.bottom + 10}" text-anchor="${anchor}" dominant-baseline="hanging">${axisLabel(point.start, bucket)}</text>`;
  });

  const single = (pick: (p: ReportSeriesPoint) => number, name: string): SafeHtml | undefined =>
    series.length === 1
      ? html`<circle class="dot ${name}" cx="${round1(x(0))}" cy="${round1(y(pick(series[0]!)))}" r="4"/>`
      : undefined;

  const unit = bucket === 'hour' ? 'hour' : 'day';
  const title = `Legacy session users and provider users per ${unit}`;
  return html`<svg class="chart" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" role="img" aria-label="${title}" aria-describedby="chart-desc" preserveAspectRatio="xMidYMid meet">
<title>${title}</title>
<desc id="chart-desc">${describeSeries(series, bucket)}</desc>
<g class="grid-lines">${grid}</g>
<g class="x-axis">${xLabels}</g>
<polyline class="line legacy" data-series="legacy" points="${points((p) => p.legacyUsers)}"/>
<polyline class="line provider" data-series="provider" points="${points((p) => p.providerUsers)}"/>
${single((p) => p.legacyUsers, 'legacy')}${single((p) => p.providerUsers, 'provider')}
<g class="y-axis">${yLabels}</g>
</svg>`;
}
