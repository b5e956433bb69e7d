import type { IncomingMessage, ServerResponse } from 'node:http';
import { parsePasswordHookOptions } from '../options/password-migration.js';
import { EndpointKit } from './endpoint.js';
import type { PasswordMigrationHookOptions } from './options.js';
import type { Verdict } from './password-check.js';
import { sendJson } from './respond-json.js';
import type { MigrationDeps, MigrationHandler, MigrationNext } from './types.js';

/** Ory's answer for a match: `200 {"status":"password_match"}`. */
export const PASSWORD_MATCH_BODY = { status: 'password_match' } as const;
/** The answer to a wrong password and to an unknown identifier alike, with 403 (Ory: "did not match"). */
export const PASSWORD_MISMATCH_BODY = { status: 'password_mismatch' } as const;

function interpret(answer: unknown): Verdict<true> {
  if (answer === true) return { result: 'match', value: true };
  if (answer === false) return { result: 'mismatch' };
  if (answer === null) return { result: 'unknown' };
  const got = answer === undefined ? 'undefined' : typeof answer;
  return { result: 'error', problem: `verify returned ${got}; expected true, false or null` };
}

/**
 * Ory's password migration web hook (`selfservice.methods.password.config.migrate_hook`): Ory posts
 * `{"identifier", "password"}` with the configured API key; the answer is `200 {"status":"password_match"}`
 * when `verify` says the password is right, 403 for a wrong password or an unknown identifier (identical
 * answers), 429 past the failure limits, 503 when `verify` fails or times out, 401 without the API key
 * (checked before the body is read), 400/413 for a bad or too large body, 405 for other methods.
 *
 * Options are validated here, once (`TypeError`). Mount it on a POST route:
 * `app.post('/migrate-password', hook)`; `express.json()` before it is fine.
 */
export function createPasswordMigrationHook(
  options: PasswordMigrationHookOptions,
  deps: MigrationDeps,
): MigrationHandler {
  const config = parsePasswordHookOptions(options);
  const kit = new EndpointKit('passwordMigrationHook', config, deps);
  const endpoint = kit.passwordCheck({
    endpoint: 'ory-hook',
    identifierField: 'identifier',
    what: 'verify',
    call: config.verify,
    interpret,
    matched: () => PASSWORD_MATCH_BODY,
    failed: { status: 403, body: PASSWORD_MISMATCH_BODY },
  });
  return function passwordMigrationHook(req: IncomingMessage, res: ServerResponse, next: MigrationNext) {
    if (req.method !== 'POST') {
      sendJson(res, 405, { error: 'method_not_allowed' }, { Allow: 'POST' });
      return;
    }
    endpoint(req, res, next);
  };
}
