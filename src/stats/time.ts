/** Bucket sizes of the stats stores and the report, in milliseconds (UTC, aligned to the epoch). */
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** A time before every other: "never seen". */
export const NEVER = Number.NEGATIVE_INFINITY;
