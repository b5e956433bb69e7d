import type { IncomingMessage } from 'node:http';
import { BridgeError } from '../errors.js';
import { OptionChecks } from '../options/checks.js';
import type { LegacyConfig } from '../options/config.js';
import type { BridgeAuth, BridgeRequest } from '../types.js';
import { type Decision, unexpectedFailure } from './decide.js';
import type { Middleware, NextFunction } from './middleware-types.js';
import { type ErrorPolicy, fail } from './respond.js';

/** Options of `bridge.requireUser()`. */
export interface RequireUserOptions {
  /** Scopes the credential must hold (all of them, or one with `anyScope`). Default: none. */
  scopes?: readonly string[];
  /** One of `scopes` is enough. Default `false`. */
  anyScope?: boolean;
  /** Any other rule on the request user; `false` (or a throw) answers 403 `ERR_BRIDGE_FORBIDDEN`. */
  check?: (auth: BridgeAuth) => boolean;
  /**
   * `'provider-only'`: this route no longer accepts legacy sessions (admin, payments) while the rest of the
   * app still bridges; a legacy session gets 401 `ERR_BRIDGE_LEGACY_DISABLED`. Default: the bridge's mode.
   */
  mode?: 'provider-only';
}

/** `RequireUserOptions` checked, as the route's middleware uses them. */
export interface AccessRule {
  scopes: readonly string[];
  anyScope: boolean;
  check: ((auth: BridgeAuth) => boolean) | undefined;
  providerOnly: boolean;
}

const KEYS: Record<keyof RequireUserOptions, true> = {
  scopes: true,
  anyScope: true,
  check: true,
  mode: true,
};
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** Validates `requireUser()` options once, when the route is built. */
export function parseRequireUserOptions(options: unknown): AccessRule {
  const check = new OptionChecks('requireUser');
  const value = check.optionalRecord(options, 'options must be an object, e.g. { scopes: ["read:orders"] }.');
  check.knownKeys(value, KEYS);
  const scopes: unknown = value.scopes ?? [];
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && SCOPE.test(s))) {
    check.fail(
      '`scopes` must be an array of scope names without spaces or quotes, e.g. ["read:orders"] (RFC 6749 section 3.3).',
    );
  }
  return {
    scopes: Object.freeze([...(scopes as string[])]),
    anyScope: check.boolean('anyScope', value.anyScope, false),
    check: check.optionalFunction<(auth: BridgeAuth) => boolean>('check', value.check, '(auth) => boolean'),
    providerOnly:
      value.mode !== undefined &&
      check.oneOf('mode', value.mode, ['provider-only'] as const, 'provider-only') === 'provider-only',
  };
}

/** The scopes a request user holds: a provider credential's `scope` (space-separated) or `scp`; `legacy.scopes`. */
export function scopesOf(auth: BridgeAuth, legacy: LegacyConfig | undefined): ReadonlySet<string> {
  let raw: unknown;
  if (auth.kind === 'provider') raw = auth.payload?.scope ?? auth.payload?.scp;
  else {
    try {
      raw = legacy?.scopes?.(auth.session);
    } catch {
      raw = undefined;
    }
  }
  const list = typeof raw === 'string' ? raw.split(' ') : Array.isArray(raw) ? raw : [];
  return new Set(list.filter((s): s is string => typeof s === 'string' && s.length > 0));
}

export const legacyDisabledError = (): BridgeError =>
  new BridgeError(
    'ERR_BRIDGE_LEGACY_DISABLED',
    'Sessions from the previous login are no longer accepted: sign in again with the new provider.',
    { hint: 'provider_login_required' },
  );

/**
 * The answer a route with this rule gives to an authenticated request, or `undefined` to let it through:
 * 401 `ERR_BRIDGE_LEGACY_DISABLED` for a legacy session on a provider-only route; 403 `insufficient_scope`
 * (RFC 6750 section 3.1, naming the scopes) when scopes are missing; 403 `ERR_BRIDGE_FORBIDDEN` when `check` says no.
 */
export function denied(
  auth: BridgeAuth,
  rule: AccessRule,
  legacy: LegacyConfig | undefined,
): BridgeError | undefined {
  if (rule.providerOnly && auth.kind === 'legacy') return legacyDisabledError();
  if (rule.scopes.length > 0) {
    const held = scopesOf(auth, legacy);
    const ok = rule.anyScope ? rule.scopes.some((s) => held.has(s)) : rule.scopes.every((s) => held.has(s));
    if (!ok) {
      return new BridgeError(
        'ERR_BRIDGE_INSUFFICIENT_SCOPE',
        `This route requires ${rule.anyScope ? 'one of the scopes' : 'the scopes'}: ${rule.scopes.join(' ')}.`,
        { scope: rule.scopes.join(' ') },
      );
    }
  }
  if (rule.check) {
    let allowed = false;
    try {
      allowed = rule.check(auth) === true;
    } catch {
      allowed = false;
    }
    if (!allowed) return new BridgeError('ERR_BRIDGE_FORBIDDEN', 'The request user is not allowed here.');
  }
  return undefined;
}

/** Observe mode: the decision the middleware is making off the request path, for `requireUser()` to wait for. */
export interface ObservedState {
  observed: Promise<Decision>;
}

/**
 * What this bridge decided about one request: the `Decision` itself (its `error` is answered by `requireUser()`,
 * its `auth` is the `req.auth` this bridge set), `PENDING` while the decision is being made, or the observe
 * mode's pending decision.
 */
export type RequestState = Decision | ObservedState | typeof PENDING;

/** The state of a request whose decision is being made (a store or the provider is being asked). */
export const PENDING: Readonly<{ pending: true }> = Object.freeze({ pending: true });

/**
 * The ledger of one bridge instance, which `requireUser()` trusts: what this bridge decided about each request,
 * and the `req.auth` objects a first-sign-in link produced (the legacy session vouched for them). A `req.auth`
 * is this bridge's only when it is the very object the decision of this request holds: one set by anything
 * else, or copied from another request, is never taken. Weak: it never keeps a request alive.
 *
 * A table rather than a property on the request: Express gives every request object a map of its own
 * (`Object.setPrototypeOf` per request), so each property added to one copies its hidden class (about 5 µs and
 * 1 KB), where a `WeakMap` entry costs a fraction of a microsecond.
 */
export class RequestLedger {
  readonly #states = new WeakMap<IncomingMessage, RequestState>();
  readonly linkedByLegacy = new WeakSet<BridgeAuth>();

  /** What this bridge decided about `req`, if it has seen it. */
  get(req: IncomingMessage): RequestState | undefined {
    return this.#states.get(req);
  }

  set(req: IncomingMessage, state: RequestState): void {
    this.#states.set(req, state);
  }
}

/**
 * `bridge.requireUser(options)`: validates the rule once, when the route is built, and returns the route's
 * middleware. It runs `bridge` first when the bridge was not mounted before the route.
 */
export function createRequireUser(
  ledger: RequestLedger,
  bridge: Middleware,
  policy: ErrorPolicy,
  legacy: LegacyConfig | undefined,
  options: RequireUserOptions | undefined,
): Middleware {
  const rule = parseRequireUserOptions(options);
  return function requireUserMiddleware(req, res, next: NextFunction) {
    const check = () => {
      const { auth } = req as BridgeRequest;
      const state = ledger.get(req);
      if (state !== undefined && 'observed' in state) return observed(state.observed);
      const decision = state !== undefined && 'outcome' in state ? state : undefined;
      if (decision?.error) return fail(policy, res, next, decision.error);
      if (auth !== undefined && auth === decision?.auth) {
        const error =
          rule.providerOnly && ledger.linkedByLegacy.has(auth)
            ? legacyDisabledError()
            : denied(auth, rule, legacy);
        return error ? fail(policy, res, next, error) : next();
      }
      const error = decision?.legacyDisabled
        ? legacyDisabledError()
        : new BridgeError('ERR_BRIDGE_UNAUTHENTICATED', 'Authentication is required.');
      fail(policy, res, next, error);
    };
    // Observe mode never lifts a guard: the route asked for a user, so it waits for the decision the
    // middleware is making off the request path and answers it as bridge mode would.
    const observed = (decision: Promise<Decision>) => {
      decision.then(
        (measured) => {
          const enforced = measured.enforce ?? measured;
          ledger.set(req, enforced);
          if (enforced.auth) (req as BridgeRequest).auth = enforced.auth;
          check();
        },
        (err: unknown) => {
          const failure = unexpectedFailure(err);
          ledger.set(req, failure);
          fail(policy, res, next, failure.error);
        },
      );
    };
    if (ledger.get(req) !== undefined) check();
    else bridge(req, res, (err) => (err === undefined ? check() : next(err)));
  };
}
