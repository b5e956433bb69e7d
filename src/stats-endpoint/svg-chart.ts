/**
 * Server-side SVG line chart of legacy vs provider users over time, for the HTML dashboard (no script).
 *
 * The chart scales with its container (viewBox); strokes keep their width (`vector-effect`), and the
 * dashboard's CSS enlarges the text (in viewBox units) on narrow screens so labels stay legible on a phone.
 * Series are told apart by colour, width, dash pattern and marker shape, not colour alone, and stay visible
 * where they coincide: the wide solid provider line is drawn first, the narrow dashed legacy line on top of it
 * (so equal values show as dashes inside a band), with a square marker per provider point and a smaller round
 * one per legacy point.
 *
 * The bucket holding the report time is still filling up: it is left out of the lines and drawn apart, with a
 * dotted link and hollow markers, and labelled "so far", so a partial day never reads as a drop.
 */
import type { ReportSeriesPoint } from '../stats/report-types.js';
import { DAY, HOUR } from '../stats/time.js';
import { groupDigits, pad } from '../util/format.js';
import { html, type SafeHtml } from './html-escape.js';

export const CHART_WIDTH = 640;
export const CHART_HEIGHT = 360;
const MARGIN = { top: 30, right: 12, bottom: 40, left: 12 };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export interface ChartOptions {
  series: readonly ReportSeriesPoint[];
  bucket: 'hour' | 'day';
  /** The report time (`generatedAt`): the bucket holding it is partial. Default: none is. */
  now?: string;
}

/** True when the last point of `series` is the bucket holding `now` (still filling up). */
export function endsWithPartialBucket(
  series: readonly ReportSeriesPoint[],
  bucket: 'hour' | 'day',
  now: string | undefined,
): boolean {
  const last = series[series.length - 1];
  if (!last || now === undefined) return false;
  const start = Date.parse(last.start);
  const at = Date.parse(now);
  return start <= at && at < start + (bucket === 'hour' ? HOUR : DAY);
}

/** What the partial bucket is called: `today so far` or `this hour so far` (`Today so far` to start a sentence). */
export function partialLabel(bucket: 'hour' | 'day', start = false): string {
  const label = bucket === 'hour' ? 'this hour so far' : 'today so far';
  return start ? `${label.charAt(0).toUpperCase()}${label.slice(1)}` : label;
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

/** The chart's `<desc>`: the trend over the complete buckets, then the partial one, if any. */
export function describeSeries(
  series: readonly ReportSeriesPoint[],
  bucket: 'hour' | 'day',
  partial = false,
): string {
  const complete = partial ? series.slice(0, -1) : series;
  const current = partial ? series[series.length - 1] : undefined;
  const first = complete[0];
  const last = complete[complete.length - 1];
  const unit = bucket === 'hour' ? 'hour' : 'day';
  const sofar = current
    ? `${partialLabel(bucket, true)} (${axisLabel(current.start, bucket)}, still counting): ${groupDigits(current.legacyUsers)} legacy session users, ${groupDigits(current.providerUsers)} provider users.`
    : '';
  if (!first || !last) return sofar || 'No users recorded yet.';
  return (
    `Distinct users per ${unit} from ${axisLabel(first.start, bucket)} to ${axisLabel(last.start, bucket)} (UTC): ` +
    `legacy session users went from ${groupDigits(first.legacyUsers)} to ${groupDigits(last.legacyUsers)}, ` +
    `provider users from ${groupDigits(first.providerUsers)} to ${groupDigits(last.providerUsers)}.` +
    (sofar ? ` ${sofar}` : '')
  );
}

/**
 * The chart as inline SVG markup: `role="img"` with an `aria-label`, `<title>` and `<desc>`; one
 * `<polyline class="line">` per series (`data-series="provider"`, then `"legacy"` on top) with one point per
 * complete bucket, a marker per point, and the partial bucket (`class="partial"`) apart.
 */
export function renderChart({ series, bucket, now }: ChartOptions): SafeHtml {
  const partial = endsWithPartialBucket(series, bucket, now);
  const complete = partial ? series.slice(0, -1) : series;
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
    complete.map((p, i) => `${round1(x(i))},${round1(y(pick(p)))}`).join(' ');

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
    const text = `${axisLabel(point.start, bucket)}${partial && index === series.length - 1 ? ', so far' : ''}`;
    return html`<line class="tick" x1="${round1(x(index))}" x2="${round1(x(index))}" y1="${plot.bottom}" y2="${plot.bottom + 6}"/><text class="x-label${major ? '' : ' minor'}" x="${round1(x(index))}" y="${plot.bottom + 10}" text-anchor="${anchor}" dominant-baseline="hanging">${text}</text>`;
  });

  // Markers: a square per provider point, a smaller circle per legacy point (drawn on top), so two equal
  // values still show both; hollow for the partial bucket.
  const marker = (name: 'legacy' | 'provider', i: number, value: number, extra = ''): SafeHtml => {
    const cx = round1(x(i));
    const cy = round1(y(value));
    return name === 'provider'
      ? html`<rect class="marker provider${extra}" x="${round1(x(i) - 4.5)}" y="${round1(y(value) - 4.5)}" width="9" height="9"/>`
      : html`<circle class="marker legacy${extra}" cx="${cx}" cy="${cy}" r="3.5"/>`;
  };
  const markers = (name: 'legacy' | 'provider', pick: (p: ReportSeriesPoint) => number): SafeHtml[] =>
    complete.map((p, i) => marker(name, i, pick(p)));

  const current = partial ? series[series.length - 1] : undefined;
  const sofar = (
    name: 'legacy' | 'provider',
    pick: (p: ReportSeriesPoint) => number,
  ): SafeHtml | undefined => {
    if (!current) return undefined;
    const i = series.length - 1;
    const previous = complete[complete.length - 1];
    const link = previous
      ? html`<line class="partial ${name}" data-series="${name}-so-far" x1="${round1(x(i - 1))}" y1="${round1(y(pick(previous)))}" x2="${round1(x(i))}" y2="${round1(y(pick(current)))}"/>`
      : '';
    return html`${link}${marker(name, i, pick(current), ' hollow')}`;
  };

  const unit = bucket === 'hour' ? 'hour' : 'day';
  const title = `Legacy session users and provider users per ${unit}`;
  return html`<svg class="chart" viewBox="0 0 ${CHART_WIDTH} ${CHART_HEIGHT}" role="img" aria-label="${title}" aria-describedby="chart-desc" preserveAspectRatio="xMidYMid meet">
<title>${title}</title>
<desc id="chart-desc">${describeSeries(series, bucket, partial)}</desc>
<g class="grid-lines">${grid}</g>
<g class="x-axis">${xLabels}</g>
<polyline class="line provider" data-series="provider" points="${points((p) => p.providerUsers)}"/>
<polyline class="line legacy" data-series="legacy" points="${points((p) => p.legacyUsers)}"/>
${sofar('provider', (p) => p.providerUsers)}${sofar('legacy', (p) => p.legacyUsers)}
<g class="markers provider">${markers('provider', (p) => p.providerUsers)}</g>
<g class="markers legacy">${markers('legacy', (p) => p.legacyUsers)}</g>
<g class="y-axis">${yLabels}</g>
</svg>`;
}
