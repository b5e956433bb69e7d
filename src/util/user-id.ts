/**
 * A user id as the bridge reports it: non-empty strings as they are, finite numbers (a database key)
 * stringified; anything else means "no user".
 */
export function toUserId(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
