/**
 * `sessionBridge()` options -> `BridgeConfig` (config.ts): every option checked once, at construction, through
 * the shared checks of checks.ts, and every default filled.
 */

import type { CutoverSettings } from '../cutover/state.js';
import { parseDrain, refuseDrainWithResolver } from '../legacy-drain/options.js';
import type { TokenCacheSettings } from '../provider/token-cache.js';
import type { StatsStore } from '../stats/contract.js';
import type {
  BridgeMode,
  BridgeOptions,
  ConfigureOptions,
  LegacyBreakerOptions,
  LegacyResolverOptions,
  LegacyScopes,
  LegacyStoreOptions,
} from '../types.js';
import { CircuitBreaker } from '../util/circuit-breaker.js';
import { isRecord, OptionChecks, type OptionRecord } from './checks.js';
import type { BridgeConfig, LegacyConfig } from './config.js';
import { refuseSharedCookieNames } from './cookie-names.js';
import { parseCutover } from './cutover.js';
import { parseFleet } from './fleet.js';
import { issuerFormWarning, parseProviders } from './parse-provider.js';
import { parseRecorderOptions } from './recorder.js';
import { parseUpgradeOptions } from './upgrade.js';

// Records keep the lists of known option names complete at compile time.
const BRIDGE_KEYS: Record<keyof BridgeOptions, true> = {
  legacy: true,
  provider: true,
  mode: true,
  cutover: true,
  nudge: true,
  upgrade: true,
  onConflict: true,
  realm: true,
  onEvent: true,
  stats: true,
  fleet: true,
  recorder: true,
  tokenCache: true,
  errors: true,
  now: true,
  debug: true,
};
const LEGACY_STORE_KEYS: Record<keyof LegacyStoreOptions, true> = {
  store: true,
  secret: true,
  cookieName: true,
  userId: true,
  timeoutMs: true,
  scopes: true,
  breaker: true,
  drain: true,
};
const LEGACY_RESOLVE_KEYS: Record<keyof LegacyResolverOptions, true> = {
  resolve: true,
  timeoutMs: true,
  scopes: true,
  breaker: true,
};
const LEGACY_BREAKER_KEYS: Record<keyof LegacyBreakerOptions, true> = {
  failureThreshold: true,
  coolDownMs: true,
};
const CONFIGURE_KEYS: Record<keyof ConfigureOptions, true> = { mode: true, cutover: true, by: true };
const MODES: readonly BridgeMode[] = ['observe', 'bridge', 'provider-only'];
const CONFLICT_POLICIES: readonly BridgeConfig['onConflict'][] = [
  'reject',
  'prefer-provider',
  'prefer-legacy',
];

const check: OptionChecks = new OptionChecks('sessionBridge');

type StoreConfig = Extract<LegacyConfig, { type: 'store' }>;

/** `session.passport.user` (passport), else `session.userId`. */
const defaultLegacyUserId: StoreConfig['userId'] = (session) => {
  const passport = session.passport;
  if (isRecord(passport) && passport.user !== undefined && passport.user !== null) return passport.user;
  return session.userId;
};

function legacyTimeout(value: OptionRecord): number {
  return check.integer(
    'legacy.timeoutMs',
    value.timeoutMs,
    1,
    2000,
    'the milliseconds to wait for the legacy login before answering 503, e.g. 2000',
  );
}

function legacyScopes(value: OptionRecord): LegacyScopes | undefined {
  return check.optionalFunction<LegacyScopes>('legacy.scopes', value.scopes, '(session) => string[]');
}

/** `legacy.breaker`: one `CircuitBreaker` per bridge, on the bridge's clock; `false` means none. */
function legacyBreaker(value: OptionRecord, now: () => number): CircuitBreaker | undefined {
  if (value.breaker === false) return undefined;
  const breaker = check.optionalRecord(
    value.breaker,
    '`legacy.breaker` must be false (no circuit breaker) or an object `{ failureThreshold, coolDownMs }`.',
  );
  check.knownKeys(breaker, LEGACY_BREAKER_KEYS, 'legacy.breaker.');
  const whole = (name: keyof LegacyBreakerOptions, fallback: number, hint: string) =>
    check.integer(`legacy.breaker.${name}`, breaker[name], 1, fallback, hint);
  return new CircuitBreaker({
    failureThreshold: whole(
      'failureThreshold',
      5,
      'the consecutive failures or timeouts of the legacy store that open the circuit, e.g. 5',
    ),
    coolDownMs: whole(
      'coolDownMs',
      10_000,
      'the milliseconds to answer 503 at once before probing the legacy store again, e.g. 10000',
    ),
    now,
  });
}

function parseLegacy(option: unknown, now: () => number): LegacyConfig | undefined {
  if (option === undefined) return undefined;
  const value = check.record(option, '`legacy` must be an object: `{ store, secret }` or `{ resolve }`.');
  if ('resolve' in value) {
    if ('drain' in value) refuseDrainWithResolver(check);
    check.knownKeys(value, LEGACY_RESOLVE_KEYS, 'legacy.');
    const resolve = check.requiredFunction<LegacyResolverOptions['resolve']>(
      'legacy.resolve',
      value.resolve,
      'pass a function `(req) => ({ userId }) | null`.',
    );
    return {
      type: 'resolve',
      resolve,
      timeoutMs: legacyTimeout(value),
      scopes: legacyScopes(value),
      breaker: legacyBreaker(value, now),
    };
  }
  check.knownKeys(value, LEGACY_STORE_KEYS, 'legacy.');
  const scopes = legacyScopes(value);
  const store = value.store;
  if (!isRecord(store) || typeof store.get !== 'function') {
    check.fail(
      '`legacy.store` is required: pass the express-session store your login uses (MemoryStore, connect-redis, ...), or use `legacy: { resolve }`.',
    );
  }
  const secrets = check.strings(
    'legacy.secret',
    value.secret,
    'pass the same `secret` as your express-session setup (a string, or an array for rotation).',
  );
  const cookieName = check.string(
    'legacy.cookieName',
    value.cookieName,
    'connect.sid',
    "the name of your express-session cookie, e.g. 'connect.sid'",
  );
  const userId = check.optionalFunction<LegacyStoreOptions['userId']>(
    'legacy.userId',
    value.userId,
    '(session) => userId',
  );
  return {
    type: 'store',
    store: store as unknown as StoreConfig['store'],
    secrets,
    cookieName,
    userId: userId ?? defaultLegacyUserId,
    timeoutMs: legacyTimeout(value),
    scopes,
    breaker: legacyBreaker(value, now),
    drain: parseDrain(check, value.drain),
  };
}

function parseStats(value: unknown): StatsStore | false | undefined {
  if (value === undefined || value === false) return value;
  if (!isRecord(value) || typeof value.record !== 'function' || typeof value.query !== 'function') {
    check.fail(
      '`stats` must be a stats store such as `memoryStats()` or `redisStats({ sendCommand })`, or `false`.',
    );
  }
  return value as unknown as StatsStore;
}

const TOKEN_CACHE_KEYS: Record<keyof Exclude<BridgeOptions['tokenCache'], false | undefined>, true> = {
  max: true,
  maxBytes: true,
  negativeTtlMs: true,
};

function parseTokenCache(option: unknown): TokenCacheSettings | undefined {
  if (option === false) return undefined;
  const value = check.optionalRecord(
    option,
    '`tokenCache` must be an object `{ max, maxBytes, negativeTtlMs }` or false.',
  );
  check.knownKeys(value, TOKEN_CACHE_KEYS, 'tokenCache.');
  return {
    max: check.integer('tokenCache.max', value.max, 1, 10_000, 'the most verified tokens kept, e.g. 10000'),
    maxBytes: check.integer(
      'tokenCache.maxBytes',
      value.maxBytes,
      1024,
      32 * 1024 * 1024,
      'the most bytes of tokens kept, e.g. 33554432',
    ),
    negativeTtlMs: check.integer(
      'tokenCache.negativeTtlMs',
      value.negativeTtlMs,
      0,
      5000,
      'the milliseconds a refused token is refused without a check, e.g. 5000',
    ),
  };
}

/** Validates `sessionBridge()` options once, at construction, and fills every default. */
export function parseOptions(options: unknown): BridgeConfig {
  const value = check.record(
    options,
    'options are required: `sessionBridge({ legacy: {...}, provider: {...} })`.',
  );
  check.knownKeys(value, BRIDGE_KEYS);
  const now = check.optionalFunction<() => number>('now', value.now, '() => milliseconds') ?? Date.now;
  const legacy = parseLegacy(value.legacy, now);
  const providers = parseProviders(value.provider, check);
  refuseSharedCookieNames(check, legacy, providers);
  if (!legacy && providers.length === 0) {
    check.fail(
      'pass `legacy` (your express-session store and secret), `provider` (your new issuer), or both.',
    );
  }
  const stats = parseStats(value.stats);
  // Parsed even with `stats: false` (no recorder is built then): a typo never goes unnoticed.
  const recorder = parseRecorderOptions(value.recorder);
  const realm = value.realm === undefined ? 'api' : value.realm;
  if (typeof realm !== 'string' || /["\\\r\n]/.test(realm)) {
    check.fail('`realm` must be a string without quotes, backslashes or line breaks.');
  }
  return {
    legacy,
    providers,
    acceptsBearer: providers.some((p) => p.bearer),
    tokenCache: parseTokenCache(value.tokenCache),
    initial: {
      mode: check.oneOf('mode', value.mode, MODES, 'bridge'),
      cutover: parseCutover(value.cutover, check, legacy),
    },
    nudge: check.boolean('nudge', value.nudge, false),
    upgrade: parseUpgradeOptions(check, value.upgrade, legacy, providers),
    onConflict: check.oneOf('onConflict', value.onConflict, CONFLICT_POLICIES, 'reject'),
    realm,
    onEvent: check.optionalFunction<BridgeOptions['onEvent']>('onEvent', value.onEvent, '(event) => void'),
    stats,
    fleet: parseFleet(check, value.fleet),
    recorder,
    errors: check.oneOf('errors', value.errors, ['respond', 'next'] as const, 'respond'),
    now,
    debug:
      check.optionalFunction<(message: string) => void>('debug', value.debug, '(message) => void') ??
      (() => {}),
    warnings: providers.flatMap((p) => issuerFormWarning(p.issuer) ?? []),
  };
}

/** A checked `bridge.configure()` call. */
export interface ConfigureRequest {
  /** The settings it asks for; what it leaves out stays as in `current`. */
  settings: CutoverSettings;
  /** The fields it names (a shared cutover merges only these onto the fleet state). */
  mode: BridgeMode | undefined;
  percent: number | undefined;
  /** True when it passes `cutover.key`. */
  key: boolean;
  /** `by`: who makes the change. */
  by: string | undefined;
}

/**
 * Validates `bridge.configure(options)` with the same checks as construction (`mode`, `cutover`, plus `by`).
 * Throws a `TypeError` before anything changes.
 */
export function parseConfigure(
  options: unknown,
  current: CutoverSettings,
  legacy: LegacyConfig | undefined,
): ConfigureRequest {
  const check = new OptionChecks('bridge.configure');
  const value = check.record(
    options,
    'pass an object such as { mode: "provider-only" } or { cutover: { percent: 25 } }.',
  );
  check.knownKeys(value, CONFIGURE_KEYS);
  const by = check.string('by', value.by, undefined, 'who makes the change, e.g. "alice (ticket 123)"');
  if (by !== undefined && by.length > 200) {
    check.invalid('by', by, 'a string of at most 200 characters', 'a short name or ticket, e.g. "alice"');
  }
  const settings: CutoverSettings = {
    mode: check.oneOf('mode', value.mode, MODES, current.mode),
    cutover:
      value.cutover === undefined
        ? current.cutover
        : parseCutover(value.cutover, check, legacy, current.cutover),
  };
  const ramp = isRecord(value.cutover) ? value.cutover : undefined;
  return {
    settings,
    mode: value.mode === undefined ? undefined : settings.mode,
    percent: ramp === undefined ? undefined : settings.cutover.percent,
    key: ramp?.key !== undefined,
    by,
  };
}
