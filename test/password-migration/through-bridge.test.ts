/**
 * The password migration endpoints mounted through the bridge (`bridge.passwordMigrationHook`,
 * `bridge.auth0CustomDatabase`): one `onEvent` call and one stats count per decision, in the memory and the Redis
 * store alike, and the password never anywhere in what the bridge reports or stores.
 */
import type { ErrorRequestHandler, Express, RequestHandler } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  type Auth0Profile,
  type MigrationReport,
  memoryStats,
  type PasswordMigrationEvent,
  redisStats,
  type SessionBridge,
  type StatsStore,
  sessionBridge,
} from '../../src/index.js';
import type { PasswordMigrationCounts } from '../../src/stats-store.js';
import { eventRecorder } from '../helpers/apps.js';
import { type ExpressFactory, expressVersions } from '../helpers/express-versions.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import {
  connectNodeRedis,
  deleteKeys,
  describeRedis,
  dumpKeys,
  type RedisConnection,
  scanKeys,
  testPrefix,
} from '../helpers/redis.js';

const ORY_KEY = 'Bearer ory-hook-key-0123456789abcdef';
const AUTH0_KEY = 'Bearer auth0-db-key-0123456789abcdef';
/** Every attempt sends this password, right or wrong: it must never show up in anything the bridge reports. */
const PASSWORD = 'Canary-Pw-7f3a9c-never-stored';
/** The identifiers must not show up either (the stats count decisions, not users). */
const MATCHING = ['alice.canary@example.com', 'bob.canary@example.com', 'carol.canary@example.com'];
const WRONG = 'dave.canary@example.com';
const UNKNOWN = 'nobody.canary@example.com';
const BROKEN = 'broken.canary@example.com';
const IDENTIFIERS = [...MATCHING, WRONG, UNKNOWN, BROKEN];
/** 30 minutes into the current hour: every decision lands in the current hour and day buckets. */
const NOW = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 30 * 60_000;

/** The legacy check: the matching users' password is PASSWORD; dave's is another; broken's check throws. */
function verify(identifier: string, password: string): boolean | null {
  if (identifier === BROKEN) throw new Error(`cannot check ${password} for ${identifier}`);
  if (identifier === WRONG) return password === 'daves-real-password';
  return MATCHING.includes(identifier) ? password === PASSWORD : null;
}

/** What the scripted traffic below decides, by result. */
const EXPECTED: PasswordMigrationCounts = {
  match: 3,
  mismatch: 2,
  unknown: 1,
  rateLimited: 2,
  unauthorized: 2,
  error: 1,
};
const EXPECTED_RESULTS = [
  'match',
  'match',
  'match',
  'mismatch',
  'mismatch',
  'rateLimited',
  'rateLimited',
  'unknown',
  'unauthorized',
  'unauthorized',
  'error',
];

interface BridgeApp {
  app: Express;
  bridge: SessionBridge;
  recorder: ReturnType<typeof eventRecorder>;
  debug: string[];
}

/**
 * The migration routes are mounted before `app.use(bridge)`, as docs/password-migration.md suggests, which keeps
 * their API key (in `Authorization`) away from the bridge; behind it they work too (a test below).
 */
function bridgeApp(express: ExpressFactory, stats: StatsStore): BridgeApp {
  const recorder = eventRecorder();
  const debug: string[] = [];
  const bridge = sessionBridge({
    legacy: { resolve: () => null },
    stats,
    onEvent: recorder.onEvent,
    now: () => NOW,
    debug: (line) => debug.push(line),
  });
  const app = express();
  app.post(
    '/migrate-password',
    bridge.passwordMigrationHook({
      apiKey: ORY_KEY,
      verify,
      // Two failures per identifier, then 429.
      limits: { perIdentifier: { max: 2, windowMs: 60_000 } },
    }) as unknown as RequestHandler,
  );
  app.use(
    '/auth0-db',
    bridge.auth0CustomDatabase({
      apiKey: AUTH0_KEY,
      login: (email, password) => {
        const ok = verify(email, password);
        if (ok === null || ok === false) return ok;
        return { user_id: email.length, email, email_verified: true } satisfies Auth0Profile;
      },
      getUser: () => {
        throw new Error(`lookup failed for ${PASSWORD}`);
      },
    }) as unknown as RequestHandler,
  );
  app.use(bridge as unknown as RequestHandler);
  app.get('/admin/migration', bridge.statsHandler({ public: true }) as unknown as RequestHandler);
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    res.status(500).json({ forwarded: String(err) });
  };
  app.use(onError);
  return { app, bridge, recorder, debug };
}

/** Sends the scripted Ory hook traffic: EXPECTED, in the order of EXPECTED_RESULTS. */
async function sendOryTraffic(app: Express): Promise<number[]> {
  const post = (identifier: string, key: string | null = ORY_KEY) => {
    const test = request(app).post('/migrate-password');
    return (key === null ? test : test.set('Authorization', key)).send({ identifier, password: PASSWORD });
  };
  const statuses: number[] = [];
  for (const identifier of MATCHING) statuses.push((await post(identifier)).status);
  for (let i = 0; i < 4; i++) statuses.push((await post(WRONG)).status); // 2 mismatches, then 2 x 429
  statuses.push((await post(UNKNOWN)).status);
  statuses.push((await post(MATCHING[0]!, null)).status);
  statuses.push((await post(MATCHING[0]!, 'Bearer not-the-key-0123456789')).status);
  statuses.push((await post(BROKEN)).status);
  return statuses;
}

/** The report through the endpoint in every format, and what onEvent and debug saw, as one string. */
async function everythingReported(setup: BridgeApp): Promise<string> {
  const get = (format: string) => request(setup.app).get('/admin/migration').query({ format });
  const [json, prometheus, html] = await Promise.all([get('json'), get('prometheus'), get('html')]);
  expect([json.status, prometheus.status, html.status]).toEqual([200, 200, 200]);
  return JSON.stringify({
    json: json.text,
    prometheus: prometheus.text,
    html: html.text,
    report: await setup.bridge.report({ seriesBucket: 'hour' }),
    events: [...setup.recorder.events, ...setup.recorder.passwordEvents],
    debug: setup.debug,
  });
}

function expectNoSecrets(text: string): void {
  expect(text).not.toContain(PASSWORD);
  for (const identifier of IDENTIFIERS) expect(text.toLowerCase()).not.toContain(identifier);
}

/** Asserts the counts of the scripted traffic through the whole reporting path of a bridge. */
async function expectCounted(setup: BridgeApp, expected: PasswordMigrationCounts): Promise<void> {
  await setup.bridge.flushStats();
  const report = await setup.bridge.report();
  expect(report.recorder).toMatchObject({ dropped: 0, failedFlushes: 0 });
  expect(report.totals.passwordMigrations).toEqual(expected);
  for (const window of ['1d', '7d', '30d'] as const) {
    expect(report.windows[window].passwordMigrations, window).toEqual(expected);
  }
  const today = report.series.at(-1)!;
  expect(today.start).toBe(new Date(Math.floor(NOW / 86_400_000) * 86_400_000).toISOString());
  expect(today.passwordMatches).toBe(expected.match);
  expect(report.series.slice(0, -1).every((p) => p.passwordMatches === 0)).toBe(true);
  // Password decisions are not requests: the request counts stay untouched.
  expect(report.totals.requests).toEqual({
    legacy: 0,
    provider: 0,
    anonymous: 0,
    rejected: 0,
    conflicts: 0,
    unavailable: 0,
  });

  const text = (await request(setup.app).get('/admin/migration').query({ format: 'prometheus' })).text;
  const families = parsePrometheusText(text);
  expect(families.get('session_bridge_password_migrations_total')?.type).toBe('counter');
  const labels: Record<keyof PasswordMigrationCounts, string> = {
    match: 'match',
    mismatch: 'mismatch',
    unknown: 'unknown',
    rateLimited: 'rate_limited',
    unauthorized: 'unauthorized',
    error: 'error',
  };
  for (const [result, label] of Object.entries(labels) as [keyof PasswordMigrationCounts, string][]) {
    expect(text).toContain(
      `session_bridge_password_migrations_total{result="${label}"} ${expected[result]}\n`,
    );
    expect(sampleValue(families, 'session_bridge_password_migrations_total', { result: label })).toBe(
      expected[result],
    );
  }
}

function expectOneEventPerDecision(events: readonly PasswordMigrationEvent[]): void {
  expect(events.map((e) => e.result)).toEqual(EXPECTED_RESULTS);
  for (const event of events) {
    expect(event).toEqual({
      type: 'password-migration',
      time: NOW,
      endpoint: 'ory-hook',
      result: event.result,
    });
  }
}

describe.each(expressVersions)('%s: password migration endpoints through the bridge', (_name, express) => {
  it('validates the options when the method is called, with a TypeError', () => {
    const bridge = sessionBridge({ legacy: { resolve: () => null }, stats: false });
    expect(() => bridge.passwordMigrationHook({ apiKey: 'short', verify })).toThrow(TypeError);
    expect(() => bridge.passwordMigrationHook({ apiKey: ORY_KEY } as never)).toThrow(/`verify` is required/);
    expect(() => bridge.auth0CustomDatabase({ apiKey: AUTH0_KEY, login: () => null } as never)).toThrow(
      /`getUser` is required/,
    );
    expect(typeof bridge.passwordMigrationHook({ apiKey: ORY_KEY, verify })).toBe('function');
  });

  it('counts each Ory hook decision in the totals, every window, the series and Prometheus (memory store)', async () => {
    const setup = bridgeApp(express, memoryStats());
    expect(await sendOryTraffic(setup.app)).toEqual([200, 200, 200, 403, 403, 429, 429, 403, 401, 401, 503]);
    await expectCounted(setup, EXPECTED);
    await setup.bridge.close();
  });

  it('hands onEvent one password-migration event per decision, with its endpoint and no credential', async () => {
    const setup = bridgeApp(express, memoryStats());
    await sendOryTraffic(setup.app);
    expectOneEventPerDecision(setup.recorder.passwordEvents);
    // The hook's routes are mounted before the bridge: no request event for them.
    expect(setup.recorder.events).toEqual([]);

    setup.recorder.clear();
    const call = (path: string, body: object, key = AUTH0_KEY) =>
      request(setup.app).post(`/auth0-db${path}`).set('Authorization', key).send(body);
    expect((await call('/login', { email: MATCHING[1]!, password: PASSWORD })).status).toBe(200);
    expect((await call('/login', { email: UNKNOWN, password: PASSWORD })).status).toBe(401);
    expect((await call('/get-user', { email: UNKNOWN })).status).toBe(503);
    expect((await call('/get-user', { email: UNKNOWN }, ORY_KEY)).status).toBe(401);
    expect(setup.recorder.passwordEvents.map((e) => [e.endpoint, e.result])).toEqual([
      ['auth0-login', 'match'],
      ['auth0-login', 'unknown'],
      ['auth0-get-user', 'error'],
      ['auth0-get-user', 'unauthorized'],
    ]);
    await setup.bridge.flushStats();
    const report = await setup.bridge.report();
    expect(report.totals.passwordMigrations).toEqual({
      ...EXPECTED,
      match: EXPECTED.match + 1,
      unknown: EXPECTED.unknown + 1,
      error: EXPECTED.error + 1,
      unauthorized: EXPECTED.unauthorized + 1,
    });
    await setup.bridge.close();
  });

  it('never lets the password or an identifier into the JSON report, Prometheus text, dashboard, onEvent or debug', async () => {
    const setup = bridgeApp(express, memoryStats());
    await sendOryTraffic(setup.app);
    await request(setup.app)
      .post('/auth0-db/login')
      .set('Authorization', AUTH0_KEY)
      .send({ email: BROKEN, password: PASSWORD });
    await setup.bridge.flushStats();
    const everything = await everythingReported(setup);
    expect(everything).toContain('Passwords moved across');
    expect(setup.debug.some((line) => line.includes('verify threw Error'))).toBe(true);
    expect(everything).toContain('session_bridge_password_migrations_total{result=\\"match\\"} 3');
    expectNoSecrets(everything);
    await setup.bridge.close();
  });

  it('works behind a bridge with a provider mounted before it: the bridge never answers for the hook, whose API key is no provider token', async () => {
    const bridge = sessionBridge({
      provider: {
        issuer: 'https://issuer.example.com/',
        audience: 'api',
        jwksUri: 'https://issuer.example.com/jwks',
      },
      stats: false,
    });
    const app = express();
    app.use(bridge as unknown as RequestHandler);
    app.all(
      '/migrate-password',
      bridge.passwordMigrationHook({ apiKey: ORY_KEY, verify }) as unknown as RequestHandler,
    );
    const res = await request(app)
      .post('/migrate-password')
      .set('Authorization', ORY_KEY)
      .send({ identifier: MATCHING[0]!, password: PASSWORD });
    expect(res.status).toBe(200);
    // A GET with an unrelated Bearer header gets the hook's documented 405, not the bridge's 401.
    const get = await request(app)
      .get('/migrate-password')
      .set('Authorization', 'Bearer unrelated-service-token');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(get.headers['www-authenticate']).toBeUndefined();
    expect(get.body).toEqual({ error: 'method_not_allowed' });
    await bridge.close();
  });

  it('records through the recorder without calling the store on the request path', async () => {
    let calls = 0;
    const inner = memoryStats();
    const watched: StatsStore = {
      record: (events) => {
        calls++;
        return inner.record(events);
      },
      query: (q) => inner.query(q),
    };
    const setup = bridgeApp(express, watched);
    await sendOryTraffic(setup.app);
    expect(calls).toBe(0);
    expect(setup.recorder.passwordEvents).toHaveLength(EXPECTED_RESULTS.length);
    await expectCounted(setup, EXPECTED);
    // flushStats(), then the stats endpoint's own flush before the Prometheus scrape (its request, behind the bridge).
    expect(calls).toBe(2);
    await setup.bridge.close();
  });
});

await describeRedis('password migration endpoints through the bridge with redisStats', () => {
  let redis: RedisConnection;
  beforeAll(async () => {
    redis = await connectNodeRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('counts exactly what the memory store counts, and stores neither the password nor an identifier', async () => {
    const prefix = testPrefix('password-migration');
    onTestFinished(() => deleteKeys(redis.sendCommand, prefix));
    const express = expressVersions[1]![1];
    const setup = bridgeApp(express, redisStats({ sendCommand: redis.sendCommand, prefix }));
    expect(await sendOryTraffic(setup.app)).toEqual([200, 200, 200, 403, 403, 429, 429, 403, 401, 401, 503]);
    await expectCounted(setup, EXPECTED);
    expectOneEventPerDecision(setup.recorder.passwordEvents);

    const memory = bridgeApp(express, memoryStats());
    await sendOryTraffic(memory.app);
    await expectCounted(memory, EXPECTED); // the same scrape: its own request is counted on both sides
    const [fromRedis, fromMemory] = await Promise.all([setup.bridge.report(), memory.bridge.report()]);
    // Per instance (recorder), or shared only through Redis (the fleet and its cutover history): left out.
    const counted = ({
      recorder: _r,
      fleet: _f,
      cutover: { history: _h, ...cutover },
      ...rest
    }: MigrationReport) => ({
      ...rest,
      cutover,
    });
    expect(counted(fromRedis)).toEqual(counted(fromMemory));

    const stored = await dumpKeys(redis.sendCommand, prefix);
    expect(stored).toContain('"pw:match"');
    expect(stored).toContain('"pw:rateLimited"');
    expectNoSecrets(stored);
    expectNoSecrets(await everythingReported(setup));
    for (const key of await scanKeys(redis.sendCommand, prefix)) {
      expect(Number(await redis.sendCommand('PTTL', key)), key).toBeGreaterThan(0);
    }
    await setup.bridge.close();
    await memory.bridge.close();
  });
});
