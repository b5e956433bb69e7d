/**
 * The ramped cutover's cohort: which legacy users `cutover.percent` already sends to the provider's login.
 *
 * A user's place is `HMAC-SHA-256(key, legacyUserId)`, its first 6 bytes read as an integer and scaled to
 * [0, 100) (2^48 steps, far finer than any percent). A user is in the cohort when that number is below the
 * percent. So membership depends only on the key and the user id: the same on every request and on every
 * instance with the same key, and raising the percent only adds users (every user below 25 is below 50).
 */
import { createHmac } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Domain separation: the default key is an HMAC of this label under the first legacy secret. */
const DEFAULT_KEY_LABEL = 'express-session-bridge cutover';
const TWO_TO_THE_48 = 2 ** 48;
/**
 * Places remembered per key. One HMAC costs about what the legacy cookie's signature check costs (a few µs),
 * a cache hit well under 0.1 µs, and a user sends many requests: 10,000 users (1.1 MB with ids like
 * `user-123456`) keep a ramp's cost near zero for the users active at a time. The place depends on the key and
 * the id only, so a new percent keeps the cache and a new key gets a new one.
 */
const PLACE_CACHE_MAX = 10_000;

/** The ramp as the bridge runs it: `percent`, and the key that places users (undefined: no key available). */
export interface CutoverConfig {
  /** From 0 to 100. */
  readonly percent: number;
  /** Undefined only with `percent` 0 and no key to derive (`legacy.resolve` without `cutover.key`). */
  readonly cohort: Cohort | undefined;
}

/** Places legacy users in [0, 100) under one key. */
export class Cohort {
  readonly #key: Buffer;
  /** Built on first use: a bridge that never ramps never allocates it. */
  #places: LRUCache<string, number> | undefined;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** The default cohort of a bridge: its key is HMAC-SHA-256(legacy secret, label), never the secret itself. */
  static fromSecret(secret: string): Cohort {
    return new Cohort(createHmac('sha256', secret).update(DEFAULT_KEY_LABEL).digest());
  }

  /** The user's place in [0, 100): the first 6 bytes of HMAC-SHA-256(key, userId) over 2^48, times 100. */
  place(userId: string): number {
    this.#places ??= new LRUCache<string, number>({ max: PLACE_CACHE_MAX });
    let place = this.#places.get(userId);
    if (place === undefined) {
      const digest = createHmac('sha256', this.#key).update(userId, 'utf8').digest();
      place = (digest.readUIntBE(0, 6) / TWO_TO_THE_48) * 100;
      this.#places.set(userId, place);
    }
    return place;
  }

  /** Same key: the same users in the same places. */
  sameKey(other: Cohort | undefined): boolean {
    return other !== undefined && this.#key.equals(other.#key);
  }
}

/** Is this legacy user in the cohort of `cutover`? 0 % is nobody and 100 % everybody, without hashing. */
export function inCohort(cutover: CutoverConfig, userId: string): boolean {
  if (cutover.percent <= 0 || cutover.cohort === undefined) return false;
  if (cutover.percent >= 100) return true;
  return cutover.cohort.place(userId) < cutover.percent;
}
