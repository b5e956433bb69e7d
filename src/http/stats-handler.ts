/**
 * The stats endpoint: authorization, content negotiation and the answer, for a `MigrationReport` computed
 * elsewhere. Uses only Node's `res.statusCode`, `res.setHeader` and `res.end`, so it runs on Express 4 and 5.
 */
import type { ServerResponse } from 'node:http';
import { BridgeError } from '../errors.js';
import { parseCutoverCriteria } from '../stats/report.js';
import type { CutoverCriteria, MigrationReport, RecorderReport } from '../stats/report-types.js';
import type { LabelledCount } from '../stats/store.js';
import type { BridgeRequest } from '../types.js';
import { withTimeout } from '../util/with-timeout.js';
import { chooseFormat, type StatsFormat } from './negotiate.js';
import { DASHBOARD_CSP, HTML_CONTENT_TYPE, renderHtml } from './render-html.js';
import { JSON_CONTENT_TYPE, renderJson } from './render-json.js';
import { buildMetricFamilies, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './render-prometheus.js';
import { sendError, withResponseHeaders } from './respond.js';

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

/** `StatsHandlerOptions` validated. `authorize` is undefined only for a public endpoint. */
export interface StatsHandlerConfig {
  authorize: ((req: BridgeRequest) => boolean | Promise<boolean>) | undefined;
  public: boolean;
  /** Validated by the report's `parseCutoverCriteria`, defaults filled. */
  cutover: Required<CutoverCriteria>;
}

const OPTION_KEYS: Record<keyof StatsHandlerOptions, true> = { authorize: true, public: true, cutover: true };
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function rejectUnknownKeys(value: Record<string, unknown>, known: Record<string, true>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(known, key)) {
      throw new TypeError(
        `Unknown option \`${where}${key}\`: the known options are ${Object.keys(known).join(', ')}.`,
      );
    }
  }
}

/**
 * Validates the user's options of `bridge.statsHandler()` once, at construction. The endpoint reveals
 * adoption figures, so it needs `authorize` or an explicit `public: true`.
 */
export function parseStatsHandlerOptions(options: StatsHandlerOptions | undefined): StatsHandlerConfig {
  const value: unknown = options ?? {};
  if (!isPlainObject(value)) {
    throw new TypeError('statsHandler(options) takes an object, e.g. { authorize: (req) => ... }.');
  }
  rejectUnknownKeys(value, OPTION_KEYS, '');
  const { authorize, public: isPublic, cutover } = value;
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw new TypeError('`authorize` must be a function (req) => boolean | Promise<boolean>.');
  }
  if (isPublic !== undefined && typeof isPublic !== 'boolean') {
    throw new TypeError('`public` must be true or false.');
  }
  if (authorize === undefined && isPublic !== true) {
    throw new TypeError(
      'statsHandler() needs `authorize` or `public: true`: the stats endpoint reveals how many users still use ' +
        'the old login; pass authorize: (req) => req.auth?.userId === ADMIN_USER_ID (any check of yours, may be ' +
        'async), or public: true if it is already protected upstream.',
    );
  }
  if (authorize !== undefined && isPublic === true) {
    throw new TypeError('Pass either `authorize` or `public: true` to statsHandler(), not both.');
  }
  return {
    authorize: authorize as StatsHandlerConfig['authorize'],
    public: isPublic === true,
    cutover: parseCutoverCriteria(cutover as CutoverCriteria | undefined),
  };
}

/** What `createStatsHandler` needs: the access rule, and where the numbers come from. */
export interface StatsHandlerSources {
  authorize?: StatsHandlerOptions['authorize'];
  public?: boolean;
  /** The report from the shared stats store (the JSON body; the HTML and the store gauges are built from it). */
  getReport: () => Promise<MigrationReport>;
  /** Requests decided by this process since it started (the Prometheus counters). */
  local: () => readonly LabelledCount[];
  /** Health of this process's recorder (the Prometheus recorder metrics). */
  recorder: () => RecorderReport;
  /** Milliseconds to wait for the report before answering 503. Default `10000`. */
  timeoutMs?: number;
  /** Debug logger. Default: silent. */
  debug?: (message: string) => void;
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

function render(
  format: StatsFormat,
  report: MigrationReport,
  sources: StatsHandlerSources,
  res: ServerResponse,
): void {
  switch (format) {
    case 'json':
      send(res, JSON_CONTENT_TYPE, renderJson(report));
      return;
    case 'prometheus': {
      const families = buildMetricFamilies({ report, local: sources.local(), recorder: sources.recorder() });
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
 * Every answer carries `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`; errors are JSON.
 */
export function createStatsHandler(sources: StatsHandlerSources): StatsRequestHandler {
  const { authorize } = parseStatsHandlerOptions({
    ...(sources.authorize === undefined ? {} : { authorize: sources.authorize }),
    ...(sources.public === undefined ? {} : { public: sources.public }),
  });
  for (const name of ['getReport', 'local', 'recorder'] as const) {
    if (typeof sources[name] !== 'function')
      throw new TypeError(`createStatsHandler() needs a \`${name}\` function.`);
  }
  const timeoutMs = sources.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError('`timeoutMs` must be a positive number of milliseconds, e.g. 10000.');
  }
  const debug = sources.debug ?? (() => {});

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
      sendError(res, withResponseHeaders(err, REALM));
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
    let report: MigrationReport;
    try {
      report = await withTimeout(
        Promise.resolve().then(() => sources.getReport()),
        timeoutMs,
        'The stats store',
      );
    } catch (cause) {
      debug(`stats: the report failed: ${String(cause)}`);
      if (choice.format === 'prometheus' && !res.headersSent) {
        // A scrape must keep working while the store is down: this instance's counters and recorder health
        // (dropped events, failed flushes) matter most then. The store gauges are left out, report_up is 0.
        const families = buildMetricFamilies({
          report: null,
          local: sources.local(),
          recorder: sources.recorder(),
        });
        send(res, PROMETHEUS_CONTENT_TYPE, renderPrometheus(families));
        return;
      }
      const err = new BridgeError(
        'ERR_BRIDGE_STATS_UNAVAILABLE',
        'The stats store could not answer; try again shortly.',
        {
          cause,
        },
      );
      sendError(res, withResponseHeaders(err, REALM));
      return;
    }
    if (res.headersSent || res.writableEnded) return;
    render(choice.format, report, sources, res);
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
