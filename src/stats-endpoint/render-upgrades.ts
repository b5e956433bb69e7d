import type { SessionUpgradeCounts } from '../stats/contract.js';
import type { MigrationReport } from '../stats/report-types.js';
import { formatCount } from '../util/format.js';
import { html, type SafeHtml } from './html-escape.js';

const WINDOWS: ReadonlyArray<['1d' | '7d' | '30d', string]> = [
  ['1d', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days'],
];

const ROWS: ReadonlyArray<[keyof SessionUpgradeCounts, string]> = [
  ['upgraded', 'Moved silently'],
  ['already', 'Already on the provider'],
  ['refused', 'Refused by the provider'],
  ['failed', 'Provider failed'],
  ['ineligible', 'Not eligible'],
  ['unauthenticated', 'No legacy session'],
  ['forbidden', 'Forbidden (cross-site, mode)'],
];

/**
 * Silent migration: users moved by the upgrade endpoint ("moved silently") beside those who signed in with the
 * provider themselves (migrated users less the silent moves), and the endpoint's decisions per window. Left out
 * while the endpoint decided nothing.
 */
export function upgradesSection(report: MigrationReport): SafeHtml | undefined {
  const total = report.totals.sessionUpgrades;
  if (!ROWS.some(([key]) => total[key] > 0)) return undefined;
  const signedIn = Math.max(0, report.totals.users.migrated - total.upgraded);
  const columns = [
    ...WINDOWS.map(([key, label]) => ({ label, counts: report.windows[key].sessionUpgrades })),
    { label: 'Total', counts: total },
  ];
  const rows = ROWS.map(
    ([key, label]) =>
      html`<tr><th scope="row">${label}</th>${columns.map((c) => html`<td>${formatCount(c.counts[key])}</td>`)}</tr>`,
  );
  return html`<section aria-labelledby="upgrades-heading" id="upgrades">
<h2 id="upgrades-heading">Silent migration</h2>
<dl class="facts">
<dt>Moved silently</dt><dd id="moved-silently">${formatCount(total.upgraded)}</dd>
<dt>Signed in with the provider</dt><dd id="signed-in-provider">${formatCount(signedIn)}</dd>
</dl>
<p>Moved silently: a valid legacy session exchanged for a provider session with no password prompt. Signed in with the provider: the other migrated users.</p>
<div class="table-wrap"><table id="upgrades-table">
<caption>Decisions of the upgrade endpoint in the windows ending at the report time; total: the whole retention period.</caption>
<thead><tr><th scope="col">Decision</th>${columns.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead>
<tbody>${rows}</tbody>
</table></div>
</section>`;
}
