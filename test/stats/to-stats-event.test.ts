import { describe, expect, it } from 'vitest';
import type { BridgeEvent } from '../../src/index.js';
import { toAnyStatsEvent, toStatsEvent } from '../helpers/internals.js';

const base: BridgeEvent = {
  type: 'request',
  time: 1_750_000_000_000,
  mode: 'bridge',
  sent: { legacy: false, provider: false },
  outcome: 'anonymous',
};

describe('toStatsEvent', () => {
  it('labels an authenticated request with the credential that authenticated it, whatever else was presented', () => {
    const both = { ...base, sent: { legacy: true, provider: true }, outcome: 'authenticated' as const };
    // A stale provider cookie next to a valid legacy session, or onConflict: 'prefer-legacy'.
    expect(toStatsEvent({ ...both, resolvedKind: 'legacy' })).toMatchObject({
      kind: 'legacy',
      outcome: 'ok',
    });
    expect(toStatsEvent({ ...both, resolvedKind: 'provider' })).toMatchObject({
      kind: 'provider',
      outcome: 'ok',
    });
  });

  it('labels a request that was not authenticated provider when a provider credential was presented, even with a legacy one', () => {
    expect(toStatsEvent({ ...base, sent: { legacy: true, provider: true } }).kind).toBe('provider');
    expect(toStatsEvent({ ...base, sent: { legacy: true, provider: false } }).kind).toBe('legacy');
    expect(toStatsEvent(base).kind).toBe('anonymous');
  });

  it('maps each decision to its outcome label', () => {
    const outcome = (e: Partial<BridgeEvent>) => toStatsEvent({ ...base, ...e }).outcome;
    expect(outcome({ outcome: 'authenticated' })).toBe('ok');
    expect(outcome({ outcome: 'anonymous' })).toBe('anonymous');
    expect(outcome({ outcome: 'anonymous', code: 'ERR_BRIDGE_LEGACY_DISABLED' })).toBe('disabled');
    expect(outcome({ outcome: 'conflict', code: 'ERR_BRIDGE_CONFLICT' })).toBe('conflict');
    expect(outcome({ outcome: 'unavailable', code: 'ERR_BRIDGE_JWKS_UNAVAILABLE' })).toBe('unavailable');
    expect(outcome({ outcome: 'rejected', code: 'ERR_BRIDGE_TOKEN_EXPIRED' })).toBe('expired');
    expect(outcome({ outcome: 'rejected', code: 'ERR_BRIDGE_LEGACY_DISABLED' })).toBe('disabled');
    expect(outcome({ outcome: 'rejected', code: 'ERR_BRIDGE_TOKEN_INVALID' })).toBe('invalid');
    expect(outcome({ outcome: 'rejected' })).toBe('invalid');
  });

  it('copies the time, both sighted user ids and the provider, and nothing else', () => {
    const event = toStatsEvent({
      ...base,
      sent: { legacy: true, provider: true },
      outcome: 'conflict',
      code: 'ERR_BRIDGE_CONFLICT',
      userId: 'ignored',
      legacyUserId: 'u1',
      providerUserId: 'u2',
      provider: 'auth0',
    });
    expect(event).toEqual({
      time: base.time,
      kind: 'provider',
      outcome: 'conflict',
      legacyUserId: 'u1',
      providerUserId: 'u2',
      provider: 'auth0',
    });
    expect(toStatsEvent(base)).toEqual({ time: base.time, kind: 'anonymous', outcome: 'anonymous' });
  });

  it('keeps only the time and result of a password migration event (not its endpoint)', () => {
    const time = base.time;
    expect(
      toAnyStatsEvent({ type: 'password-migration', time, endpoint: 'auth0-login', result: 'rateLimited' }),
    ).toEqual({
      type: 'password-migration',
      time,
      result: 'rateLimited',
    });
    expect(toAnyStatsEvent(base)).toEqual(toStatsEvent(base));
  });
});
