import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import request, { type Response } from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import type {
  PasswordMigrationHookOptions,
  PasswordMigrationResult,
  PasswordVerifier,
} from '../../src/index.js';
import { sleep } from '../helpers/apps.js';
import { type ExpressFactory, expressVersions } from '../helpers/express-versions.js';
import { createPasswordMigrationHook, type MigrationDeps } from '../helpers/internals.js';

const API_KEY = 'Bearer hook-key-0123456789abcdef';
const ALICE = 'alice@example.com';
const ALICE_PASSWORD = 'correct horse battery staple';
const BOB = 'bob@example.com';
const BOB_PASSWORD = 'tr0ub4dor&3';
const USERS = new Map([
  [ALICE, ALICE_PASSWORD],
  [BOB, BOB_PASSWORD],
]);

/** The legacy check: `null` for an unknown identifier, else whether the password is right. */
const legacyVerify: PasswordVerifier = async (identifier, password) => {
  const stored = USERS.get(identifier);
  return stored === undefined ? null : stored === password;
};

interface Hook {
  app: Express;
  verify: ReturnType<typeof vi.fn<PasswordVerifier>>;
  debug: string[];
  records: PasswordMigrationResult[];
  /** Errors that reached the app's error handler. */
  forwarded: unknown[];
  clock: { now: number };
  post(body: unknown, key?: string | null): Promise<Response>;
}

function hookApp(
  express: ExpressFactory,
  options: Partial<PasswordMigrationHookOptions> = {},
  setup: { before?: RequestHandler } = {},
): Hook {
  const debug: string[] = [];
  const records: PasswordMigrationResult[] = [];
  const forwarded: unknown[] = [];
  const clock = { now: Date.UTC(2026, 0, 1) };
  const deps: MigrationDeps = {
    debug: (line) => debug.push(line),
    now: () => clock.now,
    record: (result) => records.push(result),
  };
  const verify = vi.fn<PasswordVerifier>(options.verify ?? legacyVerify);
  const app = express();
  if (setup.before) app.use(setup.before);
  const hook = createPasswordMigrationHook({ apiKey: API_KEY, ...options, verify }, deps);
  app.post('/migrate-password', hook as unknown as RequestHandler);
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    forwarded.push(err);
    res.status(500).json({ forwarded: true });
  };
  app.use(onError);
  const post = (body: unknown, key: string | null = API_KEY) => {
    const test = request(app).post('/migrate-password').set('Content-Type', 'application/json');
    if (key !== null) test.set('Authorization', key);
    return test.send(typeof body === 'string' ? body : JSON.stringify(body));
  };
  return { app, verify, debug, records, forwarded, clock, post };
}

const login = (identifier: string, password: string) => ({ identifier, password });

describe.each(expressVersions)('%s: Ory password migration hook', (_name, express) => {
  describe('the Ory contract', () => {
    it('answers 200 {"status":"password_match"} when verify confirms the password', async () => {
      const hook = hookApp(express);
      const res = await hook.post(login(ALICE, ALICE_PASSWORD));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'password_match' });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(hook.verify).toHaveBeenCalledWith(ALICE, ALICE_PASSWORD);
      expect(hook.records).toEqual(['match']);
    });

    it('answers 403 {"status":"password_mismatch"} for a wrong password', async () => {
      const hook = hookApp(express);
      const res = await hook.post(login(ALICE, 'wrong'));
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ status: 'password_mismatch' });
      expect(hook.records).toEqual(['mismatch']);
    });

    it('answers an unknown identifier exactly like a wrong password', async () => {
      const hook = hookApp(express);
      const wrong = await hook.post(login(ALICE, 'wrong'));
      const unknown = await hook.post(login('nobody@example.com', 'wrong'));
      expect(unknown.status).toBe(wrong.status);
      expect(unknown.text).toBe(wrong.text);
      const { date: _a, ...wrongHeaders } = wrong.headers;
      const { date: _b, ...unknownHeaders } = unknown.headers;
      expect(unknownHeaders).toEqual(wrongHeaders);
      expect(hook.records).toEqual(['mismatch', 'unknown']);
    });

    it('passes the identifier to verify as Ory sent it, not normalised', async () => {
      const hook = hookApp(express);
      await hook.post(login(' Alice@Example.com ', ALICE_PASSWORD));
      expect(hook.verify).toHaveBeenCalledWith(' Alice@Example.com ', ALICE_PASSWORD);
    });

    it('answers 405 with Allow: POST to other methods', async () => {
      const hook = createPasswordMigrationHook(
        { apiKey: API_KEY, verify: legacyVerify },
        { debug: () => {}, now: Date.now, record: () => {} },
      );
      const app = express();
      app.all('/migrate-password', hook as unknown as RequestHandler);
      const res = await request(app).get('/migrate-password').set('Authorization', API_KEY);
      expect(res.status).toBe(405);
      expect(res.headers.allow).toBe('POST');
    });
  });

  describe('the API key', () => {
    it('answers 401 without a key and records unauthorized', async () => {
      const hook = hookApp(express);
      const res = await hook.post(login(ALICE, ALICE_PASSWORD), null);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'unauthorized' });
      expect(hook.verify).not.toHaveBeenCalled();
      expect(hook.records).toEqual(['unauthorized']);
    });

    it('compares the header verbatim: the token without its configured Bearer prefix is refused', async () => {
      const hook = hookApp(express);
      const res = await hook.post(login(ALICE, ALICE_PASSWORD), API_KEY.slice('Bearer '.length));
      expect(res.status).toBe(401);
      expect(hook.verify).not.toHaveBeenCalled();
    });

    it('answers 401 for a wrong key that has the same length', async () => {
      const hook = hookApp(express);
      const res = await hook.post(login(ALICE, ALICE_PASSWORD), `${API_KEY.slice(0, -1)}X`);
      expect(res.status).toBe(401);
    });

    it('checks the key before reading the body: a wrong key with an oversized body is 401, not 413', async () => {
      const hook = hookApp(express);
      const res = await hook.post(login(ALICE, 'x'.repeat(64 * 1024)), 'Bearer wrong');
      expect(res.status).toBe(401);
      expect(hook.records).toEqual(['unauthorized']);
    });

    it('answers 401 without waiting for the body: a request whose body never ends still gets it', async () => {
      const hook = hookApp(express);
      const server = hook.app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as AddressInfo;
      const req = httpRequest({
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/migrate-password',
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': '1000',
          Authorization: 'Bearer wrong',
        },
      });
      req.on('error', () => {});
      req.write('{"identifier":"alice@example.com","pass');
      try {
        const [res] = (await once(req, 'response')) as [IncomingMessage];
        expect(res.statusCode).toBe(401);
      } finally {
        req.destroy();
        server.close();
      }
    }, 5000);

    it('accepts every key of a rotation list and refuses a third', async () => {
      const oldKey = 'old-key-0123456789abcdef';
      const newKey = 'new-key-fedcba9876543210';
      const hook = hookApp(express, { apiKey: [oldKey, newKey] });
      expect((await hook.post(login(ALICE, ALICE_PASSWORD), oldKey)).status).toBe(200);
      expect((await hook.post(login(ALICE, ALICE_PASSWORD), newKey)).status).toBe(200);
      expect((await hook.post(login(ALICE, ALICE_PASSWORD), 'third-key-0123456789ab')).status).toBe(401);
    });

    it('reads the key from a custom header, case-insensitively, and no longer from Authorization', async () => {
      const key = 'plain-key-0123456789abcdef';
      const hook = hookApp(express, { apiKey: key, header: 'X-Migration-Key' });
      const withHeader = await request(hook.app)
        .post('/migrate-password')
        .set('x-migration-key', key)
        .send(login(ALICE, ALICE_PASSWORD));
      expect(withHeader.status).toBe(200);
      const inAuthorization = await hook.post(login(ALICE, ALICE_PASSWORD), key);
      expect(inAuthorization.status).toBe(401);
    });
  });

  describe('rate limits', () => {
    it('refuses an identifier after 10 failures with 429 and Retry-After, even with the right password', async () => {
      const hook = hookApp(express);
      for (let i = 0; i < 10; i++) expect((await hook.post(login(ALICE, `wrong-${i}`))).status).toBe(403);
      const eleventh = await hook.post(login(ALICE, ALICE_PASSWORD));
      expect(eleventh.status).toBe(429);
      expect(eleventh.body).toEqual({ error: 'rate_limited' });
      expect(eleventh.headers['retry-after']).toBe(String(15 * 60));
      expect(hook.verify).toHaveBeenCalledTimes(10);
      expect(hook.records.at(-1)).toBe('rateLimited');
      expect((await hook.post(login(BOB, BOB_PASSWORD))).status).toBe(200);
    });

    it('counts failures for unknown identifiers too, so 429 does not reveal which identifiers exist', async () => {
      const hook = hookApp(express, { limits: { perIdentifier: { max: 2 } } });
      for (const identifier of [ALICE, 'nobody@example.com']) {
        await hook.post(login(identifier, 'wrong'));
        await hook.post(login(identifier, 'wrong'));
        expect((await hook.post(login(identifier, 'wrong'))).status).toBe(429);
      }
    });

    it('counts an identifier trimmed and case-insensitively', async () => {
      const hook = hookApp(express, { limits: { perIdentifier: { max: 2 } } });
      await hook.post(login(' ALICE@example.com', 'wrong'));
      await hook.post(login('alice@EXAMPLE.com ', 'wrong'));
      expect((await hook.post(login(ALICE, ALICE_PASSWORD))).status).toBe(429);
    });

    it('lets the identifier in again once its window has passed', async () => {
      const hook = hookApp(express, { limits: { perIdentifier: { max: 2, windowMs: 60_000 } } });
      await hook.post(login(ALICE, 'wrong'));
      await hook.post(login(ALICE, 'wrong'));
      hook.clock.now += 59_000;
      const late = await hook.post(login(ALICE, ALICE_PASSWORD));
      expect(late.status).toBe(429);
      expect(late.headers['retry-after']).toBe('1');
      hook.clock.now += 1_000;
      expect((await hook.post(login(ALICE, ALICE_PASSWORD))).status).toBe(200);
    });

    it('clears the failures of an identifier once its password matched', async () => {
      const hook = hookApp(express, { limits: { perIdentifier: { max: 2 } } });
      await hook.post(login(ALICE, 'wrong'));
      await hook.post(login(ALICE, ALICE_PASSWORD));
      await hook.post(login(ALICE, 'wrong'));
      expect((await hook.post(login(ALICE, 'wrong'))).status).toBe(403);
    });

    it('does not count a failing verify as a failed attempt', async () => {
      let broken = true;
      const hook = hookApp(express, {
        limits: { perIdentifier: { max: 2 } },
        verify: (identifier, password) => {
          if (broken) throw new Error('database down');
          return legacyVerify(identifier, password);
        },
      });
      for (let i = 0; i < 3; i++) expect((await hook.post(login(ALICE, ALICE_PASSWORD))).status).toBe(503);
      broken = false;
      expect((await hook.post(login(ALICE, ALICE_PASSWORD))).status).toBe(200);
    });

    it('refuses everyone with 429 once the global limit of failures is reached, until its window passes', async () => {
      const hook = hookApp(express, { limits: { global: { max: 3, windowMs: 60_000 } } });
      for (const identifier of ['a@example.com', 'b@example.com', 'c@example.com']) {
        expect((await hook.post(login(identifier, 'guess'))).status).toBe(403);
      }
      const bob = await hook.post(login(BOB, BOB_PASSWORD));
      expect(bob.status).toBe(429);
      expect(bob.headers['retry-after']).toBe('60');
      hook.clock.now += 60_000;
      expect((await hook.post(login(BOB, BOB_PASSWORD))).status).toBe(200);
    });

    it('allows 300 failures per minute overall by default', async () => {
      const hook = hookApp(express, { verify: () => null });
      const statuses: number[] = [];
      for (let batch = 0; batch < 6; batch++) {
        const sent = Array.from({ length: 50 }, (_, i) =>
          hook.post(login(`u${batch}-${i}@example.com`, 'guess')),
        );
        for (const res of await Promise.all(sent)) statuses.push(res.status);
      }
      expect(statuses.every((s) => s === 403)).toBe(true);
      expect((await hook.post(login(BOB, BOB_PASSWORD))).status).toBe(429);
    });

    it('does not let concurrent attempts overtake the per-identifier limit', async () => {
      const hook = hookApp(express, {
        verify: async (identifier, password) => {
          await sleep(30);
          return legacyVerify(identifier, password);
        },
      });
      const results = await Promise.all(Array.from({ length: 20 }, () => hook.post(login(ALICE, 'wrong'))));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([...Array(10).fill(403), ...Array(10).fill(429)]);
      expect(hook.verify).toHaveBeenCalledTimes(10);
    });

    it('forgets the least recently seen identifier beyond maxTrackedIdentifiers', async () => {
      const hook = hookApp(express, { limits: { perIdentifier: { max: 1 }, maxTrackedIdentifiers: 2 } });
      await hook.post(login(ALICE, 'wrong'));
      expect((await hook.post(login(ALICE, ALICE_PASSWORD))).status).toBe(429);
      await hook.post(login('c@example.com', 'wrong'));
      await hook.post(login('d@example.com', 'wrong'));
      expect((await hook.post(login(ALICE, ALICE_PASSWORD))).status).toBe(200);
    });
  });

  describe('the body', () => {
    it('answers 413 to a body whose Content-Length is above 16 KiB, without calling verify', async () => {
      const hook = hookApp(express);
      const res = await hook.post(login(ALICE, 'x'.repeat(16 * 1024)));
      expect(res.status).toBe(413);
      expect(res.body).toEqual({ error: 'payload_too_large' });
      expect(hook.verify).not.toHaveBeenCalled();
      expect(hook.records).toEqual([]);
    });

    it('answers 413 once a chunked body without Content-Length passes 16 KiB while streaming', async () => {
      const seen: Array<string | undefined> = [];
      const hook = hookApp(
        express,
        {},
        {
          before: (req, _res, next) => {
            seen.push(req.headers['content-length']);
            next();
          },
        },
      );
      const test = request(hook.app)
        .post('/migrate-password')
        .set('Authorization', API_KEY)
        .set('Content-Type', 'application/json');
      test.write(`{"identifier":"${ALICE}","password":"`);
      for (let i = 0; i < 20; i++) test.write('y'.repeat(1024));
      test.write('"}');
      const res = await test;
      expect(seen).toEqual([undefined]);
      expect(res.status).toBe(413);
      expect(hook.verify).not.toHaveBeenCalled();
    });

    it('accepts a body of exactly 16 KiB', async () => {
      const hook = hookApp(express);
      const padding = 16 * 1024 - JSON.stringify(login(ALICE, '')).length;
      const res = await hook.post(login(ALICE, 'p'.repeat(padding)));
      expect(res.status).toBe(403);
    });

    it.each([
      ['not JSON', 'identifier=alice&password=x'],
      ['a JSON array', '[]'],
      ['JSON null', 'null'],
      ['without password', JSON.stringify({ identifier: ALICE })],
      ['with a number identifier', JSON.stringify({ identifier: 42, password: 'x' })],
      ['with an empty password', JSON.stringify({ identifier: ALICE, password: '' })],
      ['empty', ''],
    ])('answers 400 to a body %s, without calling verify or recording', async (_what, body) => {
      const hook = hookApp(express);
      const res = await hook.post(body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request' });
      expect(hook.verify).not.toHaveBeenCalled();
      expect(hook.records).toEqual([]);
    });

    it('uses the body express.json() already parsed', async () => {
      const hook = hookApp(express, {}, { before: express.json() });
      const res = await hook.post(login(ALICE, ALICE_PASSWORD));
      expect(res.status).toBe(200);
    });

    it('reads the stream itself when express.json() skipped a request of another content type', async () => {
      const hook = hookApp(express, {}, { before: express.json() });
      const res = await request(hook.app)
        .post('/migrate-password')
        .set('Authorization', API_KEY)
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify(login(ALICE, ALICE_PASSWORD)));
      expect(res.status).toBe(200);
    });

    it('parses a body express.text() left as a string', async () => {
      const hook = hookApp(express, {}, { before: express.text({ type: '*/*' }) });
      const res = await hook.post(login(ALICE, ALICE_PASSWORD));
      expect(res.status).toBe(200);
    });
  });

  describe('when verify cannot answer', () => {
    it('answers 503 with Retry-After when verify is slower than timeoutMs, and records error', async () => {
      const hook = hookApp(express, { timeoutMs: 50, verify: () => new Promise<boolean>(() => {}) });
      const res = await hook.post(login(ALICE, ALICE_PASSWORD));
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: 'temporarily_unavailable' });
      expect(res.headers['retry-after']).toBeDefined();
      expect(hook.records).toEqual(['error']);
      expect(hook.debug.some((line) => line.includes('timed out after 50 ms'))).toBe(true);
    });

    it.each([
      [
        'throws',
        () => {
          throw new Error('boom');
        },
      ],
      ['rejects', () => Promise.reject(new Error('boom'))],
      ['returns a string', () => 'yes' as unknown as boolean],
      ['returns undefined', () => undefined as unknown as boolean],
    ])('answers 503 and records error when verify %s', async (_what, verify: PasswordVerifier) => {
      const hook = hookApp(express, { verify });
      const res = await hook.post(login(ALICE, ALICE_PASSWORD));
      expect(res.status).toBe(503);
      expect(hook.records).toEqual(['error']);
      expect(hook.forwarded).toEqual([]);
    });

    it('still answers when the debug logger and the recorder throw', async () => {
      const hook = createPasswordMigrationHook(
        { apiKey: API_KEY, verify: legacyVerify },
        {
          debug: () => {
            throw new Error('logger down');
          },
          now: Date.now,
          record: () => {
            throw new Error('stats down');
          },
        },
      );
      const app = express();
      app.post('/migrate-password', hook as unknown as RequestHandler);
      const res = await request(app)
        .post('/migrate-password')
        .set('Authorization', API_KEY)
        .send(login(ALICE, ALICE_PASSWORD));
      expect(res.status).toBe(200);
    });
  });

  describe('secrecy', () => {
    it('never lets the password reach a debug line, a record, a response or a forwarded error', async () => {
      const secret = 'Canary-P4ssw0rd-9f8e7d';
      const identifier = 'Carol.Canary@example.com';
      const responses: Response[] = [];
      const throwing = hookApp(express, {
        verify: () => {
          throw new Error(`no user ${identifier} with password ${secret}`);
        },
      });
      const slow = hookApp(express, { timeoutMs: 20, verify: () => new Promise<boolean>(() => {}) });
      const normal = hookApp(express, { limits: { perIdentifier: { max: 2 } } });
      const parsed = hookApp(express, {}, { before: express.json() });
      responses.push(await throwing.post(login(identifier, secret)));
      responses.push(await slow.post(login(identifier, secret)));
      for (let i = 0; i < 3; i++) responses.push(await normal.post(login(identifier, secret)));
      responses.push(await normal.post(login(ALICE, secret)));
      responses.push(await normal.post({ password: secret }));
      responses.push(await normal.post(`{"identifier":"${identifier}","password":"${secret}"`));
      responses.push(await normal.post(login(identifier, secret.repeat(1000))));
      responses.push(await normal.post(login(identifier, secret), secret));
      responses.push(await parsed.post({ identifier, password: secret, extra: [secret] }));

      const hooks = [throwing, slow, normal, parsed];
      const seen = JSON.stringify({
        debug: hooks.flatMap((h) => h.debug),
        records: hooks.flatMap((h) => h.records),
        forwarded: hooks.flatMap((h) => h.forwarded).map((e) => [String(e), (e as Error).stack]),
        responses: responses.map((r) => [r.status, r.headers, r.text]),
      });
      expect(responses.map((r) => r.status)).toEqual([503, 503, 403, 403, 429, 403, 400, 400, 413, 401, 403]);
      expect(seen).not.toContain(secret);
      expect(seen.toLowerCase()).not.toContain(identifier.toLowerCase());
      expect(hooks.flatMap((h) => h.debug).some((line) => /id#[\w-]{8}/.test(line))).toBe(true);
    });
  });
});

describe('createPasswordMigrationHook options', () => {
  const deps: MigrationDeps = { debug: () => {}, now: Date.now, record: () => {} };
  const valid: PasswordMigrationHookOptions = { apiKey: API_KEY, verify: legacyVerify };
  const build = (options: unknown) => () =>
    createPasswordMigrationHook(options as PasswordMigrationHookOptions, deps);

  it.each([
    ['options that are not an object', null, /must be an object/],
    ['an unknown option', { ...valid, apikey: API_KEY }, /unknown option `apikey`/],
    ['a missing apiKey', { verify: legacyVerify }, /`apiKey` is required/],
    ['an empty apiKey list', { ...valid, apiKey: [] }, /`apiKey` is required/],
    ['a short apiKey', { ...valid, apiKey: 'short' }, /at least 16 characters/],
    ['an apiKey with surrounding spaces', { ...valid, apiKey: ` ${API_KEY}` }, /leading or trailing spaces/],
    ['a non-string key in the list', { ...valid, apiKey: [API_KEY, 42] }, /`apiKey\[1\]` must be a string/],
    ['a missing verify', { apiKey: API_KEY }, /`verify` is required/],
    [
      'a header that is not a header name',
      { ...valid, header: 'x key' },
      /`header` must be an HTTP header name/,
    ],
    ['a timeoutMs of 0', { ...valid, timeoutMs: 0 }, /`timeoutMs` must be a positive whole number/],
    [
      'a fractional limit',
      { ...valid, limits: { perIdentifier: { max: 1.5 } } },
      /`limits.perIdentifier.max`/,
    ],
    ['a negative window', { ...valid, limits: { global: { windowMs: -1 } } }, /`limits.global.windowMs`/],
    ['an unknown limit', { ...valid, limits: { perIp: { max: 1 } } }, /unknown option `limits.perIp`/],
    [
      'a zero maxTrackedIdentifiers',
      { ...valid, limits: { maxTrackedIdentifiers: 0 } },
      /maxTrackedIdentifiers/,
    ],
  ])('rejects %s with a TypeError that names the option', (_what, options, message) => {
    expect(build(options)).toThrow(TypeError);
    expect(build(options)).toThrow(message);
  });

  it('accepts the minimal options and returns a named handler', () => {
    expect(build(valid)().name).toBe('passwordMigrationHook');
  });
});
