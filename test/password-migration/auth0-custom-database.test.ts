import type { ErrorRequestHandler, RequestHandler } from 'express';
import request, { type Response, type Test } from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import type { Auth0CustomDatabaseOptions, Auth0Profile, PasswordMigrationResult } from '../../src/index.js';
import { type ExpressFactory, expressVersions } from '../helpers/express-versions.js';
import { createAuth0CustomDatabase, type MigrationDeps } from '../helpers/internals.js';

const KEY = 'Bearer auth0-db-key-0123456789';
const DANA_EMAIL = 'dana@example.com';
const DANA_PASSWORD = 'dana-legacy-password';

/** Dana as the legacy store holds her: a numeric id, and fields that must never reach Auth0. */
const DANA_RECORD = {
  user_id: 4711,
  email: DANA_EMAIL,
  email_verified: true,
  name: 'Dana Doe',
  app_metadata: { plan: 'pro' },
  user_metadata: { theme: 'dark' },
  password_hash: '$2b$10$legacyhashlegacyhashlegacyhashlegacyhash',
};
const DANA_SENT = {
  user_id: '4711',
  email: DANA_EMAIL,
  email_verified: true,
  name: 'Dana Doe',
  app_metadata: { plan: 'pro' },
  user_metadata: { theme: 'dark' },
};

type Login = Auth0CustomDatabaseOptions['login'];
type GetUser = Auth0CustomDatabaseOptions['getUser'];

const legacyLogin: Login = async (email, password) => {
  if (email !== DANA_EMAIL) return null;
  return password === DANA_PASSWORD ? (DANA_RECORD as Auth0Profile) : false;
};
const legacyGetUser: GetUser = async (email) => (email === DANA_EMAIL ? (DANA_RECORD as Auth0Profile) : null);

/** An app with the handler at `/auth0-db`, and everything it logged, recorded or forwarded. */
function auth0App(
  express: ExpressFactory,
  options: Partial<Auth0CustomDatabaseOptions> = {},
  parseJson = false,
) {
  const seen = {
    debug: [] as string[],
    records: [] as PasswordMigrationResult[],
    forwarded: [] as unknown[],
    clock: Date.UTC(2026, 5, 1),
  };
  const deps: MigrationDeps = {
    debug: (line) => seen.debug.push(line),
    now: () => seen.clock,
    record: (result) => seen.records.push(result),
  };
  const login = vi.fn<Login>(options.login ?? legacyLogin);
  const getUser = vi.fn<GetUser>(options.getUser ?? legacyGetUser);
  const app = express();
  if (parseJson) app.use(express.json());
  app.use(
    '/auth0-db',
    createAuth0CustomDatabase({ apiKey: KEY, ...options, login, getUser }, deps) as unknown as RequestHandler,
  );
  const capture: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    seen.forwarded.push(err);
    res.status(500).end();
  };
  app.use(capture);
  const call = (path: string, body: unknown, key: string | null = KEY): Test => {
    const test = request(app).post(`/auth0-db${path}`);
    return (key === null ? test : test.set('Authorization', key)).send(body as object);
  };
  return { app, seen, login, getUser, call };
}

describe.each(expressVersions)('%s: Auth0 custom database endpoints', (_name, express) => {
  describe('POST /login', () => {
    it('answers 200 with only the profile fields, user_id as a string, when the password matches', async () => {
      const db = auth0App(express);
      const res = await db.call('/login', { email: DANA_EMAIL, password: DANA_PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(DANA_SENT);
      expect(res.text).not.toContain('password_hash');
      expect(db.login).toHaveBeenCalledWith(DANA_EMAIL, DANA_PASSWORD);
      expect(db.seen.records).toEqual(['match']);
    });

    it('answers 401 wrong_credentials for a wrong password and an unknown user alike', async () => {
      const db = auth0App(express);
      const wrong = await db.call('/login', { email: DANA_EMAIL, password: 'nope' });
      const unknown = await db.call('/login', { email: 'eve@example.com', password: 'nope' });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ error: 'wrong_credentials' });
      expect([unknown.status, unknown.text]).toEqual([wrong.status, wrong.text]);
      expect(db.seen.records).toEqual(['mismatch', 'unknown']);
    });

    it('limits failed logins per email: the 11th attempt is 429 even with the right password', async () => {
      const db = auth0App(express);
      for (let i = 0; i < 10; i++) await db.call('/login', { email: DANA_EMAIL, password: `guess-${i}` });
      const res = await db.call('/login', { email: DANA_EMAIL, password: DANA_PASSWORD });
      expect(res.status).toBe(429);
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      expect(db.seen.records.at(-1)).toBe('rateLimited');
      const other = await db.call('/login', { email: 'eve@example.com', password: 'x' });
      expect(other.status).toBe(401);
    });

    it('lets the email in again once its window has passed', async () => {
      const db = auth0App(express, { limits: { perIdentifier: { max: 1, windowMs: 1000 } } });
      await db.call('/login', { email: DANA_EMAIL, password: 'nope' });
      expect((await db.call('/login', { email: DANA_EMAIL, password: DANA_PASSWORD })).status).toBe(429);
      db.seen.clock += 1000;
      expect((await db.call('/login', { email: DANA_EMAIL, password: DANA_PASSWORD })).status).toBe(200);
    });

    it('applies the global limit to logins of every email', async () => {
      const db = auth0App(express, { limits: { global: { max: 2 } } });
      await db.call('/login', { email: 'x@example.com', password: 'nope' });
      await db.call('/login', { email: 'y@example.com', password: 'nope' });
      expect((await db.call('/login', { email: DANA_EMAIL, password: DANA_PASSWORD })).status).toBe(429);
    });

    it('answers 503 and records error when login is slower than timeoutMs', async () => {
      const db = auth0App(express, { timeoutMs: 30, login: () => new Promise<null>(() => {}) });
      const res = await db.call('/login', { email: DANA_EMAIL, password: DANA_PASSWORD });
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(db.seen.records).toEqual(['error']);
    });

    it('answers 503 and records error when login throws', async () => {
      const db = auth0App(express, {
        login: () => {
          throw new Error('legacy db down');
        },
      });
      const res = await db.call('/login', { email: DANA_EMAIL, password: DANA_PASSWORD });
      expect(res.status).toBe(503);
      expect(db.seen.records).toEqual(['error']);
      expect(db.seen.forwarded).toEqual([]);
    });
  });

  describe('POST /get-user', () => {
    it('answers 200 with the profile of a known email, and records nothing', async () => {
      const db = auth0App(express);
      const res = await db.call('/get-user', { email: DANA_EMAIL });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(DANA_SENT);
      expect(db.seen.records).toEqual([]);
    });

    it('answers 404 not_found for an unknown email, and records nothing', async () => {
      const db = auth0App(express);
      const res = await db.call('/get-user', { email: 'eve@example.com' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'not_found' });
      expect(db.seen.records).toEqual([]);
    });

    it('answers 503 and records error when getUser fails or times out', async () => {
      const failing = auth0App(express, { getUser: () => Promise.reject(new Error('down')) });
      const slow = auth0App(express, { timeoutMs: 30, getUser: () => new Promise<null>(() => {}) });
      expect((await failing.call('/get-user', { email: DANA_EMAIL })).status).toBe(503);
      expect((await slow.call('/get-user', { email: DANA_EMAIL })).status).toBe(503);
      expect([...failing.seen.records, ...slow.seen.records]).toEqual(['error', 'error']);
    });

    it('is not rate limited: lookups are not password checks', async () => {
      const db = auth0App(express, { limits: { perIdentifier: { max: 1 }, global: { max: 1 } } });
      for (let i = 0; i < 3; i++)
        expect((await db.call('/get-user', { email: 'eve@example.com' })).status).toBe(404);
    });
  });

  describe('profile checks', () => {
    const invalid: Array<[string, unknown, string]> = [
      ['not an object', 'dana', 'string'],
      ['an array', [DANA_RECORD], 'array'],
      ['an empty user_id', { ...DANA_RECORD, user_id: '' }, '`user_id`'],
      ['a NaN user_id', { ...DANA_RECORD, user_id: Number.NaN }, '`user_id`'],
      ['an object user_id', { ...DANA_RECORD, user_id: { id: 1 } }, '`user_id`'],
      ['no email', { ...DANA_RECORD, email: undefined }, '`email`'],
      ['a numeric email', { ...DANA_RECORD, email: 42 }, '`email`'],
      ['a string email_verified', { ...DANA_RECORD, email_verified: 'true' }, '`email_verified`'],
      ['no email_verified', { ...DANA_RECORD, email_verified: undefined }, '`email_verified`'],
      ['a numeric name', { ...DANA_RECORD, name: 7 }, '`name`'],
      ['array app_metadata', { ...DANA_RECORD, app_metadata: ['pro'] }, '`app_metadata`'],
      ['Date user_metadata', { ...DANA_RECORD, user_metadata: new Date() }, '`user_metadata`'],
      ['unserialisable app_metadata', { ...DANA_RECORD, app_metadata: { big: 1n } }, '`app_metadata`'],
    ];

    it.each(invalid)(
      'answers 503 to a login profile with %s, naming the field in a debug line',
      async (_what, profile, field) => {
        const db = auth0App(express, { login: () => profile as Auth0Profile });
        const res = await db.call('/login', { email: DANA_EMAIL, password: DANA_PASSWORD });
        expect(res.status).toBe(503);
        expect(res.body).toEqual({ error: 'temporarily_unavailable' });
        expect(db.seen.records).toEqual(['error']);
        expect(db.seen.debug.some((line) => line.includes(field))).toBe(true);
      },
    );

    it.each(invalid)('answers 503 to a get-user profile with %s', async (_what, profile) => {
      const db = auth0App(express, { getUser: () => profile as Auth0Profile });
      const res = await db.call('/get-user', { email: DANA_EMAIL });
      expect(res.status).toBe(503);
      expect(db.seen.records).toEqual(['error']);
    });

    it('accepts a minimal profile with a string user_id', async () => {
      const minimal = { user_id: 'legacy|1', email: DANA_EMAIL, email_verified: false };
      const db = auth0App(express, { login: () => minimal });
      const res = await db.call('/login', { email: DANA_EMAIL, password: DANA_PASSWORD });
      expect([res.status, res.body]).toEqual([200, minimal]);
    });
  });

  describe('routing, API key and body', () => {
    it('answers 404 unknown_endpoint to other paths, never not_found', async () => {
      const db = auth0App(express);
      const res = await db.call('/create', { email: DANA_EMAIL });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'unknown_endpoint' });
    });

    it('answers 405 with Allow: POST to other methods', async () => {
      const db = auth0App(express);
      const res = await request(db.app).get('/auth0-db/login').set('Authorization', KEY);
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
    });

    it('routes relative to the mount path and ignores the query string', async () => {
      const db = auth0App(express);
      const res = await request(db.app)
        .post('/auth0-db/get-user?source=auth0')
        .set('Authorization', KEY)
        .send({ email: DANA_EMAIL });
      expect(res.status).toBe(200);
    });

    it('answers 401 without the API key, and to a wrong one, before calling the app', async () => {
      const db = auth0App(express);
      const missing = await db.call('/login', { email: DANA_EMAIL, password: DANA_PASSWORD }, null);
      const wrong = await db.call('/get-user', { email: DANA_EMAIL }, 'Bearer auth0-db-key-0123456780');
      expect([missing.status, wrong.status]).toEqual([401, 401]);
      expect(db.login).not.toHaveBeenCalled();
      expect(db.getUser).not.toHaveBeenCalled();
      expect(db.seen.records).toEqual(['unauthorized', 'unauthorized']);
    });

    it('accepts each key of a rotation list and refuses a third', async () => {
      const keys = ['first-key-0123456789', 'second-key-0123456789'];
      const db = auth0App(express, { apiKey: keys });
      const statuses: number[] = [];
      for (const key of [...keys, 'third-key-0123456789']) {
        statuses.push((await db.call('/get-user', { email: DANA_EMAIL }, key)).status);
      }
      expect(statuses).toEqual([200, 200, 401]);
    });

    it('answers 413 to a body above 16 KiB and 400 to one that is not JSON, recording neither', async () => {
      const db = auth0App(express);
      const large = await db.call('/login', { email: DANA_EMAIL, password: 'x'.repeat(17 * 1024) });
      const garbage = await db.call('/login', '{"email":').set('Content-Type', 'application/json');
      const noEmail = await db.call('/get-user', { mail: DANA_EMAIL });
      expect([large.status, garbage.status, noEmail.status]).toEqual([413, 400, 400]);
      expect(db.seen.records).toEqual([]);
      expect(db.login).not.toHaveBeenCalled();
    });

    it('uses the body express.json() already parsed', async () => {
      const db = auth0App(express, {}, true);
      const res = await db.call('/login', { email: DANA_EMAIL, password: DANA_PASSWORD });
      expect(res.status).toBe(200);
    });
  });

  it('never lets the password reach a debug line, a record, a response or a forwarded error', async () => {
    const secret = 'Canary-Auth0-Pw-1a2b3c';
    const email = 'Frank.Canary@example.com';
    const apps = [
      auth0App(express, { limits: { perIdentifier: { max: 1 } } }),
      auth0App(express, {
        login: () => {
          throw new Error(`bad password ${secret} for ${email}`);
        },
      }),
      auth0App(express, {
        login: () => ({ ...DANA_RECORD, name: secret.length }) as unknown as Auth0Profile,
      }),
      auth0App(express, {}, true),
    ];
    const responses: Response[] = [];
    for (const db of apps) {
      responses.push(await db.call('/login', { email, password: secret }));
      responses.push(await db.call('/login', { email, password: secret }));
      responses.push(await db.call('/login', { email, password: secret }, secret));
      responses.push(await db.call('/login', { password: secret }));
      responses.push(await db.call('/login', { email, password: secret.repeat(800) }));
    }
    const seen = JSON.stringify({
      debug: apps.flatMap((db) => db.seen.debug),
      records: apps.flatMap((db) => db.seen.records),
      forwarded: apps.flatMap((db) => db.seen.forwarded).map((e) => [String(e), (e as Error).stack]),
      responses: responses.map((r) => [r.status, r.headers, r.text]),
    });
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([401, 429, 503, 400, 413]));
    expect(seen).not.toContain(secret);
    expect(seen.toLowerCase()).not.toContain(email.toLowerCase());
  });
});

describe('createAuth0CustomDatabase options', () => {
  const deps: MigrationDeps = { debug: () => {}, now: Date.now, record: () => {} };
  const build = (options: Record<string, unknown>) => () =>
    createAuth0CustomDatabase(options as unknown as Auth0CustomDatabaseOptions, deps);
  const valid = { apiKey: KEY, login: legacyLogin, getUser: legacyGetUser };

  it.each([
    ['a missing login', { apiKey: KEY, getUser: legacyGetUser }, /`login` is required/],
    ['a missing getUser', { apiKey: KEY, login: legacyLogin }, /`getUser` is required/],
    ['a missing apiKey', { login: legacyLogin, getUser: legacyGetUser }, /`apiKey` is required/],
    [
      'a header option (the key is always read from Authorization)',
      { ...valid, header: 'x-key' },
      /unknown option `header`/,
    ],
    ['a non-integer timeoutMs', { ...valid, timeoutMs: 1.5 }, /`timeoutMs`/],
  ])('rejects %s with a TypeError', (_what, options, message) => {
    expect(build(options)).toThrow(TypeError);
    expect(build(options)).toThrow(message);
  });
});
