import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../src/index.js';
import { decide, type LegacyResult, type ProviderResult } from '../helpers/internals.js';

const legacyOk = (userId = 'u1'): LegacyResult => ({
  state: 'ok',
  userId,
  sessionId: 'sid',
  session: { userId },
});
const legacyNone: LegacyResult = { state: 'none' };
const legacyDown: LegacyResult = {
  state: 'unavailable',
  error: new BridgeError('ERR_BRIDGE_LEGACY_UNAVAILABLE', 'down'),
};
const providerOk = (userId = 'u1', source: 'header' | 'cookie' = 'header'): ProviderResult => ({
  state: 'ok',
  source,
  provider: 'p',
  userId,
  payload: { sub: 'x' },
  header: { alg: 'RS256' },
  token: 't',
});
const providerBad = (source: 'header' | 'cookie'): ProviderResult => ({
  state: 'invalid',
  source,
  error: new BridgeError('ERR_BRIDGE_TOKEN_EXPIRED', 'expired'),
});
const providerDown = (source: 'header' | 'cookie'): ProviderResult => ({
  state: 'unavailable',
  source,
  error: new BridgeError('ERR_BRIDGE_JWKS_UNAVAILABLE', 'down'),
});
const providerNone: ProviderResult = { state: 'none' };

describe('decide (bridge mode)', () => {
  it('authenticates a legacy session alone as legacy', () => {
    const d = decide('bridge', 'reject', legacyOk(), providerNone);
    expect(d.auth).toMatchObject({ userId: 'u1', kind: 'legacy', presented: ['legacy'] });
  });

  it('prefers the provider when both name the same user and reports both as presented', () => {
    const d = decide('bridge', 'reject', legacyOk(), providerOk());
    expect(d.auth).toMatchObject({ kind: 'provider', presented: ['legacy', 'provider'] });
  });

  it.each([
    ['reject', undefined, 'ERR_BRIDGE_CONFLICT'],
    ['prefer-provider', 'u2', undefined],
    ['prefer-legacy', 'u1', undefined],
  ] as const)('applies onConflict=%s to credentials of different users', (policy, userId, code) => {
    const d = decide('bridge', policy, legacyOk('u1'), providerOk('u2'));
    expect(d.auth?.userId).toBe(userId);
    expect(d.error?.code).toBe(code);
    if (code) expect(d.outcome).toBe('conflict');
  });

  it('never falls back to the legacy session for an invalid Bearer header', () => {
    const d = decide('bridge', 'reject', legacyOk(), providerBad('header'));
    expect(d.error?.code).toBe('ERR_BRIDGE_TOKEN_EXPIRED');
    expect(d.auth).toBeUndefined();
  });

  it('uses the legacy session next to an invalid or undecidable provider cookie', () => {
    expect(decide('bridge', 'reject', legacyOk(), providerBad('cookie')).auth?.kind).toBe('legacy');
    expect(decide('bridge', 'reject', legacyOk(), providerDown('cookie')).auth?.kind).toBe('legacy');
  });

  it('rejects an invalid provider cookie alone and calls an undecidable one unavailable', () => {
    expect(decide('bridge', 'reject', legacyNone, providerBad('cookie')).outcome).toBe('rejected');
    expect(decide('bridge', 'reject', legacyNone, providerDown('cookie')).outcome).toBe('unavailable');
  });

  it('does not let a legacy store outage break a valid provider token', () => {
    expect(decide('bridge', 'reject', legacyDown, providerOk()).auth?.kind).toBe('provider');
  });

  it('answers unavailable when only the legacy store could have decided', () => {
    expect(decide('bridge', 'reject', legacyDown, providerNone).outcome).toBe('unavailable');
  });

  it('is anonymous without credentials', () => {
    expect(decide('bridge', 'reject', legacyNone, providerNone)).toEqual({
      outcome: 'anonymous',
      legacyDisabled: false,
    });
  });
});

describe('decide (provider-only mode)', () => {
  it('recognises a legacy session without authenticating it', () => {
    const d = decide('provider-only', 'reject', legacyOk(), providerNone);
    expect(d.auth).toBeUndefined();
    expect(d.legacyDisabled).toBe(true);
    expect(d.outcome).toBe('anonymous');
  });

  it('authenticates the provider token and ignores a conflicting legacy session', () => {
    const d = decide('provider-only', 'reject', legacyOk('u1'), providerOk('u2'));
    expect(d.auth).toMatchObject({ userId: 'u2', kind: 'provider', presented: ['legacy', 'provider'] });
  });

  it('rejects an invalid provider cookie even with a legacy session', () => {
    expect(decide('provider-only', 'reject', legacyOk(), providerBad('cookie')).outcome).toBe('rejected');
  });

  it('ignores a legacy store outage', () => {
    expect(decide('provider-only', 'reject', legacyDown, providerNone).outcome).toBe('anonymous');
  });
});

describe('decide (a legacy user in the cutover cohort, bridge mode)', () => {
  it.each([
    ['legacy alone', legacyOk(), providerNone],
    ['legacy with a conflicting provider token', legacyOk('u1'), providerOk('u2')],
    ['legacy with an invalid provider cookie', legacyOk(), providerBad('cookie')],
  ] as const)('decides %s exactly as provider-only mode does', (_case, legacy, provider) => {
    expect(decide('bridge', 'reject', legacy, provider, true)).toEqual(
      decide('provider-only', 'reject', legacy, provider),
    );
  });
});
