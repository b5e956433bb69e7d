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
 * The `get` of express-session's own `MemoryStore`, which parses the session out of `store.sessions` at once and
 * only hands it over on a later tick (`setImmediate`). When `store` is one, its table is read in place instead
 * (`readInPlace`: the same JSON, the same expiry rule), so a request carrying a MemoryStore session is decided
 * with no event-loop turn. Only the class itself qualifies, recognised by its shape when the bridge is built: a
 * subclass, another store named MemoryStore, or a `get` replaced later (on the instance or the prototype, e.g.
 * by a test spy) goes through `get`. Read-only: an expired session is "no session" here and left for the store
 * to prune, where `get` would delete it.
 */
function memoryStoreGet(store: LegacySessionStore): LegacySessionStore['get'] | undefined {
  const proto: unknown = Object.getPrototypeOf(store);
  if (typeof proto !== 'object' || proto === null) return undefined;
  const own = proto as Record<string, unknown>;
  if (
    (own.constructor as { name?: unknown } | undefined)?.name !== 'MemoryStore' ||
    !Object.hasOwn(own, 'get') ||
    !Object.hasOwn(own, 'all') ||
    !Object.hasOwn(own, 'touch') ||
    store.get !== own.get ||
    sessionsOf(store) === undefined
  ) {
    return undefined;
  }
  return store.get;
}

/** MemoryStore's table (null-prototype, so no sid reads an inherited property); replaced by `store.clear()`. */
function sessionsOf(store: LegacySessionStore): Record<string, unknown> | undefined {
  const sessions = (store as { sessions?: unknown }).sessions;
  if (typeof sessions !== 'object' || sessions === null || Object.getPrototypeOf(sessions) !== null) {
    return undefined;
  }
  return sessions as Record<string, unknown>;
}

/**
 * MemoryStore's `getSession` without its delete: the stored JSON parsed, or undefined when absent or expired by
 * its rule (a truthy `cookie.expires` at or before the real clock). Throws where it throws (damaged JSON, `null`).
 */
function readInPlace(sessions: Record<string, unknown>, sid: string): LegacySessionData | undefined {
  const raw = sessions[sid];
  if (!raw) return undefined;
  const session = JSON.parse(raw as string) as LegacySessionData;
  if (session.cookie) {
    const expires: unknown = session.cookie.expires;
    const at = typeof expires === 'string' ? Date.parse(expires) : expires;
    if (at && (at as number) <= Date.now()) return undefined;
  }
  return session;
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
  /** The store's `get` when it is express-session's MemoryStore, read in place while `get` is still this one. */
  readonly #inPlace: LegacySessionStore['get'] | undefined;

  constructor(config: LegacyConfig, debug: (message: string) => void) {
    this.#config = config;
    this.#debug = debug;
    this.#inPlace = config.type === 'store' ? memoryStoreGet(config.store) : undefined;
  }

  /** The legacy login of a request. Never rejects: a failed call is the `unavailable` result. */
  check(
    req: BridgeRequest,
    now: number,
    cookies: () => Record<string, string | undefined>,
  ): LegacyResult | Promise<LegacyResult> {
    try {
      const config = this.#config;
      if (config.type === 'resolve') {
        const result = this.#resolve(config, req);
        return result instanceof Promise ? result.catch(unavailable) : result;
      }
      const sid = this.#sessionId(cookies()[config.cookieName], config.secrets);
      if (sid === undefined) return NONE;
      return this.#readStore(config, sid, now);
    } catch (err) {
      return unavailable(err);
    }
  }

  #resolve(
    config: Extract<LegacyConfig, { type: 'resolve' }>,
    req: BridgeRequest,
  ): LegacyResult | Promise<LegacyResult> {
    const identity = this.#guarded(() => config.resolve(req), 'legacy.resolve', RESOLVE);
    return then(identity, (found) => {
      const userId = toUserId(found?.userId);
      if (!found || userId === undefined) return NONE;
      return { state: 'ok', userId, sessionId: found.sessionId, session: found.session };
    });
  }

  /**
   * `store.get(sid)` once, behind the circuit breaker, within `timeoutMs`; then the user of the session. A store
   * that calls back synchronously (or express-session's MemoryStore, read in place) is answered at once, with no
   * promise; one that answers later (Redis, SQL) gets one promise, settled from its callback with the whole
   * result, bounded by the shared `deadlines` rather than a timer of its own. Like express-session, an error whose
   * `code` is `'ENOENT'` is "no session" (session-file-store answers a destroyed or unknown session that way).
   * Throws (or resolves to `unavailable`) on a failure; never rejects for one.
   */
  #readStore(
    config: Extract<LegacyConfig, { type: 'store' }>,
    sid: string,
    now: number,
  ): LegacyResult | Promise<LegacyResult> {
    const { store, breaker } = config;
    if (breaker && !breaker.allow()) this.#refuse('legacy store', STORE, breaker);
    const sessions = store.get === this.#inPlace ? sessionsOf(store) : undefined;
    if (sessions) {
      let found: LegacySessionData | undefined;
      try {
        found = readInPlace(sessions, sid);
      } catch (cause) {
        this.#failed('legacy store', STORE, cause);
      }
      this.#answered('legacy store');
      return this.#user(config, sid, found, now);
    }
    const outcome = (err: unknown, session: unknown): LegacyResult | Promise<LegacyResult> => {
      if (err && !isNoSession(err)) this.#failed('legacy store', STORE, err);
      this.#answered('legacy store');
      return this.#user(config, sid, isNoSession(err) ? null : (session as LegacySessionData | null), now);
    };
    let settled = false;
    let sync = true;
    let early: [unknown, unknown] | undefined;
    let later: ((err: unknown, session: unknown) => void) | undefined;
    try {
      store.get(sid, (err, session) => {
        if (settled) return;
        settled = true;
        if (sync) early = [err, session];
        else later?.(err, session);
      });
    } catch (cause) {
      settled = true;
      this.#failed('legacy store', STORE, cause);
    }
    sync = false;
    if (early) return outcome(early[0], early[1]);
    return new Promise<LegacyResult>((resolve, reject) => {
      const settle = (answer: () => LegacyResult | Promise<LegacyResult>) => {
        try {
          resolve(answer());
        } catch (err) {
          try {
            resolve(unavailable(err));
          } catch (bug) {
            reject(bug);
          }
        }
      };
      const cancel = this.#deadlines.add(config.timeoutMs, () => {
        if (settled) return;
        settled = true;
        settle(() =>
          this.#failed(
            'legacy store',
            STORE,
            new TimeoutError(`legacy store did not answer within ${config.timeoutMs} ms`),
          ),
        );
      });
      later = (err, session) => {
        cancel();
        settle(() => outcome(err, session));
      };
    });
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
    const user = (value: unknown): LegacyResult => {
      const userId = toUserId(value);
      if (userId === undefined) {
        this.#debug('legacy session has no user id (not logged in)');
        return NONE;
      }
      return { state: 'ok', userId, sessionId: sid, session };
    };
    // An asynchronous `legacy.userId` that fails is the `unavailable` result, never a rejection.
    if (raw instanceof Promise)
      return raw.then(user, (cause: unknown) => unavailable(failed(USER_ID, cause)));
    return user(raw);
  }

  /**
   * One call to `legacy.resolve` (or `legacy.userId`), within `timeoutMs`, behind the circuit breaker. While the
   * circuit is open the call is not made: the 503 comes at once, with `Retry-After` = the rest of the cool-down.
   * Every call that is made reports its outcome, a timeout as a failure, so a hanging probe is bounded.
   */
  #guarded<T>(work: () => T | PromiseLike<T>, what: string, failure: Failure): T | Promise<T> {
    const config = this.#config;
    const breaker = config.breaker;
    if (breaker && !breaker.allow()) this.#refuse(what, failure, breaker);
    let value: T | Promise<T>;
    try {
      value = settleWithin(work(), config.timeoutMs, what, this.#deadlines);
    } catch (cause) {
      return this.#failed(what, failure, cause);
    }
    if (value instanceof Promise) {
      return value.then(
        (answer) => {
          this.#answered(what);
          return answer;
        },
        (cause: unknown) => this.#failed(what, failure, cause),
      );
    }
    this.#answered(what);
    return value;
  }

  /** The circuit is open: the 503 at once, with `Retry-After` = the rest of the cool-down. */
  #refuse(what: string, failure: Failure, breaker: CircuitBreaker): never {
    throw retryLater(
      new BridgeError(failure[0], failure[1] + OPEN, { cause: new Error(`${what}: circuit open`) }),
      breaker,
    );
  }

  /** A call answered: the breaker hears of it. */
  #answered(what: string): void {
    const breaker = this.#config.breaker;
    if (!breaker) return;
    if (breaker.state !== 'closed') this.#debug(`${what} answered again: circuit closed`);
    breaker.success();
  }

  /** A call failed (or timed out): the breaker hears of it, and the 503 is thrown. */
  #failed(what: string, failure: Failure, cause: unknown): never {
    const error = failed(failure, cause);
    const breaker = this.#config.breaker;
    if (!breaker) throw error;
    const before = breaker.state;
    breaker.failure();
    if (breaker.state !== 'open') throw error;
    if (before !== 'open')
      this.#debug(`${what} failed repeatedly: circuit open, 503 at once for the cool-down`);
    throw retryLater(error, breaker);
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
