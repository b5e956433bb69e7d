import { withRedisLink } from '../../fleet/redis-link.js';
import type { AnyStatsEvent, StatsQuery, StatsSnapshot, StatsStore } from '../contract.js';
import {
  STATS_KINDS as KINDS,
  STATS_OUTCOMES as OUTCOMES,
  PASSWORD_MIGRATION_RESULTS as PASSWORD_RESULTS,
  SESSION_UPGRADE_RESULTS,
} from '../labels.js';
import { digestFunction } from './digest.js';
import { parseOptions, type RedisStatsOptions } from './options.js';
import { planQuery } from './query-plan.js';
import { parseQueryReply } from './query-reply.js';
import { scriptRunner } from './run-script.js';
import { QUERY_SCRIPT, RECORD_SCRIPT } from './scripts.js';
import { PASSWORD_FIELD_PREFIX, toSnapshot, UPGRADE_FIELD_PREFIX } from './snapshot.js';

/** Most events sent in one script call: bounds the time Redis spends in one script (about 20 ms per 1000). */
const MAX_EVENTS_PER_CALL = 1000;

/**
 * A {@link StatsStore} in Redis, shared by every instance of the application. Client-agnostic: it only calls
 * `sendCommand(...args)`, so node-redis and ioredis both work. Same semantics and, for the same events
 * recorded in time order, the same answers as `memoryStats()`.
 *
 * ```ts
 * import { createClient } from 'redis';
 * const client = createClient({ url, disableOfflineQueue: true });
 * await client.connect();
 * const stats = redisStats({ sendCommand: (...args) => client.sendCommand(args) });
 * // ioredis: redisStats({ sendCommand: (command, ...args) => redis.call(command, ...args) })
 * ```
 *
 * **Writes.** One `record(batch)` is one round trip: a single `EVALSHA` of a Lua script with the batch, sorted
 * by time, as arguments (up to 1000 events per call; larger batches are split). The script's SHA-1 is computed
 * locally, so nothing is loaded ahead: on `NOSCRIPT` (first use, restart, failover, `SCRIPT FLUSH`) the store
 * sends `EVAL` once, which caches the script. Password migration events travel in the same call, as counters
 * without a user. Malformed events (non-finite time, unknown kind, outcome or result) are skipped, as a retry
 * would fail the same way.
 *
 * **Keys** (all under `prefix`, all with a TTL): `u:<id>` hash fl/ll/fp/lp (first/last legacy and provider
 * sighting, ms), expiring `retentionDays` after the user's last sighting; sorted sets `last:legacy`,
 * `last:provider`, `last:any` (last sighting), `migrated` (first provider sighting, for users whose first
 * legacy sighting is not later), `legacyOnly` (last legacy sighting, for users never seen on the provider),
 * trimmed by score once a minute and expiring after `retentionDays` without writes; `h:<hour>` and `d:<day>`
 * hashes (epoch-aligned UTC buckets) with requests per `kind:outcome`, password migration decisions per
 * `pw:<result>` and distinct users per kind (`users:legacy`, `users:provider`), kept `hourlyRetentionDays` /
 * `retentionDays` after the bucket ends;
 * `d:<day>:hll:{legacy,provider,migrated}` HyperLogLogs; `lastLegacyAt`; `trimmedAt`; after an eviction,
 * `evictedHorizon`, `evicted:bloom` and `returning`. Data older than the retention is dropped at once
 * (expiry times are absolute: event time plus retention, on Redis' clock).
 *
 * **Queries.** One round trip (a read-only Lua script returning JSON). A window starts at
 * `max(now - length, now - retention)`; its user counts are `ZCOUNT`s from there (legacy: `ll >= start`,
 * provider: `lp >= start`, active, migrated: `fp >= start` and `fl <= fp`, legacyOnly: `ll >= start`, no
 * provider sighting). Totals are the window of the whole retention. Request counts sum the buckets *starting*
 * at or after the window start: hourly buckets for windows starting within `hourlyRetentionDays`, day buckets
 * otherwise (so the part of the first hour, or day, before its first bucket boundary is left out); password
 * migration counts likewise. `requestsByLabel` is the totals' day buckets by label. Series run from `seriesFrom` aligned down, clamped
 * to the retention of that bucket size, through the bucket containing `now`, empty buckets as zeros.
 *
 * **Exactness.** Exact while at most `maxUsers` distinct users were seen within the retention. A user counts
 * once in a bucket's distinct users when the bucket lies after its last, or before its first, sighting of that
 * kind: exact when each user's sightings are recorded in time order (within a batch, and for every user one
 * instance serves); a user whose sightings reach several instances out of order may miss a count in a bucket
 * lying between two earlier-recorded sightings (`memoryStats` would also miss one before its first).
 * Past `maxUsers`, the least recently seen users are evicted (`ZPOPMIN last:any`, at the end of a batch) and
 * the newest evicted last sighting is kept as `evictedHorizon`. A window starting at or before it is flagged
 * `approximate`, and its legacy/provider/active/migrated counts come from `PFCOUNT` over the day
 * HyperLogLogs from the window's first day (standard error 0.81%; users seen on that day before the window
 * start are included; never below the exact count of the users still tracked). Its `legacyOnly` is estimated
 * as that legacy count minus the tracked legacy users with a provider sighting minus the estimated evicted
 * migrated users. Evicted users go into a Bloom filter (8 bits per `maxUsers`, at least 64 Kbit); one that
 * comes back has lost its first sightings, so every window it is active in is flagged `approximate` too.
 * A day or hour series point may count a returning evicted user twice. The snapshot's `approximate` is
 * true when the totals or any window are.
 *
 * **Privacy.** User ids never reach Redis: the stored id is the first 22 base64url characters (132 bits) of
 * SHA-256(id), or of HMAC-SHA-256(hashKey, id). Collision bound: with n users, P(any collision) <=
 * n^2 / 2^133, about 10^-22 for 10^9 users. A plain digest of a guessable id (e-mail, sequential number)
 * can be matched by hashing candidates: set `hashKey` to prevent that.
 *
 * **Memory.** Grows with the tracked users (at most `maxUsers`): the measured bytes per user are in the
 * BENCHMARKS.md, "Stats store memory" (test/stats/redis-store.memory.test.ts prints them); lower `maxUsers` to bound it.
 *
 * **Redis Cluster.** The scripts declare one key (`<prefix>last:any`) for routing and build the others from
 * the prefix: put a hash tag in the prefix (`'{esb}:'`) so that every key lives in one slot, or use a single
 * node (with replicas / Sentinel).
 *
 * **Outages.** `record` and `query` reject when a command fails; the recorder counts the failure and retries
 * while its buffer has room, and the stats endpoint answers 503. Configure the client so that commands fail
 * instead of waiting in an offline queue and time out instead of hanging (the settings for node-redis and
 * ioredis: docs/stats.md, "Stores"); the recorder's `flushTimeoutMs` bounds a flush in any case.
 */
export function redisStats(options: RedisStatsOptions): StatsStore {
  const config = parseOptions(options);
  const { sendCommand, prefix, retentionMs, hourlyRetentionMs, maxUsers } = config;
  const run = scriptRunner(sendCommand, `${prefix}last:any`);
  const digest = digestFunction(config.hashKey);

  async function record(events: readonly AnyStatsEvent[]): Promise<void> {
    // Malformed events are skipped (like the memory store): a retry would fail the same way.
    const sorted = events.filter(isWellFormed).sort((a, b) => a.time - b.time);
    if (sorted.length === 0) return;
    const head = [prefix, '', String(retentionMs), String(hourlyRetentionMs), String(maxUsers)];
    for (let from = 0; from < sorted.length; from += MAX_EVENTS_PER_CALL) {
      const args = [...head];
      args[1] = String(Date.now());
      for (const event of sorted.slice(from, from + MAX_EVENTS_PER_CALL)) {
        if (event.type === 'password-migration') {
          // A counter in the same bucket hashes, with no user: the script bumps the field and sights nobody.
          args.push(String(Math.floor(event.time)), `${PASSWORD_FIELD_PREFIX}${event.result}`, '', '');
          continue;
        }
        if (event.type === 'session-upgrade') {
          args.push(String(Math.floor(event.time)), `${UPGRADE_FIELD_PREFIX}${event.result}`, '', '');
          continue;
        }
        args.push(
          String(Math.floor(event.time)),
          `${event.kind}:${event.outcome}`,
          typeof event.legacyUserId === 'string' ? digest(event.legacyUserId) : '',
          typeof event.providerUserId === 'string' ? digest(event.providerUserId) : '',
        );
      }
      await run(RECORD_SCRIPT, args);
    }
  }

  async function query(q: StatsQuery): Promise<StatsSnapshot> {
    const plan = planQuery(q, config);
    return toSnapshot(plan, parseQueryReply(await run(QUERY_SCRIPT, plan.args)));
  }

  // The bridge finds the Redis behind this store for the fleet (shared cutover, drain lock, registry).
  return withRedisLink({ record, query }, { sendCommand, prefix });
}

function isWellFormed(event: AnyStatsEvent): boolean {
  if (typeof event !== 'object' || event === null) return false;
  if (typeof event.time !== 'number' || !Number.isFinite(event.time)) return false;
  if (event.type === 'password-migration') return PASSWORD_RESULTS.includes(event.result);
  if (event.type === 'session-upgrade') return SESSION_UPGRADE_RESULTS.includes(event.result);
  return KINDS.includes(event.kind) && OUTCOMES.includes(event.outcome);
}
