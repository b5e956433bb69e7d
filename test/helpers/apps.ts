/**
 * Apps under test (they never listen: use `supertest(app)`), and small shared test utilities.
 */
import type { ErrorRequestHandler, Express, Request, RequestHandler } from 'express';
import {
  type AnyBridgeEvent,
  type BridgeEvent,
  type BridgeOptions,
  type BridgeRequest,
  type PasswordMigrationEvent,
  type SessionBridge,
  sessionBridge,
} from '../../src/index.js';
import type { ExpressFactory } from './express-versions.js';

export type Bridge = SessionBridge;

/** Builds a bridge with `stats: false` (core tests record no stats) plus the given options. */
export function makeBridge(options: BridgeOptions): Bridge {
  return sessionBridge({ stats: false, ...options });
}

export function authOf(req: Request): unknown {
  return (req as unknown as BridgeRequest).auth ?? null;
}

/** What the app's fallback error handler answers: any error that reaches it is a 500 the bridge let through. */
export interface UnexpectedErrorBody {
  unexpected: true;
  name: string;
  message: string;
  code?: string;
}

/**
 * An app with the bridge mounted globally and two routes:
 * - `GET /whoami`: `req.auth ?? null` (optional auth)
 * - `GET /me`: behind `bridge.requireUser()`, `req.auth`
 * - `GET /auth-is-undefined`: `true` when `req.auth` is strictly `undefined`
 * A final error handler answers 500 `{ unexpected: true, ... }` so a leaked error is visible in assertions.
 */
export function buildApp(
  express: ExpressFactory,
  bridge: Bridge,
  options: { errorHandler?: ErrorRequestHandler } = {},
): Express {
  const app = express();
  app.use(bridge as unknown as RequestHandler);
  app.get('/whoami', (req, res) => {
    res.json(authOf(req));
  });
  app.get('/auth-is-undefined', (req, res) => {
    res.json((req as unknown as BridgeRequest).auth === undefined);
  });
  app.get('/me', bridge.requireUser() as unknown as RequestHandler, (req, res) => {
    res.json(authOf(req));
  });
  if (options.errorHandler) app.use(options.errorHandler);
  const fallback: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const error = err as { name?: string; message?: string; code?: string };
    const body: UnexpectedErrorBody = {
      unexpected: true,
      name: String(error?.name),
      message: String(error?.message),
      code: error?.code,
    };
    res.status(500).json(body);
  };
  app.use(fallback);
  return app;
}

/** Collects `onEvent` calls: request events in `events`, password migration events in `passwordEvents`. */
export function eventRecorder(): {
  events: BridgeEvent[];
  passwordEvents: PasswordMigrationEvent[];
  onEvent: (event: AnyBridgeEvent) => void;
  /** Waits until at least `count` request events arrived (observe mode may report after the response). */
  waitFor(count: number, timeoutMs?: number): Promise<BridgeEvent[]>;
  clear(): void;
} {
  const events: BridgeEvent[] = [];
  const passwordEvents: PasswordMigrationEvent[] = [];
  return {
    events,
    passwordEvents,
    onEvent: (event) => {
      if (event.type === 'password-migration') passwordEvents.push(event);
      else if (event.type === 'request') events.push(event);
    },
    async waitFor(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`expected ${count} bridge events, got ${events.length}: ${JSON.stringify(events)}`);
        }
        await sleep(5);
      }
      // Let a duplicate (a bug) show up before the caller counts.
      await sleep(20);
      return events;
    },
    clear() {
      events.length = 0;
      passwordEvents.length = 0;
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
