/**
 * Without `onEvent`, a request's stats event is made straight from the decision, with no `BridgeEvent` in
 * between. It must be exactly the event the stats got before: `toStatsEvent(requestEvent(...))`, for every
 * combination of credentials, mode, conflict policy and cohort.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BridgeError, type BridgeErrorCode } from '../../src/index.js';
import { decide, requestEvent, requestStatsEvent, toStatsEvent } from '../helpers/internals.js';

type Legacy = Parameters<typeof decide>[2];
type Provider = Parameters<typeof decide>[3];

const legacyResult: fc.Arbitrary<Legacy> = fc.oneof(
  fc.constant({ state: 'none' } as const),
  fc
    .constantFrom('alice', 'bob')
    .map((userId) => ({ state: 'ok', userId, sessionId: `sid-${userId}`, session: { userId } }) as const),
  fc.constant({
    state: 'unavailable',
    error: new BridgeError('ERR_BRIDGE_LEGACY_UNAVAILABLE', 'down'),
  } as const),
);

const providerCodes: BridgeErrorCode[] = [
  'ERR_BRIDGE_TOKEN_INVALID',
  'ERR_BRIDGE_TOKEN_EXPIRED',
  'ERR_BRIDGE_UNTRUSTED_ISSUER',
  'ERR_BRIDGE_INVALID_REQUEST',
  'ERR_BRIDGE_IDENTITY_UNLINKED',
];

const providerResult: fc.Arbitrary<Provider> = fc.oneof(
  fc.constant({ state: 'none' } as const),
  fc.record({ userId: fc.constantFrom('alice', 'bob'), source: fc.constantFrom('header', 'cookie') }).map(
    ({ userId, source }) =>
      ({
        state: 'ok',
        source,
        provider: 'idp',
        payload: { sub: userId },
        userId,
      }) as const,
  ),
  fc
    .record({
      code: fc.constantFrom(...providerCodes),
      source: fc.constantFrom('header', 'cookie', undefined),
      provider: fc.constantFrom('idp', undefined),
    })
    .map(({ code, source, provider }) => ({
      state: 'invalid' as const,
      source,
      ...(provider ? { provider } : {}),
      error: new BridgeError(code, 'no'),
    })),
  fc.constantFrom('header', 'cookie').map((source) => ({
    state: 'unavailable' as const,
    source,
    provider: 'idp',
    error: new BridgeError('ERR_BRIDGE_PROVIDER_UNAVAILABLE', 'down'),
  })),
);

describe('the stats event of a request', () => {
  it('is the event toStatsEvent makes of the onEvent event, for every decision', () => {
    fc.assert(
      fc.property(
        legacyResult,
        providerResult,
        fc.constantFrom('observe', 'bridge', 'provider-only'),
        fc.constantFrom('reject', 'prefer-provider', 'prefer-legacy'),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (legacy, provider, mode, onConflict, cohort, time) => {
          const decision = decide(mode, onConflict, legacy, provider, cohort);
          expect(requestStatsEvent(time, legacy, provider, decision)).toStrictEqual(
            toStatsEvent(requestEvent(mode, time, legacy, provider, decision)),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});
