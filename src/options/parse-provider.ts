/**
 * `provider` options -> `ProviderConfig` (config.ts): each provider checked once, at construction, with the
 * shared checks of checks.ts. Presets (`auth0()`, `ory()`, ...) produce the same `ProviderOptions`.
 */

import { isProviderAlgorithm, PROVIDER_ALGORITHMS } from '../provider/algorithms.js';
import { authgearResolver } from '../provider/opaque/authgear-resolver.js';
import type { OpaqueLookup } from '../provider/opaque/checker.js';
import { introspection } from '../provider/opaque/introspection.js';
import { oryWhoami } from '../provider/opaque/ory-whoami.js';
import type { ProviderAlgorithm, ProviderOptions, ProviderSessionOptions } from '../types.js';
import { parseKeysUrl } from '../util/keys-url.js';
import type { OptionChecks, OptionRecord } from './checks.js';
import type { ProviderConfig, ProviderSessionConfig } from './config.js';

const PROVIDER_KEYS: Record<keyof ProviderOptions, true> = {
  issuer: true,
  plainIssuer: true,
  audience: true,
  jwt: true,
  session: true,
  linkClaim: true,
  link: true,
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
const TUNING_KEYS = {
  timeoutMs: true,
  cacheTtlMs: true,
  cacheMax: true,
  negativeTtlMs: true,
  negativeMax: true,
  failureThreshold: true,
  coolDownMs: true,
} as const;
const SESSION_KEYS: Record<ProviderSessionOptions['check'], Record<string, true>> = {
  'ory-whoami': { check: true, url: true, ...TUNING_KEYS },
  'authgear-resolver': { check: true, endpoint: true, cookieName: true, ...TUNING_KEYS },
  introspection: {
    check: true,
    endpoint: true,
    clientId: true,
    clientSecret: true,
    audience: true,
    ...TUNING_KEYS,
  },
};

/** Issuer forms of known providers, for a construction warning when a plain `oidc`/`provider` issuer differs. */
const KNOWN_FORMS: Array<{ test: RegExp; advice: (issuer: string) => string | undefined }> = [
  {
    test: /^https:\/\/[^/]+\.auth0\.com\/?$/,
    advice: (issuer) =>
      issuer.endsWith('/') ? undefined : `Auth0 issuers end with '/': use auth0({ domain }) or '${issuer}/'.`,
  },
  {
    test: /^https?:\/\/(?:www\.)?stytch\.com\/project-/,
    advice: (issuer) =>
      `Stytch's issuer is '${issuer.replace(/^https?:\/\/(?:www\.)?/, '')}' (not a URL): use stytch({ projectId }).`,
  },
  {
    test: /^https:\/\/[^/]+\.projects\.oryapis\.com\/.+/,
    advice: () => "Ory's issuer is the project URL without a path: use ory({ url }).",
  },
];

/** The warning to log for an issuer that looks like a known provider's but differs from its form, if any. */
export function issuerFormWarning(issuer: string): string | undefined {
  for (const form of KNOWN_FORMS) {
    if (form.test.test(issuer)) {
      const advice = form.advice(issuer);
      if (advice) return `provider issuer ${JSON.stringify(issuer)}: ${advice}`;
    }
  }
  return undefined;
}

/** URLs we fetch from must be https, except on the loopback interface (development, tests). */
function secureUrl(check: OptionChecks, name: string, value: unknown, example: string): string {
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

function issuerTwins(issuer: string): string[] {
  return issuer.endsWith('/') ? [issuer, issuer.slice(0, -1)] : [issuer, `${issuer}/`];
}

function parseAlgorithms(check: OptionChecks, name: string, value: unknown): ProviderAlgorithm[] {
  if (value === undefined) return ['RS256'];
  if (!Array.isArray(value) || value.length === 0) {
    check.fail(`\`${name}\` must be a non-empty array such as ['RS256'].`);
  }
  for (const alg of value) {
    if (!isProviderAlgorithm(alg)) {
      check.fail(
        `\`${name}\` contains ${JSON.stringify(alg)}: only asymmetric algorithms published in a JWKS are allowed (${PROVIDER_ALGORITHMS.join(', ')}); never 'none' or HMAC.`,
      );
    }
  }
  return value as ProviderAlgorithm[];
}

/** `linkClaim` as a list of keys: a dot path is split, an array is taken as it is. */
function parseLinkClaim(check: OptionChecks, name: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  // A namespaced claim name (Auth0: 'https://example.com/legacy_id') holds dots: split, it would link no one.
  if (typeof value === 'string' && value.includes('://')) {
    check.fail(
      `\`${name}\` ${JSON.stringify(value)} is read as a dot path; a claim name that holds dots goes in an array: ['${value}'], or ['https://example.com/claims', 'legacy_id'] for a key inside it.`,
    );
  }
  const keys = typeof value === 'string' ? value.split('.') : value;
  const ok =
    Array.isArray(keys) &&
    keys.length > 0 &&
    keys.every((k): k is string => typeof k === 'string' && k.length > 0);
  if (!ok) {
    check.fail(
      `\`${name}\` must be a dot path such as 'metadata_public.legacy_user_id', or an array of keys such as ['https://example.com/claims', 'legacy_id'].`,
    );
  }
  return Object.freeze([...keys]);
}

function parseSession(
  check: OptionChecks,
  at: string,
  option: unknown,
  bearer: boolean,
): ProviderSessionConfig | undefined {
  if (option === undefined) return undefined;
  const value = check.record(
    option,
    `\`${at}session\` must be an object such as { check: 'ory-whoami', url }: or use a preset (ory(), authgear(), introspection()).`,
  );
  const kind = check.oneOf(
    `${at}session.check`,
    value.check,
    ['ory-whoami', 'authgear-resolver', 'introspection'] as const,
    'ory-whoami',
  );
  if (value.check === undefined) check.fail(`\`${at}session.check\` is required.`);
  check.knownKeys(value, SESSION_KEYS[kind], `${at}session.`);
  const ms = (name: keyof typeof TUNING_KEYS, min: number, fallback: number, hint: string) =>
    check.integer(`${at}session.${name}`, value[name], min, fallback, hint);
  const settings = {
    timeoutMs: ms('timeoutMs', 1, 3000, 'the milliseconds to wait for the provider, e.g. 3000'),
    cacheTtlMs: ms('cacheTtlMs', 0, 30_000, 'the milliseconds a valid answer is reused, e.g. 30000'),
    cacheMax: ms('cacheMax', 1, 10_000, 'the most valid answers kept, e.g. 10000'),
    negativeTtlMs: ms(
      'negativeTtlMs',
      0,
      5000,
      'the milliseconds a refused credential is remembered, e.g. 5000',
    ),
    negativeMax: ms('negativeMax', 1, 10_000, 'the most refused credentials remembered, e.g. 10000'),
    failureThreshold: ms('failureThreshold', 1, 5, 'the consecutive failures that open the breaker, e.g. 5'),
    coolDownMs: ms('coolDownMs', 0, 30_000, 'the milliseconds the breaker stays open, e.g. 30000'),
  };
  const common = { settings, bearer };
  const sessionEndpoint = (example: string) =>
    secureUrl(check, `${at}session.endpoint`, value.endpoint, example);
  switch (kind) {
    case 'ory-whoami': {
      const url = secureUrl(check, `${at}session.url`, value.url, 'https://{slug}.projects.oryapis.com');
      return withLookup(kind, oryWhoami(url), common, {
        header: 'x-session-token',
        cookieNames: ['ory_kratos_session'],
        cookiePrefixes: ['ory_session_'],
      });
    }
    case 'authgear-resolver': {
      const endpoint = sessionEndpoint('https://myapp.authgear.cloud');
      const cookieName = check.string(
        `${at}session.cookieName`,
        value.cookieName,
        'session',
        "e.g. 'session'",
      );
      return withLookup(kind, authgearResolver(endpoint), common, {
        header: undefined,
        cookieNames: [cookieName],
        cookiePrefixes: [],
      });
    }
    case 'introspection': {
      const endpoint = sessionEndpoint('https://idp.example.com/oauth2/introspect');
      const clientId = check.string(
        `${at}session.clientId`,
        value.clientId,
        undefined,
        'the client id of this API',
      );
      const clientSecret = check.string(
        `${at}session.clientSecret`,
        value.clientSecret,
        undefined,
        'the client secret of this API',
      );
      if (clientId === undefined || clientSecret === undefined) {
        check.fail(`\`${at}session.clientId\` and \`clientSecret\` are required for introspection.`);
      }
      if (!bearer) check.fail(`\`${at}bearer\` must be true: introspected tokens arrive as Bearer tokens.`);
      const audience =
        value.audience === undefined
          ? undefined
          : check.strings(`${at}session.audience`, value.audience, 'the audience(s) the answer must name.');
      return withLookup(kind, introspection({ endpoint, clientId, clientSecret, audience }), common, {
        header: undefined,
        cookieNames: [],
        cookiePrefixes: [],
      });
    }
  }
}

function withLookup(
  check: ProviderSessionConfig['check'],
  lookup: OpaqueLookup,
  common: Pick<ProviderSessionConfig, 'settings' | 'bearer'>,
  reads: Pick<ProviderSessionConfig, 'header' | 'cookieNames' | 'cookiePrefixes'>,
): ProviderSessionConfig {
  return { check, lookup, ...common, ...reads };
}

/** How a provider identity becomes a user id: `userId`, `linkClaim`, and `link` (at first sign-in). */
function parseLinking(
  check: OptionChecks,
  at: string,
  value: OptionRecord,
): Pick<ProviderConfig, 'userId' | 'linkClaim' | 'link'> {
  const userId = check.optionalFunction<ProviderOptions['userId']>(
    `${at}userId`,
    value.userId,
    '(claims) => userId',
  );
  const linkClaim = parseLinkClaim(check, `${at}linkClaim`, value.linkClaim);
  const link = check.optionalFunction<ProviderOptions['link']>(
    `${at}link`,
    value.link,
    '(identity, legacy) => boolean | Promise<boolean>',
  );
  if (link && !userId && !linkClaim) {
    check.fail(
      `\`${at}link\` needs \`linkClaim\` or \`userId\`: something must be able to say "not linked yet" (null) and, later, find the link you stored.`,
    );
  }
  return { userId, linkClaim, link };
}

/** The verification and cache tuning of one provider, in the order the options are checked. */
function parseTuning(
  check: OptionChecks,
  at: string,
  value: OptionRecord,
  cache: OptionRecord,
  requiredClaims: string[],
): Pick<
  ProviderConfig,
  | 'clockToleranceSeconds'
  | 'maxTokenAgeSeconds'
  | 'strictAccessToken'
  | 'requiredClaims'
  | 'jwksTimeoutMs'
  | 'jwksCooldownMs'
  | 'jwksCacheMaxAgeMs'
  | 'userIdCache'
> {
  return {
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

function parseProvider(check: OptionChecks, option: unknown, index: number, many: boolean): ProviderConfig {
  const at = many ? `provider[${index}].` : 'provider.';
  const value: OptionRecord = check.record(
    option,
    `\`${at.slice(0, -1)}\` must be an object with at least \`issuer\` and \`audience\`, or a preset such as auth0({ domain, audience }).`,
  );
  check.knownKeys(value, PROVIDER_KEYS, at);
  const plainIssuer = check.boolean(`${at}plainIssuer`, value.plainIssuer, false);
  const issuer = plainIssuer
    ? check.string(
        `${at}issuer`,
        value.issuer,
        undefined,
        "your provider's issuer, e.g. 'stytch.com/project-live-...'",
      )
    : secureUrl(check, `${at}issuer`, value.issuer, 'https://tenant.auth0.com/');
  if (issuer === undefined) check.fail(`\`${at}issuer\` is required.`);
  const jwt = check.boolean(`${at}jwt`, value.jwt, true);
  const bearer = check.boolean(`${at}bearer`, value.bearer, true);
  const session = parseSession(check, at, value.session, bearer);
  if (!jwt && !session) {
    check.fail(`\`${at.slice(0, -1)}\` accepts no credential: \`jwt: false\` needs a \`session\` check.`);
  }
  const audience =
    !jwt || value.audience === null
      ? undefined
      : check.strings(
          `${at}audience`,
          value.audience,
          'pass the API identifier your provider puts in `aud`, e.g. https://api.example.com (or null when its tokens carry none).',
        );
  if (plainIssuer && jwt && value.jwksUri === undefined) {
    check.fail(
      `\`${at}jwksUri\` is required with \`plainIssuer\`: a plain issuer has no discovery document.`,
    );
  }
  const cookieName = check.string(
    `${at}cookieName`,
    value.cookieName,
    undefined,
    "a cookie name such as 'stytch_session_jwt'",
  );
  if (jwt && !bearer && cookieName === undefined && !session) {
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
  const { userId, linkClaim, link } = parseLinking(check, at, value);
  return {
    name: check.string(`${at}name`, value.name, issuer, 'a short name for stats, e.g. auth0'),
    issuer,
    issuers: plainIssuer ? [issuer] : issuerTwins(issuer),
    audience:
      audience === undefined ? undefined : typeof value.audience === 'string' ? value.audience : audience,
    jwt,
    session,
    linkClaim,
    link,
    jwksUri:
      value.jwksUri === undefined
        ? undefined
        : secureUrl(check, `${at}jwksUri`, value.jwksUri, 'https://tenant.auth0.com/.well-known/jwks.json'),
    algorithms: parseAlgorithms(check, `${at}algorithms`, value.algorithms),
    bearer,
    cookieName,
    userId,
    ...parseTuning(check, at, value, cache, requiredClaims),
  };
}

/** Validates `provider` (one or several) once, at construction. */
export function parseProviders(value: unknown, check: OptionChecks): ProviderConfig[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0)
    check.fail('`provider` is an empty array: pass at least one provider, or leave it out.');
  const providers = list.map((p, i) => parseProvider(check, p, i, Array.isArray(value)));
  if (providers.length > 1) {
    const unlinked = providers.findIndex((p) => p.userId === undefined && p.linkClaim === undefined);
    if (unlinked !== -1) {
      check.fail(
        `\`provider[${unlinked}].userId\` (or \`linkClaim\`) is required when several providers are configured: only (iss, sub) identifies a user (OIDC Core 5.7), so the same \`sub\` from two issuers must not become the same user. Map each identity to your user id, e.g. (claims) => db.userIdFor(claims.iss, claims.sub).`,
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
  if (providers.filter((p) => p.session?.bearer && p.bearer).length > 1) {
    check.fail(
      'two providers check opaque Bearer tokens (ory, authgear or introspection with `bearer: true`): a non-JWT Bearer token could belong to either; set `bearer: false` on all but one.',
    );
  }
  return providers;
}
