/**
 * The dashboard panel of the legacy store drain (`legacy.drain`): who a cutover would affect now, and when the
 * last legacy login expires by itself. Absent when the drain is off.
 */
import type { LegacyStoreCounts, LegacyStoreReport } from '../legacy-drain/types.js';
import type { MigrationReport } from '../stats/report-types.js';
import { formatCount, formatDateTime, relativeTo } from '../util/format.js';
import { html, type SafeHtml } from './html-escape.js';

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

/** The sentence the panel leads with. */
export function cutoverImpact(scan: LegacyStoreCounts): string {
  if (scan.loggedIn === 0)
    return 'If you cut over now, no user with a still-valid legacy session is affected.';
  const n = `${scan.approximate ? 'about ' : ''}${formatCount(scan.users)}`;
  const who = `If you cut over now, at most ${n} ${plural(scan.users, 'user', 'users')} with a still-valid legacy session ${plural(scan.users, 'is', 'are')} affected`;
  if (scan.latestExpiry !== null) {
    return `${who}; all of ${plural(scan.users, 'their sessions', 'them')} expire by ${formatDateTime(scan.latestExpiry)}.`;
  }
  const k = scan.sessionsWithoutExpiry;
  return `${who}; ${formatCount(k)} of their ${plural(k, 'sessions has', 'sessions have')} no expiry date, so ${plural(k, 'it lasts', 'they last')} as long as the store keeps ${plural(k, 'it', 'them')}.`;
}

function countsBody(scan: LegacyStoreCounts, generatedAt: string): SafeHtml {
  const scanned = relativeTo(scan.scannedAt, generatedAt);
  const rows = scan.expiringByDay.map(
    (d) => html`<tr><th scope="row">${d.day}</th><td>${formatCount(d.sessions)}</td></tr>`,
  );
  const byDay =
    rows.length === 0
      ? ''
      : html`<details><summary>Logged-in sessions by expiry day</summary><div class="table-wrap"><table id="legacy-expiry-table">
<caption>Logged-in legacy sessions by the UTC day their cookie expires${scan.expiringLater > 0 ? html`; ${formatCount(scan.expiringLater)} expire more than ten years out and are not listed` : ''}.</caption>
<thead><tr><th scope="col">Day (UTC)</th><th scope="col">Sessions</th></tr></thead>
<tbody>${rows}</tbody>
</table></div></details>`;
  return html`<p class="reason" id="legacy-store-impact">${cutoverImpact(scan)}</p>
<dl class="facts">
<dt>Scanned</dt><dd id="legacy-store-scanned">${formatDateTime(scan.scannedAt)}${scanned ? ` (${scanned})` : ''}</dd>
<dt>Users with a live legacy login</dt><dd id="legacy-store-users">${scan.approximate ? '≈ ' : ''}${formatCount(scan.users)}</dd>
<dt>Logged-in sessions</dt><dd>${formatCount(scan.loggedIn)}</dd>
<dt>Live sessions</dt><dd>${formatCount(scan.sessions)} (logged in or not)</dd>
<dt>Last expiry</dt><dd id="legacy-store-latest">${scan.latestExpiry ? formatDateTime(scan.latestExpiry) : scan.sessionsWithoutExpiry > 0 ? `Unknown: ${formatCount(scan.sessionsWithoutExpiry)} logged-in ${plural(scan.sessionsWithoutExpiry, 'session has', 'sessions have')} no expiry` : 'None'}</dd>
${scan.unreadable > 0 ? html`<dt>Unreadable sessions</dt><dd>${formatCount(scan.unreadable)} (not counted above)</dd>` : ''}
</dl>${byDay}`;
}

function body(section: LegacyStoreReport, generatedAt: string): SafeHtml {
  const { scan } = section;
  if (scan === null)
    return html`<p class="reason" id="legacy-store-impact">The legacy store has not been scanned yet.</p>`;
  if (!scan.supported) {
    return html`<p class="reason" id="legacy-store-impact">The legacy store cannot list its sessions: ${scan.reason}</p>`;
  }
  return countsBody(scan, generatedAt);
}

/** The panel, or nothing when `legacy.drain` is off. */
export function legacyStoreSection(report: MigrationReport): SafeHtml | undefined {
  const section = report.legacyStore;
  if (!section) return undefined;
  const error = section.lastError;
  return html`<section aria-labelledby="legacy-store-heading" id="legacy-store">
<h2 id="legacy-store-heading">Legacy sessions still valid</h2>
${body(section, report.generatedAt)}
${error ? html`<p class="notice" role="note" id="legacy-store-error"><strong>The last scan failed</strong> (${formatDateTime(error.at)}): ${error.message}${section.scan ? '. The figures above are from the scan before.' : ''}</p>` : ''}
</section>`;
}
