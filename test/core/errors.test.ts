import { describe, expect, it } from 'vitest';
import { BridgeError, isBridgeError } from '../../src/index.js';

/** A `BridgeError` class as another copy of the package (its CommonJS build, another version) defines it. */
class OtherCopyBridgeError extends Error {
  readonly code: string;
  constructor(code: string) {
    super('from another copy');
    this.code = code;
  }
}
Object.defineProperty(OtherCopyBridgeError.prototype, Symbol.for('express-session-bridge.error'), {
  value: true,
});

describe('isBridgeError', () => {
  it('recognises a BridgeError of this copy', () => {
    expect(isBridgeError(new BridgeError('ERR_BRIDGE_TOKEN_EXPIRED', 'expired'))).toBe(true);
  });

  it('recognises a bridge error from another copy of the package by its brand, where instanceof fails', () => {
    const foreign = new OtherCopyBridgeError('ERR_BRIDGE_JWKS_UNAVAILABLE');
    expect(foreign instanceof BridgeError).toBe(false);
    expect(isBridgeError(foreign)).toBe(true);
  });

  it('refuses a plain Error that only copies an ERR_BRIDGE_ code, and a branded error without such a code', () => {
    expect(isBridgeError(Object.assign(new Error('lookalike'), { code: 'ERR_BRIDGE_TOKEN_INVALID' }))).toBe(
      false,
    );
    expect(isBridgeError(new OtherCopyBridgeError('ECONNREFUSED'))).toBe(false);
  });

  it('refuses values that are not errors', () => {
    for (const value of [undefined, null, 'ERR_BRIDGE_CONFLICT', 42, { code: 'ERR_BRIDGE_CONFLICT' }]) {
      expect(isBridgeError(value)).toBe(false);
    }
  });
});
