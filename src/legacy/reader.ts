import { LRUCache } from 'lru-cache';
import { BridgeError } from '../errors.js';
import type { LegacyConfig } from '../options/config.js';
import type { BridgeRequest, LegacySessionData, LegacySessionStore } from '../types.js';
import type { CircuitBreaker } from '../util/circuit-breaker.js';
import { Deadlines } from '../util/deadlines.js';
import { toUserId } from '../util/user-id.js';
import { TimeoutError } from '../util/with-timeout.js';
import { unsignSessionCookie } from './cookie.js';

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

/** Settles `value` within `ms` when it is a promise (on the shared `deadlines`); a plain value costs nothing. */
function settleWithin<T>(
  value: T | PromiseLike<T>,
  ms: number,
  what: string,
  deadlines: Deadlines,
): T | Promise<T> {
  if (typeof (value as PromiseLike<T> | undefined)?.then !== 'function') return value as T;
  return deadlines.race(value as PromiseLike<T>, ms, what);
}

/**
 * `store.get(sid)`, answered within `ms`. A store that calls back synchronously gives its answer at once, with
 * no promise; one that answers later (MemoryStore on the next tick, Redis, SQL) gets a promise bounded by the
 * shared `deadlines`, not a timer of its own. Like express-session, an error whose `code` is `'ENOENT'` is
 * "no session" (session-file-store answers a destroyed or unknown session that way); any other error rejects.
 */
function storeGet(
  store: LegacySessionStore,
  sid: string,
  ms: number,
  deadlines: Deadlines,
): LegacySessionData | null | undefined | Promise<LegacySessionData | null | undefined> {
  let settled = false;
  let sync = true;
  let syncError: unknown;
  let syncSession: LegacySessionData | null | undefined;
  let later: ((err: unknown, session: LegacySessionData | null | undefined) => void) | undefined;
  store.get(sid, (err, session) => {
    if (settled) return;
    settled = true;
    const error = isNoSession(err) ? undefined : err;
    const found = isNoSession(err) ? null : (session as LegacySessionData | null | undefined);
    if (sync) {
      syncError = error;
      syncSession = found;
    } else later?.(error, found);
  });
  sync = false;
  if (settled) {
    if (syncError) throw syncError;
    return syncSession;
  }
  return new Promise((resolve, reject) => {
    const cancel = deadlines.add(ms, () => {
      if (settled) return;
      settled = true;
      reject(new TimeoutError(`legacy store did not answer within ${ms} ms`));
    });
    later = (err, session) => {
      cancel();
      if (err) reject(err);
      else resolve(session);
    };
  });
}

function expired(session: LegacySessionData, now: number): boolean {
  const expires = session.cookie?.expires;
  if (expires === undefined || expires === null) return false;
  const at = expires instanceof Date ? expires.getTime() : Date.parse(expires);
  return Number.isFinite(at) && at <= now;
}

/** The 503 of a failed call. */
function failed(failure: Failure, cause: unknown): BridgeError {
  return cause instanceof BridgeError ? cause : new BridgeError(failure[0], failure[1], { cause });
}

/** `then` for a value that may be a promise: plain values are handled at once, with no promise. */
function then<T, R>(value: T | Promise<T>, next: (value: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * Reads the legacy login of requests without ever writing: the signed express-session cookie is unsigned with
 * every secret, then `store.get(sid)` is called once. Nothing is touched, saved or re-signed. Built once per
 * bridge: it keeps the session ids of recently seen cookie values (bounded: the signature check is an HMAC per
 * secret) and one timer for every pending store call. A session object is never cached: a destroyed session is
 * refused at once.
 */
export class LegacyReader {
  readonly #config: LegacyConfig;
  readonly #debug: (message: string) => void;
  readonly #deadlines = new Deadlines();
  readonly #sessionIds = new LRUCache<string, string>({ max: SESSION_ID_CACHE_MAX });

  constructor(config: LegacyConfig, debug: (message: string) => void) {
    this.#config = config;
    this.#debug = debug;
  }

  /** The legacy login of a request. Never rejects: a failed call is the `unavailable` result. */
  check(
    req: BridgeRequest,
    now: number,
    cookies: () => Record<string, string | undefined>,
  ): LegacyResult | Promise<LegacyResult> {
    try {
      const result = this.#read(req, now, cookies);
      return result instanceof Promise ? result.catch(unavailable) : result;
    } catch (err) {
      return unavailable(err);
    }
  }

  #read(
    req: BridgeRequest,
    now: number,
    cookies: () => Record<string, string | undefined>,
  ): LegacyResult | Promise<LegacyResult> {
    const config = this.#config;
    if (config.type === 'resolve') {
      const identity = this.#guarded(() => config.resolve(req), 'legacy.resolve', RESOLVE);
      return then(identity, (found) => {
        const userId = toUserId(found?.userId);
        if (!found || userId === undefined) return NONE;
        return { state: 'ok', userId, sessionId: found.sessionId, session: found.session };
      });
    }
    const sid = this.#sessionId(cookies()[config.cookieName], config.secrets);
    if (sid === undefined) return NONE;
    const session = this.#guarded(
      () => storeGet(config.store, sid, config.timeoutMs, this.#deadlines),
      'legacy store',
      STORE,
      false,
    );
    return then(session, (found) => this.#user(config, sid, found, now));
  }

  #sessionId(raw: string | undefined, secrets: readonly string[]): string | undefined {
    if (raw === undefined) return undefined;
    const cached = this.#sessionIds.get(raw);
    if (cached !== undefined) return cached;
    const sid = unsignSessionCookie(raw, secrets);
    if (sid === undefined) {
      this.#debug('legacy cookie is unsigned or its signature matches no secret');
      return undefined;
    }
    // Only good signatures are kept, so a flood of forged cookies cannot push real users out.
    this.#sessionIds.set(raw, sid);
    return sid;
  }

  #user(
    config: Extract<LegacyConfig, { type: 'store' }>,
    sid: string,
    session: LegacySessionData | null | undefined,
    now: number,
  ): LegacyResult | Promise<LegacyResult> {
    if (!session || typeof session !== 'object') {
      this.#debug('legacy session not found (destroyed or expired in the store)');
      return NONE;
    }
    if (expired(session, now)) {
      this.#debug('legacy session cookie has expired');
      return NONE;
    }
    let raw: unknown;
    try {
      raw = settleWithin(config.userId(session), config.timeoutMs, 'legacy.userId', this.#deadlines);
    } catch (cause) {
      throw failed(USER_ID, cause);
    }
    const resolved =
      raw instanceof Promise ? raw.catch((cause: unknown) => Promise.reject(failed(USER_ID, cause))) : raw;
    return then(resolved, (value): LegacyResult => {
      const userId = toUserId(value);
      if (userId === undefined) {
        this.#debug('legacy session has no user id (not logged in)');
        return NONE;
      }
      return { state: 'ok', userId, sessionId: sid, session };
    });
  }

  /**
   * One call to the store or `legacy.resolve`, within `timeoutMs`, behind the circuit breaker. While the circuit
   * is open the call is not made: the 503 comes at once, with `Retry-After` = the rest of the cool-down. Every
   * call that is made reports its outcome, a timeout as a failure, so a hanging probe is bounded by `timeoutMs`.
   */
  #guarded<T>(work: () => T | PromiseLike<T>, what: string, failure: Failure, bound = true): T | Promise<T> {
    const config = this.#config;
    const breaker = config.breaker;
    if (breaker && !breaker.allow()) {
      throw retryLater(
        new BridgeError(failure[0], failure[1] + OPEN, { cause: new Error(`${what}: circuit open`) }),
        breaker,
      );
    }
    const succeed = (value: T): T => {
      if (breaker) {
        if (breaker.state !== 'closed') this.#debug(`${what} answered again: circuit closed`);
        breaker.success();
      }
      return value;
    };
    const fail = (cause: unknown): never => {
      const error = failed(failure, cause);
      if (!breaker) throw error;
      const before = breaker.state;
      breaker.failure();
      if (breaker.state !== 'open') throw error;
      if (before !== 'open')
        this.#debug(`${what} failed repeatedly: circuit open, 503 at once for the cool-down`);
      throw retryLater(error, breaker);
    };
    let value: T | Promise<T>;
    try {
      // `bound: false`: the work bounds itself (storeGet), so it needs no second deadline.
      const answer = work();
      value = bound
        ? settleWithin(answer, config.timeoutMs, what, this.#deadlines)
        : (answer as T | Promise<T>);
    } catch (cause) {
      return fail(cause);
    }
    return value instanceof Promise ? value.then(succeed, fail) : succeed(value);
  }
}

/** Most cookie values whose session id is remembered (an HMAC saved per request of a returning user). */
const SESSION_ID_CACHE_MAX = 10_000;

function unavailable(err: unknown): LegacyResult {
  if (err instanceof BridgeError) return { state: 'unavailable', error: err };
  throw err;
}

function retryLater(error: BridgeError, breaker: CircuitBreaker): BridgeError {
  error.headers['Retry-After'] = String(breaker.retryAfterSeconds());
  return error;
}
