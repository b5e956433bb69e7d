/**
 * A scripted population (test/helpers/population.ts) turned into real HTTP traffic through apps carrying the
 * bridge: real express-session logins for legacy users, jose-minted tokens checked against a real JWKS server
 * for provider users, and the expected report adjusted for what a bridge in `bridge` mode can produce.
 *
 * Each scripted event becomes one request:
 *
 * | scripted event        | request                                                        | answer                                |
 * |-----------------------|----------------------------------------------------------------|---------------------------------------|
 * | legacy/ok U           | `GET /api/me`, U's session cookie                              | 200 `{ userId: U, kind: 'legacy' }`   |
 * | provider/ok U         | `GET /api/me`, `Authorization: Bearer` U's token               | 200 `{ userId: U, kind: 'provider' }` |
 * | anonymous (even)      | `GET /api/me`, nothing                                         | 401 `ERR_BRIDGE_UNAUTHENTICATED`      |
 * | anonymous (odd)       | `GET /api/whoami`, a session cookie with a tampered signature  | 200 `null`                            |
 * | legacy/invalid        | **provider/invalid**: a token signed by an unpublished key     | 401 `ERR_BRIDGE_TOKEN_INVALID`        |
 * | provider/expired      | a token that expired two minutes before the simulated time     | 401 `ERR_BRIDGE_TOKEN_EXPIRED`        |
 * | legacy/unavailable    | a session whose user lookup (`legacy.userId`) fails            | 503 `ERR_BRIDGE_RESOLVER_UNAVAILABLE` |
 * | legacy/disabled       | **not sent**: only `provider-only` mode refuses a legacy session | -                                   |
 * | provider/conflict     | legacy-only-0's cookie and provider-only-0's token             | 400 `ERR_BRIDGE_CONFLICT`             |
 *
 * A bridge in `bridge` mode never records legacy/invalid (a legacy credential is either a login, unavailable,
 * or no credential at all) nor legacy/disabled, so the expected report is the population's closed form with
 * two adjustments: legacy/invalid is counted as provider/invalid (both are rejections, so no total moves), and
 * the dropped legacy/disabled requests are taken out of `rejected` (one per simulated day in the window).
 *
 * Every request carries its scripted time in `x-sim-time`; the apps copy it into the bridge's `now` clock
 * before the bridge runs, so each instance must be driven one request at a time.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type RequestHandler } from 'express';
import request from 'supertest';
import { expect } from 'vitest';
import type {
  BridgeErrorCode,
  BridgeRequest,
  LegacySessionData,
  MigrationReport,
  ReportSeriesPoint,
  ReportWindow,
  SessionBridge,
} from '../../src/index.js';
import type { LabelledCount, StatsEvent, StatsOutcome } from '../../src/stats-store.js';
import { statsQueryFor } from './internals.js';
import { badSignatureCookie, type LegacyLogin } from './legacy.js';
import {
  type ExpectedCounts,
  HOUR,
  type Population,
  type PopulationOptions,
  scriptedPopulation,
  sortLabels,
} from './population.js';
import { mintToken, type SigningKey, wrongKeyToken } from './tokens.js';

export const SIM_TIME_HEADER = 'x-sim-time';
export const ADMIN_KEY_HEADER = 'x-admin-key';
export const STATS_PATH = '/admin/migration';
/** The user whose session makes the app's user lookup fail. */
export const BROKEN_LOOKUP_USER = 'broken-lookup';

/**
 * The apps' `legacy.userId`: the session's `userId`, except that a session flagged `userLookup: 'broken'`
 * makes the lookup reject (as a user directory that is down would), which the bridge answers with 503.
 * test/e2e/bridge-instance.mjs has the same function.
 */
export async function legacyUserIdOf(session: LegacySessionData): Promise<string | undefined> {
  if (session.userLookup === 'broken') throw new Error('user directory unavailable');
  return typeof session.userId === 'string' ? session.userId : undefined;
}

/**
 * An app as the e2e tests mount the bridge (test/e2e/bridge-instance.mjs builds the same one):
 * - the `x-sim-time` header sets `clock.now` (the bridge's `now`), on every route;
 * - `GET /admin/migration`: the stats endpoint, before the bridge (admin calls are not user traffic), authorized
 *   by the `x-admin-key` header;
 * - the bridge, then `GET /api/whoami` (optional user) and `GET /api/me` (behind `requireUser()`).
 * Any error reaching Express's error handler is a 500 `{ unexpected: true }`.
 */
export function buildBridgeApp(
  bridge: SessionBridge,
  clock: { now: number },
  options: { adminKey: string; extraRoutes?: (app: Express) => void },
): Express {
  const app = express();
  app.use((req, _res, next) => {
    const header = req.headers[SIM_TIME_HEADER];
    if (typeof header === 'string') clock.now = Number(header);
    next();
  });
  app.get(
    STATS_PATH,
    bridge.statsHandler({
      authorize: (req) => req.headers[ADMIN_KEY_HEADER] === options.adminKey,
    }) as unknown as RequestHandler,
  );
  options.extraRoutes?.(app);
  app.use(bridge as unknown as RequestHandler);
  const userOf = (req: express.Request) => {
    const auth = (req as unknown as BridgeRequest).auth;
    return auth ? { userId: auth.userId, kind: auth.kind } : null;
  };
  app.get('/api/whoami', (req, res) => {
    res.json(userOf(req));
  });
  app.get('/api/me', bridge.requireUser() as unknown as RequestHandler, (req, res) => {
    res.json(userOf(req));
  });
  app.use(((err, _req, res, _next) => {
    res.status(500).json({ unexpected: true, message: String(err) });
  }) as express.ErrorRequestHandler);
  return app;
}

/** Listens on 127.0.0.1, an ephemeral port. */
export async function listen(app: Express): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One request to send, and the answer it must get. */
export interface PlannedRequest {
  /** Simulated time (the scripted event's time), sent as `x-sim-time`. Unset: the bridge's own clock. */
  time?: number;
  /** Simulated day, 0 = oldest. */
  day?: number;
  /** The counter this request must land in. */
  kind: StatsEvent['kind'];
  outcome: StatsOutcome;
  /** The user a credential names (the provider user for a conflict), for spreading users over instances. */
  user?: string;
  path: '/api/me' | '/api/whoami';
  headers: Record<string, string>;
  status: number;
  /** `code` of an error answer. */
  code?: BridgeErrorCode;
  /** The JSON body of a 200. */
  body?: { userId: string; kind: 'legacy' | 'provider' } | null;
  /** For assertion messages. */
  label: string;
}

export interface TrafficCredentials {
  /** `Cookie` header per legacy user. */
  legacyCookies: Map<string, string>;
  /** JWT per provider user, valid over the whole simulated period. */
  providerTokens: Map<string, string>;
  /** `Cookie` of a session whose user lookup fails. */
  brokenLookupCookie: string;
  /** `Cookie` with a tampered signature (no credential, as in express-session). */
  forgedCookie: string;
  /** A token signed by a key the provider never published. */
  invalidToken: string;
  /** A token that expired two minutes before the given simulated day's events, per day. */
  expiredTokens: Map<number, string>;
}

export interface ProviderForTraffic {
  key: SigningKey;
  issuer: string;
  audience: string;
}

/** The report figures the endpoint must answer, from the population's closed form (see the file comment). */
export interface BridgeExpected {
  totals: ExpectedCounts;
  windows: Record<'1d' | '7d' | '30d', ReportWindow>;
  lastLegacyAt: string | null;
  series: ReportSeriesPoint[];
  requestsByLabel: LabelledCount[];
}

export interface ScriptedTraffic {
  population: Population;
  options: PopulationOptions;
  /** Simulated day of each scripted hour. */
  dayOf(time: number): number;
  expected: BridgeExpected;
  /** Logs every user in and mints every token the plan needs. */
  credentials(legacy: LegacyLogin, secret: string, provider: ProviderForTraffic): Promise<TrafficCredentials>;
  /** The requests, oldest first. */
  plan(credentials: TrafficCredentials): PlannedRequest[];
}

function adjust(counts: ExpectedCounts, daysInWindow: number): ExpectedCounts {
  return {
    requests: { ...counts.requests, rejected: counts.requests.rejected - daysInWindow },
    users: { ...counts.users },
    passwordMigrations: { ...counts.passwordMigrations },
    sessionUpgrades: { ...counts.sessionUpgrades },
  };
}

export function scriptedTraffic(options: PopulationOptions): ScriptedTraffic {
  const population = scriptedPopulation(options);
  const { days, now } = options;
  const hourStart = Math.floor(now / HOUR) * HOUR;
  const dayOf = (time: number) =>
    days - 1 - Math.round((hourStart - Math.floor(time / HOUR) * HOUR) / 86_400_000);
  const e = population.expected;

  const labels = new Map<string, LabelledCount>();
  for (const l of e.requestsByLabel) {
    if (l.kind === 'legacy' && l.outcome === 'disabled') continue;
    const kind = l.kind === 'legacy' && l.outcome === 'invalid' ? 'provider' : l.kind;
    const key = `${kind}/${l.outcome}`;
    const entry = labels.get(key) ?? { kind, outcome: l.outcome, count: 0 };
    entry.count += l.count;
    labels.set(key, entry);
  }
  const window = (length: number): ReportWindow => ({
    ...adjust(e.window(length), Math.min(length, days)),
    approximate: false,
  });
  const seriesFrom = statsQueryFor(now, 'day').seriesFrom;
  const expected: BridgeExpected = {
    totals: adjust(e.totals, days),
    windows: { '1d': window(1), '7d': window(7), '30d': window(30) },
    lastLegacyAt: e.lastLegacyAt === null ? null : new Date(e.lastLegacyAt).toISOString(),
    series: e.series('day', seriesFrom).map((p) => ({
      ...p,
      start: new Date(p.start).toISOString(),
      passwordMatches: p.passwordMatches ?? 0,
    })),
    requestsByLabel: sortLabels([...labels.values()]),
  };

  const legacyUsers = new Set<string>();
  const providerUsers = new Set<string>();
  for (const event of population.events) {
    if (event.legacyUserId !== undefined) legacyUsers.add(event.legacyUserId);
    if (event.providerUserId !== undefined) providerUsers.add(event.providerUserId);
  }
  const firstEventAt = population.events[0]!.time;

  return {
    population,
    options,
    dayOf,
    expected,
    async credentials(legacy, secret, provider) {
      const legacyCookies = new Map<string, string>();
      for (const user of legacyUsers) legacyCookies.set(user, (await legacy.login(user)).cookie);
      const broken = await legacy.login(BROKEN_LOOKUP_USER, { data: { userLookup: 'broken' } });
      const someone = await legacy.login('forged-cookie-owner');
      const claims = { iss: provider.issuer, aud: provider.audience };
      const iat = Math.floor(firstEventAt / 1000) - 60;
      const exp = Math.ceil(Math.max(now, Date.now()) / 1000) + 3600;
      const providerTokens = new Map<string, string>();
      for (const user of providerUsers) {
        providerTokens.set(user, await mintToken(provider.key, { ...claims, sub: user, iat, exp }));
      }
      const expiredTokens = new Map<number, string>();
      for (const event of population.events) {
        const day = dayOf(event.time);
        if (expiredTokens.has(day)) continue;
        const expiredAt = Math.floor(event.time / 1000) - 120;
        expiredTokens.set(
          day,
          await mintToken(provider.key, {
            ...claims,
            sub: 'expired-user',
            iat: expiredAt - 600,
            exp: expiredAt,
          }),
        );
      }
      return {
        legacyCookies,
        providerTokens,
        brokenLookupCookie: broken.cookie,
        forgedCookie: badSignatureCookie(someone.sid, secret),
        invalidToken: await wrongKeyToken(provider.key, { ...claims, sub: 'intruder', iat, exp }),
        expiredTokens,
      };
    },
    plan(credentials) {
      const out: PlannedRequest[] = [];
      let anonymous = 0;
      const cookieOf = (user: string | undefined) => {
        const cookie = user === undefined ? undefined : credentials.legacyCookies.get(user);
        if (cookie === undefined) throw new Error(`no legacy session for ${String(user)}`);
        return cookie;
      };
      const bearerOf = (user: string | undefined) => {
        const token = user === undefined ? undefined : credentials.providerTokens.get(user);
        if (token === undefined) throw new Error(`no token for ${String(user)}`);
        return `Bearer ${token}`;
      };
      for (const event of population.events) {
        const base = { time: event.time, day: dayOf(event.time) };
        const at = `day ${base.day} ${new Date(event.time).toISOString()}`;
        switch (`${event.kind}/${event.outcome}`) {
          case 'legacy/ok':
            out.push({
              ...base,
              kind: 'legacy',
              outcome: 'ok',
              user: event.legacyUserId,
              path: '/api/me',
              headers: { cookie: cookieOf(event.legacyUserId) },
              status: 200,
              body: { userId: event.legacyUserId!, kind: 'legacy' },
              label: `legacy login of ${event.legacyUserId} (${at})`,
            });
            break;
          case 'provider/ok':
            out.push({
              ...base,
              kind: 'provider',
              outcome: 'ok',
              user: event.providerUserId,
              path: '/api/me',
              headers: { authorization: bearerOf(event.providerUserId) },
              status: 200,
              body: { userId: event.providerUserId!, kind: 'provider' },
              label: `provider token of ${event.providerUserId} (${at})`,
            });
            break;
          case 'anonymous/anonymous':
            if (anonymous++ % 2 === 0) {
              out.push({
                ...base,
                kind: 'anonymous',
                outcome: 'anonymous',
                path: '/api/me',
                headers: {},
                status: 401,
                code: 'ERR_BRIDGE_UNAUTHENTICATED',
                label: `anonymous request to a protected route (${at})`,
              });
            } else {
              out.push({
                ...base,
                kind: 'anonymous',
                outcome: 'anonymous',
                path: '/api/whoami',
                headers: { cookie: credentials.forgedCookie },
                status: 200,
                body: null,
                label: `tampered session cookie on an optional route (${at})`,
              });
            }
            break;
          case 'legacy/invalid':
            out.push({
              ...base,
              kind: 'provider',
              outcome: 'invalid',
              path: '/api/me',
              headers: { authorization: `Bearer ${credentials.invalidToken}` },
              status: 401,
              code: 'ERR_BRIDGE_TOKEN_INVALID',
              label: `token signed by an unpublished key (${at})`,
            });
            break;
          case 'provider/expired':
            out.push({
              ...base,
              kind: 'provider',
              outcome: 'expired',
              path: '/api/me',
              headers: { authorization: `Bearer ${credentials.expiredTokens.get(base.day)!}` },
              status: 401,
              code: 'ERR_BRIDGE_TOKEN_EXPIRED',
              label: `expired token (${at})`,
            });
            break;
          case 'legacy/unavailable':
            out.push({
              ...base,
              kind: 'legacy',
              outcome: 'unavailable',
              path: '/api/me',
              headers: { cookie: credentials.brokenLookupCookie },
              status: 503,
              code: 'ERR_BRIDGE_RESOLVER_UNAVAILABLE',
              label: `session whose user lookup fails (${at})`,
            });
            break;
          case 'legacy/disabled':
            break; // only provider-only mode produces it
          case 'provider/conflict':
            out.push({
              ...base,
              kind: 'provider',
              outcome: 'conflict',
              user: event.providerUserId,
              path: '/api/me',
              headers: {
                cookie: cookieOf(event.legacyUserId),
                authorization: bearerOf(event.providerUserId),
              },
              status: 400,
              code: 'ERR_BRIDGE_CONFLICT',
              label: `${event.legacyUserId}'s session with ${event.providerUserId}'s token (${at})`,
            });
            break;
          default:
            throw new Error(`no request for the scripted event ${event.kind}/${event.outcome}`);
        }
      }
      return out;
    },
  };
}

/** Counts planned requests by (kind, outcome), sorted like the report's `requestsByLabel`. */
export function countByLabel(requests: readonly PlannedRequest[]): LabelledCount[] {
  const counts = new Map<string, LabelledCount>();
  for (const r of requests) {
    const key = `${r.kind}/${r.outcome}`;
    const entry = counts.get(key) ?? { kind: r.kind, outcome: r.outcome, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  return sortLabels([...counts.values()]);
}

/** Sends one planned request to `baseUrl` with its simulated time, and checks the answer. */
export async function sendPlanned(baseUrl: string, planned: PlannedRequest): Promise<void> {
  const res = await request(baseUrl)
    .get(planned.path)
    .set({
      ...planned.headers,
      ...(planned.time === undefined ? {} : { [SIM_TIME_HEADER]: String(planned.time) }),
    });
  const text = res.text;
  const where = `${planned.label}: ${res.status} ${text}`;
  expect(res.status, where).toBe(planned.status);
  const body = JSON.parse(text) as unknown;
  if (planned.code !== undefined) expect((body as { code?: string }).code, where).toBe(planned.code);
  if (planned.body !== undefined) expect(body, where).toEqual(planned.body);
}

/** The figures of a report that must equal the expected ones (everything but `recorder`, `generatedAt`, `cutover`). */
export function reportFigures(report: MigrationReport): BridgeExpected & { approximate: boolean } {
  return {
    approximate: report.approximate,
    totals: report.totals,
    windows: report.windows,
    lastLegacyAt: report.lastLegacyAt,
    series: report.series,
    requestsByLabel: sortLabels(report.requestsByLabel),
  };
}
