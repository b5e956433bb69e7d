/**
 * Options of the password migration endpoints, as users pass them. They are parsed (every default filled,
 * validated once at construction) by options/password-migration.ts.
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
}
