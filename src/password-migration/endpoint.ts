import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GuardConfig } from '../options/password-migration.js';
import { DEFAULT_RETRY_AFTER_SECONDS } from '../request/respond.js';
import { apiKeyChecker } from './api-key.js';
import { type CheckOutcome, PasswordChecks, type Verdict } from './password-check.js';
import { readJsonBody } from './read-json-body.js';
import { sendJson } from './respond-json.js';
import type {
  MigrationDeps,
  MigrationHandler,
  MigrationNext,
  PasswordMigrationEndpoint,
  PasswordMigrationResult,
} from './types.js';

/** `deps` made safe to call: a debug logger or a recorder that throws never fails a request. */
function guardedDeps(name: string, deps: MigrationDeps): MigrationDeps {
  const debug = (message: string) => {
    try {
      deps.debug(`${name}: ${message}`);
    } catch {
      // A failing logger must not fail a request.
    }
  };
  return {
    debug,
    now: deps.now,
    record: (result: PasswordMigrationResult, endpoint: PasswordMigrationEndpoint) => {
      try {
        deps.record(result, endpoint);
      } catch {
        debug(`record(${result}) threw`);
      }
    },
  };
}

/** The non-empty string fields `names` of `body`, in order, or `undefined` when one is missing or not one. */
function stringFields<const N extends readonly string[]>(
  body: Record<string, unknown>,
  names: N,
): Fields<N> | undefined {
  const values = names.map((name) => (Object.hasOwn(body, name) ? body[name] : undefined));
  return values.every((v): v is string => typeof v === 'string' && v.length > 0)
    ? (values as Fields<N>)
    : undefined;
}

/** Answers 503 with `Retry-After`: the check could not be made. */
export function sendUnavailable(res: ServerResponse): void {
  sendJson(
    res,
    503,
    { error: 'temporarily_unavailable' },
    { 'Retry-After': String(DEFAULT_RETRY_AFTER_SECONDS) },
  );
}

/** One string per field name. */
export type Fields<N extends readonly string[]> = { [K in keyof N]: string };

/**
 * Answers a password check: 200 with `matched(value)` for a match; `failed` for a wrong password and an
 * unknown identifier alike; 429 with `Retry-After` past the limits; 503 when the check could not be made.
 */
function sendCheckOutcome<T>(
  res: ServerResponse,
  outcome: CheckOutcome<T>,
  matched: (value: T) => object,
  failed: { status: number; body: object },
): void {
  if (outcome.result === 'match') sendJson(res, 200, matched(outcome.value));
  else if (outcome.result === 'rateLimited') {
    sendJson(res, 429, { error: 'rate_limited' }, { 'Retry-After': String(outcome.retryAfterSeconds) });
  } else if (outcome.result === 'error') sendUnavailable(res);
  else sendJson(res, failed.status, failed.body);
}

/** A password-checking endpoint, as `EndpointKit.passwordCheck` builds it. */
export interface PasswordEndpointSpec<R, T> {
  /** The endpoint, as recorded. */
  endpoint: PasswordMigrationEndpoint;
  /** The body field naming the user (its companion is always `password`); the rate limits are keyed by it. */
  identifierField: string;
  /** The app callback's name, for debug lines. */
  what: string;
  /** The app callback. */
  call: (identifier: string, password: string) => R | PromiseLike<R>;
  /** What its answer means. */
  interpret: (answer: R) => Verdict<T>;
  /** The body of the 200 answer to a match. */
  matched: (value: T) => object;
  /** The answer to a wrong password and to an unknown identifier alike. */
  failed: { status: number; body: object };
}

/**
 * What both migration factories share: `deps` made safe, the password checks behind the failure limits, and
 * POST endpoints taking a JSON object behind the API key.
 */
export class EndpointKit {
  readonly deps: MigrationDeps;
  readonly #checks: PasswordChecks;
  readonly #hasApiKey: (req: IncomingMessage) => boolean;
  readonly #header: string;

  /** `name` prefixes every debug line. */
  constructor(name: string, config: GuardConfig, deps: MigrationDeps) {
    this.deps = guardedDeps(name, deps);
    this.#checks = new PasswordChecks(config, this.deps);
    this.#hasApiKey = apiKeyChecker(config.header, config.apiKeys);
    this.#header = config.header;
  }

  /**
   * A POST endpoint taking a JSON object: 401 (recorded as `unauthorized`) without the API key, before the
   * body is read; 413 or 400 (not recorded) for a body that is too large, not a JSON object, or without the
   * non-empty string `fields`; otherwise `handle` with those fields in order, which must answer. Only a bug
   * in this package reaches `next(err)`. `endpoint` is what `record` is told.
   */
  post<const N extends readonly string[]>(
    endpoint: PasswordMigrationEndpoint,
    fields: N,
    handle: (values: Fields<N>, res: ServerResponse) => Promise<void>,
  ): MigrationHandler {
    const { deps } = this;
    return (req: IncomingMessage, res: ServerResponse, next: MigrationNext) => {
      if (!this.#hasApiKey(req)) {
        deps.debug(`401: missing or wrong API key in the \`${this.#header}\` header`);
        deps.record('unauthorized', endpoint);
        sendJson(res, 401, { error: 'unauthorized' });
        return;
      }
      readJsonBody(req)
        .then((read) => {
          if (!read.ok) {
            deps.debug(`${read.status}: ${read.problem}`);
            sendJson(
              res,
              read.status,
              { error: read.error },
              read.status === 413 ? { Connection: 'close' } : {},
            );
            return;
          }
          const values = stringFields(read.body, fields);
          if (values) return handle(values, res);
          deps.debug(`400: the body needs the non-empty string fields ${fields.join(', ')}`);
          sendJson(res, 400, { error: 'invalid_request' });
        })
        .catch(next);
    };
  }

  /** A POST endpoint taking `{ [identifierField], password }` and answering a password check. */
  passwordCheck<R, T>(spec: PasswordEndpointSpec<R, T>): MigrationHandler {
    return this.post(
      spec.endpoint,
      [spec.identifierField, 'password'],
      async ([identifier, password], res) => {
        const outcome = await this.#checks.check(
          spec.endpoint,
          spec.what,
          identifier,
          () => spec.call(identifier, password),
          spec.interpret,
        );
        sendCheckOutcome(res, outcome, spec.matched, spec.failed);
      },
    );
  }
}
