const SEGMENT = /^[A-Za-z0-9_-]+$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * True when `segment` is the one canonical base64url spelling of its bytes (RFC 7515 section 2, RFC 4648
 * section 3.5): only the base64url alphabet, no padding or whitespace, a length that encodes whole bytes,
 * and zero bits in the unused low bits of the last character.
 */
function isCanonicalSegment(segment: string): boolean {
  if (!SEGMENT.test(segment)) return false;
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = ALPHABET.indexOf(segment[segment.length - 1] as string);
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * True for a JWS in compact serialization written canonically: three non-empty base64url segments, each
 * the single spelling of its bytes. jose's decoder tolerates padding, whitespace and non-zero trailing bits,
 * so one token could otherwise be written many ways (cache keys, logs, replay lists would see several).
 */
export function isCanonicalCompactJws(token: string): boolean {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1 || token.indexOf('.', second + 1) !== -1) return false;
  return (
    isCanonicalSegment(token.slice(0, first)) &&
    isCanonicalSegment(token.slice(first + 1, second)) &&
    isCanonicalSegment(token.slice(second + 1))
  );
}
