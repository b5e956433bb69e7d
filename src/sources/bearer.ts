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
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') return { type: 'none' };
  const token = space === -1 ? '' : value.slice(space + 1).trim();
  if (token.length === 0) return { type: 'malformed', reason: 'the Bearer scheme needs a token' };
  return { type: 'token', token };
}
