/**
 * The dashboard line of the fleet (a shared Redis store): how many instances, whether they all apply the fleet
 * state, which ones do not, which are gone, and when the instance that answered last synced. Absent without one.
 */
import type { FleetInstance, FleetReport } from '../fleet/types.js';
import type { MigrationReport } from '../stats/report-types.js';
import { formatDuration } from '../util/format.js';
import { html, type SafeHtml } from './html-escape.js';

function on(mode: string, percent: number): string {
  return mode === 'bridge' ? `bridge ${percent} %` : mode;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "3 instances, all on bridge 25 %", or the ones that disagree by name. */
export function fleetSentence(fleet: FleetReport): string {
  const live = fleet.instances.filter((i) => !i.gone);
  const target = fleet.state ? on(fleet.state.mode, fleet.state.percent) : undefined;
  const count = plural(live.length, 'instance', 'instances');
  if (fleet.agree) return target ? `${count}, all on ${target}.` : `${count}.`;
  const off = (i: FleetInstance) =>
    !fleet.state || i.mode !== fleet.state.mode || i.percent !== fleet.state.percent;
  const keyIds = new Set(live.map((i) => i.keyId));
  const odd = live.filter(off).map((i) => `${i.id} (${on(i.mode, i.percent)})`);
  const parts = [`${count}; the fleet state is ${target ?? 'not set'}`];
  if (odd.length > 0) parts.push(`not applied yet by ${odd.join(', ')}`);
  if (keyIds.size > 1) parts.push('the instances use different cutover keys, so they ramp different users');
  return `${parts.join('; ')}.`;
}

export function fleetSection(report: MigrationReport): SafeHtml | undefined {
  const fleet = report.fleet;
  if (!fleet) return undefined;
  const gone = fleet.instances.filter((i) => i.gone).map((i) => i.id);
  const synced =
    fleet.syncAgeMs === null
      ? 'not synced yet'
      : `fleet state last synced ${formatDuration(fleet.syncAgeMs)} ago by this instance (${fleet.instance})`;
  return html`<section aria-labelledby="fleet-heading" id="fleet"><h2 id="fleet-heading">Instances</h2>
<p class="${fleet.agree ? 'fleet-agree' : 'fleet-disagree'}">${fleetSentence(fleet)}</p>
${gone.length > 0 ? html`<p class="fleet-gone">Gone (no heartbeat for 3 intervals): ${gone.join(', ')}.</p>` : ''}
<p class="meta">${synced}.</p>
</section>`;
}
