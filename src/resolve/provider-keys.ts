import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
  type RemoteJWKSet,
} from 'jose';
import type { ProviderConfig } from '../options.js';
import { parseKeysUrl } from '../util/keys-url.js';
import { boundedFetch } from './bounded-fetch.js';

type KeyLike = Awaited<ReturnType<RemoteJWKSet>>;

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

/**
 * The key source of one provider, built once. Finds `jwks_uri` by OIDC discovery when it was not given
 * (one request shared by concurrent callers, failures retried with exponential backoff), fetches keys with
 * jose's `createRemoteJWKSet` (cache, cooldown, refetch on unknown `kid`), bounds response sizes, and keeps
 * verifying with the last good keys for up to a day while the JWKS endpoint fails (stale-if-error). After a
 * failed fetch, requests use those keys at once for a backoff period (1 s doubling to 60 s) instead of each
 * waiting for another fetch.
 */
export class ProviderKeys {
  readonly #config: ProviderConfig;
  #remote: RemoteJWKSet | undefined;
  #discovery: Promise<RemoteJWKSet> | undefined;
  #discoveryFailedUntil = 0;
  #discoveryBackoffMs = BACKOFF_MIN_MS;
  #lastSuccessAt = 0;
  #stale: ReturnType<typeof createLocalJWKSet> | undefined;
  #fetchFailedUntil = 0;
  #fetchBackoffMs = BACKOFF_MIN_MS;
  #lastFetchError: unknown;

  constructor(config: ProviderConfig) {
    this.#config = config;
    if (config.jwksUri !== undefined) this.#remote = this.#createRemote(config.jwksUri);
  }

  /** A jose key getter for `jwtVerify`. */
  readonly getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput): Promise<KeyLike> => {
    const remote = this.#remote ?? (await this.#discover());
    // While the JWKS endpoint is failing, do not make every request wait for (and pay) another fetch.
    if (Date.now() < this.#fetchFailedUntil)
      return this.#staleKey(remote, header, token, this.#lastFetchError);
    try {
      const key = await remote(header, token);
      this.#lastSuccessAt = Date.now();
      this.#stale = undefined;
      this.#fetchBackoffMs = BACKOFF_MIN_MS;
      return key;
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys)
        throw err;
      this.#lastFetchError = err;
      this.#fetchFailedUntil = Date.now() + this.#fetchBackoffMs;
      this.#fetchBackoffMs = Math.min(this.#fetchBackoffMs * 2, BACKOFF_MAX_MS);
      return this.#staleKey(remote, header, token, err);
    }
  };

  async #staleKey(
    remote: RemoteJWKSet,
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
    cause: unknown,
  ): Promise<KeyLike> {
    const retryAfter = Math.max(1, Math.ceil((this.#fetchFailedUntil - Date.now()) / 1000));
    if (Date.now() - this.#lastSuccessAt > STALE_KEYS_MAX_AGE_MS) {
      throw new KeysUnavailableError(
        `The keys of ${this.#config.name} could not be fetched.`,
        retryAfter,
        cause,
      );
    }
    if (!this.#stale) {
      const jwks = remote.jwks();
      if (!jwks)
        throw new KeysUnavailableError(
          `The keys of ${this.#config.name} could not be fetched.`,
          retryAfter,
          cause,
        );
      this.#stale = createLocalJWKSet(jwks);
    }
    try {
      return await this.#stale(header, token);
    } catch (err) {
      // A kid we have never seen while the endpoint is down: it may be a freshly rotated key. Cannot decide.
      if (err instanceof errors.JWKSNoMatchingKey) {
        throw new KeysUnavailableError(
          `The keys of ${this.#config.name} could not be refreshed.`,
          retryAfter,
          cause,
        );
      }
      throw err;
    }
  }

  #createRemote(uri: string): RemoteJWKSet {
    return createRemoteJWKSet(new URL(uri), {
      timeoutDuration: this.#config.jwksTimeoutMs,
      cooldownDuration: this.#config.jwksCooldownMs,
      cacheMaxAge: this.#config.jwksCacheMaxAgeMs,
      [customFetch]: boundedFetch,
    });
  }

  #discover(): Promise<RemoteJWKSet> {
    if (this.#discovery) return this.#discovery;
    const now = Date.now();
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
      (uri) => {
        this.#remote = this.#createRemote(uri);
        this.#discoveryBackoffMs = BACKOFF_MIN_MS;
        return this.#remote;
      },
      (cause: unknown) => {
        const backoff = this.#discoveryBackoffMs;
        this.#discoveryFailedUntil = Date.now() + backoff;
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

  async #fetchDiscovery(): Promise<string> {
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
    return jwksUri as string;
  }
}
