/** The dashboard's "Silent migration" section: moved silently beside signed in with the provider. */
import { describe, expect, it } from 'vitest';
import { renderHtml, sessionUpgradeCounts } from '../helpers/internals.js';
import { makeReportFixture } from '../helpers/report-fixture.js';

describe('dashboard: silent migration', () => {
  it('shows moved silently beside signed in with the provider, and the decisions per window', () => {
    const page = renderHtml(makeReportFixture());
    expect(page).toContain('<h2 id="upgrades-heading">Silent migration</h2>');
    expect(page).toContain('id="moved-silently">812<');
    // 661 migrated users, 812 silent moves: none left who signed in themselves (never negative).
    expect(page).toContain('id="signed-in-provider">0<');
    const table = page.slice(
      page.indexOf('id="upgrades-table"'),
      page.indexOf('</table>', page.indexOf('id="upgrades-table"')),
    );
    expect(table).toMatch(
      /<th scope="row">Moved silently<\/th><td>21<\/td><td>140<\/td><td>790<\/td><td>812<\/td>/,
    );
    expect(table).toMatch(
      /<th scope="row">Provider failed<\/th><td>0<\/td><td>2<\/td><td>9<\/td><td>9<\/td>/,
    );
  });

  it('is left out while the upgrade endpoint decided nothing', () => {
    const report = makeReportFixture();
    report.totals.sessionUpgrades = sessionUpgradeCounts([]);
    expect(renderHtml(report)).not.toContain('id="upgrades"');
  });
});
