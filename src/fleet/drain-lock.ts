/**
 * One legacy store scan per fleet (`legacy.drain` with a Redis stats store). At each tick an instance asks for
 * the lock with one script: it gets it only when the last shared scan ended at least `intervalMs` (less 5 %)
 * ago and nobody holds it (`SET NX PX` with a random token). The owner renews the lease every third of it while
 * it scans, then stores the result with its instance id and deletes the lock in one script that checks the
 * token, so only the owner releases it. An owner that dies stops renewing: the lock expires after the lease
 * (`min(intervalMs, 60 s)`, at least 1 s) and the next instance to tick takes over.
 */
import { randomBytes } from 'node:crypto';
import type {
  DrainClaim,
  DrainCoordinator,
  DrainOutcome,
  LegacyStoreReport,
  LegacyStoreScan,
  LegacyStoreScanError,
} from '../legacy-drain/types.js';
import { withTimeout } from '../util/with-timeout.js';
import { FLEET_KEY_TTL_MS, type FleetKeys } from './keys.js';
import type { RedisLink } from './redis-link.js';
import { runFleetScript } from './run-script.js';
import {
  DRAIN_CLAIM_SCRIPT,
  DRAIN_PUBLISH_SCRIPT,
  DRAIN_READ_SCRIPT,
  DRAIN_RENEW_SCRIPT,
} from './scripts.js';

export interface DrainLockDeps {
  link: RedisLink;
  keys: FleetKeys;
  instanceId: string;
  intervalMs: number;
  timeoutMs: number;
  debug: (message: string) => void;
}

/** The lock's lease: the interval, from 1 s to 60 s; renewed every third of it. */
export function drainLeaseMs(intervalMs: number): number {
  return Math.min(Math.max(intervalMs, 1000), 60_000);
}

export function drainLock(deps: DrainLockDeps): DrainCoordinator {
  const { link, keys, instanceId, intervalMs, timeoutMs, debug } = deps;
  const leaseMs = drainLeaseMs(intervalMs);
  const minGapMs = Math.round(intervalMs * 0.95);
  const call = (script: Parameters<typeof runFleetScript>[1], k: string[], args: string[]) =>
    withTimeout(runFleetScript(link.sendCommand, script, k, args), timeoutMs, 'Redis (drain lock)');

  async function publish(token: string, outcome: DrainOutcome | null): Promise<void> {
    let json = '';
    let kind = '2'; // release only
    if (outcome && 'scan' in outcome) {
      json = JSON.stringify({ scan: outcome.scan, instance: instanceId });
      kind = '1';
    } else if (outcome) {
      json = JSON.stringify({ ...outcome.error, instance: instanceId });
      kind = '0';
    }
    await call(
      DRAIN_PUBLISH_SCRIPT,
      [keys.drainLock, keys.drainLast],
      [token, json, kind, String(FLEET_KEY_TTL_MS)],
    );
  }

  return {
    async claim(): Promise<DrainClaim | null> {
      const token = randomBytes(16).toString('hex');
      let taken: unknown;
      try {
        taken = await call(
          DRAIN_CLAIM_SCRIPT,
          [keys.drainLock, keys.drainLast],
          [token, String(leaseMs), String(minGapMs)],
        );
      } catch (error) {
        debug(`legacy store scan skipped: the drain lock could not be asked for (${String(error)})`);
        return null;
      }
      if (Number(taken) !== 1) return null;
      const renew = setInterval(
        () => {
          call(DRAIN_RENEW_SCRIPT, [keys.drainLock], [token, String(leaseMs)])
            .then((kept) => {
              if (Number(kept) !== 1) debug('legacy store scan: the drain lock expired during the scan');
            })
            .catch(() => {
              // Redis is down: the lease runs out and another instance may scan after it.
            });
        },
        Math.floor(leaseMs / 3),
      );
      renew.unref();
      return {
        async finish(outcome) {
          clearInterval(renew);
          await publish(token, outcome);
        },
      };
    },
    share: (outcome) => publish('', outcome),
    async report(): Promise<LegacyStoreReport> {
      const reply = await call(DRAIN_READ_SCRIPT, [keys.drainLast], []);
      const [scanJson, errorJson] = Array.isArray(reply) ? reply : [];
      const last = parseJson(scanJson) as { scan?: LegacyStoreScan; instance?: string } | undefined;
      const error = parseJson(errorJson) as (LegacyStoreScanError & { instance?: string }) | undefined;
      return {
        scan: last?.scan ?? null,
        lastError: error ? { message: String(error.message), at: String(error.at) } : null,
        scannedBy: last?.instance ?? null,
      };
    },
  };
}

function parseJson(value: unknown): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}
