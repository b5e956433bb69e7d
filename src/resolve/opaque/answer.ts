/** Helpers for reading providers' answers. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A provider answered something that is neither a session nor a refusal: treated as an outage (503). */
export function unexpected(who: string, what: string): Error {
  return new Error(`${who} answered ${what}`);
}
