/**
 * The bridge reads sessions from the real express-session stores apps use, each configured read-only
 * as docs/legacy-store.md, "Running the legacy store read-only", says. For every store, the express-session login writes
 * the sessions through one store instance (the legacy app's) and the bridge reads through another (the
 * bridge's own, on its own connection), except MemoryStore, which only exists in one process.
 *
 * Per store: a logged-in session authenticates, a destroyed one and an expired one are anonymous, and the
 * bridge's instance writes nothing, shown at the backend: Redis `MONITOR` (only GETs under the prefix),
 * PostgreSQL row versions (`xmin`) and contents, MariaDB's per-connection write counters and the rows, the
 * files' mtimes and contents, the MemoryStore's serialized sessions.
 *
 * Redis follows REQUIRE_REDIS; PostgreSQL and MariaDB skip with a message when unreachable, unless `CI=true` or
 * `REQUIRE_SERVICES=1` (then they fail).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import connectPgSimple from 'connect-pg-simple';
import { RedisStore } from 'connect-redis';
import RedisStore7 from 'connect-redis7';
import express from 'express';
import createMySQLStore from 'express-mysql-session';
import session, { type Store } from 'express-session';
import { Redis } from 'ioredis';
import { createPool } from 'mysql2';
import pg from 'pg';
import createFileStore from 'session-file-store';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LegacySessionStore } from '../../src/index.js';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { authFrom } from '../helpers/fixtures.js';
import { createLegacyLogin, destroySession, type LegacySession, signedCookie } from '../helpers/legacy.js';
import { connectIoredis, connectNodeRedis, deleteKeys, redisOrSkip, testPrefix } from '../helpers/redis.js';
import { MYSQL_URL, mariadbUnavailable, PG_URL, postgresUnavailable } from '../helpers/services.js';

const SECRET = 'legacy-stores-secret';
/** The expiring sessions' `cookie.maxAge`; they are read once it (and the stores' rounding to seconds) has passed. */
const SHORT_MAX_AGE_MS = 1000;
const EXPIRED_AFTER_MS = SHORT_MAX_AGE_MS + 1600;

/** One store under test: the legacy app's instance, the bridge's instance, and a way to see writes. */
interface StoreCase {
  writer: Store;
  reader: LegacySessionStore;
  /** Starts watching the backend; the returned function stops and lists every write or change it saw. */
  watch(): Promise<() => Promise<string[]>>;
  close(): Promise<void>;
}

interface StoreSpec {
  name: string;
  /** Null when the backend is reachable, else why the suite is skipped (throws when it is required). */
  unavailable(): Promise<string | null>;
  open(): Promise<StoreCase>;
  /** MemoryStore's own `get` deletes an expired session from its memory (express-session's in-process store). */
  readDeletesExpired?: boolean;
}

/** What changed between two snapshots (key -> serialized state). */
function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [key, value] of before) {
    if (!after.has(key)) out.push(`deleted ${key}`);
    else if (after.get(key) !== value) out.push(`changed ${key}`);
  }
  for (const key of after.keys()) if (!before.has(key)) out.push(`added ${key}`);
  return out;
}

function watchSnapshots(snapshot: () => Promise<Map<string, string>>): StoreCase['watch'] {
  return async () => {
    const before = await snapshot();
    return async () => changes(before, await snapshot());
  };
}

const redisUnavailable = async () => ((await redisOrSkip()) ? null : 'no Redis at REDIS_URL');

/**
 * Redis `MONITOR`: every command under `prefix` other than GET is a write. Ends with a marker GET sent on
 * another connection, so every command issued before stop() has been seen.
 */
function watchRedis(url: string, prefix: string, other: { get(key: string): Promise<unknown> }) {
  return async () => {
    const monitor = await new Redis(url).monitor();
    const seen: string[][] = [];
    monitor.on('monitor', (_time: string, args: string[]) => seen.push(args));
    const marker = `${prefix}watch-end-${randomBytes(4).toString('hex')}`;
    return async () => {
      await other.get(marker);
      for (let i = 0; i < 100 && !seen.some((args) => args.includes(marker)); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      monitor.disconnect();
      expect(
        seen.some((args) => args.includes(marker)),
        'MONITOR saw the end marker',
      ).toBe(true);
      const mine = seen.filter((args) => args.some((a) => a.startsWith(prefix)) && !args.includes(marker));
      expect(mine.length, 'MONITOR saw the reads').toBeGreaterThan(0);
      return mine.filter((args) => args[0]?.toUpperCase() !== 'GET').map((args) => args.join(' '));
    };
  };
}

const memory: StoreSpec = {
  name: 'MemoryStore',
  unavailable: async () => null,
  readDeletesExpired: true,
  async open() {
    const store = new session.MemoryStore();
    const sessions = () => (store as unknown as { sessions: Record<string, string> }).sessions;
    return {
      writer: store,
      reader: store,
      watch: watchSnapshots(async () => new Map(Object.entries(sessions()))),
      close: async () => {},
    };
  },
};

const nodeRedis: StoreSpec = {
  name: 'connect-redis 9 with node-redis',
  unavailable: redisUnavailable,
  async open() {
    const prefix = `${testPrefix('legacy-stores-node-redis')}sess:`;
    const writer = await connectNodeRedis();
    const reader = await connectNodeRedis();
    return {
      writer: new RedisStore({ client: writer.client, prefix }),
      reader: new RedisStore({ client: reader.client, prefix }),
      watch: watchRedis(writer.client.options?.url ?? '', prefix, writer.client),
      close: async () => {
        await deleteKeys(writer.sendCommand, prefix);
        await writer.close();
        await reader.close();
      },
    };
  },
};

const ioredis: StoreSpec = {
  name: 'connect-redis 7 with ioredis',
  unavailable: redisUnavailable,
  async open() {
    const prefix = `${testPrefix('legacy-stores-ioredis')}sess:`;
    const writer = await connectIoredis();
    const reader = await connectIoredis();
    const url = `redis://${writer.client.options.host}:${writer.client.options.port}`;
    return {
      writer: new RedisStore7({ client: writer.client, prefix }),
      reader: new RedisStore7({ client: reader.client, prefix }),
      watch: watchRedis(url, prefix, writer.client),
      close: async () => {
        await deleteKeys(writer.sendCommand, prefix);
        await writer.close();
        await reader.close();
      },
    };
  },
};

const postgres: StoreSpec = {
  name: 'connect-pg-simple on PostgreSQL',
  unavailable: postgresUnavailable,
  async open() {
    const table = `esb_sessions_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Pool({ connectionString: PG_URL, max: 1 });
    // connect-pg-simple's own table.sql, under a table name of this run.
    const sql = (await readFile(join('node_modules', 'connect-pg-simple', 'table.sql'), 'utf8'))
      .replaceAll('"session_pkey"', `"${table}_pkey"`)
      .replaceAll('"IDX_session_expire"', `"IDX_${table}_expire"`)
      .replaceAll('"session"', `"${table}"`);
    await admin.query(sql);
    const PgStore = connectPgSimple(session);
    const writerPool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    const readerPool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    return {
      writer: new PgStore({ pool: writerPool, tableName: table, pruneSessionInterval: false }),
      reader: new PgStore({ pool: readerPool, tableName: table, pruneSessionInterval: false }),
      // xmin changes on any UPDATE, even one that writes the same values.
      watch: watchSnapshots(async () => {
        const { rows } = await admin.query<{ sid: string; state: string }>(
          `SELECT sid, concat_ws('|', xmin::text, expire::text, sess::text) AS state FROM "${table}"`,
        );
        return new Map(rows.map((r) => [r.sid, r.state]));
      }),
      close: async () => {
        await writerPool.end();
        await readerPool.end();
        await admin.query(`DROP TABLE IF EXISTS "${table}"`);
        await admin.end();
      },
    };
  },
};

/** Write statements counted per connection by MariaDB (`SHOW SESSION STATUS`). */
const WRITE_COUNTERS = [
  'Com_insert',
  'Com_insert_select',
  'Com_update',
  'Com_update_multi',
  'Com_delete',
  'Com_delete_multi',
  'Com_replace',
  'Com_replace_select',
  'Com_create_table',
  'Com_alter_table',
  'Com_drop_table',
  'Com_truncate',
];

const mariadb: StoreSpec = {
  name: 'express-mysql-session on MariaDB',
  unavailable: mariadbUnavailable,
  async open() {
    const table = `esb_sessions_${randomBytes(6).toString('hex')}`;
    const url = new URL(MYSQL_URL);
    const MySQLStore = createMySQLStore(session);
    // The legacy app's instance creates the table; the bridge's does not, and clears nothing.
    const writer = new MySQLStore({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.slice(1),
      createDatabaseTable: true,
      clearExpired: false,
      schema: { tableName: table },
    });
    await writer.onReady();
    // One connection: the counters read with SHOW SESSION STATUS are those of the reader's queries.
    const readerPool = createPool({ uri: MYSQL_URL, connectionLimit: 1 });
    const reader = new MySQLStore(
      { createDatabaseTable: false, clearExpired: false, schema: { tableName: table } },
      // express-mysql-session's types name the mysql2 version it bundles; any mysql2 pool has the query it calls.
      readerPool as unknown as ConstructorParameters<typeof MySQLStore>[1],
    );
    const counters = async () => {
      const [rows] = await readerPool
        .promise()
        .query(`SHOW SESSION STATUS WHERE Variable_name IN (?)`, [[...WRITE_COUNTERS, 'Com_select']]);
      return new Map(
        (rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, r.Value]),
      );
    };
    const rows = async () => {
      const [result] = await readerPool
        .promise()
        .query('SELECT session_id, concat_ws(?, expires, data) AS state FROM ??', ['|', table]);
      return new Map(
        (result as Array<{ session_id: string; state: string }>).map((r) => [r.session_id, r.state]),
      );
    };
    return {
      writer,
      reader,
      async watch() {
        const before = { counters: await counters(), rows: await rows() };
        return async () => {
          const after = { counters: await counters(), rows: await rows() };
          // Reads went through this connection: one SELECT per session read, plus the snapshot's own.
          const selects =
            Number(after.counters.get('Com_select')) - Number(before.counters.get('Com_select'));
          expect(selects, 'the reader connection ran the SELECTs').toBeGreaterThan(2);
          const writes = WRITE_COUNTERS.filter(
            (name) => after.counters.get(name) !== before.counters.get(name),
          );
          return [...writes, ...changes(before.rows, after.rows)];
        };
      },
      close: async () => {
        await reader.close();
        await new Promise<void>((resolve) => readerPool.end(() => resolve()));
        const admin = createPool({ uri: MYSQL_URL, connectionLimit: 1 });
        await admin.promise().query('DROP TABLE IF EXISTS ??', [table]);
        await admin.promise().end();
        await writer.close();
      },
    };
  },
};

const files: StoreSpec = {
  name: 'session-file-store',
  unavailable: async () => null,
  async open() {
    const dir = await mkdtemp(join(tmpdir(), 'esb-legacy-stores-'));
    const FileStore = createFileStore(session);
    const quiet = { path: dir, reapInterval: -1, logFn: () => {} };
    return {
      writer: new FileStore(quiet),
      // The read-only settings of docs/legacy-store.md; the default 5 retries on a missing file are kept.
      reader: new FileStore(quiet),
      watch: watchSnapshots(async () => {
        const out = new Map<string, string>();
        for (const name of await readdir(dir)) {
          const path = join(dir, name);
          const info = await stat(path);
          out.set(name, `${info.mtimeMs}|${info.size}|${await readFile(path, 'utf8')}`);
        }
        return out;
      }),
      close: () => rm(dir, { recursive: true, force: true }),
    };
  },
};

const SPECS: StoreSpec[] = [memory, nodeRedis, ioredis, postgres, mariadb, files];
const skipped = new Map<string, string | null>();
for (const spec of SPECS) skipped.set(spec.name, await spec.unavailable());

/** Sessions written by the express-session login of one store. */
interface Opened {
  store: StoreCase;
  app: express.Express;
  alive: LegacySession;
  destroyed: LegacySession;
  /** Two sessions with a short maxAge: one read by the expiry test, one by the no-write test. */
  expiring: [LegacySession, LegacySession];
  expiresAt: number;
  /** What the bridge answered for the first expiring session right after the login, before it expired. */
  beforeExpiry: unknown;
}

const opened = new Map<string, Opened>();

beforeAll(async () => {
  for (const spec of SPECS) {
    if (skipped.get(spec.name)) continue;
    const store = await spec.open();
    const login = createLegacyLogin({ store: store.writer, secret: SECRET });
    const alive = await login.login(`alive@${spec.name}`);
    const destroyed = await login.login(`destroyed@${spec.name}`);
    await destroySession(store.writer, destroyed.sid);
    // Only now: express-session's middleware sets `store.generate`, so the last one built sets new cookies' maxAge.
    const short = createLegacyLogin({ store: store.writer, secret: SECRET, maxAge: SHORT_MAX_AGE_MS });
    const expiresAt = Date.now() + SHORT_MAX_AGE_MS;
    const expiring: [LegacySession, LegacySession] = [
      await short.login(`expiring-1@${spec.name}`),
      await short.login(`expiring-2@${spec.name}`),
    ];
    const app = buildApp(express, makeBridge({ legacy: { store: store.reader, secret: SECRET } }));
    const beforeExpiry = (await request(app).get('/whoami').set('Cookie', expiring[0].cookie)).body;
    opened.set(spec.name, { store, app, alive, destroyed, expiring, expiresAt, beforeExpiry });
  }
});

afterAll(async () => {
  for (const { store } of opened.values()) await store.close();
});

async function untilExpired(o: Opened): Promise<void> {
  const wait = o.expiresAt + EXPIRED_AFTER_MS - SHORT_MAX_AGE_MS - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

const whoami = (o: Opened, cookie: string) => request(o.app).get('/whoami').set('Cookie', cookie);

for (const spec of SPECS) {
  const reason = skipped.get(spec.name);
  const suite = reason ? describe.skip : describe;
  suite(reason ? `${spec.name} [skipped: ${reason}]` : `legacy sessions in ${spec.name}`, () => {
    const get = () => opened.get(spec.name)!;

    it('authenticates a session written by the express-session login, with its user id', async () => {
      const o = get();
      expect(authFrom(await whoami(o, o.alive.cookie))).toMatchObject({
        userId: `alive@${spec.name}`,
        kind: 'legacy',
        sessionId: o.alive.sid,
      });
    });

    it('treats a destroyed session as anonymous', async () => {
      const o = get();
      expect(authFrom(await whoami(o, o.destroyed.cookie))).toBeNull();
    });

    it('treats a session whose cookie expired as anonymous', async () => {
      const o = get();
      expect(o.beforeExpiry).toMatchObject({ userId: `expiring-1@${spec.name}`, kind: 'legacy' });
      await untilExpired(o);
      expect(authFrom(await whoami(o, o.expiring[0].cookie))).toBeNull();
    });

    it(
      spec.readDeletesExpired
        ? "writes nothing through the bridge's instance but MemoryStore's own removal of an expired session"
        : "writes nothing through the bridge's instance",
      async () => {
        const o = get();
        await untilExpired(o);
        const stop = await o.store.watch();
        expect(authFrom(await whoami(o, o.alive.cookie))).toMatchObject({ userId: `alive@${spec.name}` });
        expect(authFrom(await whoami(o, o.destroyed.cookie))).toBeNull();
        expect(authFrom(await whoami(o, o.expiring[1].cookie))).toBeNull();
        const unknown = signedCookie(`never-issued-${randomBytes(8).toString('hex')}`, SECRET);
        expect(authFrom(await whoami(o, unknown))).toBeNull();
        const written = await stop();
        expect(written).toEqual(spec.readDeletesExpired ? [`deleted ${o.expiring[1].sid}`] : []);
      },
    );
  });
}
