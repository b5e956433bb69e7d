/** The result of reading an `Authorization` header. */
export type BearerHeader =
  /** No header, or another scheme (Basic, ...): not ours. */
  | { type: 'none' }
  /** The Bearer scheme without a usable token, or ambiguous credentials: RFC 6750 `invalid_request`. */
  | { type: 'malformed'; reason: string }
  | { type: 'token'; token: string };

const SCHEME = 'bearer';

/**
 * Reads `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 7235). A value that starts with
 * the scheme name followed by anything but a letter or digit is ours: `Bearer,x`, `Bearer=x` or `Bearer.x` is a
 * malformed Bearer header (400), never "another scheme" that would let a legacy cookie authenticate the request
 * instead (`Bearerx` is another scheme name). A token that is not a well-formed JWT is left for verification to
 * reject as `invalid_token`.
 */
export function readBearer(header: string | string[] | undefined): BearerHeader {
  if (header === undefined) return { type: 'none' };
  if (Array.isArray(header)) return { type: 'malformed', reason: 'more than one Authorization header' };
  const value = header.trim();
  if (value.slice(0, SCHEME.length).toLowerCase() !== SCHEME) return { type: 'none' };
  const rest = value.slice(SCHEME.length);
  if (/^[A-Za-z0-9]/.test(rest)) return { type: 'none' };
  if (rest.length === 0) return { type: 'malformed', reason: 'the Bearer scheme needs a token' };
  // RFC 7235: the scheme ends at a space; tabs are tolerated so `Bearer<TAB>token` is not ignored.
  if (rest[0] !== ' ' && rest[0] !== '\t') {
    return { type: 'malformed', reason: 'the Bearer scheme must be followed by a space and the token' };
  }
  const token = rest.trim();
  if (token.length === 0) return { type: 'malformed', reason: 'the Bearer scheme needs a token' };
  return { type: 'token', token };
}

/**
 * The request's `Authorization` header, or an array when it was sent more than once. Node keeps only the
 * first `authorization` header in `req.headers` (passed as `first`), so duplicates are counted in `rawHeaders`
 * (no allocation), or in `headersDistinct` for a request object without `rawHeaders`; the request is read only
 * when the header is there.
 */
export function authorizationHeader(
  first: string | undefined,
  req: {
    rawHeaders?: string[];
    headersDistinct?: Record<string, string[] | undefined>;
  },
): string | string[] | undefined {
  if (first === undefined) return undefined;
  const raw = req.rawHeaders;
  if (Array.isArray(raw)) {
    let values: string[] | undefined;
    let count = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      if (name === undefined || name.length !== 13 || name.toLowerCase() !== 'authorization') continue;
      count++;
      if (count === 2) values = [first];
      if (count >= 2) values?.push(raw[i + 1] ?? '');
    }
    return values ?? first;
  }
  const distinct = req.headersDistinct?.authorization;
  return distinct !== undefined && distinct.length > 1 ? distinct : first;
}
