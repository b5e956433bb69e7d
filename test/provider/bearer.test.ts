import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readBearer } from '../helpers/internals.js';

const token = fc.stringMatching(/^[A-Za-z0-9\-._~+/]+=*$/);

describe('readBearer (RFC 6750 Authorization header)', () => {
  it('reads the token whatever the case of the scheme', () => {
    fc.assert(
      fc.property(fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR'), token, (scheme, t) => {
        expect(readBearer(`${scheme} ${t}`)).toEqual({ type: 'token', token: t });
      }),
    );
  });

  it('ignores other schemes so Basic auth elsewhere in the app keeps working', () => {
    expect(readBearer('Basic dXNlcjpwYXNz')).toEqual({ type: 'none' });
    expect(readBearer('Bearerx abc')).toEqual({ type: 'none' });
    expect(readBearer(undefined)).toEqual({ type: 'none' });
  });

  it('calls a Bearer scheme without a token malformed', () => {
    expect(readBearer('Bearer').type).toBe('malformed');
    expect(readBearer('Bearer    ').type).toBe('malformed');
    expect(readBearer(['Bearer a', 'Bearer b']).type).toBe('malformed');
  });

  it('never throws and always classifies arbitrary headers', () => {
    fc.assert(
      fc.property(fc.string(), (header) => {
        expect(['none', 'malformed', 'token']).toContain(readBearer(header).type);
      }),
    );
  });
});

describe('readBearer and near-Bearer spellings', () => {
  it('calls the Bearer scheme name followed by anything but a space, letter or digit malformed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Bearer', 'bearer', 'BEARER'),
        fc.string({ minLength: 1, maxLength: 1 }).filter((c) => !/[A-Za-z0-9 \t]/.test(c)),
        fc.string(),
        (scheme, separator, rest) => {
          expect(readBearer(`${scheme}${separator}${rest}`).type).toBe('malformed');
        },
      ),
    );
  });
});
