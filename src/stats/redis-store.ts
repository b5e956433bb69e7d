import { createHash, createHmac } from 'node:crypto';
import { STATS_KINDS as KINDS, STATS_OUTCOMES as OUTCOMES } from './labels.js';
import { QUERY_SCRIPT, RECORD_SCRIPT, type RedisScript } from './redis-scripts.js';
import type {
  LabelledCount,
  RequestCounts,
  SeriesPoint,
  StatsEvent,
  StatsQuery,
  StatsSnapshot,
  StatsStore,
  UserCounts,
  WindowSnapshot,
} from './store.js';

/**
 * Sends one Redis command and resolves with its reply. Bind it to your client:
 *
 * - node-redis 4/5: `(...args) => client.sendCommand(args)` (or `client.sendCommand(args, { timeout: 2000 })`)
 * - ioredis: `(command, ...args) => client.call(command, ...args)`
 */
export type RedisSendCommand = (...args: string[]) => Promise<unknown>;

export interface RedisStatsOptions {
  /**
   * Required. Sends one command to Redis (see {@link RedisSendCommand}). The store depends on no client.
   * Make commands fail fast while Redis is down, so a flush rejects instead of waiting in an offline queue:
   * node-redis `createClient({ disableOfflineQueue: true, socket: { connectTimeout: 2000 } })`,
   * ioredis `new Redis({ enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 })`.
   */
  sendCommand: RedisSendCommand;
  /**
   * Prefix of every key. Default `'esb:'`. Use one prefix per application. On Redis Cluster it must hold a
   * hash tag, e.g. `'{esb}:'`, because the scripts compute their keys (all keys must share one slot).
   */
  prefix?: string;
  /**
   * Secret for HMAC-SHA-256 of user ids. Default: none, user ids are stored as a plain SHA-256 digest,
   * which anyone holding a list of candidate ids (e-mails, sequential numbers) can match. Set a secret of
   * at least 32 random characters to make the stored digests unlinkable without it. Changing it starts
   * the per-user stats afresh.
   */
  hashKey?: string;
  /** Days of data kept (users, day buckets, HyperLogLogs). Default `90`. */
  retentionDays?: number;
  /** Days of hourly buckets kept (hourly series, sub-day window precision). Default `7`; at most `retentionDays`. */
  hourlyRetentionDays?: number;
  /**
   * Most distinct users tracked exactly. Default `1_000_000` (about 600 MB of Redis memory at ~600 bytes per user, see the store docs).
   * Beyond it the least recently seen users are evicted and the affected windows become approximate.
   */
  maxUsers?: number;
}

const OPTION_KEYS: Record<keyof RedisStatsOptions, true> = {
  sendCommand: true,
  prefix: true,
  hashKey: true,
  retentionDays: true,
  hourlyRetentionDays: true,
  maxUsers: true,
};

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Most events sent in one script call: bounds the time Redis spends in one script (about 20 ms per 1000). */
const MAX_EVENTS_PER_CALL = 1000;
/** Length of the stored digest in base64url characters: 22 characters = 132 bits. */
const DIGEST_LENGTH = 22;

interface Config {
  sendCommand: RedisSendCommand;
  prefix: string;
  hashKey: string | undefined;
  retentionMs: number;
  hourlyRetentionMs: number;
  maxUsers: number;
}

function parseOptions(options: RedisStatsOptions | undefined): Config {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      'redisStats: options are required: pass { sendCommand: (...args) => client.sendCommand(args) } for node-redis',
    );
  }
  for (const key of Object.keys(options)) {
    if (!Object.hasOwn(OPTION_KEYS, key)) {
      throw new TypeError(
        `redisStats: unknown option \`${key}\`: the options are ${Object.keys(OPTION_KEYS).join(', ')}`,
      );
    }
  }
  const { sendCommand, prefix = 'esb:', hashKey, retentionDays = 90, hourlyRetentionDays = 7 } = options;
  const maxUsers = options.maxUsers ?? 1_000_000;
  if (typeof sendCommand !== 'function') {
    throw new TypeError(
      'redisStats: `sendCommand` is required: pass (...args) => client.sendCommand(args) for node-redis, ' +
        'or (command, ...args) => client.call(command, ...args) for ioredis',
    );
  }
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError(
      "redisStats: `prefix` must be a non-empty string, e.g. 'esb:' (or '{esb}:' on Redis Cluster)",
    );
  }
  if (hashKey !== undefined && (typeof hashKey !== 'string' || hashKey === '')) {
    throw new TypeError(
      'redisStats: `hashKey` must be a non-empty string (at least 32 random characters), or left out',
    );
  }
  if (typeof retentionDays !== 'number' || !Number.isFinite(retentionDays) || retentionDays <= 0) {
    throw new TypeError('redisStats: `retentionDays` must be a positive number of days, e.g. 90');
  }
  if (
    typeof hourlyRetentionDays !== 'number' ||
    !Number.isFinite(hourlyRetentionDays) ||
    hourlyRetentionDays <= 0 ||
    hourlyRetentionDays > retentionDays
  ) {
    throw new TypeError(
      `redisStats: \`hourlyRetentionDays\` must be a positive number of days no larger than \`retentionDays\` (${retentionDays}), e.g. 7`,
    );
  }
  if (typeof maxUsers !== 'number' || !Number.isSafeInteger(maxUsers) || maxUsers < 1) {
    throw new TypeError('redisStats: `maxUsers` must be a positive integer, e.g. 1_000_000');
  }
  return {
    sendCommand,
    prefix,
    hashKey,
    retentionMs: Math.round(retentionDays * DAY),
    hourlyRetentionMs: Math.round(hourlyRetentionDays * DAY),
    maxUsers,
  };
}

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
 * sends `EVAL` once, which caches the script. Malformed events (non-finite time, unknown kind or outcome) are
 * skipped, as a retry would fail the same way.
 *
 * **Keys** (all under `prefix`, all with a TTL): `u:<id>` hash fl/ll/fp/lp (first/last legacy and provider
 * sighting, ms), expiring `retentionDays` after the user's last sighting; sorted sets `last:legacy`,
 * `last:provider`, `last:any` (last sighting), `migrated` (first provider sighting, for users whose first
 * legacy sighting is not later), `legacyOnly` (last legacy sighting, for users never seen on the provider),
 * trimmed by score once a minute and expiring after `retentionDays` without writes; `h:<hour>` and `d:<day>`
 * hashes (epoch-aligned UTC buckets) with requests per `kind:outcome` and distinct users per kind
 * (`users:legacy`, `users:provider`), kept `hourlyRetentionDays` / `retentionDays` after the bucket ends;
 * `d:<day>:hll:{legacy,provider,migrated}` HyperLogLogs; `lastLegacyAt`; `trimmedAt`; after an eviction,
 * `evictedHorizon`, `evicted:bloom` and `returning`. Data older than the retention is dropped at once
 * (expiry times are absolute: event time plus retention, on Redis' clock).
 *
 * **Queries.** One round trip (a read-only Lua script returning JSON). A window starts at
 * `max(now - length, now - retention)`; its user counts are `ZCOUNT`s from there (legacy: `ll >= start`,
 * provider: `lp >= start`, active, migrated: `fp >= start` and `fl <= fp`, legacyOnly: `ll >= start`, no
 * provider sighting). Totals are the window of the whole retention. Request counts sum the buckets *starting*
 * at or after the window start: hourly buckets for windows starting within `hourlyRetentionDays`, day buckets
 * otherwise (so the part of the first hour, or day, before its first bucket boundary is left out).
 * `requestsByLabel` is the totals' day buckets by label. Series run from `seriesFrom` aligned down, clamped
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
 * **Memory.** About 600 bytes of Redis memory per tracked user (Redis 7.0, 100,000 users of which 30%
 * migrated: `used_memory` from INFO memory went up by 594 bytes per user, buckets and HyperLogLogs included;
 * test/stats/redis-store.memory.test.ts prints it). The default `maxUsers` of 1 million is therefore about
 * 600 MB; lower `maxUsers` to bound it.
 *
 * **Redis Cluster.** The scripts declare one key (`<prefix>last:any`) for routing and build the others from
 * the prefix: put a hash tag in the prefix (`'{esb}:'`) so that every key lives in one slot, or use a single
 * node (with replicas / Sentinel).
 *
 * **Outages.** `record` and `query` reject when a command fails; the recorder counts the failure and retries
 * while its buffer has room, and the stats endpoint answers 503. Configure the client so that commands fail
 * instead of waiting in an offline queue (node-redis `disableOfflineQueue: true`, or a per-command
 * `sendCommand(args, { timeout })`; ioredis `enableOfflineQueue: false` and `maxRetriesPerRequest: 1`);
 * the recorder's `flushTimeoutMs` bounds a flush in any case.
 */
export function redisStats(options: RedisStatsOptions): StatsStore {
  const config = parseOptions(options);
  const { sendCommand, prefix, retentionMs, hourlyRetentionMs, maxUsers } = config;
  const routingKey = `${prefix}last:any`;
  const digest = digestFunction(config.hashKey);

  async function run(script: RedisScript, args: string[]): Promise<unknown> {
    try {
      return await sendCommand('EVALSHA', script.sha, '1', routingKey, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await sendCommand('EVAL', script.source, '1', routingKey, ...args);
    }
  }

  async function record(events: readonly StatsEvent[]): Promise<void> {
    // Malformed events are skipped (like the memory store): a retry would fail the same way.
    const sorted = events.filter(isWellFormed).sort((a, b) => a.time - b.time);
    if (sorted.length === 0) return;
    const head = [prefix, '', String(retentionMs), String(hourlyRetentionMs), String(maxUsers)];
    for (let from = 0; from < sorted.length; from += MAX_EVENTS_PER_CALL) {
      const args = [...head];
      args[1] = String(Date.now());
      for (const event of sorted.slice(from, from + MAX_EVENTS_PER_CALL)) {
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
    const now = Math.floor(q.now);
    const retentionStart = now - retentionMs;
    const hourFloor = now - hourlyRetentionMs;
    const nowHour = Math.floor(now / HOUR);
    const nowDay = Math.floor(now / DAY);
    const windowNames = Object.keys(q.windows);
    const ranges = [retentionStart];
    for (const name of windowNames) {
      const length = q.windows[name]!;
      if (typeof length !== 'number' || !(length >= 0)) {
        throw new TypeError(`redisStats: window \`${name}\` must have a length in milliseconds >= 0`);
      }
      ranges.push(Math.max(now - length, retentionStart));
    }
    const plans = ranges.map((start) => bucketPlan(start, now, hourFloor));

    // Series from `seriesFrom` aligned down, clamped to the retention of that bucket size (like the memory store).
    const hourly = q.seriesBucket === 'hour';
    const seriesSize = hourly ? HOUR : DAY;
    const seriesKeep = hourly ? hourlyRetentionMs : retentionMs;
    const seriesFirst = Math.max(
      Math.floor(q.seriesFrom / seriesSize),
      Math.floor((now - seriesKeep) / seriesSize),
    );
    const seriesLast = Math.floor(now / seriesSize);

    // Bucket hashes to read: every plan's and the series'.
    let hourFrom = nowHour + 1;
    let dayFrom = nowDay + 1;
    for (const plan of plans) {
      if (plan.hourFrom <= plan.hourTo) hourFrom = Math.min(hourFrom, plan.hourFrom);
      if (plan.dayFrom <= plan.dayTo) dayFrom = Math.min(dayFrom, plan.dayFrom);
    }
    if (hourly) hourFrom = Math.min(hourFrom, seriesFirst);
    else dayFrom = Math.min(dayFrom, seriesFirst);
    const dayTo = nowDay;

    const args = [prefix, String(now), String(ranges.length)];
    for (const start of ranges) {
      args.push(String(start), String(Math.floor(start / DAY)), String(nowDay));
    }
    args.push(String(hourFrom), String(nowHour), String(dayFrom), String(dayTo));
    const reply = parseQueryReply(await run(QUERY_SCRIPT, args));

    const hours = new Map<number, Map<string, number>>();
    reply.hours.forEach((fields, i) => {
      hours.set(hourFrom + i, fields);
    });
    const days = new Map<number, Map<string, number>>();
    reply.days.forEach((fields, i) => {
      days.set(dayFrom + i, fields);
    });
    const horizon = reply.horizon;

    const labelsOf = (plan: BucketPlan): Map<string, number> => {
      const sum = new Map<string, number>();
      const add = (fields: Map<string, number> | undefined) => {
        if (!fields) return;
        for (const [field, count] of fields) sum.set(field, (sum.get(field) ?? 0) + count);
      };
      for (let h = plan.hourFrom; h <= plan.hourTo; h++) add(hours.get(h));
      for (let d = plan.dayFrom; d <= plan.dayTo; d++) add(days.get(d));
      return sum;
    };

    const rangeSnapshot = (index: number): WindowSnapshot => {
      const start = ranges[index]!;
      const counts = reply.counts[index] ?? [];
      const reachesEvicted = horizon !== null && start <= horizon;
      const returning = counts[5] ?? 0;
      return {
        requests: requestCounts(labelsOf(plans[index]!)),
        users: userCounts(counts, reachesEvicted ? reply.hll[index] : undefined),
        approximate: reachesEvicted || returning > 0,
      };
    };

    const totals = rangeSnapshot(0);
    const windows: Record<string, WindowSnapshot> = {};
    windowNames.forEach((name, i) => {
      windows[name] = rangeSnapshot(i + 1);
    });

    const series: SeriesPoint[] = [];
    for (let b = seriesFirst; b <= seriesLast; b++) {
      const fields = (hourly ? hours : days).get(b);
      series.push({
        start: b * seriesSize,
        legacyUsers: fields?.get('users:legacy') ?? 0,
        providerUsers: fields?.get('users:provider') ?? 0,
        legacyRequests: fields?.get('legacy:ok') ?? 0,
        providerRequests: fields?.get('provider:ok') ?? 0,
      });
    }

    const totalLabels = labelsOf(plans[0]!);
    const requestsByLabel: LabelledCount[] = [];
    for (const kind of KINDS) {
      for (const outcome of OUTCOMES) {
        const count = totalLabels.get(`${kind}:${outcome}`) ?? 0;
        if (count > 0) requestsByLabel.push({ kind, outcome, count });
      }
    }

    const lastLegacyAt =
      reply.lastLegacyAt !== null && reply.lastLegacyAt >= retentionStart ? reply.lastLegacyAt : null;
    return {
      approximate: totals.approximate || Object.values(windows).some((w) => w.approximate),
      totals: { requests: totals.requests, users: totals.users },
      windows,
      lastLegacyAt,
      series,
      requestsByLabel,
    };
  }

  return { record, query };
}

/** Buckets summed for a range: hours `hourFrom..hourTo` and days `dayFrom..dayTo` (indices since the epoch). */
interface BucketPlan {
  hourFrom: number;
  hourTo: number;
  dayFrom: number;
  dayTo: number;
}

/**
 * Buckets starting at or after `start` through the one containing `now`: hourly ones when the window starts
 * within the hourly retention, else day buckets.
 */
function bucketPlan(start: number, now: number, hourFloor: number): BucketPlan {
  if (start >= hourFloor) {
    return { hourFrom: Math.ceil(start / HOUR), hourTo: Math.floor(now / HOUR), dayFrom: 1, dayTo: 0 };
  }
  return { hourFrom: 1, hourTo: 0, dayFrom: Math.ceil(start / DAY), dayTo: Math.floor(now / DAY) };
}

function requestCounts(labels: Map<string, number>): RequestCounts {
  const counts: RequestCounts = {
    legacy: 0,
    provider: 0,
    anonymous: 0,
    rejected: 0,
    conflicts: 0,
    unavailable: 0,
  };
  for (const [label, count] of labels) {
    const colon = label.indexOf(':');
    const kind = label.slice(0, colon);
    const outcome = label.slice(colon + 1);
    if (kind === 'users') continue;
    switch (outcome) {
      case 'ok':
        if (kind === 'legacy') counts.legacy += count;
        else if (kind === 'provider') counts.provider += count;
        break;
      case 'anonymous':
        counts.anonymous += count;
        break;
      case 'conflict':
        counts.conflicts += count;
        counts.rejected += count;
        break;
      case 'unavailable':
        counts.unavailable += count;
        counts.rejected += count;
        break;
      case 'invalid':
      case 'expired':
      case 'disabled':
        counts.rejected += count;
        break;
    }
  }
  return counts;
}

/**
 * Exact counts from the sorted sets; for an approximate range, HyperLogLog estimates never below the exact
 * count of the users still tracked, and legacyOnly estimated from them (see the store docs).
 */
function userCounts(counts: number[], hll: number[] | undefined): UserCounts {
  const [legacy = 0, provider = 0, active = 0, migrated = 0, legacyOnly = 0] = counts;
  if (!hll) return { legacy, provider, active, migrated, legacyOnly };
  const [hllLegacy = 0, hllProvider = 0, hllActive = 0, hllMigrated = 0] = hll;
  const estLegacy = Math.max(legacy, hllLegacy);
  const estMigrated = Math.max(migrated, hllMigrated);
  const estLegacyOnly = estLegacy - (legacy - legacyOnly) - (estMigrated - migrated);
  return {
    legacy: estLegacy,
    provider: Math.max(provider, hllProvider),
    active: Math.max(active, hllActive, estLegacy),
    migrated: estMigrated,
    legacyOnly: Math.min(estLegacy, Math.max(legacyOnly, estLegacyOnly)),
  };
}

interface QueryReply {
  lastLegacyAt: number | null;
  horizon: number | null;
  counts: number[][];
  hll: (number[] | undefined)[];
  hours: Map<string, number>[];
  days: Map<string, number>[];
}

/** Parses the JSON string of the query script (cjson encodes an empty Lua table as `{}`). */
function parseQueryReply(reply: unknown): QueryReply {
  const text =
    typeof reply === 'string' ? reply : reply instanceof Uint8Array ? Buffer.from(reply).toString() : null;
  if (text === null) throw new Error(`redisStats: unexpected reply to the query script: ${typeof reply}`);
  const raw = JSON.parse(text) as Record<string, unknown>;
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const time = (value: unknown): number | null => (value === '' || value == null ? null : Number(value));
  const fieldsOf = (value: unknown): Map<string, number> => {
    const flat = list(value);
    const fields = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) fields.set(String(flat[i]), Number(flat[i + 1]));
    return fields;
  };
  return {
    lastLegacyAt: time(raw.lastLegacyAt),
    horizon: time(raw.horizon),
    counts: list(raw.counts).map((c) => list(c).map(Number)),
    hll: list(raw.hll).map((h) => (Array.isArray(h) ? h.map(Number) : undefined)),
    hours: list(raw.hours).map(fieldsOf),
    days: list(raw.days).map(fieldsOf),
  };
}

function digestFunction(hashKey: string | undefined): (id: string) => string {
  if (hashKey === undefined) {
    return (id) => createHash('sha256').update(id).digest('base64url').slice(0, DIGEST_LENGTH);
  }
  return (id) => createHmac('sha256', hashKey).update(id).digest('base64url').slice(0, DIGEST_LENGTH);
}

function isWellFormed(event: StatsEvent): boolean {
  return (
    typeof event === 'object' &&
    event !== null &&
    typeof event.time === 'number' &&
    Number.isFinite(event.time) &&
    KINDS.includes(event.kind) &&
    OUTCOMES.includes(event.outcome)
  );
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.includes('NOSCRIPT');
}
