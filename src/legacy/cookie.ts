import { unsign } from 'cookie-signature';

/**
 * Turns a raw express-session cookie value into a session id exactly like express-session:
 * only values starting with `s:` are considered; every secret is tried in order (rotation);
 * a bad signature, an unsigned value or an empty id yields `undefined` ("no legacy session"), never an error.
 */
export function unsignSessionCookie(raw: string | undefined, secrets: readonly string[]): string | undefined {
  if (raw === undefined || !raw.startsWith('s:')) return undefined;
  const signed = raw.slice(2);
  for (const secret of secrets) {
    const sid = unsign(signed, secret);
    if (sid !== false) return sid.length > 0 ? sid : undefined;
  }
  return undefined;
}
