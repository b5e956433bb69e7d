import { inCohort } from '../cutover/cohort.js';
import type { CutoverSettings } from '../cutover/state.js';
import type { LegacyReader, LegacyResult } from '../legacy/reader.js';
import type { BridgeConfig } from '../options/config.js';
import {
  checkProvider,
  IssuerMismatch,
  type ProviderResult,
  type ProviderRuntime,
} from '../provider/check.js';
import { type ProviderCredential, readProviderCredential } from '../provider/credential.js';
import { linkAtSignIn } from '../provider/link-at-sign-in.js';
import type { TokenCache } from '../provider/token-cache.js';
import type { BridgeAuth, BridgeRequest } from '../types.js';
import { type Decision, decide } from './decide.js';
import { parseCookieHeader } from './read-cookies.js';
import type { ReportRequest } from './report.js';
import { shouldLink } from './should-link.js';

/** What the pipeline works with, built once by `sessionBridge()`. */
export interface PipelineParts {
  config: BridgeConfig;
  runtimes: readonly ProviderRuntime[];
  tokenCache: TokenCache<ProviderRuntime> | undefined;
  legacyReader: LegacyReader | undefined;
  debug: (message: string) => void;
  /** Reports each decision to `onEvent` and the stats (undefined: neither is on). */
  report: ReportRequest | undefined;
  /** Told of every `req.auth` a first-sign-in link produced (a provider-only route refuses it). */
  linked: (auth: BridgeAuth) => void;
}

/** Decides one request under the settings it arrived with. */
export type Evaluate = (req: BridgeRequest, settings: CutoverSettings) => Decision | Promise<Decision>;

const NO_LEGACY: LegacyResult = { state: 'none' };
const NO_PROVIDER: ProviderResult = { state: 'none' };
const NO_CREDENTIAL: ProviderCredential = { type: 'none' };

/** The cutover ramp has moved this legacy user to the provider (never in `provider-only`, where all are). */
function cohortOf(settings: CutoverSettings, legacy: LegacyResult): boolean {
  return (
    legacy.state === 'ok' && settings.mode !== 'provider-only' && inCohort(settings.cutover, legacy.userId)
  );
}

/**
 * The request pipeline: read both credentials and check them in parallel (`evaluate`), then link at first
 * sign-in when `shouldLink` says so (`finish`), then decide and report (`record`: the decision, its log line
 * and its event). Whatever answers synchronously (no credential, a cached token, a store that calls back at
 * once) is used without a promise, so a request that needs nothing asynchronous is decided synchronously.
 */
export function createPipeline(parts: PipelineParts): Evaluate {
  const { config, runtimes, tokenCache, legacyReader, debug, report, linked } = parts;

  function evaluate(req: BridgeRequest, settings: CutoverSettings): Decision | Promise<Decision> {
    const time = config.now();
    // Read once: on an Express request every property read is a lookup of its own (see RequestLedger).
    const headers = req.headers;
    let parsed: Record<string, string | undefined> | undefined;
    const cookies = () => {
      parsed ??= parseCookieHeader(headers.cookie);
      return parsed;
    };
    const credential =
      runtimes.length > 0
        ? readProviderCredential(req, config.providers, config.acceptsBearer, cookies, headers)
        : NO_CREDENTIAL;
    const legacy = legacyReader ? legacyReader.check(req, time, cookies) : NO_LEGACY;
    const provider =
      credential.type === 'none' ? NO_PROVIDER : checkProvider(credential, runtimes, time, tokenCache);
    if (legacy instanceof Promise) {
      return provider instanceof Promise
        ? Promise.all([legacy, provider]).then(([l, p]) => finish(settings, time, l, p))
        : legacy.then((l) => finish(settings, time, l, provider));
    }
    if (provider instanceof Promise) return provider.then((p) => finish(settings, time, legacy, p));
    return finish(settings, time, legacy, provider);
  }

  /** Computes the cohort (once), links at first sign-in when it applies, then records the decision. */
  function finish(
    settings: CutoverSettings,
    time: number,
    legacy: LegacyResult,
    checked: ProviderResult,
  ): Decision | Promise<Decision> {
    const cohort = cohortOf(settings, legacy);
    const candidate = shouldLink(settings.mode, cohort, legacy, checked);
    if (candidate) {
      return linkAtSignIn(candidate, debug).then((provider) =>
        record(settings, time, cohort, legacy, provider),
      );
    }
    return record(settings, time, cohort, legacy, checked);
  }

  function record(
    settings: CutoverSettings,
    time: number,
    cohort: boolean,
    legacy: LegacyResult,
    provider: ProviderResult,
  ): Decision {
    const decision = decide(settings.mode, config.onConflict, legacy, provider, cohort);
    if (settings.mode === 'observe')
      decision.enforce = decide('bridge', config.onConflict, legacy, provider, false);
    // An issuer mismatch says in `debug` which issuer was expected and which received (never in the response).
    const mismatch =
      provider.state === 'invalid' && provider.error.cause instanceof IssuerMismatch
        ? provider.error
        : undefined;
    if (decision.error) {
      const detail = decision.error === mismatch ? ` (${(mismatch.cause as Error).message})` : '';
      debug(`${decision.error.code}: ${decision.error.message}${detail}`);
    }
    if (mismatch && decision.error !== mismatch) {
      debug(`provider credential ignored, ${mismatch.code}: ${(mismatch.cause as Error).message}`);
    }
    // Authenticated through a link the legacy session made just now: a provider-only route refuses it.
    if (provider.state === 'ok' && provider.linked && decision.auth) linked(decision.auth);
    report?.(settings.mode, time, legacy, provider, decision);
    return decision;
  }

  return evaluate;
}
