import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseAuth0CustomDatabaseOptions } from '../options/password-migration.js';
import { checkAuth0Profile, type SentAuth0Profile } from './auth0-profile.js';
import { EndpointKit, sendUnavailable } from './endpoint.js';
import type { Auth0CustomDatabaseOptions } from './options.js';
import type { Verdict } from './password-check.js';
import { sendJson } from './respond-json.js';
import { runCallback } from './run-callback.js';
import type { MigrationDeps, MigrationHandler, MigrationNext } from './types.js';

/** The answer for a wrong password and for an unknown user alike: 401. */
export const WRONG_CREDENTIALS_BODY = { error: 'wrong_credentials' } as const;
/** The answer of `get-user` for an unknown user: 404. */
export const NOT_FOUND_BODY = { error: 'not_found' } as const;

function interpretLogin(answer: unknown): Verdict<SentAuth0Profile> {
  if (answer === false) return { result: 'mismatch' };
  if (answer === null) return { result: 'unknown' };
  const checked = checkAuth0Profile(answer, 'login');
  return checked.ok
    ? { result: 'match', value: checked.profile }
    : { result: 'error', problem: checked.problem };
}

/** The path of a request relative to the mount point, without its query; one trailing slash is ignored. */
function routeOf(req: IncomingMessage): string {
  const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * The HTTP side of Auth0's custom database scripts (trickle migration), mounted with
 * `app.use('/auth0-db', handler)`:
 * - `POST /login` `{"email", "password"}`: 200 with the profile `login` returned, 401
 *   `{"error":"wrong_credentials"}` for a wrong password or an unknown user (identical answers), 429 past the
 *   failure limits (keyed by email), 503 when `login` fails, times out or returns an invalid profile;
 * - `POST /get-user` `{"email"}`: 200 with the profile, 404 `{"error":"not_found"}`, 503 on failure;
 * - other paths 404 `{"error":"unknown_endpoint"}`, other methods 405; 401 without the API key in
 *   `Authorization` (checked before the body is read); 400/413 for a bad or too large body.
 *
 * Recorded: every login decision (`match`, `mismatch`, `unknown`, `rateLimited`, `error`) and every
 * `unauthorized`; a `get-user` lookup is not a password check, so only its `error`s are recorded.
 * Options are validated here, once (`TypeError`).
 */
export function createAuth0CustomDatabase(
  options: Auth0CustomDatabaseOptions,
  deps: MigrationDeps,
): MigrationHandler {
  const config = parseAuth0CustomDatabaseOptions(options);
  const kit = new EndpointKit('auth0CustomDatabase', config, deps);

  const login = kit.passwordCheck({
    endpoint: 'auth0-login',
    identifierField: 'email',
    what: 'login',
    call: config.login,
    interpret: interpretLogin,
    matched: (profile) => profile,
    failed: { status: 401, body: WRONG_CREDENTIALS_BODY },
  });

  const getUser = kit.post('auth0-get-user', ['email'], async ([email], res) => {
    const answer = await runCallback('getUser', () => config.getUser(email), config.timeoutMs);
    if (answer.ok && answer.value === null) return sendJson(res, 404, NOT_FOUND_BODY);
    const checked = answer.ok ? checkAuth0Profile(answer.value, 'getUser') : answer;
    if (checked.ok) return sendJson(res, 200, checked.profile);
    kit.deps.debug(`get-user error: ${checked.problem}`);
    kit.deps.record('error', 'auth0-get-user');
    sendUnavailable(res);
  });

  const routes: Record<string, MigrationHandler> = { '/login': login, '/get-user': getUser };
  return function auth0CustomDatabase(req: IncomingMessage, res: ServerResponse, next: MigrationNext) {
    const route = routeOf(req);
    const handler = Object.hasOwn(routes, route) ? routes[route] : undefined;
    if (handler === undefined) {
      // Not `not_found`: a script pointed at a wrong URL must not read "no such user" from it.
      sendJson(res, 404, { error: 'unknown_endpoint' });
      return;
    }
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'method_not_allowed' }, { Allow: 'POST' });
      return;
    }
    handler(req, res, next);
  };
}
