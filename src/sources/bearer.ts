/** The result of reading an `Authorization` header. */
export type BearerHeader =
  /** No header, or another scheme (Basic, ...): not ours. */
  | { type: 'none' }
  /** `Bearer` with nothing usable after it: RFC 6750 `invalid_request`. */
  | { type: 'malformed'; reason: string }
  | { type: 'token'; token: string };

/**
 * Reads `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 7235). A token that is not a
 * well-formed JWT is left for verification to reject as `invalid_token`.
 */
export function readBearer(header: string | string[] | undefined): BearerHeader {
  if (header === undefined) return { type: 'none' };
  if (Array.isArray(header)) return { type: 'malformed', reason: 'more than one Authorization header' };
  const value = header.trim();
  // RFC 7235: the scheme ends at the first space; tabs are tolerated so `Bearer<TAB>token` is not ignored.
  const match = /^(\S+)(?:[ \t]+([\s\S]*))?$/.exec(value);
  const scheme = match?.[1] ?? '';
  if (scheme.toLowerCase() !== 'bearer') return { type: 'none' };
  const token = (match?.[2] ?? '').trim();
  if (token.length === 0) return { type: 'malformed', reason: 'the Bearer scheme needs a token' };
  return { type: 'token', token };
}
