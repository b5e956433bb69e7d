/**
 * Options of the migration endpoints -> configs with every default filled, validated once at construction.
 * The small checkers are kept here on purpose: this module depends on nothing else in the package's options.
 */

/** One rate-limit window. */
export interface RateWindowOptions {
  /** Failed attempts allowed in one window; once reached, further attempts are answered 429. */
  max?: number;
  /** Length of the window in milliseconds. A window starts with its first failed attempt. */
  windowMs?: number;
}

/** Limits on failed password checks. Memory stays bounded by `maxTrackedIdentifiers`. */
export interface PasswordMigrationLimits {
  /**
   * Failed attempts per identifier (trimmed, NFKC-normalised, lower-cased; kept as a SHA-256 digest). Once
   * reached, the identifier gets 429 with `Retry-After`, even with the right password, until its window ends.
   * Default `{ max: 10, windowMs: 900_000 }` (10 per 15 minutes).
   */
  perIdentifier?: RateWindowOptions;
  /**
   * Failed attempts over all identifiers. Once reached, every attempt gets 429 until the window ends.
   * Default `{ max: 300, windowMs: 60_000 }` (300 per minute).
   */
  global?: RateWindowOptions;
  /**
   * How many identifiers are tracked at most; past it the least recently seen is forgotten. Default `10_000`,
   * more than the global limit lets fail within one identifier window with the defaults (300 x 15 = 4,500).
   */
  maxTrackedIdentifiers?: number;
}

/** Checks a password in the legacy store: `true` match, `false` wrong password, `null` unknown identifier. */
export type PasswordVerifier = (
  identifier: string,
  password: string,
) => boolean | null | PromiseLike<boolean | null>;

/** Options of `bridge.passwordMigrationHook()` (`createPasswordMigrationHook`). */
export interface PasswordMigrationHookOptions {
  /**
   * Required. Checks the password Ory received: `true` (match), `false` (wrong password) or `null` (unknown
   * identifier); may be async. A throw, a timeout or any other value is answered 503 and recorded as `error`.
   * The identifier is passed as Ory sent it (not normalised).
   */
  verify: PasswordVerifier;
  /**
   * Required. The value Ory sends in `header` (its `auth.config.value`), compared verbatim: `Bearer xyz` or
   * just `xyz`. An array accepts each of its keys (rotation). At least 16 characters, no surrounding spaces.
   */
  apiKey: string | readonly string[];
  /** Header carrying the API key (Ory's `auth.config.name`), case-insensitive. Default `'authorization'`. */
  header?: string;
  /** Limits on failed attempts. Defaults: see `PasswordMigrationLimits`. */
  limits?: PasswordMigrationLimits;
  /** How long `verify` may take before the answer is 503 (recorded as `error`). Default `5000` ms. */
  timeoutMs?: number;
  /** How long the whole request body may take to arrive before the answer is 408. Default `10000` ms. */
  bodyTimeoutMs?: number;
}

/**
 * A user as Auth0's custom-database scripts return it (normalised user profile). Only these fields are sent;
 * anything else on the object the app returns is dropped.
 */
export interface Auth0Profile {
  /** The user's id in the legacy system: a non-empty string, or a finite number (sent as a string). */
  user_id: string | number;
  email: string;
  email_verified: boolean;
  name?: string;
  /** A plain object. */
  app_metadata?: Record<string, unknown>;
  /** A plain object. */
  user_metadata?: Record<string, unknown>;
}

/** Options of `bridge.auth0CustomDatabase()` (`createAuth0CustomDatabase`). */
export interface Auth0CustomDatabaseOptions {
  /**
   * Required. Checks an email and password: the profile on a match, `false` for a wrong password, `null` for
   * an unknown user (both answered 401 `wrong_credentials`; returning `null` for both is fine, only the stats
   * then count every failure as `unknown`). May be async.
   */
  login: (
    email: string,
    password: string,
  ) => Auth0Profile | false | null | PromiseLike<Auth0Profile | false | null>;
  /** Required. Looks a user up by email (Auth0's Get User script): the profile, or `null` when unknown. */
  getUser: (email: string) => Auth0Profile | null | PromiseLike<Auth0Profile | null>;
  /**
   * Required. The value the Auth0 scripts send in the `Authorization` header, compared verbatim (e.g.
   * `Bearer xyz`). An array accepts each of its keys (rotation). At least 16 characters, no surrounding
   * spaces.
   */
  apiKey: string | readonly string[];
  /** Limits on failed logins, keyed by email. Defaults: see `PasswordMigrationLimits`. */
  limits?: PasswordMigrationLimits;
  /** How long `login` or `getUser` may take before the answer is 503. Default `5000` ms. */
  timeoutMs?: number;
  /** How long the whole request body may take to arrive before the answer is 408. Default `10000` ms. */
  bodyTimeoutMs?: number;
  /**
   * Limit on `get-user` lookups, all emails together (each lookup counts, found or not: an existence oracle
   * must not run at the speed of the API key holder). Past it the answer is 429 with `Retry-After`.
   * Default `{ max: 300, windowMs: 60_000 }` (300 per minute).
   */
  getUserLimit?: RateWindowOptions;
}

/** A rate-limit window with its defaults filled. */
export interface RateWindow {
  max: number;
  windowMs: number;
}

export interface LimitsConfig {
  perIdentifier: RateWindow;
  global: RateWindow;
  maxTrackedIdentifiers: number;
}

/** What both endpoints share: who may call them and how failures are limited. */
export interface GuardConfig {
  apiKeys: string[];
  /** Lower-cased header name. */
  header: string;
  limits: LimitsConfig;
  timeoutMs: number;
  bodyTimeoutMs: number;
}

export interface PasswordHookConfig extends GuardConfig {
  verify: PasswordVerifier;
}

export interface Auth0CustomDatabaseConfig extends GuardConfig {
  login: Auth0CustomDatabaseOptions['login'];
  getUser: Auth0CustomDatabaseOptions['getUser'];
  getUserLimit: RateWindow;
}

export const DEFAULT_LIMITS: LimitsConfig = {
  perIdentifier: { max: 10, windowMs: 15 * 60_000 },
  global: { max: 300, windowMs: 60_000 },
  maxTrackedIdentifiers: 10_000,
};
export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;
export const DEFAULT_GET_USER_LIMIT: RateWindow = { max: 300, windowMs: 60_000 };
export const MIN_API_KEY_LENGTH = 16;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2_147_483_647;

const HOOK_KEYS: Record<keyof PasswordMigrationHookOptions, true> = {
  verify: true,
  apiKey: true,
  header: true,
  limits: true,
  timeoutMs: true,
  bodyTimeoutMs: true,
};
const AUTH0_KEYS: Record<keyof Auth0CustomDatabaseOptions, true> = {
  login: true,
  getUser: true,
  apiKey: true,
  limits: true,
  timeoutMs: true,
  bodyTimeoutMs: true,
  getUserLimit: true,
};
const LIMITS_KEYS: Record<keyof PasswordMigrationLimits, true> = {
  perIdentifier: true,
  global: true,
  maxTrackedIdentifiers: true,
};
const WINDOW_KEYS: Record<keyof RateWindowOptions, true> = { max: true, windowMs: true };

/** An HTTP header field name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** What an HTTP header value can carry verbatim: visible ASCII and inner spaces or tabs. */
const HEADER_VALUE = /^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Validation helpers whose `TypeError`s start with the factory's name. */
function checker(where: string) {
  const fail = (message: string): never => {
    throw new TypeError(`${where}: ${message}`);
  };

  const object = (name: string, value: unknown, known: Record<string, true>): Record<string, unknown> => {
    if (!isPlainObject(value)) return fail(`\`${name}\` must be an object.`);
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(known, key)) {
        const path = name === 'options' ? key : `${name}.${key}`;
        fail(`unknown option \`${path}\`. Known options: ${Object.keys(known).join(', ')}.`);
      }
    }
    return value;
  };

  const positiveInteger = (name: string, value: unknown, fallback: number, max = Number.MAX_SAFE_INTEGER) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || value > max) {
      fail(`\`${name}\` must be a positive integer up to ${max} (got ${String(value)}).`);
    }
    return value as number;
  };

  const fn = <T>(name: string, value: unknown, example: string): T => {
    if (typeof value !== 'function') fail(`\`${name}\` is required: pass a function ${example}.`);
    return value as T;
  };

  const apiKeys = (value: unknown, sentIn: string): string[] => {
    const list: unknown[] | undefined =
      typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
    if (list === undefined || list.length === 0) {
      fail(
        `\`apiKey\` is required: pass the exact value the caller sends in the \`${sentIn}\` header (a string, or an array of strings to rotate keys), e.g. generated with \`openssl rand -base64 32\`.`,
      );
    }
    return (list as unknown[]).map((key, i) => {
      const name = typeof value === 'string' ? '`apiKey`' : `\`apiKey[${i}]\``;
      if (typeof key !== 'string') return fail(`${name} must be a string (got ${typeof key}).`);
      if (key.length < MIN_API_KEY_LENGTH) {
        fail(
          `${name} must have at least ${MIN_API_KEY_LENGTH} characters: it is all that stands between the internet and a password oracle; generate one with \`openssl rand -base64 32\`.`,
        );
      }
      if (!HEADER_VALUE.test(key)) {
        fail(
          `${name} must be printable ASCII without leading or trailing spaces: HTTP cannot carry anything else verbatim in a header.`,
        );
      }
      return key;
    });
  };

  const window = (name: string, value: unknown, fallback: RateWindow): RateWindow => {
    if (value === undefined) return fallback;
    const given = object(name, value, WINDOW_KEYS);
    return {
      max: positiveInteger(`${name}.max`, given.max, fallback.max),
      windowMs: positiveInteger(`${name}.windowMs`, given.windowMs, fallback.windowMs),
    };
  };

  const limits = (value: unknown): LimitsConfig => {
    if (value === undefined) return DEFAULT_LIMITS;
    const given = object('limits', value, LIMITS_KEYS);
    return {
      perIdentifier: window('limits.perIdentifier', given.perIdentifier, DEFAULT_LIMITS.perIdentifier),
      global: window('limits.global', given.global, DEFAULT_LIMITS.global),
      maxTrackedIdentifiers: positiveInteger(
        'limits.maxTrackedIdentifiers',
        given.maxTrackedIdentifiers,
        DEFAULT_LIMITS.maxTrackedIdentifiers,
      ),
    };
  };

  /** The parts both endpoints share. */
  const guard = (given: Record<string, unknown>, header: string): GuardConfig => ({
    apiKeys: apiKeys(given.apiKey, header),
    header,
    limits: limits(given.limits),
    timeoutMs: positiveInteger('timeoutMs', given.timeoutMs, DEFAULT_TIMEOUT_MS, MAX_TIMER_MS),
    bodyTimeoutMs: positiveInteger(
      'bodyTimeoutMs',
      given.bodyTimeoutMs,
      DEFAULT_BODY_TIMEOUT_MS,
      MAX_TIMER_MS,
    ),
  });

  return { fail, object, fn, guard, window };
}

export function parsePasswordHookOptions(options: unknown): PasswordHookConfig {
  const check = checker('passwordMigrationHook');
  const given = check.object('options', options, HOOK_KEYS);
  const header = given.header ?? 'authorization';
  if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
    check.fail(
      `\`header\` must be an HTTP header name, the \`auth.config.name\` of Ory's hook (got ${typeof header === 'string' ? JSON.stringify(header) : typeof header}).`,
    );
  }
  return {
    verify: check.fn(
      'verify',
      given.verify,
      '`(identifier, password) => true | false | null` (may be async)',
    ),
    ...check.guard(given, (header as string).toLowerCase()),
  };
}

export function parseAuth0CustomDatabaseOptions(options: unknown): Auth0CustomDatabaseConfig {
  const check = checker('auth0CustomDatabase');
  const given = check.object('options', options, AUTH0_KEYS);
  return {
    login: check.fn('login', given.login, '`(email, password) => profile | false | null` (may be async)'),
    getUser: check.fn('getUser', given.getUser, '`(email) => profile | null` (may be async)'),
    ...check.guard(given, 'authorization'),
    getUserLimit: check.window('getUserLimit', given.getUserLimit, DEFAULT_GET_USER_LIMIT),
  };
}
