import type { IncomingMessage } from 'node:http';
import { parse } from 'cookie';

/** The cookies of a request without a Cookie header (shared: never written to). */
const NO_COOKIES: Record<string, string | undefined> = Object.freeze(Object.create(null));

/**
 * Parses a Cookie header the way express-session does (`cookie.parse`), independent of cookie-parser.
 * Malformed percent-encoding leaves the raw value; a missing or empty header gives an empty record.
 */
export function parseCookieHeader(header: string | undefined): Record<string, string | undefined> {
  if (typeof header !== 'string' || header.length === 0) return NO_COOKIES;
  return parse(header);
}

/** The cookies of a request (`parseCookieHeader` of its Cookie header). */
export function readCookies(req: IncomingMessage): Record<string, string | undefined> {
  return parseCookieHeader(req.headers.cookie);
}
