import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CutoverState } from '../cutover/state.js';
import { BridgeError } from '../errors.js';
import type { BridgeRequest } from '../types.js';
import type { Decision } from './decide.js';
import type { NextFunction } from './middleware-types.js';
import type { Evaluate } from './pipeline.js';
import type { RequestLedger, RequestState } from './require-user.js';

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
 * conflicting credential, or an unavailable store or provider, is kept in the request's state (no `req.auth`)
 * and the request goes on; `requireUser()` answers it. A route that never asked for a user is not answered for.
 * In `observe` mode the request goes on at once and the decision is made off the request path;
 * `requireUser()` waits for it and enforces it.
 */
export function createBridgeMiddleware(parts: BridgeMiddlewareParts) {
  const { cutover, evaluate, ledger, nudge, debug } = parts;
  return function sessionBridgeMiddleware(req: IncomingMessage, res: ServerResponse, next: NextFunction) {
    const request = req as BridgeRequest;
    // Idempotent per instance: a request is decided once by this bridge. A `req.auth` set by anything else
    // (another bridge with other options, express-jwt, basic auth) is never taken as this bridge's decision.
    if (ledger.states.has(req)) {
      next();
      return;
    }
    // Read once: a configure() during this request applies from the next one.
    const settings = cutover.current;
    const state: RequestState = { legacyDisabled: false, mode: settings.mode };
    ledger.states.set(req, state);
    if (settings.mode === 'observe') {
      // Measured off the request path; a requireUser() route waits for this decision and enforces it.
      const observed = Promise.resolve().then(() => evaluate(request, settings));
      observed.catch((err: unknown) => debug(`observe: ${String(err)}`));
      state.observed = observed;
      next();
      return;
    }
    const apply = (decision: Decision): void => {
      state.legacyDisabled = decision.legacyDisabled;
      if (decision.error) {
        // Kept for requireUser() to answer; the request goes on without `req.auth`.
        state.error = decision.error;
        next();
        return;
      }
      if (decision.auth) {
        if (nudge && decision.auth.kind === 'legacy') {
          decision.auth.upgradeSuggested = true;
          if (!res.headersSent) res.setHeader(UPGRADE_HEADER, 'provider');
        }
        ledger.issued.add(decision.auth);
        request.auth = decision.auth;
      }
      next();
    };
    // evaluate() handles every expected failure; this is a bug guard, never a crash.
    const unexpected = (err: unknown): void => {
      state.error = new BridgeError(
        'ERR_BRIDGE_RESOLVER_UNAVAILABLE',
        'Authentication failed unexpectedly.',
        {
          cause: err,
        },
      );
      next();
    };
    let decision: Decision | Promise<Decision>;
    try {
      decision = evaluate(request, settings);
    } catch (err) {
      unexpected(err);
      return;
    }
    if (decision instanceof Promise) decision.then(apply, unexpected);
    else apply(decision);
  };
}
