/**
 * Options of the password migration endpoints (`bridge.passwordMigrationHook()`, `bridge.auth0CustomDatabase()`)
 * -> configs with every default filled, validated once at construction through the shared `OptionChecks`.
 */
import type {
  Auth0CustomDatabaseOptions,
  PasswordMigrationHookOptions,
  PasswordMigrationLimits,
  PasswordVerifier,
  RateWindowOptions,
} from '../password-migration/options.js';
import { isRecord, OptionChecks, type OptionRecord } from './checks.js';

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
}

export interface PasswordHookConfig extends GuardConfig {
  verify: PasswordVerifier;
}

export interface Auth0CustomDatabaseConfig extends GuardConfig {
  login: Auth0CustomDatabaseOptions['login'];
  getUser: Auth0CustomDatabaseOptions['getUser'];
}

export const DEFAULT_LIMITS: LimitsConfig = {
  perIdentifier: { max: 10, windowMs: 15 * 60_000 },
  global: { max: 300, windowMs: 60_000 },
  maxTrackedIdentifiers: 10_000,
};
export const DEFAULT_TIMEOUT_MS = 5000;
export const MIN_API_KEY_LENGTH = 16;
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2_147_483_647;

const HOOK_KEYS: Record<keyof PasswordMigrationHookOptions, true> = {
  verify: true,
  apiKey: true,
  header: true,
  limits: true,
  timeoutMs: true,
};
const AUTH0_KEYS: Record<keyof Auth0CustomDatabaseOptions, true> = {
  login: true,
  getUser: true,
  apiKey: true,
  limits: true,
  timeoutMs: true,
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

/** An option group: an object whose names are all known (`name` is `options` for the top level). */
function group(check: OptionChecks, name: string, value: unknown, known: Record<string, true>): OptionRecord {
  if (!isRecord(value)) check.invalid(name, value, 'an object');
  check.knownKeys(value, known, name === 'options' ? '' : `${name}.`);
  return value;
}

function count(check: OptionChecks, name: string, value: unknown, fallback: number, hint: string): number {
  return check.integer(name, value, 1, fallback, hint);
}

function apiKeys(check: OptionChecks, value: unknown, sentIn: string): string[] {
  const list: unknown[] | undefined =
    typeof value === 'string' ? [value] : Array.isArray(value) ? value : undefined;
  if (list === undefined || list.length === 0) {
    check.missing(
      'apiKey',
      `pass the exact value the caller sends in the \`${sentIn}\` header (a string, or an array of strings to rotate keys), e.g. generated with \`openssl rand -base64 32\`.`,
    );
  }
  return list.map((key, i) => {
    const name = typeof value === 'string' ? 'apiKey' : `apiKey[${i}]`;
    if (typeof key !== 'string') check.invalid(name, key, 'a string');
    if (key.length < MIN_API_KEY_LENGTH) {
      check.fail(
        `\`${name}\` must have at least ${MIN_API_KEY_LENGTH} characters: it is all that stands between the internet and a password oracle; generate one with \`openssl rand -base64 32\`.`,
      );
    }
    if (!HEADER_VALUE.test(key)) {
      check.fail(
        `\`${name}\` must be printable ASCII without leading or trailing spaces: HTTP cannot carry anything else verbatim in a header.`,
      );
    }
    return key;
  });
}

function rateWindow(check: OptionChecks, name: string, value: unknown, fallback: RateWindow): RateWindow {
  if (value === undefined) return fallback;
  const given = group(check, name, value, WINDOW_KEYS);
  return {
    max: count(check, `${name}.max`, given.max, fallback.max, 'the most failures in the window, e.g. 10'),
    windowMs: count(
      check,
      `${name}.windowMs`,
      given.windowMs,
      fallback.windowMs,
      'the window in milliseconds',
    ),
  };
}

function limits(check: OptionChecks, value: unknown): LimitsConfig {
  if (value === undefined) return DEFAULT_LIMITS;
  const given = group(check, 'limits', value, LIMITS_KEYS);
  return {
    perIdentifier: rateWindow(
      check,
      'limits.perIdentifier',
      given.perIdentifier,
      DEFAULT_LIMITS.perIdentifier,
    ),
    global: rateWindow(check, 'limits.global', given.global, DEFAULT_LIMITS.global),
    maxTrackedIdentifiers: count(
      check,
      'limits.maxTrackedIdentifiers',
      given.maxTrackedIdentifiers,
      DEFAULT_LIMITS.maxTrackedIdentifiers,
      'the most identifiers whose failures are remembered, e.g. 10000',
    ),
  };
}

/** The parts both endpoints share. */
function guard(check: OptionChecks, given: OptionRecord, header: string): GuardConfig {
  return {
    apiKeys: apiKeys(check, given.apiKey, header),
    header,
    limits: limits(check, given.limits),
    timeoutMs: check.integer(
      'timeoutMs',
      given.timeoutMs,
      1,
      DEFAULT_TIMEOUT_MS,
      "the milliseconds the app's check may take",
      MAX_TIMER_MS,
    ),
  };
}

export function parsePasswordHookOptions(options: unknown): PasswordHookConfig {
  const check = new OptionChecks('passwordMigrationHook');
  const given = group(check, 'options', options, HOOK_KEYS);
  const header = given.header ?? 'authorization';
  if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
    check.invalid('header', header, "an HTTP header name, the `auth.config.name` of Ory's hook");
  }
  return {
    verify: check.requiredFunction(
      'verify',
      given.verify,
      'pass a function `(identifier, password) => true | false | null` (may be async).',
    ),
    ...guard(check, given, (header as string).toLowerCase()),
  };
}

export function parseAuth0CustomDatabaseOptions(options: unknown): Auth0CustomDatabaseConfig {
  const check = new OptionChecks('auth0CustomDatabase');
  const given = group(check, 'options', options, AUTH0_KEYS);
  return {
    login: check.requiredFunction(
      'login',
      given.login,
      'pass a function `(email, password) => profile | false | null` (may be async).',
    ),
    getUser: check.requiredFunction(
      'getUser',
      given.getUser,
      'pass a function `(email) => profile | null` (may be async).',
    ),
    ...guard(check, given, 'authorization'),
  };
}
