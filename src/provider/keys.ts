import {
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  importJWK,
  type JWK,
  type JWSHeaderParameters,
} from 'jose';
import type { ProviderConfig } from '../options/config.js';
import { boundedFetch } from '../util/bounded-fetch.js';
import { parseKeysUrl } from '../util/keys-url.js';
import { isProviderAlgorithm } from './algorithms.js';

type LocalKeys = ReturnType<typeof createLocalJWKSet>;
type KeyLike = Awaited<ReturnType<LocalKeys>>;

/** The provider's keys could not be obtained: the token can be neither accepted nor rejected. */
export class KeysUnavailableError extends Error {
  override readonly name = 'KeysUnavailableError';
  /** Seconds a client should wait before retrying. */
  readonly retryAfter: number;
  constructor(message: string, retryAfter: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.retryAfter = retryAfter;
  }
}

/** How long keys from the last successful fetch keep verifying tokens while the JWKS endpoint fails. */
export const STALE_KEYS_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Backoff after a failed discovery or JWKS fetch: doubles from 1 s up to 60 s, reset by a success. */
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

/** The algorithm a key without `alg` is test-imported with: any algorithm of its type and curve will do. */
const IMPORT_ALGORITHM: Record<string, string | undefined> = {
  RSA: 'RS256',
  'EC/P-256': 'ES256',
  'EC/P-384': 'ES384',
  'EC/P-521': 'ES512',
  'OKP/Ed25519': 'Ed25519',
};
/** Members that only private or symmetric keys have (RFC 7518 section 6, ML-DSA's `priv`). */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
const MIN_RSA_BITS = 2048;
/** Skipped entries named in a debug message; a broken document may hold hundreds. */
const MAX_REPORTED_ENTRIES = 10;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Why a JWKS entry can never verify a token, or `undefined` when it can. Such entries are skipped one by one, so
 * a provider that publishes one odd key (an encryption key, a private key by mistake, a key type from the future)
 * next to its signing keys keeps working.
 */
async function unusableReason(entry: unknown): Promise<string | undefined> {
  if (!isObject(entry)) return 'not a JSON object';
  const { kty, crv, alg, use } = entry;
  if (kty === 'oct') return 'a symmetric key';
  if (kty !== 'RSA' && kty !== 'EC' && kty !== 'OKP') return `unsupported kty ${JSON.stringify(kty)}`;
  // Never verify with a published private key, even through its public part: the key is compromised.
  if (SECRET_MEMBERS.some((member) => member in entry)) return 'holds private key material';
  if (use !== undefined && use !== 'sig') return `not a signing key (use ${JSON.stringify(use)})`;
  if (alg !== undefined && !isProviderAlgorithm(alg)) {
    return `not a signature algorithm (alg ${JSON.stringify(alg)})`;
  }
  const importAlg = (alg as string | undefined) ?? IMPORT_ALGORITHM[kty === 'RSA' ? kty : `${kty}/${crv}`];
  if (importAlg === undefined) return `unsupported curve ${JSON.stringify(crv)}`;
  let key: Awaited<ReturnType<typeof importJWK>>;
  try {
    key = await importJWK(entry as JWK, importAlg);
  } catch {
    return `cannot be imported for ${importAlg}`;
  }
  const bits = (key as { algorithm?: { modulusLength?: unknown } }).algorithm?.modulusLength;
  if (kty === 'RSA' && (typeof bits !== 'number' || bits < MIN_RSA_BITS)) {
    return `an RSA modulus under ${MIN_RSA_BITS} bits`;
  }
  return undefined;
}

/** The verifying keys of one successful JWKS fetch. */
interface KeySet {
  readonly select: LocalKeys;
  /** Clock time of the fetch. */
  readonly fetchedAt: number;
  /** The `kid`s of the usable keys (keys without a `kid` are not listed). */
  readonly kids: ReadonlySet<string>;
}

/**
 * The key source of one provider, built once, on the bridge's clock. Finds `jwks_uri` by OIDC discovery when it
 * was not given (one request shared by concurrent callers, failures retried with backoff), fetches the JWKS
 * itself (one request shared by concurrent callers, bounded size, no redirects), caches it for
 * `jwksCacheMaxAgeMs`, and refetches for an unknown `kid` at most once per `jwksCooldownMs`. Entries that can
 * never verify a token are skipped and counted; only a failed request or a document that is not a key set
 * (not JSON, no `keys` array, no usable key) counts as a failed fetch.
 *
 * After a failed fetch, fetches back off (1 s doubling to 60 s, reset by a success) and the last good keys keep
 * verifying for up to 24 h after they were fetched (stale-if-error); a `kid` they do not hold is undecidable
 * meanwhile (`KeysUnavailableError`), since it may be a freshly rotated key.
 */
export class ProviderKeys {
  readonly #config: ProviderConfig;
  readonly #now: () => number;
  readonly #debug: (message: string) => void;
  #jwksUrl: URL | undefined;
  #discovery: Promise<URL> | undefined;
  #discoveryFailedUntil = 0;
  #discoveryBackoffMs = BACKOFF_MIN_MS;
  #keys: KeySet | undefined;
  #refresh: Promise<KeySet | undefined> | undefined;
  #fetchFailedUntil = 0;
  #fetchBackoffMs = BACKOFF_MIN_MS;
  #lastFetchError: unknown;
  #skippedKeys = 0;
  #lastSkipReport = '';

  /**
   * @param now The bridge's clock (`config.now`): cache age, cooldown, backoff and the stale limit follow it.
   * @param debug Told once about each different set of skipped JWKS entries.
   */
  constructor(
    config: ProviderConfig,
    now: () => number = Date.now,
    debug: (message: string) => void = () => {},
  ) {
    this.#config = config;
    this.#now = now;
    this.#debug = debug;
    if (config.jwksUri !== undefined) this.#jwksUrl = new URL(config.jwksUri);
  }

  /**
   * Called with the `kid`s of every newly fetched key set, so caches of verified tokens can drop tokens signed
   * by a key that has left the set.
   */
  onRefresh: ((kids: ReadonlySet<string>) => void) | undefined;

  /**
   * Until when the current keys count as fresh (clock time): after it, the next verification refetches them.
   * A verified-token cache keeps no entry past it, so a key removed from the JWKS stops verifying cached tokens
   * after the next refresh. 0 before the first fetch.
   */
  get freshUntil(): number {
    return this.#keys === undefined ? 0 : this.#keys.fetchedAt + this.#config.jwksCacheMaxAgeMs;
  }

  /** Entries of the last fetched JWKS that were skipped because no token can be verified with them. */
  get skippedKeys(): number {
    return this.#skippedKeys;
  }

  /** A jose key getter for `jwtVerify`. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike> => {
    const url = this.#jwksUrl ?? (await this.#discover());
    const cached = this.#keys;
    let keys: KeySet;
    let fresh: boolean;
    if (cached !== undefined && this.#now() - cached.fetchedAt < this.#config.jwksCacheMaxAgeMs) {
      keys = cached;
      fresh = true;
    } else {
      const fetched = await this.#tryRefresh(url);
      fresh = fetched !== undefined;
      keys = fetched ?? this.#usableStaleKeys();
    }
    try {
      return await keys.select(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      // A kid we do not know while the endpoint fails may be a freshly rotated key: cannot decide.
      if (!fresh) throw this.#unavailable('could not be refreshed');
      if (this.#now() - keys.fetchedAt < this.#config.jwksCooldownMs) throw err;
      const refetched = await this.#tryRefresh(url);
      if (!refetched) throw this.#unavailable('could not be refreshed');
      return refetched.select(header, token);
    }
  };

  /** The last good keys while they are within the stale limit, else `KeysUnavailableError`. */
  #usableStaleKeys(): KeySet {
    const keys = this.#keys;
    if (keys === undefined || this.#now() - keys.fetchedAt > STALE_KEYS_MAX_AGE_MS) {
      throw this.#unavailable('could not be fetched');
    }
    return keys;
  }

  #unavailable(what: string): KeysUnavailableError {
    const retryAfter = Math.max(1, Math.ceil((this.#fetchFailedUntil - this.#now()) / 1000));
    return new KeysUnavailableError(
      `The keys of ${this.#config.name} ${what}.`,
      retryAfter,
      this.#lastFetchError,
    );
  }

  /**
   * Fetches the JWKS unless a fetch failed within the backoff period; concurrent callers share one fetch.
   * Resolves to the new keys, or `undefined` when there are none (this fetch or a recent one failed).
   */
  #tryRefresh(url: URL): Promise<KeySet | undefined> {
    if (this.#refresh) return this.#refresh;
    if (this.#now() < this.#fetchFailedUntil) return Promise.resolve(undefined);
    const refresh = this.#fetchKeys(url).then(
      (keys) => {
        this.#keys = keys;
        this.#fetchFailedUntil = 0;
        this.#fetchBackoffMs = BACKOFF_MIN_MS;
        this.onRefresh?.(keys.kids);
        return keys;
      },
      (err: unknown) => {
        this.#lastFetchError = err;
        this.#fetchFailedUntil = this.#now() + this.#fetchBackoffMs;
        this.#fetchBackoffMs = Math.min(this.#fetchBackoffMs * 2, BACKOFF_MAX_MS);
        return undefined;
      },
    );
    this.#refresh = refresh;
    void refresh.finally(() => {
      if (this.#refresh === refresh) this.#refresh = undefined;
    });
    return refresh;
  }

  async #fetchKeys(url: URL): Promise<KeySet> {
    const response = await boundedFetch(url, {
      headers: { accept: 'application/json, application/jwk-set+json' },
      signal: AbortSignal.timeout(this.#config.jwksTimeoutMs),
    });
    if (response.status !== 200) throw new Error(`${url.href} answered ${response.status}`);
    let document: unknown;
    try {
      document = await response.json();
    } catch (cause) {
      throw new Error(`${url.href} did not answer JSON`, { cause });
    }
    if (!isObject(document) || !Array.isArray(document.keys)) {
      throw new Error(`${url.href} did not answer a JSON Web Key Set (no "keys" array)`);
    }
    const usable: JWK[] = [];
    const skipped: string[] = [];
    for (const [index, entry] of document.keys.entries()) {
      const reason = await unusableReason(entry);
      if (reason === undefined) usable.push(entry as JWK);
      else {
        const kid =
          isObject(entry) && typeof entry.kid === 'string'
            ? ` (kid ${JSON.stringify(entry.kid.slice(0, 64))})`
            : '';
        skipped.push(`#${index}${kid}: ${reason}`);
      }
    }
    const report =
      skipped.length > MAX_REPORTED_ENTRIES
        ? `${skipped.slice(0, MAX_REPORTED_ENTRIES).join('; ')}; and ${skipped.length - MAX_REPORTED_ENTRIES} more`
        : skipped.join('; ');
    if (usable.length === 0)
      throw new Error(`${url.href} holds no usable signing key: ${report || 'no keys'}`);
    this.#skippedKeys = skipped.length;
    if (report !== this.#lastSkipReport) {
      this.#lastSkipReport = report;
      try {
        if (report)
          this.#debug(`provider ${this.#config.name}: skipped JWKS entries of ${url.href}: ${report}`);
      } catch {
        // A failing logger must not turn good keys into a failed fetch.
      }
    }
    const kids = new Set(usable.flatMap((k) => (typeof k.kid === 'string' ? [k.kid] : [])));
    return { select: createLocalJWKSet({ keys: usable }), fetchedAt: this.#now(), kids };
  }

  #discover(): Promise<URL> {
    if (this.#discovery) return this.#discovery;
    const now = this.#now();
    if (now < this.#discoveryFailedUntil) {
      const wait = Math.ceil((this.#discoveryFailedUntil - now) / 1000);
      return Promise.reject(
        new KeysUnavailableError(
          `OpenID discovery for ${this.#config.name} failed recently; retrying later.`,
          wait,
        ),
      );
    }
    this.#discovery = this.#fetchDiscovery().then(
      (url) => {
        this.#jwksUrl = url;
        this.#discoveryBackoffMs = BACKOFF_MIN_MS;
        return this.#jwksUrl;
      },
      (cause: unknown) => {
        const backoff = this.#discoveryBackoffMs;
        this.#discoveryFailedUntil = this.#now() + backoff;
        this.#discoveryBackoffMs = Math.min(backoff * 2, BACKOFF_MAX_MS);
        this.#discovery = undefined;
        throw new KeysUnavailableError(
          `OpenID discovery for ${this.#config.name} failed.`,
          Math.ceil(backoff / 1000),
          cause,
        );
      },
    );
    return this.#discovery;
  }

  async #fetchDiscovery(): Promise<URL> {
    const base = this.#config.issuer.endsWith('/') ? this.#config.issuer : `${this.#config.issuer}/`;
    const url = new URL('.well-known/openid-configuration', base);
    const response = await boundedFetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(this.#config.jwksTimeoutMs),
    });
    if (response.status !== 200) throw new Error(`${url.href} answered ${response.status}`);
    const document: unknown = await response.json();
    if (typeof document !== 'object' || document === null)
      throw new Error(`${url.href} is not a JSON object`);
    const { issuer, jwks_uri: jwksUri } = document as { issuer?: unknown; jwks_uri?: unknown };
    if (typeof issuer !== 'string' || !this.#config.issuers.includes(issuer)) {
      throw new Error(`${url.href} names issuer ${JSON.stringify(issuer)}, expected ${this.#config.issuer}`);
    }
    const keysUrl = parseKeysUrl(jwksUri);
    if (!keysUrl) throw new Error(`${url.href} has no usable https jwks_uri`);
    // Plain http is tolerated on loopback for development; a remote issuer cannot point us at local http.
    if (keysUrl.protocol === 'http:' && url.protocol !== 'http:') {
      throw new Error(`${url.href} points jwks_uri at plain http while the issuer uses https`);
    }
    return keysUrl;
  }
}
