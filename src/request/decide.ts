import { BridgeError, type BridgeErrorCode } from '../errors.js';
import type { LegacyResult } from '../legacy/reader.js';
import type { ProviderResult } from '../provider/check.js';
import type {
  BridgeAuth,
  BridgeEvent,
  BridgeMode,
  BridgeOutcome,
  ConflictPolicy,
  CredentialKind,
} from '../types.js';

export interface Decision {
  outcome: BridgeOutcome;
  /** The request user, when authenticated. */
  auth?: BridgeAuth;
  /** The error to answer with (rejected, conflict, unavailable). */
  error?: BridgeError;
  /** A valid legacy session was present but `provider-only` mode (or the cutover cohort) no longer accepts it. */
  legacyDisabled: boolean;
  /**
   * `observe` mode only: what a `requireUser()` route enforces, since observe never lifts a guard: the
   * decision of `bridge` mode without the ramp (a legacy or a provider user), while `auth`/`error` above
   * measure what bridge mode with the ramp would decide.
   */
  enforce?: Decision;
}

type LegacyOk = Extract<LegacyResult, { state: 'ok' }>;
type ProviderOk = Extract<ProviderResult, { state: 'ok' }>;

function legacyAuth(l: LegacyOk, presented: CredentialKind[]): BridgeAuth {
  return { userId: l.userId, kind: 'legacy', presented, sessionId: l.sessionId, session: l.session };
}

function providerAuth(p: ProviderOk, presented: CredentialKind[]): BridgeAuth {
  const auth: BridgeAuth = {
    userId: p.userId,
    kind: 'provider',
    presented,
    provider: p.provider,
    payload: p.payload,
  };
  if (p.token !== undefined) {
    auth.header = p.header;
    auth.token = p.token;
  } else {
    auth.providerSession = p.providerSession;
  }
  return auth;
}

const authenticated = (auth: BridgeAuth): Decision => ({
  outcome: 'authenticated',
  auth,
  legacyDisabled: false,
});
const failed = (error: BridgeError, legacyDisabled = false): Decision => ({
  outcome:
    error.code === 'ERR_BRIDGE_CONFLICT' ? 'conflict' : error.status === 503 ? 'unavailable' : 'rejected',
  error,
  legacyDisabled,
});

/**
 * The decision table of the bridge. Pure: the same inputs always give the same decision.
 *
 * - A valid provider token wins; with a valid legacy session for another user, `onConflict` decides.
 * - An invalid or undecidable Bearer *header* is final: it never falls back to the legacy cookie.
 * - An invalid or undecidable provider *cookie* gives way to a valid legacy session (stale cookies are
 *   normal during a migration); alone it is rejected (401) or undecidable (503).
 * - A legacy store failure is 503 only when nothing else authenticates the request.
 * - `provider-only`: legacy sessions are recognised but never authenticate; their store failing does not matter.
 * - `cohort`: the legacy user is in the ramped cutover's cohort: their session is treated as in `provider-only`.
 */
export function decide(
  mode: BridgeMode,
  onConflict: ConflictPolicy,
  legacy: LegacyResult,
  provider: ProviderResult,
  cohort = false,
): Decision {
  const legacyAccepted = mode !== 'provider-only' && !cohort;
  const legacyOk = legacy.state === 'ok' ? legacy : undefined;
  const usableLegacy = legacyAccepted ? legacyOk : undefined;
  const legacyDisabled = !legacyAccepted && legacyOk !== undefined;
  const presented: CredentialKind[] = [];
  if (legacyOk) presented.push('legacy');

  if (provider.state === 'ok') {
    presented.push('provider');
    if (usableLegacy && usableLegacy.userId !== provider.userId) {
      if (onConflict === 'prefer-provider') return authenticated(providerAuth(provider, presented));
      if (onConflict === 'prefer-legacy') return authenticated(legacyAuth(usableLegacy, presented));
      return failed(
        new BridgeError(
          'ERR_BRIDGE_CONFLICT',
          'The legacy session and the provider token belong to different users; sign out of one of them.',
        ),
      );
    }
    return authenticated(providerAuth(provider, presented));
  }

  if (provider.state === 'invalid' || provider.state === 'unavailable') {
    if (provider.source === 'cookie' && usableLegacy)
      return authenticated(legacyAuth(usableLegacy, presented));
    if (provider.source === 'cookie' && legacyAccepted && legacy.state === 'unavailable')
      return failed(legacy.error);
    return failed(provider.error, legacyDisabled);
  }

  if (usableLegacy) return authenticated(legacyAuth(usableLegacy, presented));
  if (legacyAccepted && legacy.state === 'unavailable') return failed(legacy.error);
  return { outcome: 'anonymous', legacyDisabled };
}

/**
 * The decision of a request whose evaluation threw or rejected: a bug guard (every expected failure is decided
 * by `decide`), answered as 503 `ERR_BRIDGE_RESOLVER_UNAVAILABLE`, never a crash.
 */
export function unexpectedFailure(cause: unknown): Decision & { error: BridgeError } {
  return {
    outcome: 'unavailable',
    error: new BridgeError('ERR_BRIDGE_RESOLVER_UNAVAILABLE', 'Authentication failed unexpectedly.', {
      cause,
    }),
    legacyDisabled: false,
  };
}

/** Why a decision is what it is: its error's code, or `ERR_BRIDGE_LEGACY_DISABLED` for a refused legacy session. */
export function decisionCode(decision: Decision): BridgeErrorCode | undefined {
  return decision.error?.code ?? (decision.legacyDisabled ? 'ERR_BRIDGE_LEGACY_DISABLED' : undefined);
}

/**
 * The event of a decision, for `onEvent`: what was sent, the outcome and its reason (`code`), the user it
 * resolved to, and every user a valid credential named, used or not.
 */
export function requestEvent(
  mode: BridgeMode,
  time: number,
  legacy: LegacyResult,
  provider: ProviderResult,
  decision: Decision,
): BridgeEvent {
  const event: BridgeEvent = {
    type: 'request',
    time,
    mode,
    sent: { legacy: legacy.state !== 'none', provider: provider.state !== 'none' },
    outcome: decision.outcome,
  };
  const code = decisionCode(decision);
  if (code) event.code = code;
  if (decision.auth) {
    event.resolvedKind = decision.auth.kind;
    event.userId = decision.auth.userId;
  }
  if (legacy.state === 'ok') event.legacyUserId = legacy.userId;
  if (provider.state === 'ok') event.providerUserId = provider.userId;
  if (provider.state !== 'none' && provider.provider) event.provider = provider.provider;
  return event;
}
