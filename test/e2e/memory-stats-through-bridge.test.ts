/**
 * Ground truth through the whole stack with the default stats store: a scripted population (legacy-only,
 * migrated and provider-only users over 12 simulated days, plus anonymous and rejected requests) sends real
 * requests (express-session cookies from a real login, jose tokens checked against a real JWKS server) into an
 * app carrying `sessionBridge` with no `stats` option (so `memoryStats()`), and the stats endpoint must answer
 * exactly the population's closed-form figures, in JSON and in Prometheus text.
 */
import session from 'express-session';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MigrationReport, type SessionBridge, sessionBridge } from '../../src/index.js';
import {
  ADMIN_KEY_HEADER,
  buildBridgeApp,
  countByLabel,
  legacyUserIdOf,
  listen,
  type PlannedRequest,
  reportFigures,
  SIM_TIME_HEADER,
  STATS_PATH,
  scriptedTraffic,
  sendPlanned,
} from '../helpers/bridge-traffic.js';
import { STATS_KINDS, STATS_OUTCOMES } from '../helpers/internals.js';
import { type JwksServer, startJwksServer } from '../helpers/jwks-server.js';
import { createLegacyLogin } from '../helpers/legacy.js';
import { alignedNow, DAY } from '../helpers/population.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import { createSigningKey } from '../helpers/tokens.js';

const SECRET = 'memory-e2e-session-secret';
const ADMIN_KEY = 'memory-e2e-admin-key';
const AUDIENCE = 'https://api.example.test';
const now = alignedNow();
const traffic = scriptedTraffic({ legacyOnly: 7, migrated: 24, providerOnly: 6, days: 12, now });

describe('memoryStats through the bridge: scripted population to the stats endpoint', () => {
  let jwks: JwksServer;
  let bridge: SessionBridge;
  let app: Awaited<ReturnType<typeof listen>>;
  let plan: PlannedRequest[];
  const clock = { now };

  beforeAll(async () => {
    const key = await createSigningKey();
    jwks = await startJwksServer({ keys: [key] });
    const store = new session.MemoryStore();
    const legacy = createLegacyLogin({ store, secret: SECRET, maxAge: DAY });
    bridge = sessionBridge({
      legacy: { store, secret: SECRET, userId: legacyUserIdOf },
      provider: { issuer: jwks.issuer, audience: AUDIENCE, jwksUri: jwks.jwksUri, name: 'test-idp' },
      now: () => clock.now,
      recorder: { flushIntervalMs: 50 },
    });
    app = await listen(buildBridgeApp(bridge, clock, { adminKey: ADMIN_KEY }));
    const credentials = await traffic.credentials(legacy, SECRET, {
      key,
      issuer: jwks.issuer,
      audience: AUDIENCE,
    });
    plan = traffic.plan(credentials);
  });

  afterAll(async () => {
    await bridge?.close();
    await app?.close();
    await jwks?.close();
  });

  const asAdmin = (query = '') =>
    request(app.url)
      .get(`${STATS_PATH}${query}`)
      .set(ADMIN_KEY_HEADER, ADMIN_KEY)
      .set(SIM_TIME_HEADER, String(now));

  it('answers every scripted request with its status, code and user', async () => {
    // The plan is the population's closed form, request by request.
    expect(countByLabel(plan)).toEqual(traffic.expected.requestsByLabel);
    for (const planned of plan) await sendPlanned(app.url, planned);
    await bridge.flushStats();
  });

  it('serves exactly the expected totals, windows, series and last legacy sighting as JSON', async () => {
    const res = await asAdmin().expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const report = res.body as MigrationReport;
    expect(reportFigures(report)).toEqual({ approximate: false, ...traffic.expected });
    expect(report.generatedAt).toBe(new Date(now).toISOString());
    expect(report.recorder).toMatchObject({
      buffered: 0,
      recorded: plan.length,
      dropped: 0,
      failedFlushes: 0,
      lastError: null,
    });
    const week = traffic.expected.windows['7d'].users;
    expect(report.cutover.legacyShare7d).toBeCloseTo(week.legacy / week.active, 12);
    // The figures that make the population interesting are really there.
    expect(report.totals.users).toMatchObject({ migrated: 24, legacyOnly: 7 });
    expect(report.windows['1d'].users.migrated).toBeGreaterThan(0);
    expect(report.windows['7d'].users.migrated).toBeLessThan(24);
  });

  it('refuses the stats without the admin key (401, no-store)', async () => {
    const res = await request(app.url).get(STATS_PATH).set(SIM_TIME_HEADER, String(now));
    expect(res.status).toBe(401);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('exports request counters equal to the requests sent, and user gauges equal to the expected figures', async () => {
    const res = await asAdmin('?format=prometheus').expect(200);
    const families = parsePrometheusText(res.text);
    const sent = countByLabel(plan);
    let total = 0;
    for (const kind of STATS_KINDS) {
      for (const outcome of STATS_OUTCOMES) {
        const count = sent.find((l) => l.kind === kind && l.outcome === outcome)?.count ?? 0;
        total += count;
        expect(
          sampleValue(families, 'session_bridge_requests_total', { kind, outcome }),
          `${kind}/${outcome}`,
        ).toBe(count);
      }
    }
    expect(total).toBe(plan.length);
    expect(sampleValue(families, 'session_bridge_stats_recorded_total')).toBe(plan.length);
    expect(sampleValue(families, 'session_bridge_stats_dropped_total')).toBe(0);
    expect(sampleValue(families, 'session_bridge_stats_failed_flushes_total')).toBe(0);
    expect(sampleValue(families, 'session_bridge_stats_report_up')).toBe(1);
    const { windows, totals } = traffic.expected;
    for (const [window, users] of [
      ['1d', windows['1d'].users],
      ['7d', windows['7d'].users],
      ['30d', windows['30d'].users],
      ['total', totals.users],
    ] as const) {
      expect(sampleValue(families, 'session_bridge_users', { kind: 'legacy', window })).toBe(users.legacy);
      expect(sampleValue(families, 'session_bridge_users', { kind: 'provider', window })).toBe(
        users.provider,
      );
      expect(sampleValue(families, 'session_bridge_users', { kind: 'active', window })).toBe(users.active);
      expect(sampleValue(families, 'session_bridge_users', { kind: 'migrated', window })).toBe(
        users.migrated,
      );
      expect(sampleValue(families, 'session_bridge_users', { kind: 'legacy_only', window })).toBe(
        users.legacyOnly,
      );
    }
    expect(sampleValue(families, 'session_bridge_last_legacy_seen_seconds')).toBe(
      Date.parse(traffic.expected.lastLegacyAt!) / 1000,
    );
  });
});
