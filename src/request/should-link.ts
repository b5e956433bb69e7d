import type { LegacyResult } from '../legacy/reader.js';
import type { ProviderResult } from '../provider/check.js';
import type { LinkCandidate } from '../provider/link-at-sign-in.js';
import type { BridgeMode } from '../types.js';

/**
 * The link-at-first-sign-in rule: a request may link its provider identity to its legacy user when it carries
 * a valid legacy session and a valid provider credential whose identity nothing links yet, and only while
 * legacy sessions still authenticate this user: in `bridge` mode, for a user the cutover ramp has not moved
 * (`cohort`). Returns what `linkAtSignIn` needs, or `undefined` when the request does not link.
 */
export function shouldLink(
  mode: BridgeMode,
  cohort: boolean,
  legacy: LegacyResult,
  provider: ProviderResult,
): LinkCandidate | undefined {
  if (mode !== 'bridge' || cohort) return undefined;
  if (provider.state !== 'invalid' || !provider.unlinked || legacy.state !== 'ok') return undefined;
  return { result: provider, unlinked: provider.unlinked, legacy };
}
