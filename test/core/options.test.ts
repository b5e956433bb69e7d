import { describe, expect, it } from 'vitest';
import { type BridgeOptions, type ProviderOptions, sessionBridge } from '../../src/index.js';
import { memoryStore } from '../helpers/legacy.js';

const provider: ProviderOptions = {
  issuer: 'https://tenant.example.test/',
  audience: 'https://api.example.test',
};
const legacy = () => ({ store: memoryStore(), secret: 'legacy-secret' });

/** Builds a bridge from options that the type system would (rightly) refuse. */
function build(options: unknown): unknown {
  return sessionBridge({ stats: false, ...(options as BridgeOptions) });
}

function expectTypeError(options: unknown, keyword: RegExp): void {
  expect(() => build(options)).toThrow(TypeError);
  expect(() => build(options)).toThrow(keyword);
}

describe('options are validated at construction', () => {
  it('accepts a legacy-only, a provider-only and a combined configuration', () => {
    expect(() => build({ legacy: legacy() })).not.toThrow();
    expect(() => build({ provider })).not.toThrow();
    expect(() =>
      build({
        legacy: legacy(),
        provider: [
          { ...provider, userId: (c: { sub?: string }) => c.sub },
          { ...provider, issuer: 'https://b.test/', userId: (c: { sub?: string }) => c.sub },
        ],
      }),
    ).not.toThrow();
    expect(() => build({ legacy: { resolve: () => null } })).not.toThrow();
  });

  it('requires identity linking when several providers are configured (the same sub from two issuers is not one user)', () => {
    expect(() => build({ provider: [provider, { ...provider, issuer: 'https://b.test/' }] })).toThrow(
      TypeError,
    );
    expect(() => build({ provider: [provider, { ...provider, issuer: 'https://b.test/' }] })).toThrow(
      /userId/,
    );
  });

  it('validates recorder options even when stats are disabled, and never takes inherited names as options', () => {
    expectTypeError({ provider, stats: false, recorder: { bufferSzie: 10 } }, /bufferSzie/);
    expectTypeError({ provider, recorder: { toString: 1 } }, /toString/);
    expectTypeError({ provider, constructor: 1 }, /constructor/);
  });

  it('requires at least one of legacy and provider', () => {
    expectTypeError({}, /legacy|provider/);
    expectTypeError({ mode: 'bridge' }, /legacy|provider/);
  });

  it('rejects unknown option names, naming them', () => {
    expectTypeError({ legacy: legacy(), jwksUri: 'https://x.test/jwks' }, /jwksUri/);
    expectTypeError({ legacy: legacy(), on_event: () => {} }, /on_event/);
    expectTypeError({ provider: { ...provider, jwks_uri: 'https://x.test/jwks' } }, /jwks_uri/);
    expectTypeError({ provider: { ...provider, clockTolerance: 5 } }, /clockTolerance/);
    expectTypeError({ legacy: { ...legacy(), name: 'connect.sid' } }, /name/);
    expectTypeError({ legacy: { resolve: () => null, store: memoryStore() } }, /store|resolve/);
  });

  it('requires provider.issuer and provider.audience', () => {
    expectTypeError({ provider: { audience: provider.audience } }, /issuer/);
    expectTypeError({ provider: { issuer: '', audience: provider.audience } }, /issuer/);
    expectTypeError({ provider: { issuer: provider.issuer } }, /audience/);
    expectTypeError({ provider: { ...provider, audience: [] } }, /audience/);
    expectTypeError({ provider: [provider, { issuer: 'https://b.test/' }] }, /audience/);
  });

  it('requires legacy.secret and legacy.store', () => {
    expectTypeError({ legacy: { store: memoryStore() } }, /secret/);
    expectTypeError({ legacy: { store: memoryStore(), secret: '' } }, /secret/);
    expectTypeError({ legacy: { store: memoryStore(), secret: [] } }, /secret/);
    expectTypeError({ legacy: { secret: 's' } }, /store/);
    expectTypeError({ legacy: { store: {}, secret: 's' } }, /store/);
  });

  it.each([[['none']], [['HS256']], [['RS256', 'none']], [['RS256', 'HS512']], [[]], ['RS256']])(
    'refuses algorithms %j: an explicit asymmetric allowlist is required',
    (algorithms) => {
      expectTypeError({ provider: { ...provider, algorithms } }, /algorithm/i);
    },
  );

  it('rejects an unknown mode and an unknown onConflict policy, naming the option', () => {
    expectTypeError({ legacy: legacy(), mode: 'strict' }, /mode/);
    expectTypeError({ legacy: legacy(), onConflict: 'merge' }, /onConflict/);
  });

  it('rejects callbacks that are not functions', () => {
    expectTypeError({ legacy: legacy(), onEvent: 'log' }, /onEvent/);
    expectTypeError({ provider: { ...provider, userId: 'sub' } }, /userId/);
    expectTypeError({ legacy: { ...legacy(), userId: 'userId' } }, /userId/);
  });

  it('rejects nonsensical numbers for timeouts and tolerances', () => {
    expectTypeError({ provider: { ...provider, jwksTimeoutMs: -1 } }, /jwksTimeoutMs/);
    expectTypeError(
      { provider: { ...provider, clockToleranceSeconds: Number.NaN } },
      /clockToleranceSeconds/,
    );
    expectTypeError({ legacy: { ...legacy(), timeoutMs: 0 } }, /timeoutMs/);
  });

  it('says what to do in the message, not only what is wrong', () => {
    try {
      build({ provider: { audience: provider.audience } });
      expect.unreachable('construction should have thrown');
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      // e.g. "pass your provider's issuer URL"
      expect((error as Error).message.length).toBeGreaterThan(30);
    }
  });
});
