import type { Express } from 'express';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import type { MigrationReport } from '../../src/index.js';
import { expressVersions } from '../helpers/express-versions.js';
import { createStatsHandler, parseStatsHandlerOptions } from '../helpers/internals.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import {
  FIXTURE_SERIES_LENGTH,
  localCountsFixture,
  makeReportFixture,
  recorderFixture,
} from '../helpers/report-fixture.js';
import { ADMIN_USER, buildStatsApp, STATS_PATH } from '../helpers/stats-app.js';

const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8';
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

function expectSafeHeaders(res: supertest.Response): void {
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
}

const asAdmin = (app: Express) => supertest(app).get(STATS_PATH).set('x-test-user', ADMIN_USER);

describe('parseStatsHandlerOptions', () => {
  it('refuses to build an endpoint without authorize or public: true, and says why', () => {
    expect(() => parseStatsHandlerOptions({})).toThrow(TypeError);
    expect(() => parseStatsHandlerOptions(undefined)).toThrow(/old login[\s\S]*authorize[\s\S]*public: true/);
    expect(() => parseStatsHandlerOptions({ public: false })).toThrow(TypeError);
  });

  it('rejects unknown option names, a non-function authorize, a non-boolean public and both at once', () => {
    expect(() => parseStatsHandlerOptions({ authorise: () => true } as never)).toThrow(
      /Unknown option `authorise`/,
    );
    expect(() => parseStatsHandlerOptions({ authorize: 'admin' } as never)).toThrow(/must be a function/);
    expect(() => parseStatsHandlerOptions({ public: 'yes' } as never)).toThrow(TypeError);
    expect(() => parseStatsHandlerOptions({ public: true, authorize: () => true })).toThrow(/not both/);
    expect(() => parseStatsHandlerOptions([] as never)).toThrow(TypeError);
  });

  it('validates cutover criteria and fills their defaults', () => {
    expect(() => parseStatsHandlerOptions({ public: true, cutover: { maxLegacyShare: 5 } })).toThrow(
      TypeError,
    );
    expect(() => parseStatsHandlerOptions({ public: true, cutover: { quietDay: 7 } as never })).toThrow(
      TypeError,
    );
    const config = parseStatsHandlerOptions({ authorize: () => true, cutover: { quietDays: 3 } });
    expect(config.public).toBe(false);
    expect(typeof config.authorize).toBe('function');
    expect(config.cutover).toEqual({ maxLegacyShare: 0.01, quietDays: 3, trendDays: 14 });
    expect(parseStatsHandlerOptions({ public: true })).toMatchObject({ public: true, authorize: undefined });
  });

  it('makes createStatsHandler fail at construction without an access rule or a data source', () => {
    const sources = {
      getReport: async () => makeReportFixture(),
      local: () => [],
      recorder: () => recorderFixture(),
    };
    expect(() => createStatsHandler(sources)).toThrow(/authorize/);
    expect(() => createStatsHandler({ ...sources, public: true, getReport: undefined as never })).toThrow(
      /getReport/,
    );
    expect(() => createStatsHandler({ ...sources, public: true, timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});

describe.each(expressVersions)('stats endpoint on %s', (_name, express) => {
  describe('access', () => {
    it('answers 401 with a Bearer challenge when the request carries no user', async () => {
      const res = await supertest(buildStatsApp(express)).get(STATS_PATH);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="stats"');
      expect(res.body.code).toBe('ERR_BRIDGE_UNAUTHENTICATED');
      expect(res.body).not.toHaveProperty('totals');
      expectSafeHeaders(res);
    });

    it('answers 403 forbidden to a signed-in user that authorize refuses', async () => {
      const res = await supertest(buildStatsApp(express)).get(STATS_PATH).set('x-test-user', 'someone-else');
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toBeUndefined();
      expect(res.body).toEqual({
        error: 'forbidden',
        error_description: expect.any(String),
        code: 'ERR_BRIDGE_FORBIDDEN',
      });
      expectSafeHeaders(res);
    });

    it('denies (403, never 500) when authorize throws or rejects', async () => {
      for (const authorize of [
        () => {
          throw new Error('boom');
        },
        async () => {
          throw new Error('boom');
        },
      ]) {
        const res = await supertest(buildStatsApp(express, { authorize }))
          .get(STATS_PATH)
          .set('x-test-user', ADMIN_USER);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('ERR_BRIDGE_FORBIDDEN');
        expectSafeHeaders(res);
      }
    });

    it('grants access only when authorize returns exactly true, sync or async', async () => {
      const truthy = buildStatsApp(express, { authorize: (() => 'yes') as never });
      expect((await asAdmin(truthy)).status).toBe(403);
      const asyncTrue = buildStatsApp(express, { authorize: async (req) => req.auth?.userId === ADMIN_USER });
      expect((await asAdmin(asyncTrue)).status).toBe(200);
    });

    it('serves anyone when built with public: true', async () => {
      const res = await supertest(buildStatsApp(express, { public: true })).get(STATS_PATH);
      expect(res.status).toBe(200);
      expectSafeHeaders(res);
    });

    it('checks access before validating the format', async () => {
      const res = await supertest(buildStatsApp(express)).get(`${STATS_PATH}?format=nope`);
      expect(res.status).toBe(401);
    });

    it('answers a browser without a user with a 401 page that says to sign in, headers unchanged', async () => {
      const app = buildStatsApp(express);
      const json = await supertest(app).get(STATS_PATH);
      for (const req of [
        supertest(app).get(STATS_PATH).set('Accept', BROWSER_ACCEPT),
        supertest(app).get(`${STATS_PATH}?format=html`),
      ]) {
        const res = await req;
        expect(res.status).toBe(401);
        expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(res.headers['www-authenticate']).toBe(json.headers['www-authenticate']);
        expect(res.headers['www-authenticate']).toBe('Bearer realm="stats"');
        expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
        expect(res.headers.vary).toMatch(/Accept/);
        expectSafeHeaders(res);
        expect(res.text).toContain('<h1 id="denied-heading">Sign in to see the migration dashboard</h1>');
        expect(res.text).not.toMatch(/<script|https?:\/\//);
        expect(res.text).not.toContain('1,204'); // no figure leaks
      }
    });

    it('answers a browser whose user authorize refuses with a 403 page, headers unchanged', async () => {
      const app = buildStatsApp(express);
      const res = await supertest(app)
        .get(STATS_PATH)
        .set('x-test-user', 'someone-else')
        .set('Accept', BROWSER_ACCEPT);
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['www-authenticate']).toBeUndefined();
      expectSafeHeaders(res);
      expect(res.text).toContain('You are signed in but not allowed to see this dashboard');
      const head = await supertest(app)
        .head(STATS_PATH)
        .set('x-test-user', 'someone-else')
        .set('Accept', BROWSER_ACCEPT);
      expect(head.status).toBe(403);
      expect(head.text ?? '').toBe('');
    });

    it('still answers JSON and Prometheus clients that are refused with the JSON error', async () => {
      const app = buildStatsApp(express);
      for (const accept of ['application/json', '*/*', PROMETHEUS_ACCEPT]) {
        const res = await supertest(app)
          .get(STATS_PATH)
          .set('x-test-user', 'someone-else')
          .set('Accept', accept);
        expect(res.status).toBe(403);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.body.code).toBe('ERR_BRIDGE_FORBIDDEN');
      }
    });
  });

  describe('JSON', () => {
    it('serves the report as is by default, with no-store, nosniff and Vary: Accept', async () => {
      const res = await asAdmin(buildStatsApp(express));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body).toEqual(makeReportFixture());
      expect(res.headers.vary).toMatch(/Accept/);
      expectSafeHeaders(res);
    });

    it('answers HEAD with the headers and no body', async () => {
      const res = await supertest(buildStatsApp(express)).head(STATS_PATH).set('x-test-user', ADMIN_USER);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.text ?? '').toBe('');
    });

    it('passes other methods on to the next route', async () => {
      const app = buildStatsApp(express);
      const res = await supertest(app).post(STATS_PATH).set('x-test-user', ADMIN_USER);
      expect(res.status).toBe(404);
    });
  });

  describe('negotiation', () => {
    it.each([
      ['no Accept header', undefined, 'application/json; charset=utf-8'],
      ['*/* (curl)', '*/*', 'application/json; charset=utf-8'],
      ['application/json', 'application/json', 'application/json; charset=utf-8'],
      ['a browser', BROWSER_ACCEPT, 'text/html; charset=utf-8'],
      ['Prometheus', PROMETHEUS_ACCEPT, 'text/plain; version=0.0.4; charset=utf-8'],
      ['text/plain', 'text/plain', 'text/plain; version=0.0.4; charset=utf-8'],
      [
        'application/openmetrics-text',
        'application/openmetrics-text',
        'text/plain; version=0.0.4; charset=utf-8',
      ],
      ['json preferred by q', 'text/html;q=0.5, application/json', 'application/json; charset=utf-8'],
      ['an unsupported type only', 'image/png', 'application/json; charset=utf-8'],
    ])('answers %s with the right content type', async (_label, accept, contentType) => {
      const req = asAdmin(buildStatsApp(express));
      const res = await (accept === undefined ? req.unset('Accept') : req.set('Accept', accept));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(contentType);
    });

    it.each([
      ['json', 'application/json; charset=utf-8'],
      ['prometheus', 'text/plain; version=0.0.4; charset=utf-8'],
      ['html', 'text/html; charset=utf-8'],
      ['HTML', 'text/html; charset=utf-8'],
    ])('lets ?format=%s win over Accept', async (format, contentType) => {
      const res = await supertest(buildStatsApp(express))
        .get(`${STATS_PATH}?format=${format}`)
        .set('x-test-user', ADMIN_USER)
        .set('Accept', 'image/png, application/json');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(contentType);
      expectSafeHeaders(res);
    });

    it.each(['xml', '', 'json&format=html'])('answers 400 to ?format=%s', async (format) => {
      const res = await supertest(buildStatsApp(express))
        .get(`${STATS_PATH}?format=${format}`)
        .set('x-test-user', ADMIN_USER);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', code: 'ERR_BRIDGE_INVALID_REQUEST' });
      expect(res.headers['www-authenticate']).toBeUndefined();
      expectSafeHeaders(res);
    });
  });

  describe('Prometheus', () => {
    it('serves valid text exposition with the process-local counters and the shared gauges', async () => {
      const res = await asAdmin(buildStatsApp(express)).query({ format: 'prometheus' });
      expect(res.status).toBe(200);
      expectSafeHeaders(res);
      const families = parsePrometheusText(res.text);
      const report = makeReportFixture();

      for (const family of families.values()) {
        expect(family.name).toMatch(/^session_bridge_/);
        expect(family.help.length).toBeGreaterThan(20);
        if (family.type === 'counter') expect(family.name).toMatch(/_total$/);
        else expect(family.type).toBe('gauge');
      }

      const requests = families.get('session_bridge_requests_total');
      expect(requests?.type).toBe('counter');
      expect(requests?.help).toMatch(/sum\(\)/);
      expect(requests?.samples).toHaveLength(3 * 7);
      for (const { kind, outcome, count } of localCountsFixture()) {
        expect(sampleValue(families, 'session_bridge_requests_total', { kind, outcome })).toBe(count);
      }
      expect(
        sampleValue(families, 'session_bridge_requests_total', { kind: 'legacy', outcome: 'conflict' }),
      ).toBe(0);

      const passwords = families.get('session_bridge_password_migrations_total');
      expect(passwords?.type).toBe('counter');
      expect(passwords?.help).toMatch(/sum\(\)/);
      expect(passwords?.samples.map((s) => [s.labels.result, s.value])).toEqual([
        ['match', 321],
        ['mismatch', 17],
        ['unknown', 4],
        ['rate_limited', 2],
        ['unauthorized', 1],
        ['error', 3],
      ]);

      const users = families.get('session_bridge_users');
      expect(users?.type).toBe('gauge');
      expect(users?.samples).toHaveLength(5 * 4);
      expect(sampleValue(families, 'session_bridge_users', { kind: 'legacy', window: '7d' })).toBe(131);
      expect(sampleValue(families, 'session_bridge_users', { kind: 'legacy_only', window: '30d' })).toBe(420);
      expect(sampleValue(families, 'session_bridge_users', { kind: 'migrated', window: 'total' })).toBe(661);
      expect(sampleValue(families, 'session_bridge_users', { kind: 'active', window: '1d' })).toBe(449);

      expect(sampleValue(families, 'session_bridge_legacy_share', { window: '7d' })).toBeCloseTo(
        131 / 523,
        12,
      );
      expect(sampleValue(families, 'session_bridge_cutover_ready')).toBe(0);
      expect(sampleValue(families, 'session_bridge_cutover_projected_ready_seconds')).toBe(
        Date.parse(report.cutover.projectedReadyAt!) / 1000,
      );
      expect(sampleValue(families, 'session_bridge_last_legacy_seen_seconds')).toBe(
        Date.parse(report.lastLegacyAt!) / 1000,
      );
      expect(sampleValue(families, 'session_bridge_stats_approximate')).toBe(0);
      expect(sampleValue(families, 'session_bridge_stats_report_up')).toBe(1);

      const recorder = recorderFixture();
      expect(sampleValue(families, 'session_bridge_stats_dropped_total')).toBe(recorder.dropped);
      expect(sampleValue(families, 'session_bridge_stats_failed_flushes_total')).toBe(recorder.failedFlushes);
      expect(sampleValue(families, 'session_bridge_stats_buffered_events')).toBe(recorder.buffered);
      expect(sampleValue(families, 'session_bridge_stats_recorded_total')).toBe(recorder.recorded);
    });

    it('leaves out the time gauges that have no value and reports approximation and readiness as 1', async () => {
      const report = makeReportFixture({ lastLegacyAt: null, approximate: true });
      report.cutover = { ...report.cutover, ready: true, projectedReadyAt: null };
      const app = buildStatsApp(express, { getReport: async () => report });
      const res = await asAdmin(app).query({ format: 'prometheus' });
      const families = parsePrometheusText(res.text);
      expect(families.has('session_bridge_last_legacy_seen_seconds')).toBe(false);
      expect(families.has('session_bridge_cutover_projected_ready_seconds')).toBe(false);
      expect(res.text).not.toMatch(/session_bridge_last_legacy_seen_seconds/);
      expect(sampleValue(families, 'session_bridge_cutover_ready')).toBe(1);
      expect(sampleValue(families, 'session_bridge_stats_approximate')).toBe(1);
    });
  });

  describe('HTML', () => {
    it('serves a self-contained page under a CSP that forbids loading anything', async () => {
      const res = await asAdmin(buildStatsApp(express)).set('Accept', BROWSER_ACCEPT);
      expect(res.status).toBe(200);
      expectSafeHeaders(res);
      const csp = res.headers['content-security-policy'];
      expect(csp).toMatch(/^default-src 'none'; style-src 'unsafe-inline'; img-src data:/);
      expect(res.text).toMatch(/^<!doctype html>\n<html lang="en">/);
      expect(res.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(res.text).not.toMatch(/https?:|\/\/[a-z]|<script|<link|<img|<iframe|\ssrc=|@import|url\(/i);
      expect(res.text).toContain('role="img"');
      expect(res.text.match(/<polyline /g)).toHaveLength(2);
      expect(res.text.match(/<caption>/g)?.length).toBeGreaterThanOrEqual(2);
      expect(res.text).toContain('id="legacy-share">25%<');
      expect(res.text).toContain('id="projected">2025-05-09<');
    });

    it('escapes every string from the report', async () => {
      const attack = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';
      const report = makeReportFixture();
      report.cutover.reason = `Provider ${attack}`;
      report.recorder.lastError = `Redis said ${attack}`;
      report.generatedAt = attack;
      report.lastLegacyAt = attack;
      report.series[0]!.start = attack;
      const app = buildStatsApp(express, { getReport: async () => report });
      const res = await asAdmin(app).query({ format: 'html' });
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('<script');
      expect(res.text).not.toContain('<img');
      expect(res.text).toContain(
        'Provider &lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;',
      );
      expect(res.text).toContain('&quot;&#39;&amp;');
      expect(res.text).toContain('Redis said &lt;script&gt;');
    });
  });

  describe('failures', () => {
    it('answers 503 with Retry-After when the report fails, as JSON or HTML, without leaking the cause', async () => {
      const app = buildStatsApp(express, {
        getReport: async () => {
          throw new Error('secret redis password in message');
        },
      });
      for (const format of ['json', 'html']) {
        const res = await asAdmin(app).query({ format });
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toMatch(/^\d+$/);
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(res.body).toMatchObject({
          error: 'temporarily_unavailable',
          code: 'ERR_BRIDGE_STATS_UNAVAILABLE',
        });
        expect(res.text).not.toContain('secret');
        expectSafeHeaders(res);
      }
    });

    it('keeps answering a Prometheus scrape when the report fails: local metrics, report_up 0, no store gauges', async () => {
      const app = buildStatsApp(express, {
        getReport: async () => {
          throw new Error('secret redis password in message');
        },
      });
      const res = await asAdmin(app).query({ format: 'prometheus' });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(res.text).toMatch(/^session_bridge_stats_report_up 0$/m);
      expect(res.text).toMatch(/^session_bridge_requests_total\{/m);
      expect(res.text).toMatch(/^session_bridge_password_migrations_total\{result="match"\} 321$/m);
      expect(res.text).toMatch(/^session_bridge_stats_dropped_total /m);
      expect(res.text).not.toMatch(/^session_bridge_users\{/m);
      expect(res.text).not.toContain('secret');
      expectSafeHeaders(res);
    });

    it('answers 503 when getReport throws synchronously or does not settle in time', async () => {
      const throwing = buildStatsApp(express, {
        getReport: (() => {
          throw new Error('sync');
        }) as () => Promise<MigrationReport>,
      });
      expect((await asAdmin(throwing)).status).toBe(503);
      const hanging = buildStatsApp(express, {
        getReport: () => new Promise<never>(() => {}),
        timeoutMs: 50,
      });
      const res = await asAdmin(hanging);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('ERR_BRIDGE_STATS_UNAVAILABLE');
    });

    it('hands a failure of the local sources to next(err) instead of crashing', async () => {
      const app = buildStatsApp(express, {
        local: () => {
          throw new Error('local broke');
        },
      });
      const res = await asAdmin(app).query({ format: 'prometheus' });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ unexpected: true, message: 'Error: local broke' });
    });
  });

  it('serves a chart with one line point per complete day and the current day apart', async () => {
    const res = await asAdmin(buildStatsApp(express)).query({ format: 'html' });
    const polylines = [...res.text.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' '));
    expect(polylines).toHaveLength(2);
    // The fixture's last day holds the report time: it is partial, so it is not on the lines.
    for (const points of polylines) expect(points).toHaveLength(FIXTURE_SERIES_LENGTH - 1);
    expect(res.text.match(/class="marker (legacy|provider) hollow"/g)).toHaveLength(2);
  });
});
