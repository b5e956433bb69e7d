import { sign } from 'cookie-signature';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { unsignSessionCookie } from '../helpers/internals.js';

const secret = fc.string({ minLength: 1, maxLength: 40 });
// express-session ids are uid-safe strings; any printable id without the signature separator round-trips.
const sid = fc.string({ minLength: 1, maxLength: 64 }).filter((s) => !s.includes('.'));

describe('unsignSessionCookie (express-session cookie format)', () => {
  it('returns the session id of a cookie signed with the current secret', () => {
    fc.assert(
      fc.property(sid, secret, (id, s) => {
        expect(unsignSessionCookie(`s:${sign(id, s)}`, [s])).toBe(id);
      }),
    );
  });

  it('accepts a cookie signed with any secret of a rotation list, whatever its position', () => {
    fc.assert(
      fc.property(sid, fc.array(secret, { minLength: 1, maxLength: 5 }), fc.nat(), (id, secrets, pick) => {
        const used = secrets[pick % secrets.length] as string;
        expect(unsignSessionCookie(`s:${sign(id, used)}`, secrets)).toBe(id);
      }),
    );
  });

  it('treats a cookie signed with an unknown secret as no session', () => {
    fc.assert(
      fc.property(sid, secret, secret, (id, used, configured) => {
        fc.pre(used !== configured);
        expect(unsignSessionCookie(`s:${sign(id, used)}`, [configured])).toBeUndefined();
      }),
    );
  });

  it('treats a tampered session id as no session', () => {
    fc.assert(
      fc.property(sid, sid, secret, (id, other, s) => {
        fc.pre(id !== other);
        const signature = sign(id, s).slice(id.length);
        expect(unsignSessionCookie(`s:${other}${signature}`, [s])).toBeUndefined();
      }),
    );
  });

  it('ignores unsigned values, like express-session', () => {
    fc.assert(
      fc.property(fc.string(), secret, (raw, s) => {
        fc.pre(!raw.startsWith('s:'));
        expect(unsignSessionCookie(raw, [s])).toBeUndefined();
      }),
    );
    expect(unsignSessionCookie(undefined, ['x'])).toBeUndefined();
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(secret, { minLength: 1, maxLength: 3 }), (raw, secrets) => {
        const result = unsignSessionCookie(`s:${raw}`, secrets);
        expect(result === undefined || typeof result === 'string').toBe(true);
      }),
    );
  });
});
