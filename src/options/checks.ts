/**
 * The checks behind every factory's options: `sessionBridge()` and its `recorder`, `memoryStats()`,
 * `redisStats()`, `bridge.statsHandler()`, `bridge.requireUser()`, the cutover criteria, `bridge.report()`,
 * the prom-client collector, the password migration endpoints and the presets (`auth0()`, `ory()`, ...).
 *
 * Each parser reads every option once, at construction, through one `OptionChecks` named after its owner,
 * so the same kind of option follows the same rule everywhere: counts, days and milliseconds are whole
 * numbers, names and prefixes are non-empty strings, unknown option names are refused. Every failure is a
 * `TypeError` that names the option and says what to pass, in one wording per kind of failure:
 *
 * - an unknown option: "unknown option `x`: the known options are a, b, c." (`knownKeys`);
 * - a missing required option: "`x` is required: pass ..." (`missing`);
 * - a bad value: "`x` must be <rule> (got <value>): pass ..." (`invalid`, and every typed check).
 */

/** An option record: a plain object, read by own keys only. */
export type OptionRecord = Record<string, unknown>;

/** How a value looks in a message: strings quoted, the rest as `String()` shows them. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** A plain object: not null, not an array. */
export function isRecord(value: unknown): value is OptionRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class OptionChecks {
  readonly #owner: string | undefined;

  /**
   * `owner` starts every message (`redisStats: ...`). Without one, the message is a sentence of its own, for
   * options that belong to a call rather than a factory (`statsHandler()`, `cutover`).
   */
  constructor(owner?: string) {
    this.#owner = owner;
  }

  /** Throws the `TypeError` of this owner. */
  fail(message: string): never {
    throw new TypeError(
      this.#owner === undefined
        ? message.charAt(0).toUpperCase() + message.slice(1)
        : `${this.#owner}: ${message}`,
    );
  }

  /** The failure for a required option that was left out (or empty): "`name` is required: <what>". */
  missing(name: string, what: string): never {
    return this.fail(`\`${name}\` is required: ${what}`);
  }

  /** The failure for a value of the wrong type or form: "`name` must be <rule> (got <value>)[: pass <hint>]." */
  invalid(name: string, value: unknown, rule: string, hint?: string): never {
    return this.fail(`\`${name}\` must be ${rule} (got ${shown(value)})${hint ? `: pass ${hint}` : ''}.`);
  }

  /** A plain object (not null, not an array); `message` says what to pass instead. */
  record(value: unknown, message: string): OptionRecord {
    if (!isRecord(value)) this.fail(message);
    return value;
  }

  /** Like `record`, with `{}` for `undefined` (an optional group of options). */
  optionalRecord(value: unknown, message: string): OptionRecord {
    return value === undefined ? {} : this.record(value, message);
  }

  /** Refuses option names missing from `known` (own keys only: `toString` is no option). `path` prefixes them. */
  knownKeys(value: OptionRecord, known: Readonly<Record<string, unknown>>, path = ''): void {
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(known, key)) {
        this.fail(
          `unknown option \`${path}${key}\`: the known options are ${Object.keys(known).join(', ')}.`,
        );
      }
    }
  }

  /**
   * A whole number from `min` (counts, days, milliseconds), or `fallback` when `undefined`. `hint` says what
   * the option means, e.g. `'the most events held in memory, e.g. 10000'`.
   */
  integer(
    name: string,
    value: unknown,
    min: number,
    fallback: number,
    hint: string,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      const from = min === 1 ? 'a positive whole number' : `a whole number from ${min}`;
      const rule = max === Number.MAX_SAFE_INTEGER ? from : `${from} up to ${max}`;
      this.invalid(name, value, rule, `${hint}, or leave it out for ${fallback}`);
    }
    return value;
  }

  /** A finite number from `min` to `max` (a tolerance, a share), or `fallback` when `undefined`. */
  number(name: string, value: unknown, min: number, max: number, fallback: number, hint: string): number {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `from ${min} to ${max}`;
      this.invalid(name, value, `a number ${range}`, hint);
    }
    return value;
  }

  /** `value` must not exceed the option `limitName`, whose value is `limit`. */
  atMost(name: string, value: number, limitName: string, limit: number): void {
    if (value > limit) {
      this.fail(
        `\`${name}\` (${value}) cannot exceed \`${limitName}\` (${limit}): lower it or raise ${limitName}.`,
      );
    }
  }

  /** `true` or `false`, or `fallback` when `undefined`. */
  boolean(name: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') this.invalid(name, value, 'true or false');
    return value;
  }

  /** A non-empty string, or `fallback` when `undefined`; `hint` is an example or what it is for. */
  string<F extends string | undefined>(name: string, value: unknown, fallback: F, hint: string): string | F {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || value.length === 0) {
      this.invalid(name, value, 'a non-empty string', hint);
    }
    return value;
  }

  /** A non-empty string or a non-empty array of them, as a list. `required` says what to pass. */
  strings(name: string, value: unknown, required: string): string[] {
    const list = typeof value === 'string' ? [value] : value;
    const ok =
      Array.isArray(list) &&
      list.length > 0 &&
      list.every((s): s is string => typeof s === 'string' && s.length > 0);
    if (!ok) this.missing(name, required);
    return list;
  }

  /** One of `allowed`, or `fallback` when `undefined`. */
  oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      this.invalid(name, value, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
    }
    return value as T;
  }

  /** A function, or `undefined`; `shape` shows its signature, e.g. `'(req) => boolean'`. */
  optionalFunction<T>(name: string, value: unknown, shape: string): T | undefined {
    if (value !== undefined && typeof value !== 'function') {
      this.invalid(name, value, `a function ${shape}`);
    }
    return value as T | undefined;
  }

  /** A function; `required` says what to pass. */
  requiredFunction<T>(name: string, value: unknown, required: string): T {
    if (typeof value !== 'function') this.missing(name, required);
    return value as T;
  }
}
