/** The decoded reply of the query script. */
export interface QueryReply {
  lastLegacyAt: number | null;
  horizon: number | null;
  counts: number[][];
  hll: (number[] | undefined)[];
  hours: Map<string, number>[];
  days: Map<string, number>[];
}

/** Parses the JSON string of the query script (cjson encodes an empty Lua table as `{}`). */
export function parseQueryReply(reply: unknown): QueryReply {
  const text =
    typeof reply === 'string' ? reply : reply instanceof Uint8Array ? Buffer.from(reply).toString() : null;
  if (text === null) throw new Error(`redisStats: unexpected reply to the query script: ${typeof reply}`);
  const raw = JSON.parse(text) as Record<string, unknown>;
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const time = (value: unknown): number | null => (value === '' || value == null ? null : Number(value));
  const fieldsOf = (value: unknown): Map<string, number> => {
    const flat = list(value);
    const fields = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), Number(flat[i + 1]));
    return fields;
  };
  return {
    lastLegacyAt: time(raw.lastLegacyAt),
    horizon: time(raw.horizon),
    counts: list(raw.counts).map((c) => list(c).map(Number)),
    hll: list(raw.hll).map((h) => (Array.isArray(h) ? h.map(Number) : undefined)),
    hours: list(raw.hours).map(fieldsOf),
    days: list(raw.days).map(fieldsOf),
  };
}
