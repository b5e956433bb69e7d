import type { ServerResponse } from 'node:http';
import type { BridgeError } from '../errors.js';

/** Default `Retry-After` (seconds) for 503 answers that carry none. */
export const DEFAULT_RETRY_AFTER_SECONDS = 5;

/** RFC 6750 section 3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E. */
function quotable(text: string): string {
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
}

/**
 * Fills `err.headers` with what the answer needs: `WWW-Authenticate` (RFC 6750) for 400 and 401, with no
 * error attribute when no credentials were sent, and for 403 `insufficient_scope` with the required `scope`;
 * `Retry-After` for 503.
 */
export function withResponseHeaders(err: BridgeError, realm: string): BridgeError {
  if (err.status === 401 || err.status === 400 || err.error === 'insufficient_scope') {
    const parts = [`realm="${quotable(realm)}"`];
    if (err.error) parts.push(`error="${err.error}"`, `error_description="${quotable(err.message)}"`);
    if (err.scope !== undefined) parts.push(`scope="${quotable(err.scope)}"`);
    err.headers['WWW-Authenticate'] = `Bearer ${parts.join(', ')}`;
  }
  if (err.status === 503 && err.headers['Retry-After'] === undefined) {
    err.headers['Retry-After'] = String(DEFAULT_RETRY_AFTER_SECONDS);
  }
  return err;
}

/** The JSON body of an error answer. Never includes `cause`. */
export interface ErrorBody {
  error: string;
  error_description: string;
  code: BridgeError['code'];
  hint?: string;
}

/** Answers a `BridgeError` as JSON with its status and headers. Works on Express 4 and 5 (plain Node API). */
export function sendError(res: ServerResponse, err: BridgeError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: ErrorBody = {
    error: err.error ?? 'unauthorized',
    error_description: err.message,
    code: err.code,
    ...(err.hint ? { hint: err.hint } : {}),
  };
  res.statusCode = err.status;
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/** How the bridge answers an error: the `realm` of `WWW-Authenticate` and the `errors` option. */
export interface ErrorPolicy {
  realm: string;
  errors: 'respond' | 'next';
}

/** Answers `error` (with its headers) or hands it to `next(err)`, as the `errors` option says. */
export function fail(
  policy: ErrorPolicy,
  res: ServerResponse,
  next: (err?: unknown) => void,
  error: BridgeError,
): void {
  withResponseHeaders(error, policy.realm);
  if (policy.errors === 'next') next(error);
  else sendError(res, error);
}
