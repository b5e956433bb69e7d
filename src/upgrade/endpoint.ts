import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JWTPayload } from 'jose';
import { BridgeError } from '../errors.js';
import type { LegacyResult } from '../legacy/reader.js';
import type { ProviderConfig } from '../options/config.js';
import { sendJson } from '../password-migration/respond-json.js';
import type { ProviderResult } from '../provider/check.js';
import { DEFAULT_RETRY_AFTER_SECONDS, sendError, withResponseHeaders } from '../request/respond.js';
import type { BridgeMode } from '../types.js';
import { CircuitBreaker } from '../util/circuit-breaker.js';
import { settle } from '../util/with-timeout.js';
import { ProviderFailure } from './adapters/provider-call.js';
import { extraClaims, signAssertion } from './assertion.js';
import type { UpgradeConfig } from './config.js';
import { isCrossSite } from './cross-site.js';
import { deliverGrant } from './deliver.js';
import { SingleFlight } from './single-flight.js';
import { type SessionUpgradeResult, type UpgradeGrant, UpgradeRefusal } from './types.js';

/** What the endpoint needs from its bridge. */
export interface UpgradeDeps {
  now: () => number;
  debug: (message: string) => void;
  realm: string;
  /** The mode requests are decided under now. */
  mode: () => BridgeMode;
  /** The request's legacy login, read as the bridge reads it (never written). */
  legacy: (req: IncomingMessage) => LegacyResult | Promise<LegacyResult>;
  /** The request's provider credential, checked as the bridge checks it. */
  provider: (req: IncomingMessage) => ProviderResult | Promise<ProviderResult>;
  /** Checks a JWT the provider just issued, as the target provider reads it. */
  verifyIssued: (token: string) => ProviderResult | Promise<ProviderResult>;
  /** Caches a link of a provider identity to a legacy user. */
  remember: (payload: JWTPayload, userId: string) => void;
  /** The provider upgraded to. */
  target: ProviderConfig;
  /** One event per decision. */
  record: (result: SessionUpgradeResult) => void;
}

type Outcome =
  | { result: 'upgraded'; grant: UpgradeGrant }
  | { result: 'refused' }
  | { result: 'failed'; retryAfterSeconds: number };

/** A handler usable with Express 4 and 5. */
export type UpgradeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;

function looksLikeJwt(token: string): boolean {
  return token.split('.').length === 3;
}

/** An error's name for a debug line: never its message, which might quote what the provider sent. */
function nameOf(err: unknown): string {
  if (err instanceof UpgradeRefusal || (err instanceof Error && err.name === 'ProviderFailure'))
    return err.message;
  return err instanceof Error ? err.name : typeof err;
}

/**
 * `bridge.upgradeEndpoint()`: turns the request's valid legacy session into a provider session. See
 * `SessionBridge.upgradeEndpoint` for every answer. The legacy session is only read.
 */
export function createUpgradeEndpoint(config: UpgradeConfig, deps: UpgradeDeps): UpgradeHandler {
  const breaker = new CircuitBreaker({
    failureThreshold: config.failureThreshold,
    coolDownMs: config.coolDownMs,
    now: deps.now,
  });
  const flights = new SingleFlight<Outcome>();
  const { target } = deps;
  const debug = (message: string) => deps.debug(`upgrade: ${message}`);

  function answer(res: ServerResponse, result: SessionUpgradeResult, error: BridgeError): void {
    deps.record(result);
    sendError(res, withResponseHeaders(error, deps.realm));
  }

  function failed(retryAfterSeconds: number): Outcome {
    return { result: 'failed', retryAfterSeconds };
  }

  /** Links the provider identity of `grant` to `userId`: already linked (`linkClaim`), or `onUpgrade` + cache. */
  async function link(grant: UpgradeGrant, userId: string): Promise<Outcome | undefined> {
    let identity: JWTPayload | undefined;
    if (looksLikeJwt(grant.credential) && target.jwt) {
      const checked = await deps.verifyIssued(grant.credential);
      if (checked.state === 'ok') {
        if (checked.userId === userId) return undefined;
        // Already someone else's: never relink a provider identity, whatever maps it.
        debug('the issued credential is linked to another user: refused');
        return { result: 'refused' };
      } else if (checked.state === 'invalid' && checked.unlinked) {
        identity = checked.unlinked.credential.payload;
      } else if (checked.state !== 'none') {
        debug(
          `the provider issued a credential this bridge does not accept (${checked.error.code}): check \`provider\``,
        );
        return failed(DEFAULT_RETRY_AFTER_SECONDS);
      }
    } else if (grant.subject !== undefined) {
      identity = { iss: target.issuer, sub: grant.subject };
    }
    if (identity?.iss === undefined || identity.sub === undefined) {
      debug('the provider identity is unknown: only `provider.linkClaim` can link it');
      return undefined;
    }
    if (config.onUpgrade) {
      try {
        await settle(
          config.onUpgrade({ userId, provider: target.name, iss: identity.iss, sub: identity.sub }),
          config.timeoutMs,
          'upgrade.onUpgrade',
        );
      } catch (err) {
        debug(`onUpgrade failed (${nameOf(err)}): the link was not stored`);
        return failed(DEFAULT_RETRY_AFTER_SECONDS);
      }
    }
    deps.remember(identity, userId);
    return undefined;
  }

  async function exchange(userId: string, extra: Record<string, unknown>): Promise<Outcome> {
    if (!breaker.allow()) return failed(breaker.retryAfterSeconds());
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('timeout')), config.timeoutMs);
    timer.unref();
    let grant: UpgradeGrant;
    try {
      const assertion =
        config.audience === undefined
          ? ''
          : await signAssertion(config.signingKey, {
              issuer: config.issuer,
              audience: config.audience,
              subject: userId,
              now: Math.floor(deps.now() / 1000),
              lifetimeSeconds: config.lifetimeSeconds,
              claims: extra,
            });
      grant = await Promise.race([
        config.exchange.exchange({ assertion, userId, claims: extra, signal: controller.signal }),
        new Promise<never>((_, reject) => {
          controller.signal.addEventListener('abort', () => reject(new Error('timeout')), { once: true });
        }),
      ]);
    } catch (err) {
      if (err instanceof UpgradeRefusal) {
        breaker.success();
        debug(err.message);
        return { result: 'refused' };
      }
      // A 429 says we call too often (one user looping, or a burst): not the provider failing for everyone.
      if (err instanceof ProviderFailure && err.throttled) {
        debug(`${config.exchange.kind} throttled (429)`);
        return failed(DEFAULT_RETRY_AFTER_SECONDS);
      }
      breaker.failure();
      debug(
        `${config.exchange.kind} failed (${controller.signal.aborted ? `no answer within ${config.timeoutMs} ms` : nameOf(err)})`,
      );
      return failed(breaker.state === 'closed' ? DEFAULT_RETRY_AFTER_SECONDS : breaker.retryAfterSeconds());
    } finally {
      clearTimeout(timer);
    }
    breaker.success();
    return (await link(grant, userId)) ?? { result: 'upgraded', grant };
  }

  async function upgrade(legacy: { userId: string; session: unknown }): Promise<Outcome> {
    let extra: Record<string, unknown> = {};
    if (config.claims) {
      try {
        const given = await settle(config.claims({ ...legacy }), config.timeoutMs, 'upgrade.claims');
        const parsed = extraClaims(given);
        if (!parsed) throw new TypeError('upgrade.claims must return an object');
        extra = parsed;
      } catch (err) {
        debug(`claims() failed (${nameOf(err)})`);
        return failed(DEFAULT_RETRY_AFTER_SECONDS);
      }
    }
    return exchange(legacy.userId, extra);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (isCrossSite(req, config.allowedOrigins)) {
      return answer(
        res,
        'forbidden',
        new BridgeError('ERR_BRIDGE_FORBIDDEN', 'Cross-site upgrade requests are refused.'),
      );
    }
    if (deps.mode() !== 'bridge') {
      return answer(
        res,
        'forbidden',
        new BridgeError('ERR_BRIDGE_UPGRADE_MODE', 'Sessions are upgraded only in bridge mode.'),
      );
    }
    const legacy = await deps.legacy(req);
    if (legacy.state === 'unavailable') return answer(res, 'failed', legacy.error);
    if (legacy.state !== 'ok') {
      return answer(
        res,
        'unauthenticated',
        new BridgeError('ERR_BRIDGE_UNAUTHENTICATED', 'A valid legacy session is required.'),
      );
    }
    const provider = await deps.provider(req);
    if (provider.state === 'ok' && provider.userId === legacy.userId) {
      deps.record('already');
      sendJson(res, 200, { upgraded: false, reason: 'already-provider' });
      return;
    }
    const subject = { userId: legacy.userId, session: legacy.session };
    if (config.eligible) {
      let eligible: unknown;
      try {
        eligible = await settle(config.eligible({ ...subject }, req), config.timeoutMs, 'upgrade.eligible');
      } catch (err) {
        debug(`eligible() failed (${nameOf(err)})`);
        const error = new BridgeError('ERR_BRIDGE_RESOLVER_UNAVAILABLE', 'The upgrade could not be decided.');
        return answer(res, 'failed', error);
      }
      if (eligible !== true) {
        return answer(
          res,
          'ineligible',
          new BridgeError('ERR_BRIDGE_FORBIDDEN', 'This session cannot be upgraded.', {
            hint: 'provider_login_required',
          }),
        );
      }
    }
    const outcome = await flights.run(legacy.userId, () => upgrade(subject));
    if (outcome.result === 'upgraded') {
      deps.record('upgraded');
      deliverGrant(
        res,
        outcome.grant,
        { userId: legacy.userId, provider: target.name },
        {
          deliver: config.deliver,
          cookie: config.cookie,
          cookieName: target.cookieName,
        },
      );
      return;
    }
    if (outcome.result === 'refused') {
      return answer(
        res,
        'refused',
        new BridgeError('ERR_BRIDGE_UPGRADE_REFUSED', 'The provider refused the upgrade.', {
          hint: 'provider_login_required',
        }),
      );
    }
    const error = new BridgeError(
      'ERR_BRIDGE_PROVIDER_UNAVAILABLE',
      'The provider could not create a session now.',
    );
    error.headers['Retry-After'] = String(outcome.retryAfterSeconds);
    answer(res, 'failed', error);
  }

  return function upgradeEndpoint(req, res, next) {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      sendJson(res, 405, { error: 'method_not_allowed' });
      return;
    }
    handle(req, res).catch(next);
  };
}
