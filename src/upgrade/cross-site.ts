import type { IncomingMessage } from 'node:http';

/** The request's own origin: `req.protocol` when Express set it (honouring `trust proxy`), else the socket's. */
function ownOrigin(req: IncomingMessage): string | undefined {
  const host = req.headers.host;
  if (typeof host !== 'string' || host.length === 0) return undefined;
  const expressProtocol = (req as IncomingMessage & { protocol?: unknown }).protocol;
  const protocol =
    typeof expressProtocol === 'string'
      ? expressProtocol
      : (req.socket as { encrypted?: boolean }).encrypted
        ? 'https'
        : 'http';
  try {
    return new URL(`${protocol}://${host}`).origin;
  } catch {
    return undefined;
  }
}

/**
 * A call another site made: `Sec-Fetch-Site: cross-site`, or an `Origin` that is neither the request's own
 * origin nor one of `allowed` (`Origin: null`, from sandboxed frames and some redirects, is refused too). A
 * request with neither header (a server, curl) is not a browser's cross-site call.
 */
export function isCrossSite(req: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  if (req.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  if (allowed.has(origin)) return false;
  return origin !== ownOrigin(req);
}
