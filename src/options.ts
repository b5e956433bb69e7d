/**
 * `sessionBridge()` options -> `BridgeConfig` (config.ts): every option checked once, at construction, through
 * the shared checks of validate.ts, and every default filled.
 */
import type { BridgeConfig, LegacyConfig, ProviderConfig } from './config.js';
import { parseDrain, refuseDrainWithResolver } from './legacy-store/options.js';
import type { RecorderOptions, StatsStore } from './stats/contract.js';
import { parseRecorderOptions } from './stats/recorder.js';
import type {
  BridgeMode,
  BridgeOptions,
  ConflictPolicy,
  LegacyResolverOptions,
  LegacySessionData,
  LegacySessionStore,
  LegacyStoreOptions,
  ProviderAlgorithm,
  ProviderOptions,
} from './types.js';
import { parseKeysUrl } from './util/keys-url.js';
import { isRecord, OptionChecks, type OptionRecord } from './validate.js';

// provider-keys.ts, verify-token.ts and sources/provider-credential.ts still import the config types from here.
export type { BridgeConfig, LegacyConfig, ProviderConfig } from './config.js';

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
  drain: true,
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
const USER_ID_CACHE_KEYS: Record<keyof NonNullable<ProviderOptions['userIdCache']>, true> = {
  max: true,
  ttlMs: true,
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

const check: OptionChecks = new OptionChecks('sessionBridge');

/** URLs we fetch keys from must be https, except on the loopback interface (development, tests). */
function secureUrl(name: string, value: unknown, example: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    check.fail(`\`${name}\` is required: pass your provider's URL, e.g. ${example}.`);
  }
  if (!parseKeysUrl(value)) {
    check.fail(
      `\`${name}\` must be an absolute https URL (plain http is only allowed on localhost), e.g. ${example} (got ${JSON.stringify(value)}).`,
    );
  }
  return value;
}

function defaultLegacyUserId(session: LegacySessionData): unknown {
  const passport = session.passport;
  if (isRecord(passport) && passport.user !== undefined && passport.user !== null) return passport.user;
  return session.userId;
}

function legacyTimeout(value: OptionRecord): number {
  return check.integer(
    'legacy.timeoutMs',
    value.timeoutMs,
    1,
    2000,
    'the milliseconds to wait for the legacy login before answering 503, e.g. 2000',
  );
}

function parseLegacy(option: unknown): LegacyConfig | undefined {
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
    return { type: 'resolve', resolve, timeoutMs: legacyTimeout(value) };
  }
  check.knownKeys(value, LEGACY_STORE_KEYS, 'legacy.');
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
    store: store as unknown as LegacySessionStore,
    secrets,
    cookieName,
    userId: userId ?? defaultLegacyUserId,
    timeoutMs: legacyTimeout(value),
    drain: parseDrain(check, value.drain),
  };
}

function issuerTwins(issuer: string): string[] {
  return issuer.endsWith('/') ? [issuer, issuer.slice(0, -1)] : [issuer, `${issuer}/`];
}

function parseAlgorithms(name: string, value: unknown): ProviderAlgorithm[] {
  if (value === undefined) return ['RS256'];
  if (!Array.isArray(value) || value.length === 0) {
    check.fail(`\`${name}\` must be a non-empty array such as ['RS256'].`);
  }
  for (const alg of value) {
    if (typeof alg !== 'string' || !Object.hasOwn(ALGORITHMS, alg)) {
      check.fail(
        `\`${name}\` contains ${JSON.stringify(alg)}: only asymmetric algorithms published in a JWKS are allowed (${Object.keys(ALGORITHMS).join(', ')}); never 'none' or HMAC.`,
      );
    }
  }
  return value as ProviderAlgorithm[];
}

function parseProvider(option: unknown, index: number, many: boolean): ProviderConfig {
  const at = many ? `provider[${index}].` : 'provider.';
  const value = check.record(
    option,
    `\`${at.slice(0, -1)}\` must be an object with at least \`issuer\` and \`audience\`.`,
  );
  check.knownKeys(value, PROVIDER_KEYS, at);
  const issuer = secureUrl(`${at}issuer`, value.issuer, 'https://tenant.auth0.com/');
  const audiences = check.strings(
    `${at}audience`,
    value.audience,
    'pass the API identifier your provider puts in `aud`, e.g. https://api.example.com.',
  );
  const algorithms = parseAlgorithms(`${at}algorithms`, value.algorithms);
  const bearer = check.boolean(`${at}bearer`, value.bearer, true);
  const cookieName = check.string(
    `${at}cookieName`,
    value.cookieName,
    undefined,
    "a cookie name such as 'stytch_session_jwt'",
  );
  if (!bearer && cookieName === undefined) {
    check.fail(`\`${at.slice(0, -1)}\` accepts no credential: set \`bearer: true\` or a \`cookieName\`.`);
  }
  const requiredClaims = value.requiredClaims ?? [];
  if (!Array.isArray(requiredClaims) || !requiredClaims.every((c) => typeof c === 'string')) {
    check.fail(`\`${at}requiredClaims\` must be an array of claim names.`);
  }
  const cache = check.optionalRecord(
    value.userIdCache,
    `\`${at}userIdCache\` must be an object \`{ max, ttlMs }\`.`,
  );
  check.knownKeys(cache, USER_ID_CACHE_KEYS, `${at}userIdCache.`);
  return {
    name: check.string(`${at}name`, value.name, issuer, 'a short name for stats, e.g. auth0'),
    issuer,
    issuers: issuerTwins(issuer),
    audience: typeof value.audience === 'string' ? value.audience : audiences,
    jwksUri:
      value.jwksUri === undefined
        ? undefined
        : secureUrl(`${at}jwksUri`, value.jwksUri, 'https://tenant.auth0.com/.well-known/jwks.json'),
    algorithms,
    bearer,
    cookieName,
    userId: check.optionalFunction<ProviderOptions['userId']>(
      `${at}userId`,
      value.userId,
      '(claims) => userId',
    ),
    clockToleranceSeconds: check.number(
      `${at}clockToleranceSeconds`,
      value.clockToleranceSeconds,
      0,
      Number.POSITIVE_INFINITY,
      5,
      'the seconds of clock skew to tolerate, e.g. 5',
    ),
    maxTokenAgeSeconds:
      value.maxTokenAgeSeconds === undefined
        ? undefined
        : check.number(
            `${at}maxTokenAgeSeconds`,
            value.maxTokenAgeSeconds,
            1,
            Number.POSITIVE_INFINITY,
            0,
            'the most seconds since a token was issued (its iat), e.g. 3600',
          ),
    strictAccessToken: check.boolean(`${at}strictAccessToken`, value.strictAccessToken, false),
    requiredClaims,
    jwksTimeoutMs: check.integer(
      `${at}jwksTimeoutMs`,
      value.jwksTimeoutMs,
      1,
      5000,
      'the milliseconds before a JWKS or discovery request is abandoned, e.g. 5000',
    ),
    jwksCooldownMs: check.integer(
      `${at}jwksCooldownMs`,
      value.jwksCooldownMs,
      0,
      30_000,
      'the minimum milliseconds between two refetches for an unknown kid, e.g. 30000',
    ),
    jwksCacheMaxAgeMs: check.integer(
      `${at}jwksCacheMaxAgeMs`,
      value.jwksCacheMaxAgeMs,
      1,
      600_000,
      'the milliseconds after which cached keys are refetched, e.g. 600000',
    ),
    userIdCache: {
      max: check.integer(
        `${at}userIdCache.max`,
        cache.max,
        1,
        10_000,
        'the most cached identities, e.g. 10000',
      ),
      ttlMs: check.integer(
        `${at}userIdCache.ttlMs`,
        cache.ttlMs,
        1,
        600_000,
        'the milliseconds an identity stays cached, e.g. 600000',
      ),
    },
  };
}

function parseProviders(value: unknown): ProviderConfig[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0)
    check.fail('`provider` is an empty array: pass at least one provider, or leave it out.');
  const providers = list.map((p, i) => parseProvider(p, i, Array.isArray(value)));
  if (providers.length > 1) {
    const unlinked = providers.findIndex((p) => p.userId === undefined);
    if (unlinked !== -1) {
      check.fail(
        `\`provider[${unlinked}].userId\` is required when several providers are configured: only (iss, sub) identifies a user (OIDC Core 5.7), so the same \`sub\` from two issuers must not become the same user. Map each identity to your user id, e.g. (claims) => db.userIdFor(claims.iss, claims.sub).`,
      );
    }
  }
  const names = new Set<string>();
  const issuers = new Set<string>();
  for (const p of providers) {
    if (names.has(p.name))
      check.fail(`two providers share the name ${JSON.stringify(p.name)}: give each a distinct \`name\`.`);
    names.add(p.name);
    for (const iss of p.issuers) {
      if (issuers.has(iss)) check.fail(`two providers share the issuer ${JSON.stringify(p.issuer)}.`);
      issuers.add(iss);
    }
  }
  return providers;
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

/** Validates `sessionBridge()` options once, at construction, and fills every default. */
export function parseOptions(options: unknown): BridgeConfig {
  const value = check.record(
    options,
    'options are required: `sessionBridge({ legacy: {...}, provider: {...} })`.',
  );
  check.knownKeys(value, BRIDGE_KEYS);
  const legacy = parseLegacy(value.legacy);
  const providers = parseProviders(value.provider);
  if (!legacy && providers.length === 0) {
    check.fail(
      'pass `legacy` (your express-session store and secret), `provider` (your new issuer), or both.',
    );
  }
  const stats = parseStats(value.stats);
  const recorder = value.recorder as RecorderOptions | undefined;
  // The Recorder parses its options when it is built; with `stats: false` none is, so a typo is caught here.
  if (stats === false) parseRecorderOptions(recorder);
  const realm = value.realm === undefined ? 'api' : value.realm;
  if (typeof realm !== 'string' || /["\\\r\n]/.test(realm)) {
    check.fail('`realm` must be a string without quotes, backslashes or line breaks.');
  }
  return {
    legacy,
    providers,
    acceptsBearer: providers.some((p) => p.bearer),
    mode: check.oneOf('mode', value.mode, MODES, 'bridge'),
    onConflict: check.oneOf('onConflict', value.onConflict, CONFLICT_POLICIES, 'reject'),
    realm,
    onEvent: check.optionalFunction<BridgeOptions['onEvent']>('onEvent', value.onEvent, '(event) => void'),
    stats,
    recorder,
    errors: check.oneOf('errors', value.errors, ['respond', 'next'] as const, 'respond'),
    now: check.optionalFunction<() => number>('now', value.now, '() => milliseconds') ?? Date.now,
    debug:
      check.optionalFunction<(message: string) => void>('debug', value.debug, '(message) => void') ??
      (() => {}),
  };
}
