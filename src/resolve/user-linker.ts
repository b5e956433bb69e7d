import type { JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import type { ProviderConfig } from '../config.js';
import { BridgeError } from '../errors.js';
import { toUserId } from '../util/user-id.js';
import { settle } from '../util/with-timeout.js';

/** How long one `provider.userId` call may take before the request answers 503. */
export const LINK_TIMEOUT_MS = 5000;

/**
 * Maps a verified provider identity to the application's user id. Only (iss, sub) identifies a provider
 * user (OIDC Core 5.7), so results are cached per (iss, sub) in a bounded LRU; concurrent lookups of the
 * same identity share one call. Failures are not cached; an unlinked identity (null) is not cached either,
 * so linking it later takes effect at once.
 */
export class UserLinker {
  readonly #cache: LRUCache<string, string, JWTPayload> | undefined;

  constructor(config: ProviderConfig) {
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

  /** The linked user id, or `undefined` when the identity is linked to no user. Throws a `BridgeError` (503) on failure. */
  async userId(payload: JWTPayload): Promise<string | undefined> {
    if (!this.#cache) return payload.sub;
    const key = `${payload.iss ?? ''}\u0000${payload.sub ?? ''}`;
    try {
      return await this.#cache.fetch(key, { context: payload });
    } catch (cause) {
      throw new BridgeError(
        'ERR_BRIDGE_RESOLVER_UNAVAILABLE',
        'The user of this token could not be resolved.',
        {
          cause,
        },
      );
    }
  }
}
