import type { JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { BridgeError } from '../errors.js';
import type { ProviderConfig } from '../options/config.js';
import { toUserId } from '../util/user-id.js';
import { settle } from '../util/with-timeout.js';

/** How long one `provider.userId` call may take before the request answers 503. */
export const LINK_TIMEOUT_MS = 5000;

/** Reads `path` (a list of keys) from `source`: own properties of plain objects only. */
export function readPath(source: unknown, path: readonly string[]): unknown {
  let value = source;
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function identityKey(payload: JWTPayload): string {
  return `${payload.iss ?? ''}\u0000${payload.sub ?? ''}`;
}

/**
 * Maps a verified provider identity to the application's user id, trying in order: a link made at first
 * sign-in by this bridge (`remember`), `linkClaim` (from the claims, or the provider's identity object for an
 * opaque session), `provider.userId`, and, with none of them configured, `sub`. Only (iss, sub) identifies a
 * provider user (OIDC Core 5.7), so results are cached per (iss, sub) in bounded LRUs; concurrent lookups of the
 * same identity share one call. Failures are not cached; an unlinked identity (null) is not cached either, so
 * linking it later takes effect at once.
 */
export class UserLinker {
  readonly #config: ProviderConfig;
  readonly #cache: LRUCache<string, string, JWTPayload> | undefined;
  /** Links made at first sign-in, until the app's own `userId`/`linkClaim` knows them. */
  readonly #links: LRUCache<string, string>;

  constructor(config: ProviderConfig) {
    this.#config = config;
    this.#links = new LRUCache<string, string>({
      max: config.userIdCache.max,
      ttl: config.userIdCache.ttlMs,
    });
    const link = config.userId;
    if (!link) return;
    this.#cache = new LRUCache<string, string, JWTPayload>({
      max: config.userIdCache.max,
      ttl: config.userIdCache.ttlMs,
      fetchMethod: async (_key, _stale, { context }) => {
        const raw: unknown = await settle(link(context), LINK_TIMEOUT_MS, 'provider.userId');
        if (raw === null || raw === undefined) return undefined;
        const id = toUserId(raw);
        if (id === undefined) {
          throw new TypeError(
            `provider.userId must return a non-empty string, a number, null or undefined (got ${typeof raw})`,
          );
        }
        return id;
      },
    });
  }

  /**
   * The linked user id, or `undefined` when the identity is linked to no user. `identity` is where
   * `linkClaim` is read (the claims for a JWT). Throws a `BridgeError` (503) when `provider.userId` fails.
   */
  userId(
    payload: JWTPayload,
    identity: Record<string, unknown>,
  ): string | undefined | Promise<string | undefined> {
    const { linkClaim } = this.#config;
    if (this.#links.size > 0) {
      const linked = this.#links.get(identityKey(payload));
      if (linked !== undefined) return linked;
    }
    if (linkClaim) {
      const claimed = toUserId(readPath(identity, linkClaim));
      if (claimed !== undefined) return claimed;
    }
    if (!this.#cache) return linkClaim ? undefined : payload.sub;
    const key = identityKey(payload);
    const known = this.#cache.get(key);
    if (known !== undefined) return known;
    return this.#cache.fetch(key, { context: payload }).catch((cause: unknown) => {
      throw new BridgeError(
        'ERR_BRIDGE_RESOLVER_UNAVAILABLE',
        'The user of this credential could not be resolved.',
        {
          cause,
        },
      );
    });
  }

  /** Remembers a link made at first sign-in (`provider.link` returned true) for `userIdCache.ttlMs`. */
  remember(payload: JWTPayload, userId: string): void {
    this.#links.set(identityKey(payload), userId);
    this.#cache?.delete(identityKey(payload));
  }
}
