import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Checks the caller's API key: the header's value compared verbatim with each accepted key, in constant time
 * over SHA-256 digests (so neither the content nor the length of a key leaks through timing). Every key is
 * compared, a match does not stop the loop.
 */
export function apiKeyChecker(header: string, keys: readonly string[]): (req: IncomingMessage) => boolean {
  const digests = keys.map(sha256);
  return function hasApiKey(req) {
    const value = req.headers[header];
    // A missing header is compared too (as the empty string), so it costs the same as a wrong one.
    const presented = sha256(typeof value === 'string' ? value : '');
    let ok = false;
    for (const digest of digests) ok = timingSafeEqual(presented, digest) || ok;
    return ok && typeof value === 'string';
  };
}
