/**
 * The dashboard's cutover panel: what a cutover would cost now (`cutover.impact`) and the timeline of mode and
 * ramp changes of the instance that answered (`cutover.history`).
 */
import type { CutoverChange, CutoverImpact, MigrationReport } from '../stats/report-types.js';
import { formatCount, formatDateTime } from '../util/format.js';
import { html, type SafeHtml } from './html-escape.js';

/** `25 %`, `12.5 %`. */
function percentLabel(percent: number): string {
  return `${Number(percent.toFixed(2))} %`;
}

/** How a change reads on the timeline: `bridge`, `bridge, 25 % cut over`, `provider-only`. */
export function changeLabel(change: Pick<CutoverChange, 'mode' | 'percent'>): string {
  if (change.mode === 'provider-only' || change.percent === 0) return change.mode;
  return `${change.mode}, ${percentLabel(change.percent)} cut over`;
}

function users(n: number): string {
  return `${formatCount(n)} user${n === 1 ? '' : 's'}`;
}

/** The impact sentence: "A full cutover today would send about N users a day back to sign in; 25 %: M, ...". */
export function impactSentence(impact: CutoverImpact): string {
  const { byPercent } = impact;
  if (impact.usersPerDay === 0) {
    return 'A full cutover today would send nobody back to sign in: no legacy user was seen in the last 7 complete days.';
  }
  const ramps = (['10', '25', '50'] as const).map((p) => `${p} %: ${formatCount(byPercent[p])}`).join(', ');
  return `A full cutover today would send about ${users(byPercent['100'])} a day back to sign in; ${ramps}.`;
}

function timeline(history: readonly CutoverChange[]): SafeHtml {
  if (history.length === 0) return html`<p>No mode or ramp change recorded by this instance.</p>`;
  const last = history.length - 1;
  const items = history.map(
    (change, i) =>
      html`<li><time datetime="${change.at}">${formatDateTime(change.at)}</time> ${changeLabel(change)}${i === 0 ? ' (start)' : ''}${i === last ? html` <strong>(current)</strong>` : ''}</li>`,
  );
  return html`<ol id="cutover-history">${items}</ol>`;
}

/** The panel: impact first (it belongs next to the readiness verdict), then the timeline. */
export function cutoverSection(report: MigrationReport): SafeHtml {
  const { impact, history } = report.cutover;
  return html`<section aria-labelledby="cutover-heading" id="cutover">
<h2 id="cutover-heading">Cutover ramp</h2>
<p id="cutover-impact">${impactSentence(impact)}</p>
<p class="note">Distinct legacy users per day, averaged over the last 7 complete days (UTC): ${formatCount(impact.usersPerDay)}. A ramp of p % sends about p % of them (users are placed uniformly).</p>
<h3>Mode and ramp changes (this instance)</h3>
${timeline(history)}
</section>`;
}
