import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { CircuitBreaker } from '../../util/circuit-breaker.js';
import { ProviderThrottledError } from './answer.js';

/**
 * An opaque provider credential as read from the request: the provider's own cookie or token header, and
 * nothing else of the request, is what a lookup may forward.
 */
export interface OpaqueCredential {
  /** Where it came from: a cookie, the `Authorization: Bearer` header, or a provider header (`X-Session-Token`). */
  via: 'cookie' | 'bearer' | 'header';
  /** The cookie or header name. */
  name: string;
  value: string;
}

/** A provider's positive answer for an opaque credential, reduced to what the bridge needs. */
export interface OpaqueSession {
  /** The provider's user id (`sub`). */
  subject: string;
  /** When the provider session ends, in milliseconds since the epoch, when the provider says. */
  expiresAt: number | undefined;
  /** Not valid before then (milliseconds since the epoch), when the provider says (introspection's `nbf`). */
  notBefore?: number;
  /** Granted scopes (space-separated), when the provider gives them (RFC 7662 introspection). */
  scope: string | undefined;
  /** Verified facts the provider gives about the identity, as OIDC claims (Ory: `email`, `email_verified`). */
  claims?: { email?: string; email_verified?: boolean };
  /** The identity object a `linkClaim` is read from (Ory: `identity`; introspection: the whole answer). */
  identity: Record<string, unknown>;
  /** The provider's answer as received (whoami JSON, resolver headers, introspection JSON): `req.auth.providerSession`. */
  answer: unknown;
}

/**
 * Asks the provider about one credential. Resolves to the session when it is valid, `null` when the provider
 * refused it (no session, inactive, expired), `'not-yet'` when it is refused for now but may be accepted in a
 * moment (Ory's 403: a second factor is pending), so the refusal is not remembered; rejects when the provider
 * could not be asked or answered something unexpected (that is an outage, never a refusal). Must stop when
 * `signal` aborts.
 */
export type OpaqueLookup = (
  credential: OpaqueCredential,
  signal: AbortSignal,
) => Promise<OpaqueSession | null | 'not-yet'>;

/**
 * Longest opaque credential sent to a provider. Real ones are well under 1 KiB (Ory session tokens, Authgear
 * cookies, access tokens); a longer value is refused without asking, so a client cannot make the provider (or
 * a proxy in front of it) fail on purpose and open the breaker for everyone.
 */
export const MAX_OPAQUE_CREDENTIAL_LENGTH = 4096;

/** Cache, timeout and breaker settings of one opaque check (filled by the options parser). */
export interface OpaqueCheckSettings {
  /** Milliseconds before a lookup is abandoned (503). */
  timeoutMs: number;
  /** Longest time a valid answer is reused; never beyond the session's own expiry. */
  cacheTtlMs: number;
  /** Most valid answers kept. */
  cacheMax: number;
  /** How long a refused credential is answered 401 without asking again. */
  negativeTtlMs: number;
  /** Most refused credentials remembered. */
  negativeMax: number;
  /** Consecutive failures, on distinct credentials, that open the circuit breaker. */
  failureThreshold: number;
  /** Milliseconds the breaker stays open before one probe. */
  coolDownMs: number;
  /** Clock skew tolerated on `notBefore` (the provider's `clockToleranceSeconds`, in ms). */
  clockToleranceMs: number;
}

export type OpaqueCheck =
  | { state: 'ok'; session: OpaqueSession }
  | { state: 'refused' }
  | { state: 'unavailable'; retryAfterSeconds: number; cause: unknown };

interface Cached {
  session: OpaqueSession;
  /** Reuse the answer until then (the bridge's clock). */
  until: number;
}

/** Thrown into a lookup's signal when it took longer than `timeoutMs`. */
export class OpaqueTimeoutError extends Error {
  override readonly name = 'OpaqueTimeoutError';
}

/**
 * The one mechanism behind every opaque provider check (Ory whoami, Authgear's resolver, RFC 7662
 * introspection): a timeout per lookup, concurrent checks of one credential sharing one lookup, a bounded
 * positive cache whose entries never outlive the session, a bounded negative cache for refused credentials,
 * and a circuit breaker that answers "unavailable" at once while the provider is down.
 *
 * The breaker counts the provider's failures, not one credential's:
 * - a 5xx, an unreadable answer or a timeout counts once per distinct credential (a bounded table remembers
 *   the credentials that failed), so retrying one bad credential never opens it;
 * - while it is open, a credential that has never failed may probe at once (one probe at a time): a client
 *   whose own credentials make the provider fail cannot shut new users out, and a real outage still sees
 *   only one call at a time. A credential that failed probes only after the cool-down;
 * - a 429 is not a failure: we call the provider too often. Until its `Retry-After` (at most 60 s) no uncached
 *   lookup is sent and each is answered 503 with the time left as `Retry-After`; cached sessions (and legacy
 *   sessions, which never come here) are not affected, the breaker stays closed, and the first new user after
 *   the provider's own wait gets in (no cool-down, no probe to win).
 *
 * Caches are keyed by a SHA-256 digest of the credential, never by the credential itself, so a heap dump
 * does not hand out live provider sessions.
 */
export class OpaqueSessionChecker {
  readonly #lookup: OpaqueLookup;
  readonly #settings: OpaqueCheckSettings;
  readonly #now: () => number;
  readonly #valid: LRUCache<string, Cached>;
  readonly #refused: LRUCache<string, number>;
  readonly #inFlight = new Map<string, Promise<OpaqueCheck>>();
  /** Credentials whose lookup failed (digest): their failures count once. */
  readonly #failed: LRUCache<string, true>;
  /** Until then (the bridge's clock) the provider asked us to wait (429 `Retry-After`): no uncached lookup. */
  #throttledUntil = 0;
  readonly breaker: CircuitBreaker;

  constructor(lookup: OpaqueLookup, settings: OpaqueCheckSettings, now: () => number) {
    this.#lookup = lookup;
    this.#settings = settings;
    this.#now = now;
    this.#valid = new LRUCache({ max: settings.cacheMax });
    this.#refused = new LRUCache({ max: settings.negativeMax });
    this.#failed = new LRUCache({ max: settings.negativeMax });
    this.breaker = new CircuitBreaker({
      failureThreshold: settings.failureThreshold,
      coolDownMs: settings.coolDownMs,
      now,
    });
  }

  /** Checks one credential. Never throws. */
  check(credential: OpaqueCredential): Promise<OpaqueCheck> | OpaqueCheck {
    if (credential.value.length + credential.name.length > MAX_OPAQUE_CREDENTIAL_LENGTH)
      return { state: 'refused' };
    const key = digest(credential);
    const now = this.#now();
    const cached = this.#valid.get(key);
    if (cached !== undefined) {
      if (cached.until > now) return { state: 'ok', session: cached.session };
      this.#valid.delete(key);
    }
    const refusedUntil = this.#refused.get(key);
    if (refusedUntil !== undefined) {
      if (refusedUntil > now) return { state: 'refused' };
      this.#refused.delete(key);
    }
    const pending = this.#inFlight.get(key);
    if (pending) return pending;
    if (this.#throttledUntil > now) {
      return {
        state: 'unavailable',
        retryAfterSeconds: Math.max(1, Math.ceil((this.#throttledUntil - now) / 1000)),
        cause: new Error('throttled: the provider asked us to slow down (429)'),
      };
    }
    const fresh = !this.#failed.has(key);
    const closed = this.breaker.state === 'closed';
    if (!(closed || (fresh ? this.breaker.probe() : this.breaker.allow()))) {
      return {
        state: 'unavailable',
        retryAfterSeconds: this.breaker.retryAfterSeconds(),
        cause: new Error('circuit open: the provider failed repeatedly'),
      };
    }
    const call = { key, fresh, probe: !closed };
    const work = this.#ask(call, credential).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, work);
    return work;
  }

  async #ask(
    call: { key: string; fresh: boolean; probe: boolean },
    credential: OpaqueCredential,
  ): Promise<OpaqueCheck> {
    const { key } = call;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new OpaqueTimeoutError(`no answer within ${this.#settings.timeoutMs} ms`)),
      this.#settings.timeoutMs,
    );
    timer.unref();
    let session: OpaqueSession | null | 'not-yet';
    try {
      session = await Promise.race([
        this.#lookup(credential, controller.signal),
        new Promise<never>((_, reject) => {
          controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
        }),
      ]);
    } catch (cause) {
      if (cause instanceof ProviderThrottledError) {
        const until = this.#now() + cause.retryAfterSeconds * 1000;
        this.#throttledUntil = Math.max(this.#throttledUntil, until);
        if (call.probe) this.breaker.release();
        return { state: 'unavailable', retryAfterSeconds: cause.retryAfterSeconds, cause };
      }
      // One credential failing again and again is that credential's problem, not the provider's.
      if (call.fresh || call.probe) this.breaker.failure();
      this.#failed.set(key, true);
      return { state: 'unavailable', retryAfterSeconds: this.breaker.retryAfterSeconds(), cause };
    } finally {
      clearTimeout(timer);
    }
    this.breaker.success();
    this.#failed.delete(key);
    if (session === 'not-yet') return { state: 'refused' };
    const now = this.#now();
    // Not valid yet (beyond the tolerance): refused now, not remembered, like Ory's pending second factor.
    if (session?.notBefore !== undefined && session.notBefore > now + this.#settings.clockToleranceMs)
      return { state: 'refused' };
    if (session === null || (session.expiresAt !== undefined && session.expiresAt <= now)) {
      this.#refused.set(key, now + this.#settings.negativeTtlMs);
      return { state: 'refused' };
    }
    const until = Math.min(now + this.#settings.cacheTtlMs, session.expiresAt ?? Number.POSITIVE_INFINITY);
    this.#valid.set(key, { session, until });
    return { state: 'ok', session };
  }
}

function digest(credential: OpaqueCredential): string {
  return createHash('sha256')
    .update(`${credential.via}\u0000${credential.name}\u0000${credential.value}`)
    .digest('base64url');
}
