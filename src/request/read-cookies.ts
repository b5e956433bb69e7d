import type { IncomingMessage } from 'node:http';
import { parse } from 'cookie';

/**
 * Parses the request's Cookie header the way express-session does (`cookie.parse`), independent of
 * cookie-parser. Malformed percent-encoding leaves the raw value; a missing header gives an empty record.
 */
export function readCookies(req: IncomingMessage): Record<string, string | undefined> {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || header.length === 0) return {};
  return parse(header);
}
