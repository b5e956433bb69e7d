/**
 * How a legacy store's sessions are listed, read-only and in batches, for a scan. The store's own kind decides:
 *
 * 1. connect-redis (`store.client`, `store.prefix`): SCAN pages of keys under the prefix, MGET of each page with
 *    a PTTL per key sent in the same pipeline (the key's TTL is the session's expiry when the session has no
 *    `cookie.expires`: express-session's defaults), values parsed with `store.serializer` (JSON by default):
 *    never more than one page in memory.
 * 2. express-session's MemoryStore: its `sessions` table of JSON strings, parsed one batch at a time. (Its
 *    `all()` parses every session at once and deletes the expired ones it meets: a write.)
 * 3. Any store with `all(callback)`: one call; the store's answer is then processed in batches.
 * 4. Any store with `ids(callback)`: the ids, then `get` in small concurrent batches.
 *
 * Nothing here calls `set`, `touch`, `destroy` or `clear`, and nothing is kept once its batch is processed.
 */
import { isRecord } from '../options/checks.js';

/** One stored session as listed: the parsed value (undefined when it could not be parsed). */
export interface ListedSession {
  sid: string | undefined;
  session: unknown;
  /** How much longer the store keeps it, in ms, when the store says (connect-redis: the key's PTTL). */
  storeTtlMs?: number;
}

export type Listing =
  | {
      supported: true;
      /** True when the same session may be listed twice (Redis SCAN while the key table is resized). */
      mayRepeat: boolean;
      /** The sessions in batches; every store call is bounded by `timeoutMs` through `call`. */
      batches(call: StoreCall): AsyncIterable<ListedSession[]>;
    }
  | { supported: false; reason: string };

/** Runs one store call under the scan's deadline and abort signal. */
export type StoreCall = <T>(what: string, work: () => Promise<T>) => Promise<T>;

/** Sessions per batch when the store hands them all at once (MemoryStore, `all`). */
const BATCH = 500;
/** Concurrent `get` calls when listing through `ids`. */
const GET_BATCH = 50;
/** Keys per MGET. */
const MGET_BATCH = 1000;

type Callback<T> = (err: unknown, value?: T) => void;

/** Calls a callback-style store method; a synchronous throw rejects too. */
function viaCallback<T>(method: (cb: Callback<T>) => unknown): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    try {
      method((err, value) => (err ? reject(err) : resolve(value)));
    } catch (err) {
      reject(err);
    }
  });
}

/** Escapes the glob characters of SCAN MATCH. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

type RedisCommand = (args: string[]) => Promise<unknown>;

/** `client.call(...)` (ioredis, connect-redis 7) or `client.sendCommand([...])` (node-redis v4, v5). */
function redisCommand(client: Record<string, unknown>): RedisCommand | undefined {
  const { call, sendCommand } = client;
  if (typeof call === 'function') {
    return (args) => Promise.resolve(call.apply(client, args) as unknown);
  }
  if (typeof sendCommand === 'function') {
    return (args) => Promise.resolve(sendCommand.call(client, args) as unknown);
  }
  return undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

interface Serializer {
  parse(text: string): unknown;
}

async function parseWith(serializer: Serializer, raw: string): Promise<unknown> {
  try {
    return await serializer.parse(raw);
  } catch {
    return undefined;
  }
}

function redisListing(
  store: Record<string, unknown>,
  client: Record<string, unknown>,
  prefix: string,
): Listing {
  if ('masters' in client) {
    return {
      supported: false,
      reason:
        'connect-redis on a Redis Cluster client: SCAN runs per node, which the scan does not do yet. Give the bridge a store on a single-node client, or on one per master.',
    };
  }
  const command = redisCommand(client);
  if (!command) {
    return {
      supported: false,
      reason:
        'the connect-redis client has neither `sendCommand` (node-redis) nor `call` (ioredis), so its keys cannot be scanned.',
    };
  }
  const count =
    typeof store.scanCount === 'number' && Number.isSafeInteger(store.scanCount) && store.scanCount > 0
      ? store.scanCount
      : 100;
  const serializer: Serializer =
    isRecord(store.serializer) && typeof store.serializer.parse === 'function'
      ? (store.serializer as unknown as Serializer)
      : JSON;
  const match = `${escapeGlob(prefix)}*`;
  return {
    supported: true,
    mayRepeat: true,
    async *batches(call) {
      let cursor = '0';
      do {
        const reply = await call('SCAN', () =>
          command(['SCAN', cursor, 'MATCH', match, 'COUNT', String(count)]),
        );
        if (!Array.isArray(reply) || reply.length !== 2 || !Array.isArray(reply[1])) {
          throw new Error('the Redis client answered SCAN with something other than [cursor, keys]');
        }
        cursor = text(reply[0]);
        const keys = (reply[1] as unknown[]).map(text).filter((key) => key.startsWith(prefix));
        for (let i = 0; i < keys.length; i += MGET_BATCH) {
          const page = keys.slice(i, i + MGET_BATCH);
          // Sent together, without waiting in between: both clients write them to the socket as one pipeline.
          const [values, ttls] = await call('MGET', () =>
            Promise.all([command(['MGET', ...page]), Promise.all(page.map((key) => command(['PTTL', key])))]),
          );
          if (!Array.isArray(values) || values.length !== page.length) {
            throw new Error('the Redis client answered MGET with something other than one value per key');
          }
          const batch: ListedSession[] = [];
          for (let j = 0; j < page.length; j++) {
            const raw = values[j] as unknown;
            // Null: the key expired (or was deleted) between SCAN and MGET.
            if (raw === null || raw === undefined) continue;
            // PTTL: milliseconds left; -1 the key has no TTL, -2 it is gone.
            const ttl = Number(ttls[j]);
            batch.push({
              sid: page[j]!.slice(prefix.length),
              session: await parseWith(serializer, text(raw)),
              ...(Number.isSafeInteger(ttl) && ttl >= 0 ? { storeTtlMs: ttl } : {}),
            });
          }
          yield batch;
        }
      } while (cursor !== '0');
    },
  };
}

/** express-session's MemoryStore: `sessions` maps ids to JSON strings. */
function memoryListing(sessions: Record<string, unknown>): Listing {
  return {
    supported: true,
    mayRepeat: false,
    async *batches() {
      let batch: ListedSession[] = [];
      // for...in reads the table as it is now: a session deleted meanwhile is skipped, none is copied.
      for (const sid in sessions) {
        const raw = sessions[sid];
        let session: unknown;
        if (typeof raw === 'string') {
          try {
            session = JSON.parse(raw);
          } catch {
            session = undefined;
          }
        }
        batch.push({ sid, session });
        if (batch.length === BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    },
  };
}

/** `all(cb)`: an array of sessions, or an object of sessions by id (MemoryStore's shape). */
function allListing(store: Record<string, unknown>, all: (cb: Callback<unknown>) => unknown): Listing {
  return {
    supported: true,
    mayRepeat: false,
    async *batches(call) {
      // The store answers with every session at once; they are processed in batches and dropped after the scan.
      const answer = await call('all', () => viaCallback((cb) => all.call(store, cb)));
      let batch: ListedSession[] = [];
      const entries: Iterable<ListedSession> = Array.isArray(answer)
        ? (function* () {
            for (const session of answer) yield { sid: undefined, session };
          })()
        : isRecord(answer)
          ? (function* () {
              for (const sid in answer) yield { sid, session: answer[sid] };
            })()
          : [];
      for (const entry of entries) {
        batch.push(entry);
        if (batch.length === BATCH) {
          yield batch;
          batch = [];
        }
      }
      if (batch.length > 0) yield batch;
    },
  };
}

/** `ids(cb)`, then `get(sid, cb)` for a few ids at a time. */
function idsListing(
  store: Record<string, unknown>,
  ids: (cb: Callback<unknown>) => unknown,
  get: (sid: string, cb: Callback<unknown>) => unknown,
): Listing {
  return {
    supported: true,
    mayRepeat: false,
    async *batches(call) {
      const list = await call('ids', () => viaCallback((cb) => ids.call(store, cb)));
      if (!Array.isArray(list)) return;
      for (let i = 0; i < list.length; i += GET_BATCH) {
        const sids = list.slice(i, i + GET_BATCH).map(text);
        const sessions = await Promise.all(
          sids.map((sid) => call('get', () => viaCallback((cb) => get.call(store, sid, cb)))),
        );
        const batch: ListedSession[] = [];
        sids.forEach((sid, j) => {
          const session = sessions[j];
          // Null: destroyed (or expired) since `ids` answered.
          if (session !== null && session !== undefined) batch.push({ sid, session });
        });
        yield batch;
      }
    },
  };
}

/** How `store` can be listed, or why it cannot. */
export function listingOf(store: object): Listing {
  const value = store as Record<string, unknown>;
  if (isRecord(value.client) && typeof value.prefix === 'string') {
    return redisListing(value, value.client, value.prefix);
  }
  if (
    (store.constructor as { name?: unknown } | undefined)?.name === 'MemoryStore' &&
    isRecord(value.sessions) &&
    typeof value.all === 'function'
  ) {
    return memoryListing(value.sessions);
  }
  if (typeof value.all === 'function') {
    return allListing(value, value.all as (cb: Callback<unknown>) => unknown);
  }
  if (typeof value.ids === 'function' && typeof value.get === 'function') {
    return idsListing(
      value,
      value.ids as (cb: Callback<unknown>) => unknown,
      value.get as (sid: string, cb: Callback<unknown>) => unknown,
    );
  }
  const counts =
    typeof value.length === 'function' ? ' It has `length`, which counts sessions without reading them.' : '';
  return {
    supported: false,
    reason: `the legacy store has neither \`all(callback)\` nor \`ids(callback)\` (express-session makes both optional), so its sessions cannot be listed.${counts} Give the bridge a store that has one (connect-redis, MemoryStore, ...), or leave \`legacy.drain\` off.`,
  };
}
