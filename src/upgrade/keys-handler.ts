import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWK } from 'jose';
import { PRIVATE_MEMBERS } from './signing-key.js';

/** `next` as Express calls it. */
type Next = (err?: unknown) => void;

/**
 * `bridge.upgradeKeys()`: a GET (and HEAD) handler answering the public JWK Set `{ keys }` with
 * `Content-Type: application/json` and `Cache-Control: public, max-age=300`. The body is built once; private
 * members are stripped again here, so no private key member can ever be served.
 */
export function upgradeKeysHandler(
  keys: readonly JWK[],
): (req: IncomingMessage, res: ServerResponse, next: Next) => void {
  const published = keys.map((key) => {
    const copy: Record<string, unknown> = { ...key };
    for (const member of PRIVATE_MEMBERS) delete copy[member];
    return copy;
  });
  const body = JSON.stringify({ keys: published });
  return function upgradeKeys(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.statusCode = 405;
      res.setHeader('Allow', 'GET, HEAD');
      res.end();
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
