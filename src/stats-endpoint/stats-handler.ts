/**
 * The stats endpoint: authorization, content negotiation and the answer, for a `MigrationReport` computed
 * elsewhere. Uses only Node's `res.statusCode`, `res.setHeader` and `res.end`, so it runs on Express 4 and 5.
 */
import type { ServerResponse } from 'node:http';
import { BridgeError } from '../errors.js';
import { OptionChecks } from '../options/checks.js';
import { sendError, withResponseHeaders } from '../request/respond.js';
import { buildMetricFamilies } from '../stats/metric-families.js';
import type { InstanceState, MetricValues } from '../stats/metric-types.js';
import { attemptReport, type MetricsSource } from '../stats/metrics-source.js';
import { parseCutoverCriteria } from '../stats/report.js';
import type { CutoverCriteria, MigrationReport } from '../stats/report-types.js';
import { REPORT_TIMEOUT_MS, type StatsService } from '../stats/stats-service.js';
import type { BridgeRequest } from '../types.js';
import { chooseFormat, type StatsFormat } from './negotiate.js';
import { renderAccessDenied } from './render-denied.js';
import { DASHBOARD_CSP, HTML_CONTENT_TYPE, renderHtml } from './render-html.js';
import { JSON_CONTENT_TYPE, renderJson } from './render-json.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './render-prometheus.js';

/** Options of `bridge.statsHandler()`. */
export interface StatsHandlerOptions {
  /**
   * Decides who may see the stats; may be async. Only `true` grants access; `false`, anything else or a
   * throw denies it: 401 when the request has no `req.auth`, else 403. Required unless `public: true`.
   * Default: none.
   */
  authorize?: (req: BridgeRequest) => boolean | Promise<boolean>;
  /**
   * `true` serves the stats to anyone who reaches the route, for an endpoint already protected upstream
   * (an admin network, a reverse proxy with its own login). Default `false`.
   */
  public?: boolean;
  /** Criteria for cutover readiness. Default `{ maxLegacyShare: 0.01, quietDays: 7, trendDays: 14 }`. */
  cutover?: CutoverCriteria;
}

/** Who may see the stats: `authorize` is undefined only for a public endpoint. */
export interface StatsAccess {
  authorize: ((req: BridgeRequest) => boolean | Promise<boolean>) | undefined;
  public: boolean;
}

/** `StatsHandlerOptions` validated, defaults filled. */
export interface StatsHandlerConfig extends StatsAccess {
  cutover: Required<CutoverCriteria>;
}

const OPTION_KEYS: Record<keyof StatsHandlerOptions, true> = { authorize: true, public: true, cutover: true };

// Options of a call on the bridge: the messages stand alone.
const check: OptionChecks = new OptionChecks();

/** The access rule: the endpoint reveals adoption figures, so it needs `authorize` or an explicit `public: true`. */
function parseAccess(authorize: unknown, isPublic: unknown): StatsAccess {
  const rule = check.optionalFunction<StatsAccess['authorize']>(
    'authorize',
    authorize,
    '(req) => boolean | Promise<boolean>',
  );
  const open = check.boolean('public', isPublic, false);
  if (rule === undefined && !open) {
    check.fail(
      'statsHandler() needs `authorize` or `public: true`: the stats endpoint reveals how many users still use ' +
        'the old login; pass authorize: (req) => req.auth?.userId === ADMIN_USER_ID (any check of yours, may be ' +
        'async), or public: true if it is already protected upstream.',
    );
  }
  if (rule !== undefined && open)
    check.fail('pass either `authorize` or `public: true` to statsHandler(), not both.');
  return { authorize: rule, public: open };
}

/** Validates the user's options of `bridge.statsHandler()` once, at construction. */
export function parseStatsHandlerOptions(options: StatsHandlerOptions | undefined): StatsHandlerConfig {
  const value = check.optionalRecord(
    options,
    'statsHandler(options) takes an object, e.g. { authorize: (req) => ... }.',
  );
  check.knownKeys(value, OPTION_KEYS);
  return {
    ...parseAccess(value.authorize, value.public),
    cutover: parseCutoverCriteria(value.cutover as CutoverCriteria | undefined),
  };
}

/**
 * `bridge.statsHandler(options)`: the options are parsed here, once; the numbers are the bridge's stats (the
 * report judged by the handler's `cutover` criteria), with the bridge's report deadline.
 */
/** Longest the endpoint waits for the recorder's flush before building the report. */
const SETTLE_MS = 1000;

export function bridgeStatsHandler(
  options: StatsHandlerOptions,
  stats: StatsService,
  debug: (message: string) => void,
): StatsRequestHandler {
  const { cutover, ...access } = parseStatsHandlerOptions(options);
  const source = stats.metricsSource(cutover);
  return serveStats(
    access,
    {
      ...source,
      // The request asking for the stats was itself recorded by the bridge in front of the route: flush first,
      // so it is counted and the page does not show it as a pending event.
      getReport: async () => {
        await stats.settle(SETTLE_MS);
        return source.getReport();
      },
    },
    REPORT_TIMEOUT_MS,
    debug,
  );
}

/** What `createStatsHandler` needs: the access rule, and where the numbers come from. */
export interface StatsHandlerSources extends MetricsSource {
  authorize?: StatsHandlerOptions['authorize'];
  public?: boolean;
  /** Milliseconds to wait for the report before answering 503. Default `10000`. */
  timeoutMs?: number;
  /** Debug logger. Default: silent. */
  debug?: (message: string) => void;
}

/**
 * The stats endpoint over plain functions (a report computed elsewhere, e.g. a fixed one in tests): checks
 * the sources once and gives `getReport` its deadline (`attemptReport`).
 */
export function createStatsHandler(sources: StatsHandlerSources): StatsRequestHandler {
  const access = parseAccess(sources.authorize, sources.public);
  for (const name of ['getReport', 'local', 'recorder'] as const) {
    check.requiredFunction(name, sources[name], 'createStatsHandler() needs it.');
  }
  check.optionalFunction('localPasswordMigrations', sources.localPasswordMigrations, '() => counts');
  check.optionalFunction('localSessionUpgrades', sources.localSessionUpgrades, '() => counts');
  check.optionalFunction('state', sources.state, '() => ({ mode, percent })');
  const timeoutMs = check.integer(
    'timeoutMs',
    sources.timeoutMs,
    1,
    REPORT_TIMEOUT_MS,
    'the milliseconds to wait for the report before answering 503, e.g. 10000',
  );
  return serveStats(access, sources, timeoutMs, sources.debug ?? (() => {}));
}

/** A request handler for Express 4 and 5 (and plain Node with a `next`). */
export type StatsRequestHandler = (
  req: BridgeRequest,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

const REALM = 'stats';

function setCommonHeaders(res: ServerResponse): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Vary', 'Accept');
}

function send(res: ServerResponse, contentType: string, body: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

/**
 * A refused request that asked for HTML (a browser): a page saying to sign in (401) or that access is missing
 * (403), with the status and headers the JSON answer has (`WWW-Authenticate` included) and the dashboard's CSP.
 */
function sendAccessDenied(res: ServerResponse, err: BridgeError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = renderAccessDenied(err.status === 401 || err.status === 503 ? err.status : 403);
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Type', HTML_CONTENT_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.statusCode = err.status;
  res.end(body);
}

/** With a shared cutover: what this instance keeps applying while Redis does not answer, and since when. */
function keptStateNote(state: InstanceState | undefined): string {
  if (state?.fleetSyncedAt === undefined) return '';
  const age =
    state.fleetSyncedAt === null
      ? 'never synced'
      : `fleet state last synced ${Math.round((Date.now() - state.fleetSyncedAt) / 1000)} s ago`;
  const ramp = state.mode === 'bridge' ? ` ${state.percent} %` : '';
  return ` This instance keeps applying ${state.mode}${ramp} (${age}).`;
}

/** This process's numbers for the Prometheus text: its counters and its recorder's health. */
function localMetrics(source: MetricsSource): Omit<MetricValues, 'report'> {
  return {
    local: source.local(),
    passwordMigrations: source.localPasswordMigrations?.(),
    sessionUpgrades: source.localSessionUpgrades?.(),
    recorder: source.recorder(),
    state: source.state?.(),
  };
}

function render(
  format: StatsFormat,
  report: MigrationReport,
  source: MetricsSource,
  res: ServerResponse,
): void {
  switch (format) {
    case 'json':
      send(res, JSON_CONTENT_TYPE, renderJson(report));
      return;
    case 'prometheus': {
      const families = buildMetricFamilies({ report, ...localMetrics(source) });
      send(res, PROMETHEUS_CONTENT_TYPE, renderPrometheus(families));
      return;
    }
    case 'html': {
      const body = renderHtml(report);
      res.setHeader('Content-Security-Policy', DASHBOARD_CSP);
      res.setHeader('Referrer-Policy', 'no-referrer');
      send(res, HTML_CONTENT_TYPE, body);
      return;
    }
  }
}

/**
 * The stats endpoint handler. Answers GET and HEAD (other methods go to `next()`):
 * - access: `authorize(req)` must return `true` (401 `WWW-Authenticate: Bearer realm="stats"` without
 *   `req.auth`, else 403; a throwing `authorize` denies, never 500), unless the endpoint is public;
 * - format: `?format=json|prometheus|html`, else `Accept` (browsers get HTML, Prometheus gets text, the
 *   rest JSON); an unknown `?format` is 400;
 * - a report that fails or times out is 503 `ERR_BRIDGE_STATS_UNAVAILABLE` with `Retry-After`, except for
 *   Prometheus, which still gets this instance's metrics with `session_bridge_stats_report_up 0`.
 * Every answer carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`; errors are JSON, except
 * a refused request that asks for HTML (a browser), which gets a page saying to sign in (same status and headers).
 */
function serveStats(
  { authorize }: StatsAccess,
  source: MetricsSource,
  timeoutMs: number,
  debug: (message: string) => void,
): StatsRequestHandler {
  const isAllowed = async (req: BridgeRequest): Promise<boolean> => {
    if (!authorize) return true;
    try {
      return (await authorize(req)) === true;
    } catch (error) {
      debug(`stats: authorize threw, access denied: ${String(error)}`);
      return false;
    }
  };

  const handle = async (req: BridgeRequest, res: ServerResponse): Promise<void> => {
    setCommonHeaders(res);
    if (!(await isAllowed(req))) {
      const err =
        req.auth == null
          ? new BridgeError(
              'ERR_BRIDGE_UNAUTHENTICATED',
              'Authentication is required to see the migration stats.',
            )
          : new BridgeError('ERR_BRIDGE_FORBIDDEN', 'You are not allowed to see the migration stats.');
      withResponseHeaders(err, REALM);
      const asked = chooseFormat(req.url, req.headers.accept);
      if (asked.kind === 'format' && asked.format === 'html') sendAccessDenied(res, err);
      else sendError(res, err);
      return;
    }
    const choice = chooseFormat(req.url, req.headers.accept);
    if (choice.kind !== 'format') {
      // No WWW-Authenticate: the credentials are fine, the parameter is not.
      sendError(
        res,
        new BridgeError(
          'ERR_BRIDGE_INVALID_REQUEST',
          'Unknown format: use ?format=json, ?format=prometheus or ?format=html.',
        ),
      );
      return;
    }
    const attempt = await attemptReport(() => source.getReport(), timeoutMs);
    if (!attempt.ok) {
      debug(`stats: the report failed: ${String(attempt.error)}`);
      if (choice.format === 'prometheus' && !res.headersSent) {
        // A scrape must keep working while the store is down: this instance's counters and recorder health
        // (dropped events, failed flushes) matter most then. The store gauges are left out, report_up is 0.
        const families = buildMetricFamilies({ report: null, ...localMetrics(source) });
        send(res, PROMETHEUS_CONTENT_TYPE, renderPrometheus(families));
        return;
      }
      const err = new BridgeError(
        'ERR_BRIDGE_STATS_UNAVAILABLE',
        `The stats store could not answer; try again shortly.${keptStateNote(source.state?.())}`,
        { cause: attempt.error },
      );
      withResponseHeaders(err, REALM);
      // A browser gets a page saying to reload shortly (same status and Retry-After), not the JSON error.
      if (choice.format === 'html') sendAccessDenied(res, err);
      else sendError(res, err);
      return;
    }
    if (res.headersSent || res.writableEnded) return;
    render(choice.format, attempt.report, source, res);
  };

  return function statsHandler(req, res, next) {
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      next();
      return;
    }
    handle(req, res).catch(next);
  };
}
