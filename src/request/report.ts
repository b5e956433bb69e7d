import type { LegacyResult } from '../legacy/reader.js';
import type { ProviderResult } from '../provider/check.js';
import type { StatsEvent } from '../stats/contract.js';
import { statsOutcome } from '../stats/to-stats-event.js';
import type { BridgeEvent, BridgeMode } from '../types.js';
import { type Decision, decisionCode, requestEvent } from './decide.js';

/** Reports one request's decision: to `onEvent` (as a `BridgeEvent`) and to the stats (as a `StatsEvent`). */
export type ReportRequest = (
  mode: BridgeMode,
  time: number,
  legacy: LegacyResult,
  provider: ProviderResult,
  decision: Decision,
) => void;

/** Where the stats take a request's event (`StatsService.recordRequest`). */
export type RecordRequest = (event: StatsEvent, mode: BridgeMode) => void;

/**
 * The stored form of a decision, made straight from it: the same event `toStatsEvent(requestEvent(...))` gives,
 * without the `BridgeEvent` in between (one object a request, not two).
 */
export function requestStatsEvent(
  time: number,
  legacy: LegacyResult,
  provider: ProviderResult,
  decision: Decision,
): StatsEvent {
  const kind: StatsEvent['kind'] =
    decision.auth?.kind ??
    (provider.state !== 'none' ? 'provider' : legacy.state !== 'none' ? 'legacy' : 'anonymous');
  const event: StatsEvent = { time, kind, outcome: statsOutcome(decision.outcome, decisionCode(decision)) };
  if (legacy.state === 'ok') event.legacyUserId = legacy.userId;
  if (provider.state === 'ok') event.providerUserId = provider.userId;
  if (provider.state !== 'none' && provider.provider) event.provider = provider.provider;
  return event;
}

/**
 * The request reporter of one bridge. With `onEvent`, every decision becomes a `BridgeEvent` handed to `emit`
 * (the fan-out to `onEvent` and the stats); without it, only the stats' event is made, and with neither, nothing.
 */
export function createReportRequest(
  onEvent: ((event: BridgeEvent) => void) | undefined,
  emit: (event: BridgeEvent) => void,
  record: RecordRequest | undefined,
): ReportRequest | undefined {
  if (onEvent) {
    return (mode, time, legacy, provider, decision) =>
      emit(requestEvent(mode, time, legacy, provider, decision));
  }
  if (!record) return undefined;
  return (mode, time, legacy, provider, decision) =>
    record(requestStatsEvent(time, legacy, provider, decision), mode);
}
