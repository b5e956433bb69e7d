import type { LegacyConfig } from '../config.js';
import { BridgeError } from '../errors.js';
import { readSessionId } from '../sources/legacy-cookie.js';
import type { BridgeRequest, LegacySessionData, LegacySessionStore } from '../types.js';
import type { CircuitBreaker } from '../util/circuit-breaker.js';
import { toUserId } from '../util/user-id.js';
import { settle } from '../util/with-timeout.js';

/** What the legacy side found on a request. */
export type LegacyResult =
  /** No legacy login: no cookie, a bad signature, no session, an expired one, or one without a user. */
  | { state: 'none' }
  | { state: 'ok'; userId: string; sessionId: string | undefined; session: unknown }
  /** The store (or resolver) failed or timed out: we cannot tell. */
  | { state: 'unavailable'; error: BridgeError };

const NONE: LegacyResult = { state: 'none' };

/** The `BridgeError` (503) of a failed call: `[code, message]`. */
type Failure = ['ERR_BRIDGE_LEGACY_UNAVAILABLE' | 'ERR_BRIDGE_RESOLVER_UNAVAILABLE', string];
const RESOLVE: Failure = ['ERR_BRIDGE_RESOLVER_UNAVAILABLE', 'The legacy login could not be checked.'];
const STORE: Failure = ['ERR_BRIDGE_LEGACY_UNAVAILABLE', 'The legacy session store could not be read.'];
const USER_ID: Failure = ['ERR_BRIDGE_RESOLVER_UNAVAILABLE', 'The legacy user could not be resolved.'];
/** What a refused call (circuit open) adds to the failure's message. */
const OPEN = ' It failed repeatedly and is not asked again until the cool-down ends.';

/** An error a store answers for a session that does not exist: express-session reads it as "no session". */
function isNoSession(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'ENOENT';
}

/**
 * `store.get(sid)` as a promise. Like express-session, an error whose `code` is `'ENOENT'` is "no session"
 * (session-file-store answers a destroyed or unknown session that way); any other error rejects.
 */
function storeGet(store: LegacySessionStore, sid: string): Promise<LegacySessionData | null | undefined> {
  return new Promise((resolve, reject) => {
    try {
      store.get(sid, (err, session) => {
        if (isNoSession(err)) resolve(null);
        else if (err) reject(err);
        else resolve(session as LegacySessionData | null | undefined);
      });
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

/** One call into the app or its store: a throw, a rejection or no answer within `ms` is the 503 `failure`. */
async function call<T>(work: () => T | PromiseLike<T>, ms: number, what: string, failure: Failure) {
  try {
    return await settle(work(), ms, what);
  } catch (cause) {
    throw new BridgeError(failure[0], failure[1], { cause });
  }
}

/**
 * `call` behind the legacy config's circuit breaker (the store's `get` or `legacy.resolve`). While the circuit is
 * open the call is not made: the 503 comes at once, with `Retry-After` = the rest of the cool-down. Every call
 * that is made reports its outcome, a timeout as a failure, so a hanging probe is bounded by `timeoutMs`.
 */
async function guarded<T>(
  config: LegacyConfig,
  work: () => T | PromiseLike<T>,
  what: string,
  failure: Failure,
  debug: (message: string) => void,
): Promise<T> {
  const breaker = config.breaker;
  if (!breaker) return await call(work, config.timeoutMs, what, failure);
  if (!breaker.allow()) {
    throw retryLater(
      new BridgeError(failure[0], failure[1] + OPEN, { cause: new Error(`${what}: circuit open`) }),
      breaker,
    );
  }
  try {
    const value = await call(work, config.timeoutMs, what, failure);
    if (breaker.state !== 'closed') debug(`${what} answered again: circuit closed`);
    breaker.success();
    return value;
  } catch (err) {
    const before = breaker.state;
    breaker.failure();
    if (breaker.state !== 'open') throw err;
    if (before !== 'open') debug(`${what} failed repeatedly: circuit open, 503 at once for the cool-down`);
    throw retryLater(err as BridgeError, breaker);
  }
}

function retryLater(error: BridgeError, breaker: CircuitBreaker): BridgeError {
  error.headers['Retry-After'] = String(breaker.retryAfterSeconds());
  return error;
}

/** `readLegacy` that never rejects: a failed call is the `unavailable` result. */
export function checkLegacy(...args: Parameters<typeof readLegacy>): Promise<LegacyResult> {
  return readLegacy(...args).catch((err: unknown): LegacyResult => {
    if (err instanceof BridgeError) return { state: 'unavailable', error: err };
    throw err;
  });
}

/**
 * Reads the legacy login of a request without ever writing: the signed express-session cookie is
 * unsigned with every secret, then `store.get(sid)` is called once. Nothing is touched, saved or re-signed.
 */
async function readLegacy(
  req: BridgeRequest,
  config: LegacyConfig,
  now: number,
  debug: (message: string) => void,
  cookies: () => Record<string, string | undefined>,
): Promise<LegacyResult> {
  if (config.type === 'resolve') {
    const identity = await guarded(config, () => config.resolve(req), 'legacy.resolve', RESOLVE, debug);
    const userId = toUserId(identity?.userId);
    if (!identity || userId === undefined) return NONE;
    return { state: 'ok', userId, sessionId: identity.sessionId, session: identity.session };
  }

  const sid = readSessionId(cookies(), config.cookieName, config.secrets, debug);
  if (sid === undefined) return NONE;
  const session = await guarded(config, () => storeGet(config.store, sid), 'legacy store', STORE, debug);
  if (!session || typeof session !== 'object') {
    debug('legacy session not found (destroyed or expired in the store)');
    return NONE;
  }
  if (expired(session, now)) {
    debug('legacy session cookie has expired');
    return NONE;
  }
  const userId = toUserId(
    await call(() => config.userId(session), config.timeoutMs, 'legacy.userId', USER_ID),
  );
  if (userId === undefined) {
    debug('legacy session has no user id (not logged in)');
    return NONE;
  }
  return { state: 'ok', userId, sessionId: sid, session };
}
