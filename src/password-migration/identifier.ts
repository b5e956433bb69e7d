import { createHash } from 'node:crypto';

/**
 * The form an identifier is counted under: trimmed, NFKC-normalised (so look-alike spellings of one address
 * share a counter) and lower-cased, then SHA-256 (base64url). Identifiers are never kept in clear.
 */
export function identifierDigest(identifier: string): string {
  const normalised = identifier.trim().normalize('NFKC').toLowerCase();
  return createHash('sha256').update(normalised, 'utf8').digest('base64url');
}

/** How an identifier appears in debug lines: a short digest prefix, enough to correlate lines. */
export function identifierLabel(digest: string): string {
  return `id#${digest.slice(0, 8)}`;
}
