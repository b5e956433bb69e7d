import { BridgeError } from '../errors.js';
import type { LegacyConfig } from '../options.js';
import type { BridgeRequest, LegacySessionData, LegacySessionStore } from '../types.js';
import { toUserId } from '../util/user-id.js';
import { settle, withTimeout } from '../util/with-timeout.js';
import { unsignSessionCookie } from './legacy-cookie.js';

/** What the legacy side found on a request. */
export type LegacyResult =
  /** No legacy login: no cookie, a bad signature, no session, an expired one, or one without a user. */
  | { state: 'none' }
  | { state: 'ok'; userId: string; sessionId: string | undefined; session: unknown }
  /** The store (or resolver) failed or timed out: we cannot tell. */
  | { state: 'unavailable'; error: BridgeError };

const NONE: LegacyResult = { state: 'none' };

function storeGet(store: LegacySessionStore, sid: string): Promise<LegacySessionData | null | undefined> {
  return new Promise((resolve, reject) => {
    try {
      store.get(sid, (err, session) =>
        err ? reject(err) : resolve(session as LegacySessionData | null | undefined),
      );
    } catch (err) {
      reject(err);
    }
  });
}

function expired(session: LegacySessionData, now: number): boolean {
  const expires = session.cookie?.expires;
  if (expires === undefined || expires === null) return false;
  const at = expires instanceof Date ? expires.getTime() : Date.parse(expires);
  return Number.isFinite(at) && at <= now;
}

/**
 * Reads the legacy login of a request without ever writing: the signed express-session cookie is
 * unsigned with every secret, then `store.get(sid)` is called once. Nothing is touched, saved or re-signed.
 */
export async function readLegacy(
  req: BridgeRequest,
  config: LegacyConfig,
  now: number,
  debug: (message: string) => void,
  cookies: () => Record<string, string | undefined>,
): Promise<LegacyResult> {
  if (config.type === 'resolve') {
    try {
      const identity = await settle(config.resolve(req), config.timeoutMs, 'legacy.resolve');
      const userId = toUserId(identity?.userId);
      if (!identity || userId === undefined) return NONE;
      return { state: 'ok', userId, sessionId: identity.sessionId, session: identity.session };
    } catch (cause) {
      return {
        state: 'unavailable',
        error: new BridgeError('ERR_BRIDGE_RESOLVER_UNAVAILABLE', 'The legacy login could not be checked.', {
          cause,
        }),
      };
    }
  }

  const raw = cookies()[config.cookieName];
  if (raw === undefined) return NONE;
  const sid = unsignSessionCookie(raw, config.secrets);
  if (sid === undefined) {
    debug(`legacy cookie ${config.cookieName} is unsigned or its signature matches no secret`);
    return NONE;
  }
  let session: LegacySessionData | null | undefined;
  try {
    session = await withTimeout(storeGet(config.store, sid), config.timeoutMs, 'legacy store');
  } catch (cause) {
    return {
      state: 'unavailable',
      error: new BridgeError('ERR_BRIDGE_LEGACY_UNAVAILABLE', 'The legacy session store could not be read.', {
        cause,
      }),
    };
  }
  if (!session || typeof session !== 'object') {
    debug('legacy session not found (destroyed or expired in the store)');
    return NONE;
  }
  if (expired(session, now)) {
    debug('legacy session cookie has expired');
    return NONE;
  }
  let userId: string | undefined;
  try {
    userId = toUserId(await settle(config.userId(session), config.timeoutMs, 'legacy.userId'));
  } catch (cause) {
    return {
      state: 'unavailable',
      error: new BridgeError('ERR_BRIDGE_RESOLVER_UNAVAILABLE', 'The legacy user could not be resolved.', {
        cause,
      }),
    };
  }
  if (userId === undefined) {
    debug('legacy session has no user id (not logged in)');
    return NONE;
  }
  return { state: 'ok', userId, sessionId: sid, session };
}
