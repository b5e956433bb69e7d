/**
 * The dashboard's cutover panel: what a cutover would cost now (`cutover.impact`) and the timeline of mode and
 * ramp changes of the instance that answered (`cutover.history`).
 */
import type { CutoverChange, CutoverImpact, MigrationReport } from '../stats/report-types.js';
import { formatCount, formatDateTime } from '../util/format.js';
import { html, type SafeHtml } from './html-escape.js';

/** `25%`, `12.5%`: like every percentage on the page (`formatPercent`), no space before the sign. */
export function percentLabel(percent: number): string {
  return `${Number(percent.toFixed(2))}%`;
}

/** How a change reads on the timeline: `bridge`, `bridge, 25 % cut over`, `provider-only`. */
export function changeLabel(change: Pick<CutoverChange, 'mode' | 'percent'>): string {
  if (change.mode === 'provider-only' || change.percent === 0) return change.mode;
  return `${change.mode}, ${percentLabel(change.percent)} cut over`;
}

function users(n: number): string {
  return `${formatCount(n)} user${n === 1 ? '' : 's'}`;
}

function days(n: number): string {
  return `${formatCount(n)} complete day${n === 1 ? '' : 's'}`;
}

/**
 * The impact sentence. It rests on today's legacy users so far and the complete days there are (never on days
 * before the stats began), and says so: "A full cutover today would send about N users back to sign in ...".
 */
export function impactSentence(impact: CutoverImpact): string {
  const { byPercent, todaySoFar, completeDays, averagePerDay } = impact;
  const basis =
    completeDays === 0
      ? `${users(todaySoFar)} with a legacy session seen today so far, and no complete day of data yet`
      : `${users(todaySoFar)} with a legacy session seen today so far, and ${formatCount(averagePerDay)} a day on average over the last ${days(completeDays)}`;
  if (impact.usersPerDay === 0) {
    return `No legacy user was seen today so far${completeDays === 0 ? '' : ` or in the last ${days(completeDays)}`}, so a full cutover today would send back to sign in only users who have not come back yet (the stats have ${days(completeDays)} of data).`;
  }
  const ramps = (['10', '25', '50'] as const).map((p) => `${p}%: ${formatCount(byPercent[p])}`).join(', ');
  return `A full cutover today would send about ${users(byPercent['100'])} a day back to sign in: ${basis}. A ramp of ${ramps}.`;
}

/** What the ramp refuses now, on this instance. */
function refusedSentence(report: MigrationReport): string | undefined {
  const { refused } = report.cutover;
  if (!refused) return undefined;
  const current = report.cutover.history.at(-1);
  const setting =
    report.mode === 'provider-only'
      ? 'provider-only mode'
      : current && current.percent > 0
        ? `the ramp at ${percentLabel(current.percent)}`
        : 'no ramp';
  return `Now refused (${setting}): ${users(refused.users)} with a valid legacy session sent to the new login since ${formatDateTime(refused.since)}, on the instance that answered. They are still counted as legacy users above.`;
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
  const refused = refusedSentence(report);
  return html`<section aria-labelledby="cutover-heading" id="cutover">
<h2 id="cutover-heading">Cutover ramp</h2>
<p id="cutover-impact">${impactSentence(impact)}</p>
${refused ? html`<p id="cutover-refused">${refused}</p>` : ''}
<p class="note">Days are UTC. A ramp of p% sends about p% of the legacy users (users are placed uniformly); today is not over, so today's count can only grow.</p>
<h3>Mode and ramp changes (this instance)</h3>
${timeline(history)}
</section>`;
}
