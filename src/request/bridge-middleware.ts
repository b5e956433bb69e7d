import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CutoverState } from '../cutover/state.js';
import type { BridgeRequest } from '../types.js';
import { type Decision, unexpectedFailure } from './decide.js';
import type { NextFunction } from './middleware-types.js';
import type { Evaluate } from './pipeline.js';
import { PENDING, type RequestLedger } from './require-user.js';

/** The nudge of `nudge: true`, on responses to requests authenticated by a legacy session. */
const UPGRADE_HEADER = 'Session-Bridge-Upgrade';

/** What the bridge middleware works with, built once by `sessionBridge()`. */
export interface BridgeMiddlewareParts {
  cutover: CutoverState;
  evaluate: Evaluate;
  ledger: RequestLedger;
  nudge: boolean;
  debug: (message: string) => void;
}

/**
 * The Express glue of the bridge: decides each request once per instance (idempotent), under the settings it
 * arrived with, then sets `req.auth` and calls `next()`. It decides but never enforces: an invalid or
 * conflicting credential, or an unavailable store or provider, is kept in the request's decision (no
 * `req.auth`) and the request goes on; `requireUser()` answers it. A route that never asked for a user is not
 * answered for. In `observe` mode the request goes on at once and the decision is made off the request path;
 * `requireUser()` waits for it and enforces it. A request decided synchronously (no credential, a cached token,
 * a store that answers at once) allocates no closure and no promise here.
 */
export function createBridgeMiddleware(parts: BridgeMiddlewareParts) {
  const { cutover, evaluate, ledger, nudge, debug } = parts;

  /** Keeps the decision for `requireUser()`, sets `req.auth` when there is a user, and goes on. */
  function settle(req: IncomingMessage, res: ServerResponse, next: NextFunction, decision: Decision): void {
    ledger.set(req, decision);
    const { auth } = decision;
    if (auth && !decision.error) {
      if (nudge && auth.kind === 'legacy') {
        auth.upgradeSuggested = true;
        if (!res.headersSent) res.setHeader(UPGRADE_HEADER, 'provider');
      }
      (req as BridgeRequest).auth = auth;
    }
    next();
  }

  /** evaluate() handles every expected failure; this is a bug guard, never a crash. */
  function broken(req: IncomingMessage, next: NextFunction, err: unknown): void {
    ledger.set(req, unexpectedFailure(err));
    next();
  }

  return function sessionBridgeMiddleware(req: IncomingMessage, res: ServerResponse, next: NextFunction) {
    // Idempotent per instance: a request is decided once by this bridge. A `req.auth` set by anything else
    // (another bridge with other options, express-jwt, basic auth) is never taken as this bridge's decision.
    if (ledger.get(req) !== undefined) {
      next();
      return;
    }
    // Read once: a configure() during this request applies from the next one.
    const settings = cutover.current;
    if (settings.mode === 'observe') {
      // Measured off the request path; a requireUser() route waits for this decision and enforces it.
      const observed = Promise.resolve().then(() => evaluate(req as BridgeRequest, settings));
      observed.catch((err: unknown) => debug(`observe: ${String(err)}`));
      ledger.set(req, { observed });
      next();
      return;
    }
    let decision: Decision | Promise<Decision>;
    try {
      decision = evaluate(req as BridgeRequest, settings);
    } catch (err) {
      broken(req, next, err);
      return;
    }
    if (decision instanceof Promise) {
      ledger.set(req, PENDING); // decided once, even while the store or the provider is being asked
      decision.then(
        (d) => settle(req, res, next, d),
        (err: unknown) => broken(req, next, err),
      );
    } else settle(req, res, next, decision);
  };
}
