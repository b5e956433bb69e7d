/**
 * Legacy logins made the real way: an express-session app (MemoryStore or connect-redis on the real Redis)
 * with a login route that writes `req.session.userId` (or the passport shape), returning the Set-Cookie.
 * Plus cookie signing for secret rotation and direct store access to destroy or inspect sessions.
 */
import { RedisStore } from 'connect-redis';
import signature from 'cookie-signature';
import express from 'express';
import session, { type Store } from 'express-session';
import request from 'supertest';
import { connectNodeRedis, deleteKeys, type NodeRedisClient, redisOrSkip, testPrefix } from './redis.js';

export interface LegacyLogin {
  /** The legacy app itself (express-session mounted), for extra requests. */
  app: express.Express;
  /** Logs a user in; the session holds `userId` (default), `passport.user`, or only `data`. */
  login(
    userId: string | number | undefined,
    options?: { shape?: 'userId' | 'passport'; data?: Record<string, unknown> },
  ): Promise<LegacySession>;
}

export interface LegacySession {
  sid: string;
  /** `name=value` as a browser sends it back in `Cookie`. */
  cookie: string;
  /** The raw `Set-Cookie` header of the login response. */
  setCookie: string;
}

export interface LegacyLoginOptions {
  store: Store;
  secret: string | string[];
  cookieName?: string;
  /** express-session `cookie.maxAge` in milliseconds. Default one hour. */
  maxAge?: number;
}

export function createLegacyLogin(options: LegacyLoginOptions): LegacyLogin {
  const cookieName = options.cookieName ?? 'connect.sid';
  const app = express();
  app.use(
    session({
      store: options.store,
      secret: options.secret,
      name: cookieName,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: options.maxAge ?? 3_600_000 },
    }),
  );
  app.use(express.json());
  app.post('/login', (req, res) => {
    const body = req.body as {
      userId?: string | number;
      shape?: 'userId' | 'passport';
      data?: Record<string, unknown>;
    };
    const target = req.session as unknown as Record<string, unknown>;
    Object.assign(target, body.data ?? {});
    if (body.userId !== undefined) {
      if (body.shape === 'passport') target.passport = { user: body.userId };
      else target.userId = body.userId;
    }
    target.loggedInAt = Date.now();
    res.json({ sid: req.sessionID });
  });

  return {
    app,
    async login(userId, loginOptions = {}) {
      const res = await request(app)
        .post('/login')
        .send({ userId, shape: loginOptions.shape, data: loginOptions.data })
        .expect(200);
      const setCookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0];
      if (setCookie === undefined) throw new Error('legacy login set no cookie');
      const cookie = setCookie.split(';')[0] ?? '';
      return { sid: (res.body as { sid: string }).sid, cookie, setCookie };
    },
  };
}

/** The cookie express-session would set for `sid` when signing with `secret`. */
export function signedCookie(sid: string, secret: string, cookieName = 'connect.sid'): string {
  return `${cookieName}=${encodeURIComponent(`s:${signature.sign(sid, secret)}`)}`;
}

/** A cookie carrying the bare session id, without the `s:` signed prefix. */
export function unsignedCookie(sid: string, cookieName = 'connect.sid'): string {
  return `${cookieName}=${encodeURIComponent(sid)}`;
}

/** The signed cookie with its signature altered. */
export function badSignatureCookie(sid: string, secret: string, cookieName = 'connect.sid'): string {
  const signed = signature.sign(sid, secret);
  const flipped = signed.slice(0, -2) + (signed.endsWith('AA') ? 'BB' : 'AA');
  return `${cookieName}=${encodeURIComponent(`s:${flipped}`)}`;
}

export function getSession(store: Store, sid: string): Promise<Record<string, unknown> | null | undefined> {
  return new Promise((resolve, reject) => {
    store.get(sid, (err, data) =>
      err ? reject(err) : resolve(data as Record<string, unknown> | null | undefined),
    );
  });
}

export function setSession(store: Store, sid: string, data: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    store.set(sid, data as unknown as session.SessionData, (err) => (err ? reject(err) : resolve()));
  });
}

export function destroySession(store: Store, sid: string): Promise<void> {
  return new Promise((resolve, reject) => {
    store.destroy(sid, (err) => (err ? reject(err) : resolve()));
  });
}

/** A new express-session MemoryStore (express-session's own, the default store). */
export function memoryStore(): session.MemoryStore {
  return new session.MemoryStore();
}

/* ---------------------------------------------------------------- Redis --------------------------------------------------------------- */
// Gating, prefixes and cleanup come from the shared test/helpers/redis.ts.

export type RedisClient = NodeRedisClient;

/**
 * A node-redis client on the shared test Redis (`REDIS_URL`), or `undefined` when it is unreachable (the
 * shared helper logs why; with `REQUIRE_REDIS=1` it throws instead). Use with `describe.skipIf(!client)`.
 */
export async function connectTestRedis(): Promise<RedisClient | undefined> {
  const redis = await redisOrSkip();
  if (!redis) return undefined;
  return (await connectNodeRedis(redis.url)).client;
}

/** A unique key prefix per test file and run: `esb-test:<file>:<random>:`. */
export function redisPrefix(file: string): string {
  return testPrefix(file);
}

/** A connect-redis store on the given client, under its own prefix. */
export function redisSessionStore(
  client: RedisClient,
  prefix: string,
  options: { disableTTL?: boolean; ttl?: number } = {},
): RedisStore {
  return new RedisStore({ client, prefix, ...options });
}

/** Deletes every key under `prefix`. */
export async function deleteRedisPrefix(client: RedisClient, prefix: string): Promise<void> {
  await deleteKeys((...args) => client.sendCommand(args), prefix);
}
