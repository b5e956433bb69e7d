import { createHash, createHmac } from 'node:crypto';

/** Length of the stored digest in base64url characters: 22 characters = 132 bits. */
const DIGEST_LENGTH = 22;

/**
 * The id stored in place of a user id: SHA-256(id), or HMAC-SHA-256(hashKey, id) when a key is set,
 * cut to `DIGEST_LENGTH` base64url characters. User ids never reach Redis.
 */
export function digestFunction(hashKey: string | undefined): (id: string) => string {
  if (hashKey === undefined) {
    return (id) => createHash('sha256').update(id).digest('base64url').slice(0, DIGEST_LENGTH);
  }
  return (id) => createHmac('sha256', hashKey).update(id).digest('base64url').slice(0, DIGEST_LENGTH);
}
