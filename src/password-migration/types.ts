import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * What one call of a migration endpoint decided, as handed to `deps.record` (the bridge counts these in its
 * stats and `onEvent`):
 * - `match`: the password is right (Ory hook: 200 `password_match`; Auth0 login: 200 with the profile);
 * - `mismatch`: the identifier is known and the password is wrong;
 * - `unknown`: the identifier is unknown (answered exactly like `mismatch`);
 * - `rateLimited`: too many failed attempts (for this identifier, or overall), answered 429 before the check;
 * - `unauthorized`: the caller did not present the API key, answered 401 before the body is read;
 * - `error`: the app's callback threw, timed out or returned something invalid, answered 503.
 *
 * Requests that reached no decision are not recorded: a wrong method or path (404/405), a body that is too
 * large (413) or not the expected JSON (400).
 */
export type PasswordMigrationResult =
  | 'match'
  | 'mismatch'
  | 'unknown'
  | 'rateLimited'
  | 'unauthorized'
  | 'error';

/**
 * Which endpoint reached a decision: the Ory hook, or the Auth0 custom database's `POST /login` or
 * `POST /get-user` (a lookup, recorded only as `unauthorized` or `error`).
 */
export type PasswordMigrationEndpoint = 'ory-hook' | 'auth0-login' | 'auth0-get-user';

/** What the bridge hands to the migration endpoints. */
export interface MigrationDeps {
  /**
   * Debug logger. Never receives a password; identifiers appear only as `id#` plus a digest prefix. A logger
   * that throws is ignored.
   */
  debug: (message: string) => void;
  /** Clock in epoch milliseconds, used for the rate-limit windows. */
  now: () => number;
  /**
   * Called exactly once per request that reached a decision, with the endpoint that reached it. A recorder
   * that throws is ignored.
   */
  record: (result: PasswordMigrationResult, endpoint: PasswordMigrationEndpoint) => void;
}

/** `next` as Express calls it. */
export type MigrationNext = (err?: unknown) => void;

/** A request handler usable with Express 4 and 5 (and connect), without importing Express. */
export type MigrationHandler = (req: IncomingMessage, res: ServerResponse, next: MigrationNext) => void;
