import { createHash } from 'node:crypto';
import type { JWTHeaderParameters, JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import type { BridgeErrorCode } from '../errors.js';

/** Bounds of the verified-token cache (`tokenCache` option, filled). */
export interface TokenCacheSettings {
  /** Most verified tokens kept. */
  max: number;
  /** Most bytes kept, counted per entry as twice the token's length (text and decoded claims) plus 512. */
  maxBytes: number;
  /** How long a refused token is refused again without verifying it. */
  negativeTtlMs: number;
}

/** A verified token as cached: what verification produced, for `owner` (the provider it routed to). */
export interface CachedToken<Owner> {
  owner: Owner;
  payload: JWTPayload;
  header: JWTHeaderParameters;
  /** Clock time after which the entry is not used: the token's `exp`, its `maxTokenAgeSeconds`, the keys' freshness. */
  until: number;
}

interface Refusal<Owner> {
  owner: Owner;
  until: number;
  code: BridgeErrorCode;
  message: string;
}

/**
 * Bytes counted for an entry: its token twice (the text, one byte a character: a compact JWS is ASCII, which V8
 * stores that way; and the decoded claims and header, which cannot be larger than the text they were decoded
 * from) plus the objects and the cache's own bookkeeping. Measured on Node 20 (bench/: 20,000 RS256 tokens of 589
 * characters with seven claims): 1.1 KB of heap per entry, counted as 1.7 KB here.
 */
const ENTRY_OVERHEAD_BYTES = 512;

/**
 * Verified provider JWTs, so a client that reuses its token (the common case) costs a map lookup instead of a
 * signature check. Keyed by the whole token string, which the canonical-form check made the one spelling of
 * the token. Bounded by entries and bytes (LRU); an entry is never used past its `until` on the bridge's clock;
 * `dropKeys` removes tokens signed by keys that left the provider's JWKS. Refused tokens are remembered for a
 * short time by a SHA-256 digest (bounded by entries only: digests have a fixed size), so a flood of one bad
 * token does not burn CPU on signature checks.
 */
export class TokenCache<Owner> {
  readonly #valid: LRUCache<string, CachedToken<Owner>>;
  readonly #refused: LRUCache<string, Refusal<Owner>>;
  readonly #negativeTtlMs: number;

  constructor(settings: TokenCacheSettings) {
    this.#valid = new LRUCache<string, CachedToken<Owner>>({
      max: settings.max,
      maxSize: settings.maxBytes,
      sizeCalculation: (_value, key) => key.length * 2 + ENTRY_OVERHEAD_BYTES,
    });
    this.#refused = new LRUCache<string, Refusal<Owner>>({ max: settings.max });
    this.#negativeTtlMs = settings.negativeTtlMs;
  }

  /** The cached verification of `token`, when it is still usable at `now`. */
  get(token: string, now: number): CachedToken<Owner> | undefined {
    const entry = this.#valid.get(token);
    if (entry === undefined) return undefined;
    if (entry.until > now) return entry;
    this.#valid.delete(token);
    return undefined;
  }

  set(token: string, entry: CachedToken<Owner>, now: number): void {
    if (entry.until > now) this.#valid.set(token, entry);
  }

  /** Why `token` was refused recently, if it was. */
  refusal(token: string, now: number): Refusal<Owner> | undefined {
    if (this.#refused.size === 0) return undefined;
    const key = digest(token);
    const refusal = this.#refused.get(key);
    if (refusal === undefined) return undefined;
    if (refusal.until > now) return refusal;
    this.#refused.delete(key);
    return undefined;
  }

  refuse(token: string, owner: Owner, code: BridgeErrorCode, message: string, now: number): void {
    if (this.#negativeTtlMs > 0) {
      this.#refused.set(digest(token), { owner, until: now + this.#negativeTtlMs, code, message });
    }
  }

  /** Drops the tokens of `owner` whose key (`kid`) is not in `kids` any more; tokens without `kid` too. */
  dropKeys(owner: Owner, kids: ReadonlySet<string>): void {
    for (const [token, entry] of this.#valid.entries()) {
      if (entry.owner !== owner) continue;
      const kid = entry.header.kid;
      if (kid === undefined || !kids.has(kid)) this.#valid.delete(token);
    }
  }

  /** Entries and bytes held, for tests and memory reports. */
  get stats(): { entries: number; bytes: number; refused: number } {
    return { entries: this.#valid.size, bytes: this.#valid.calculatedSize, refused: this.#refused.size };
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
