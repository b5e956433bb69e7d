import { parseRecorderOptions } from './stats/recorder.js';
import type { RecorderOptions, StatsStore } from './stats/store.js';
import type {
  BridgeEvent,
  BridgeMode,
  BridgeOptions,
  BridgeRequest,
  ConflictPolicy,
  LegacyIdentity,
  LegacyResolverOptions,
  LegacySessionData,
  LegacySessionStore,
  LegacyStoreOptions,
  ProviderAlgorithm,
  ProviderOptions,
} from './types.js';
import { parseKeysUrl } from './util/keys-url.js';

/** Legacy configuration with every default filled. */
export type LegacyConfig =
  | {
      type: 'store';
      store: LegacySessionStore;
      secrets: string[];
      cookieName: string;
      userId: (session: LegacySessionData) => unknown;
      timeoutMs: number;
    }
  | {
      type: 'resolve';
      resolve: (
        req: BridgeRequest,
      ) => LegacyIdentity | null | undefined | Promise<LegacyIdentity | null | undefined>;
      timeoutMs: number;
    };

/** Provider configuration with every default filled. */
export interface ProviderConfig {
  name: string;
  issuer: string;
  /** The issuer and its trailing-slash twin, both accepted as `iss`. */
  issuers: string[];
  audience: string | string[];
  jwksUri: string | undefined;
  algorithms: ProviderAlgorithm[];
  bearer: boolean;
  cookieName: string | undefined;
  userId: ProviderOptions['userId'];
  clockToleranceSeconds: number;
  maxTokenAgeSeconds: number | undefined;
  strictAccessToken: boolean;
  requiredClaims: string[];
  jwksTimeoutMs: number;
  jwksCooldownMs: number;
  jwksCacheMaxAgeMs: number;
  userIdCache: { max: number; ttlMs: number };
}

export interface BridgeConfig {
  legacy: LegacyConfig | undefined;
  providers: ProviderConfig[];
  /** Some provider accepts `Authorization: Bearer`. */
  acceptsBearer: boolean;
  mode: BridgeMode;
  onConflict: ConflictPolicy;
  realm: string;
  onEvent: ((event: BridgeEvent) => void) | undefined;
  stats: StatsStore | false | undefined;
  recorder: Required<RecorderOptions>;
  errors: 'respond' | 'next';
  now: () => number;
  debug: (message: string) => void;
}

// Records keep the lists of known option names complete at compile time.
const BRIDGE_KEYS: Record<keyof BridgeOptions, true> = {
  legacy: true,
  provider: true,
  mode: true,
  onConflict: true,
  realm: true,
  onEvent: true,
  stats: true,
  recorder: true,
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
};
const LEGACY_RESOLVE_KEYS: Record<keyof LegacyResolverOptions, true> = { resolve: true, timeoutMs: true };
const PROVIDER_KEYS: Record<keyof ProviderOptions, true> = {
  issuer: true,
  audience: true,
  name: true,
  jwksUri: true,
  algorithms: true,
  bearer: true,
  cookieName: true,
  userId: true,
  clockToleranceSeconds: true,
  maxTokenAgeSeconds: true,
  strictAccessToken: true,
  requiredClaims: true,
  jwksTimeoutMs: true,
  jwksCooldownMs: true,
  jwksCacheMaxAgeMs: true,
  userIdCache: true,
};
const ALGORITHMS: Record<ProviderAlgorithm, true> = {
  RS256: true,
  RS384: true,
  RS512: true,
  PS256: true,
  PS384: true,
  PS512: true,
  ES256: true,
  ES384: true,
  ES512: true,
  EdDSA: true,
  Ed25519: true,
};
const MODES: readonly BridgeMode[] = ['observe', 'bridge', 'provider-only'];
const CONFLICT_POLICIES: readonly ConflictPolicy[] = ['reject', 'prefer-provider', 'prefer-legacy'];

function fail(message: string): never {
  throw new TypeError(`sessionBridge: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknownKeys(where: string, value: Record<string, unknown>, known: Record<string, true>): void {
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(known, key)) {
      fail(`unknown option \`${where}${key}\`. Known options: ${Object.keys(known).join(', ')}.`);
    }
  }
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    fail(`\`${name}\` must be a positive integer (got ${String(value)}).`);
  }
  return value;
}

function nonNegativeNumber(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(`\`${name}\` must be a finite number >= 0 (got ${String(value)}).`);
  }
  return value;
}

function positiveNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    fail(`\`${name}\` must be a finite number of seconds > 0 (got ${String(value)}).`);
  }
  return value;
}

function optionalFunction<T>(name: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') fail(`\`${name}\` must be a function.`);
  return value;
}

/** URLs we fetch keys from must be https, except on the loopback interface (development, tests). */
function secureUrl(name: string, value: unknown, example: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    fail(`\`${name}\` is required: pass your provider's URL, e.g. ${example}.`);
  }
  if (!parseKeysUrl(value)) {
    fail(
      `\`${name}\` must be an absolute https URL (plain http is only allowed on localhost), e.g. ${example} (got ${JSON.stringify(value)}).`,
    );
  }
  return value;
}

/** A non-empty string, or a non-empty array of them, as a list; undefined for anything else. */
function nonEmptyStrings(value: unknown): string[] | undefined {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) return undefined;
  return list.every((s): s is string => typeof s === 'string' && s.length > 0) ? list : undefined;
}

function defaultLegacyUserId(session: LegacySessionData): unknown {
  const passport = session.passport;
  if (isObject(passport) && passport.user !== undefined && passport.user !== null) return passport.user;
  return session.userId;
}

function parseLegacy(value: unknown): LegacyConfig | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) fail('`legacy` must be an object: `{ store, secret }` or `{ resolve }`.');
  if ('resolve' in value) {
    rejectUnknownKeys('legacy.', value, LEGACY_RESOLVE_KEYS);
    if (typeof value.resolve !== 'function')
      fail('`legacy.resolve` must be a function `(req) => ({ userId }) | null`.');
    return {
      type: 'resolve',
      resolve: value.resolve as LegacyResolverOptions['resolve'],
      timeoutMs: positiveInteger('legacy.timeoutMs', value.timeoutMs, 2000),
    };
  }
  rejectUnknownKeys('legacy.', value, LEGACY_STORE_KEYS);
  const store = value.store;
  if (!isObject(store) || typeof store.get !== 'function') {
    fail(
      '`legacy.store` is required: pass the express-session store your login uses (MemoryStore, connect-redis, ...), or use `legacy: { resolve }`.',
    );
  }
  const secrets = nonEmptyStrings(value.secret);
  if (!secrets) {
    fail(
      '`legacy.secret` is required: pass the same `secret` as your express-session setup (a string, or an array for rotation).',
    );
  }
  const cookieName = value.cookieName ?? 'connect.sid';
  if (typeof cookieName !== 'string' || cookieName.length === 0)
    fail('`legacy.cookieName` must be a non-empty string.');
  const userId = optionalFunction('legacy.userId', value.userId as LegacyStoreOptions['userId']);
  return {
    type: 'store',
    store: store as unknown as LegacySessionStore,
    secrets,
    cookieName,
    userId: userId ?? defaultLegacyUserId,
    timeoutMs: positiveInteger('legacy.timeoutMs', value.timeoutMs, 2000),
  };
}

function issuerTwins(issuer: string): string[] {
  return issuer.endsWith('/') ? [issuer, issuer.slice(0, -1)] : [issuer, `${issuer}/`];
}

function parseProvider(value: unknown, index: number, many: boolean): ProviderConfig {
  const at = many ? `provider[${index}].` : 'provider.';
  if (!isObject(value))
    fail(`\`${at.slice(0, -1)}\` must be an object with at least \`issuer\` and \`audience\`.`);
  rejectUnknownKeys(at, value, PROVIDER_KEYS);
  const issuer = secureUrl(`${at}issuer`, value.issuer, 'https://tenant.auth0.com/');
  const audience = value.audience;
  const audiences = nonEmptyStrings(audience);
  if (!audiences) {
    fail(
      `\`${at}audience\` is required: pass the API identifier your provider puts in \`aud\`, e.g. https://api.example.com.`,
    );
  }
  const algorithms = value.algorithms ?? ['RS256'];
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    fail(`\`${at}algorithms\` must be a non-empty array such as ['RS256'].`);
  }
  for (const alg of algorithms) {
    if (typeof alg !== 'string' || !Object.hasOwn(ALGORITHMS, alg)) {
      fail(
        `\`${at}algorithms\` contains ${JSON.stringify(alg)}: only asymmetric algorithms published in a JWKS are allowed (${Object.keys(ALGORITHMS).join(', ')}); never 'none' or HMAC.`,
      );
    }
  }
  const bearer = value.bearer ?? true;
  if (typeof bearer !== 'boolean') fail(`\`${at}bearer\` must be a boolean.`);
  const cookieName = value.cookieName;
  if (cookieName !== undefined && (typeof cookieName !== 'string' || cookieName.length === 0)) {
    fail(`\`${at}cookieName\` must be a non-empty string such as 'stytch_session_jwt'.`);
  }
  if (!bearer && cookieName === undefined) {
    fail(`\`${at.slice(0, -1)}\` accepts no credential: set \`bearer: true\` or a \`cookieName\`.`);
  }
  const name = value.name ?? issuer;
  if (typeof name !== 'string' || name.length === 0) fail(`\`${at}name\` must be a non-empty string.`);
  const requiredClaims = value.requiredClaims ?? [];
  if (!Array.isArray(requiredClaims) || !requiredClaims.every((c) => typeof c === 'string')) {
    fail(`\`${at}requiredClaims\` must be an array of claim names.`);
  }
  const strictAccessToken = value.strictAccessToken ?? false;
  if (typeof strictAccessToken !== 'boolean') fail(`\`${at}strictAccessToken\` must be a boolean.`);
  const cache = value.userIdCache ?? {};
  if (!isObject(cache)) fail(`\`${at}userIdCache\` must be an object \`{ max, ttlMs }\`.`);
  rejectUnknownKeys(`${at}userIdCache.`, cache, { max: true, ttlMs: true });
  return {
    name,
    issuer,
    issuers: issuerTwins(issuer),
    audience: typeof audience === 'string' ? audience : audiences,
    jwksUri:
      value.jwksUri === undefined
        ? undefined
        : secureUrl(`${at}jwksUri`, value.jwksUri, 'https://tenant.auth0.com/.well-known/jwks.json'),
    algorithms: algorithms as ProviderAlgorithm[],
    bearer,
    cookieName,
    userId: optionalFunction(`${at}userId`, value.userId as ProviderOptions['userId']),
    clockToleranceSeconds: nonNegativeNumber(`${at}clockToleranceSeconds`, value.clockToleranceSeconds, 5),
    maxTokenAgeSeconds:
      value.maxTokenAgeSeconds === undefined
        ? undefined
        : positiveNumber(`${at}maxTokenAgeSeconds`, value.maxTokenAgeSeconds),
    strictAccessToken,
    requiredClaims,
    jwksTimeoutMs: positiveInteger(`${at}jwksTimeoutMs`, value.jwksTimeoutMs, 5000),
    jwksCooldownMs: nonNegativeNumber(`${at}jwksCooldownMs`, value.jwksCooldownMs, 30_000),
    jwksCacheMaxAgeMs: positiveInteger(`${at}jwksCacheMaxAgeMs`, value.jwksCacheMaxAgeMs, 600_000),
    userIdCache: {
      max: positiveInteger(`${at}userIdCache.max`, cache.max, 10_000),
      ttlMs: positiveInteger(`${at}userIdCache.ttlMs`, cache.ttlMs, 600_000),
    },
  };
}

function parseProviders(value: unknown): ProviderConfig[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail('`provider` is an empty array: pass at least one provider, or leave it out.');
  const providers = list.map((p, i) => parseProvider(p, i, Array.isArray(value)));
  if (providers.length > 1) {
    const unlinked = providers.findIndex((p) => p.userId === undefined);
    if (unlinked !== -1) {
      fail(
        `\`provider[${unlinked}].userId\` is required when several providers are configured: only (iss, sub) identifies a user (OIDC Core 5.7), so the same \`sub\` from two issuers must not become the same user. Map each identity to your user id, e.g. (claims) => db.userIdFor(claims.iss, claims.sub).`,
      );
    }
  }
  const names = new Set<string>();
  const issuers = new Set<string>();
  for (const p of providers) {
    if (names.has(p.name))
      fail(`two providers share the name ${JSON.stringify(p.name)}: give each a distinct \`name\`.`);
    names.add(p.name);
    for (const iss of p.issuers) {
      if (issuers.has(iss)) fail(`two providers share the issuer ${JSON.stringify(p.issuer)}.`);
      issuers.add(iss);
    }
  }
  return providers;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    fail(
      `\`${name}\` must be one of ${allowed.map((a) => `'${a}'`).join(', ')} (got ${JSON.stringify(value)}).`,
    );
  }
  return value as T;
}

function isStatsStore(value: unknown): value is StatsStore {
  return isObject(value) && typeof value.record === 'function' && typeof value.query === 'function';
}

/** Validates `sessionBridge()` options once, at construction, and fills every default. */
export function parseOptions(options: unknown): BridgeConfig {
  if (!isObject(options)) fail('options are required: `sessionBridge({ legacy: {...}, provider: {...} })`.');
  rejectUnknownKeys('', options, BRIDGE_KEYS);
  const legacy = parseLegacy(options.legacy);
  const providers = parseProviders(options.provider);
  if (!legacy && providers.length === 0) {
    fail('pass `legacy` (your express-session store and secret), `provider` (your new issuer), or both.');
  }
  const stats = options.stats;
  if (stats !== undefined && stats !== false && !isStatsStore(stats)) {
    fail(
      '`stats` must be a stats store such as `memoryStats()` or `redisStats({ sendCommand })`, or `false`.',
    );
  }
  // Validated here even with `stats: false`, so a typo never goes unnoticed.
  const recorder = parseRecorderOptions(options.recorder as RecorderOptions | undefined);
  const realm = options.realm ?? 'api';
  if (typeof realm !== 'string' || /["\\\r\n]/.test(realm)) {
    fail('`realm` must be a string without quotes, backslashes or line breaks.');
  }
  const now = optionalFunction('now', options.now as BridgeOptions['now']);
  const debug = optionalFunction('debug', options.debug as BridgeOptions['debug']);
  return {
    legacy,
    providers,
    acceptsBearer: providers.some((p) => p.bearer),
    mode: oneOf('mode', options.mode, MODES, 'bridge'),
    onConflict: oneOf('onConflict', options.onConflict, CONFLICT_POLICIES, 'reject'),
    realm,
    onEvent: optionalFunction('onEvent', options.onEvent as BridgeOptions['onEvent']),
    stats,
    recorder,
    errors: oneOf('errors', options.errors, ['respond', 'next'] as const, 'respond'),
    now: now ?? Date.now,
    debug: debug ?? (() => {}),
  };
}
