import type { BridgeErrorCode } from '../errors.js';
import type { AnyBridgeEvent, BridgeEvent, BridgeOutcome } from '../types.js';
import type { AnyStatsEvent, StatsEvent, StatsOutcome } from './contract.js';

/** The stored form of any bridge event: `toStatsEvent` for requests; a password event keeps its time and result only. */
export function toAnyStatsEvent(event: AnyBridgeEvent): AnyStatsEvent {
  if (event.type === 'password-migration')
    return { type: 'password-migration', time: event.time, result: event.result };
  if (event.type === 'session-upgrade')
    return { type: 'session-upgrade', time: event.time, result: event.result };
  return toStatsEvent(event);
}

/**
 * Turns one bridge decision into the compact event the stats store keeps.
 *
 * - `kind`: the credential that authenticated the request (`resolvedKind`); for a request that was not
 *   authenticated, `provider` when a provider credential was sent (even with a legacy one), else `legacy`
 *   when a legacy one was, else `anonymous`. So `legacy`/`ok` counts exactly the requests a legacy session let
 *   in, including those that also carried a stale provider cookie.
 * - `outcome`: `authenticated` -> `ok`; `anonymous` -> `anonymous` (or `disabled` when the legacy session was
 *   refused by `provider-only` mode); `conflict`, `unavailable` unchanged; `rejected` -> `expired` for an
 *   expired token, `disabled` for a refused legacy session, otherwise `invalid`.
 * - `legacyUserId`, `providerUserId`, `provider`: copied (a sighting is recorded even when not used).
 */
export function toStatsEvent(event: BridgeEvent): StatsEvent {
  const kind: StatsEvent['kind'] =
    event.resolvedKind ?? (event.sent.provider ? 'provider' : event.sent.legacy ? 'legacy' : 'anonymous');
  const out: StatsEvent = { time: event.time, kind, outcome: statsOutcome(event.outcome, event.code) };
  if (event.legacyUserId !== undefined) out.legacyUserId = event.legacyUserId;
  if (event.providerUserId !== undefined) out.providerUserId = event.providerUserId;
  if (event.provider !== undefined) out.provider = event.provider;
  return out;
}

/** The stored outcome of a decision's `outcome` and `code` (see `toStatsEvent`). */
export function statsOutcome(outcome: BridgeOutcome, code: BridgeErrorCode | undefined): StatsOutcome {
  switch (outcome) {
    case 'authenticated':
      return 'ok';
    case 'anonymous':
      return code === 'ERR_BRIDGE_LEGACY_DISABLED' ? 'disabled' : 'anonymous';
    case 'conflict':
      return 'conflict';
    case 'unavailable':
      return 'unavailable';
    case 'rejected':
      if (code === 'ERR_BRIDGE_TOKEN_EXPIRED') return 'expired';
      if (code === 'ERR_BRIDGE_LEGACY_DISABLED') return 'disabled';
      return 'invalid';
  }
}
