/**
 * Ory's `GET /sessions/whoami`, shaped like Ory Network / Kratos answer it: 200 with a Session object
 * (`id`, `active`, `expires_at`, `authenticated_at`, `issued_at`, `authenticator_assurance_level`, `identity`)
 * and `X-Kratos-Authenticated-Identity-Id`; 401 without a valid session; 403 when a second factor is needed.
 * A session is found by the value of an Ory cookie (`ory_session_*`, `ory_kratos_session`) or `X-Session-Token`.
 */
import { randomUUID } from 'node:crypto';
import { json, type StandinServer, startStandin } from './standin-server.js';

export interface OryIdentity {
  id: string;
  schema_id: string;
  traits: Record<string, unknown>;
  metadata_public: Record<string, unknown> | null;
  /** Kratos: `{ value, via, verified, status }` for each address the identity schema marks verifiable. */
  verifiable_addresses?: Array<{ value: string; via: string; verified: boolean; status: string }>;
}

export interface OrySessionRecord {
  active?: boolean;
  /** Default: in one day. */
  expiresAt?: Date;
  identity?: Partial<OryIdentity>;
  /** Answer 403 (second factor required) instead of the session. */
  needsAal2?: boolean;
}

export interface OryStandin {
  server: StandinServer;
  /** The project URL (`https://{slug}.projects.oryapis.com` in production). */
  url: string;
  /** When set, every whoami call is answered 429 with this `Retry-After` (Ory's project rate limit). */
  throttle: { retryAfter: string } | undefined;
  /** Credential values Ory fails on with a 500 (a provider bug a crafted credential triggers). */
  crashOn: Set<string>;
  /** Stores a session and returns its credential value (cookie value or session token). */
  addSession(record?: OrySessionRecord): { value: string; identityId: string };
  close(): Promise<void>;
}

function readOryCredential(headers: Record<string, string | string[] | undefined>): string | undefined {
  const token = headers['x-session-token'];
  if (typeof token === 'string') return token;
  const cookie = headers.cookie;
  if (typeof cookie !== 'string') return undefined;
  for (const part of cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name !== undefined && (name.startsWith('ory_session_') || name === 'ory_kratos_session')) {
      return rest.join('=');
    }
  }
  return undefined;
}

export async function startOryStandin(): Promise<OryStandin> {
  const sessions = new Map<
    string,
    Required<Omit<OrySessionRecord, 'identity'>> & { identity: OryIdentity }
  >();
  const crashOn = new Set<string>();
  const server = await startStandin((req, res) => {
    if (req.method !== 'GET' || req.path !== '/sessions/whoami') {
      json(res, 404, { error: { code: 404, status: 'Not Found' } });
      return;
    }
    if (standin.throttle) {
      json(
        res,
        429,
        { error: { code: 429, status: 'Too Many Requests' } },
        { 'retry-after': standin.throttle.retryAfter },
      );
      return;
    }
    const value = readOryCredential(req.headers);
    if (value !== undefined && crashOn.has(value)) {
      json(res, 500, { error: { code: 500, status: 'Internal Server Error' } });
      return;
    }
    const session = value === undefined ? undefined : sessions.get(value);
    if (!session || session.expiresAt.getTime() <= Date.now()) {
      json(res, 401, {
        error: {
          code: 401,
          status: 'Unauthorized',
          reason: 'No valid session credentials found in the request.',
          message: 'The request could not be authorized',
        },
      });
      return;
    }
    if (session.needsAal2) {
      json(res, 403, { error: { id: 'session_aal2_required', code: 403, status: 'Forbidden' } });
      return;
    }
    const now = new Date();
    json(
      res,
      200,
      {
        id: randomUUID(),
        active: session.active,
        expires_at: session.expiresAt.toISOString(),
        authenticated_at: now.toISOString(),
        authenticator_assurance_level: 'aal1',
        authentication_methods: [{ method: 'password', aal: 'aal1', completed_at: now.toISOString() }],
        issued_at: now.toISOString(),
        identity: session.identity,
        devices: [],
      },
      { 'x-kratos-authenticated-identity-id': session.identity.id },
    );
  });
  const standin: OryStandin = {
    server,
    url: server.origin,
    throttle: undefined,
    crashOn,
    addSession(record = {}) {
      const value = `ory_st_${randomUUID().replaceAll('-', '')}`;
      const identity: OryIdentity = {
        id: randomUUID(),
        schema_id: 'default',
        traits: { email: 'user@example.test' },
        metadata_public: null,
        ...record.identity,
      };
      sessions.set(value, {
        active: record.active ?? true,
        expiresAt: record.expiresAt ?? new Date(Date.now() + 86_400_000),
        needsAal2: record.needsAal2 ?? false,
        identity,
      });
      return { value, identityId: identity.id };
    },
    close: () => server.close(),
  };
  return standin;
}
