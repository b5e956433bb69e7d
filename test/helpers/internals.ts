/**
 * The one place tests import package internals from (anything `src/index.ts` and `src/stats-store.ts` do not
 * export). When a source file moves, only this file changes. Public names come from src/index.ts.
 */

export type { CutoverConfig } from '../../src/cutover/cohort.js';
export { Cohort, inCohort } from '../../src/cutover/cohort.js';
export { drainLock } from '../../src/fleet/drain-lock.js';
export { fleetKeys } from '../../src/fleet/keys.js';
export { unsignSessionCookie } from '../../src/legacy/cookie.js';
export type { LegacyResult } from '../../src/legacy/reader.js';
export { LegacyReader } from '../../src/legacy/reader.js';
export { DistinctCounter, hash53 } from '../../src/legacy-drain/distinct-counter.js';
export { scanLegacyStore } from '../../src/legacy-drain/scan.js';
export { OptionChecks } from '../../src/options/checks.js';
export type { LegacyConfig } from '../../src/options/config.js';
export { parseCutover } from '../../src/options/cutover.js';
export { parseOptions } from '../../src/options/parse-options.js';
export { parseRecorderOptions } from '../../src/options/recorder.js';
export { createAuth0CustomDatabase } from '../../src/password-migration/auth0-custom-database.js';
export { createPasswordMigrationHook } from '../../src/password-migration/password-hook.js';
export type { MigrationDeps } from '../../src/password-migration/types.js';
export { readBearer } from '../../src/provider/bearer.js';
export type { ProviderResult } from '../../src/provider/check.js';
export { buildProviders, checkProvider } from '../../src/provider/check.js';
export { ProviderKeys, STALE_KEYS_MAX_AGE_MS } from '../../src/provider/keys.js';
export { authgearResolver } from '../../src/provider/opaque/authgear-resolver.js';
export type { OpaqueCheckSettings, OpaqueSession } from '../../src/provider/opaque/checker.js';
export { OpaqueSessionChecker } from '../../src/provider/opaque/checker.js';
export { introspection } from '../../src/provider/opaque/introspection.js';
export { oryWhoami } from '../../src/provider/opaque/ory-whoami.js';
export { TokenCache } from '../../src/provider/token-cache.js';
export { verifyOptionsFor, verifyToken } from '../../src/provider/verify-token.js';
export { decide, requestEvent } from '../../src/request/decide.js';
export { readCookies } from '../../src/request/read-cookies.js';
export { requestStatsEvent } from '../../src/request/report.js';
export {
  PASSWORD_MIGRATION_RESULTS,
  STATS_KINDS,
  STATS_OUTCOMES,
  sessionUpgradeCounts,
} from '../../src/stats/labels.js';
export { buildMetricFamilies, METRIC_FAMILIES } from '../../src/stats/metric-families.js';
export type { MetricFamily } from '../../src/stats/metric-types.js';
export type { MetricsSource } from '../../src/stats/metrics-source.js';
export { createPromClientCollector } from '../../src/stats/prom-client.js';
export { Recorder } from '../../src/stats/recorder.js';
export { buildReport, DEFAULT_WINDOWS, parseCutoverCriteria, statsQueryFor } from '../../src/stats/report.js';
export { REPORT_SCHEMA_VERSION } from '../../src/stats/report-types.js';
export { DAY, HOUR } from '../../src/stats/time.js';
export { toAnyStatsEvent, toStatsEvent } from '../../src/stats/to-stats-event.js';
export { escapeHtml, html } from '../../src/stats-endpoint/html-escape.js';
export { chooseFormat, negotiateFormat, parseAccept } from '../../src/stats-endpoint/negotiate.js';
export { renderHtml } from '../../src/stats-endpoint/render-html.js';
export { escapeLabelValue, renderPrometheus } from '../../src/stats-endpoint/render-prometheus.js';
export type { StatsHandlerSources } from '../../src/stats-endpoint/stats-handler.js';
export { createStatsHandler, parseStatsHandlerOptions } from '../../src/stats-endpoint/stats-handler.js';
export { niceStep, renderChart } from '../../src/stats-endpoint/svg-chart.js';
export { signAssertion } from '../../src/upgrade/assertion.js';
export { parseSigningKey } from '../../src/upgrade/signing-key.js';
export { CircuitBreaker } from '../../src/util/circuit-breaker.js';
export { formatDateTime, formatDuration, formatPercent, relativeTo } from '../../src/util/format.js';
