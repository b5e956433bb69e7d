/**
 * `upgrade` option (silent migration) -> `UpgradeConfig` (upgrade/config.ts): checked once, at construction,
 * with the shared checks; every default filled.
 */
import type { UpgradeConfig, UpgradeCookieConfig } from '../upgrade/config.js';
import { parsePreviousKeys, parseSigningKey } from '../upgrade/signing-key.js';
import type {
  LegacyUpgradeSubject,
  UpgradeCookieOptions,
  UpgradeExchange,
  UpgradeOptions,
} from '../upgrade/types.js';
import type { OptionChecks } from './checks.js';
import type { LegacyConfig, ProviderConfig } from './config.js';

const KEYS: Record<keyof UpgradeOptions, true> = {
  signingKey: true,
  previousKeys: true,
  issuer: true,
  audience: true,
  lifetimeSeconds: true,
  claims: true,
  exchange: true,
  eligible: true,
  deliver: true,
  cookie: true,
  allowedOrigins: true,
  provider: true,
  onUpgrade: true,
  timeoutMs: true,
  failureThreshold: true,
  coolDownMs: true,
};
const COOKIE_KEYS: Record<keyof UpgradeCookieOptions, true> = {
  domain: true,
  path: true,
  sameSite: true,
  secure: true,
};
/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2_147_483_647;

function isExchange(value: unknown): value is UpgradeExchange {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as UpgradeExchange).exchange === 'function' &&
    typeof (value as UpgradeExchange).kind === 'string'
  );
}

function parseOrigins(check: OptionChecks, value: unknown): Set<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value)) {
    check.invalid('upgrade.allowedOrigins', value, 'an array of origins', "e.g. ['https://app.example.com']");
  }
  return new Set(
    (value as unknown[]).map((entry, i) => {
      let url: URL | undefined;
      try {
        url = typeof entry === 'string' ? new URL(entry) : undefined;
      } catch {
        url = undefined;
      }
      if (!url || url.origin === 'null' || url.origin !== String(entry).replace(/\/$/, '')) {
        check.invalid(
          `upgrade.allowedOrigins[${i}]`,
          entry,
          'an origin (scheme, host and port only)',
          "e.g. 'https://app.example.com'",
        );
      }
      return (url as URL).origin;
    }),
  );
}

function parseCookie(check: OptionChecks, value: unknown): UpgradeCookieConfig {
  const given = check.optionalRecord(
    value,
    '`upgrade.cookie` must be an object `{ domain?, path?, sameSite?, secure? }`.',
  );
  check.knownKeys(given, COOKIE_KEYS, 'upgrade.cookie.');
  const sameSite = check.oneOf(
    'upgrade.cookie.sameSite',
    given.sameSite,
    ['lax', 'strict', 'none'] as const,
    'lax',
  );
  const secure = check.boolean('upgrade.cookie.secure', given.secure, true);
  if (sameSite === 'none' && !secure) {
    check.fail(
      "`upgrade.cookie.sameSite: 'none'` needs `secure: true`: browsers drop such cookies otherwise.",
    );
  }
  return {
    domain: check.string(
      'upgrade.cookie.domain',
      given.domain,
      undefined,
      "your cookie domain, e.g. 'example.com'",
    ),
    path: check.string('upgrade.cookie.path', given.path, '/', "a cookie path, e.g. '/'"),
    sameSite,
    secure,
  };
}

/** Validates `upgrade` once, at construction. `undefined` when the option is not set. */
export function parseUpgradeOptions(
  check: OptionChecks,
  value: unknown,
  legacy: LegacyConfig | undefined,
  providers: readonly ProviderConfig[],
): UpgradeConfig | undefined {
  if (value === undefined) return undefined;
  const given = check.record(
    value,
    '`upgrade` must be an object `{ signingKey, issuer, audience, exchange }` (see docs/silent-migration.md).',
  );
  check.knownKeys(given, KEYS, 'upgrade.');
  if (!legacy || providers.length === 0) {
    check.fail(
      '`upgrade` needs both `legacy` (the sessions to upgrade) and `provider` (the provider they move to).',
    );
  }
  const signingKey = parseSigningKey(check, given.signingKey);
  const previous = parsePreviousKeys(check, given.previousKeys, signingKey.kid);
  const issuer = check.string(
    'upgrade.issuer',
    given.issuer,
    undefined,
    "the assertion's issuer, e.g. 'https://app.example.com'",
  );
  if (issuer === undefined) {
    check.missing(
      'upgrade.issuer',
      "pass the assertion's `iss`, e.g. your app's URL 'https://app.example.com'; the provider's trust profile names it.",
    );
  }
  if (!isExchange(given.exchange)) {
    const adapters =
      'one of the adapters, e.g. `stytchAttest({...})`, `auth0TokenExchange({...})`, `tokenExchange({...})`, `jwtBearerGrant({...})` or `authgearCreateSession({...})`';
    if (given.exchange === undefined) check.missing('upgrade.exchange', `pass ${adapters}.`);
    check.invalid('upgrade.exchange', given.exchange, 'an upgrade adapter', adapters);
  }
  const exchange = given.exchange as UpgradeExchange;
  const audience =
    check.string(
      'upgrade.audience',
      given.audience,
      undefined,
      "the assertion's audience, as the provider's trust profile names it",
    ) ?? exchange.audience;
  if (audience === undefined && exchange.usesAssertion) {
    check.missing(
      'upgrade.audience',
      "this adapter sends an assertion: pass its `aud`, as the provider's trust profile expects it.",
    );
  }
  let providerIndex = 0;
  if (given.provider !== undefined) {
    providerIndex = providers.findIndex((p) => p.name === given.provider);
    if (providerIndex === -1) {
      check.invalid(
        'upgrade.provider',
        given.provider,
        `the name of a configured provider: one of ${providers.map((p) => JSON.stringify(p.name)).join(', ')}`,
      );
    }
  }
  const target = providers[providerIndex] as ProviderConfig;
  const sendsCookies = exchange.kind === 'stytch-attest' || target.cookieName !== undefined;
  const deliver = check.oneOf(
    'upgrade.deliver',
    given.deliver,
    ['cookie', 'json'] as const,
    sendsCookies ? 'cookie' : 'json',
  );
  if (deliver === 'cookie' && !sendsCookies) {
    check.fail(
      "`upgrade.deliver: 'cookie'` needs a cookie to set: give the provider a `cookieName` (it then holds the access token), or use `deliver: 'json'`.",
    );
  }
  const lifetimeSeconds = check.integer(
    'upgrade.lifetimeSeconds',
    given.lifetimeSeconds,
    1,
    60,
    'the seconds from iat to exp, at most 300, e.g. 60',
  );
  check.atMost('upgrade.lifetimeSeconds', lifetimeSeconds, 'the 5 minutes providers accept', 300);
  const timeoutMs = check.integer(
    'upgrade.timeoutMs',
    given.timeoutMs,
    1,
    5000,
    'the milliseconds the provider may take, e.g. 5000',
  );
  check.atMost('upgrade.timeoutMs', timeoutMs, 'the timer limit', MAX_TIMER_MS);
  return {
    signingKey,
    publicKeys: [signingKey.publicJwk, ...previous],
    issuer: issuer as string,
    audience,
    lifetimeSeconds,
    claims: check.optionalFunction<
      (legacy: LegacyUpgradeSubject) => Record<string, unknown> | Promise<Record<string, unknown>>
    >('upgrade.claims', given.claims, '({ userId, session }) => ({ email })'),
    exchange,
    eligible: check.optionalFunction<UpgradeOptions['eligible']>(
      'upgrade.eligible',
      given.eligible,
      '({ userId, session }, req) => boolean',
    ),
    deliver,
    cookie: parseCookie(check, given.cookie),
    allowedOrigins: parseOrigins(check, given.allowedOrigins),
    providerIndex,
    onUpgrade: check.optionalFunction<UpgradeConfig['onUpgrade']>(
      'upgrade.onUpgrade',
      given.onUpgrade,
      '({ userId, provider, iss, sub }) => void',
    ),
    timeoutMs,
    failureThreshold: check.integer(
      'upgrade.failureThreshold',
      given.failureThreshold,
      1,
      5,
      'the consecutive provider failures that open the breaker, e.g. 5',
    ),
    coolDownMs: check.integer(
      'upgrade.coolDownMs',
      given.coolDownMs,
      1,
      30_000,
      'the milliseconds the breaker stays open, e.g. 30000',
    ),
  };
}
