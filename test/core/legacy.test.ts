import type { Store } from 'express-session';
import request from 'supertest';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LegacyOptions, LegacyStoreOptions } from '../../src/index.js';
import { buildApp, eventRecorder, makeBridge, sleep } from '../helpers/apps.js';
import { type ExpressFactory, expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError } from '../helpers/fixtures.js';
import {
  badSignatureCookie,
  connectTestRedis,
  createLegacyLogin,
  deleteRedisPrefix,
  destroySession,
  getSession,
  memoryStore,
  redisPrefix,
  redisSessionStore,
  setSession,
  signedCookie,
  unsignedCookie,
} from '../helpers/legacy.js';

const SECRET = 'legacy-secret';

function legacyApp(express: ExpressFactory, legacy: LegacyOptions) {
  const recorder = eventRecorder();
  const bridge = makeBridge({ legacy, onEvent: recorder.onEvent });
  return { app: buildApp(express, bridge), recorder };
}

async function expectAnonymous(app: ReturnType<typeof legacyApp>['app'], cookie: string): Promise<void> {
  expect(authFrom(await request(app).get('/whoami').set('Cookie', cookie))).toBeNull();
  expectBridgeError(await request(app).get('/me').set('Cookie', cookie), 401, 'ERR_BRIDGE_UNAUTHENTICATED');
}

describe.each(expressVersions)('%s: legacy express-session cookies (MemoryStore)', (_name, express) => {
  let store: ReturnType<typeof memoryStore>;

  beforeEach(() => {
    store = memoryStore();
  });

  function subject(extra: Partial<LegacyStoreOptions> = {}) {
    return legacyApp(express, { store: store, secret: SECRET, ...extra });
  }

  it('authenticates a session written by an express-session login', async () => {
    const { sid, cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-42');
    const { app, recorder } = subject();
    const auth = authFrom(await request(app).get('/whoami').set('Cookie', cookie));
    expect(auth).toMatchObject({ userId: 'u-42', kind: 'legacy', presented: ['legacy'], sessionId: sid });
    expect(auth?.session).toMatchObject({ userId: 'u-42' });
    expect(auth).not.toHaveProperty('token');
    expect(auth).not.toHaveProperty('payload');
    expect(authFrom(await request(app).get('/me').set('Cookie', cookie))).toMatchObject({ userId: 'u-42' });
    const [event] = await recorder.waitFor(2);
    expect(event).toMatchObject({
      outcome: 'authenticated',
      resolvedKind: 'legacy',
      userId: 'u-42',
      legacyUserId: 'u-42',
      sent: { legacy: true, provider: false },
    });
  });

  it('turns a numeric user id into a string', async () => {
    const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login(42);
    const auth = authFrom(await request(subject().app).get('/whoami').set('Cookie', cookie));
    expect(auth).toMatchObject({ userId: '42', kind: 'legacy' });
  });

  it('reads a passport-shaped session (session.passport.user)', async () => {
    const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login('p-7', { shape: 'passport' });
    const auth = authFrom(await request(subject().app).get('/whoami').set('Cookie', cookie));
    expect(auth).toMatchObject({ userId: 'p-7', kind: 'legacy' });
    expect(auth?.session).toMatchObject({ passport: { user: 'p-7' } });
  });

  it('prefers passport.user over userId by default', async () => {
    const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login('p-1', {
      shape: 'passport',
      data: { userId: 'other' },
    });
    expect(authFrom(await request(subject().app).get('/whoami').set('Cookie', cookie))).toMatchObject({
      userId: 'p-1',
    });
  });

  it('uses a custom userId extractor, sync or async', async () => {
    const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login(undefined, {
      data: { account: { id: 'acct-9' } },
    });
    const sync = subject({ userId: (session) => (session.account as { id: string } | undefined)?.id });
    expect(authFrom(await request(sync.app).get('/whoami').set('Cookie', cookie))).toMatchObject({
      userId: 'acct-9',
      kind: 'legacy',
    });
    const async = subject({
      userId: async (session) => {
        await sleep(5);
        return `async-${(session.account as { id: string }).id}`;
      },
    });
    expect(authFrom(await request(async.app).get('/whoami').set('Cookie', cookie))).toMatchObject({
      userId: 'async-acct-9',
    });
  });

  it('treats a session without a logged-in user as anonymous', async () => {
    const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login(undefined, {
      data: { cart: [1] },
    });
    await expectAnonymous(subject().app, cookie);
  });

  it('accepts a cookie signed with an older secret when secret is an array (rotation)', async () => {
    const { cookie } = await createLegacyLogin({ store, secret: 'old-secret' }).login('u-old');
    const { app } = subject({ secret: ['new-secret', 'old-secret'] });
    expect(authFrom(await request(app).get('/whoami').set('Cookie', cookie))).toMatchObject({
      userId: 'u-old',
    });
  });

  it('accepts a cookie signed with the current secret of a rotated array', async () => {
    const { sid } = await createLegacyLogin({ store, secret: 'old-secret' }).login('u-new');
    const { app } = subject({ secret: ['new-secret', 'old-secret'] });
    const cookie = signedCookie(sid, 'new-secret');
    expect(authFrom(await request(app).get('/whoami').set('Cookie', cookie))).toMatchObject({
      userId: 'u-new',
    });
  });

  it('ignores a cookie signed with a secret it does not know', async () => {
    const { cookie } = await createLegacyLogin({ store, secret: 'retired-secret' }).login('u-1');
    await expectAnonymous(subject({ secret: ['new-secret', 'old-secret'] }).app, cookie);
  });

  it('ignores an unsigned cookie (no s: prefix), even for an existing session', async () => {
    const { sid } = await createLegacyLogin({ store, secret: SECRET }).login('u-1');
    await expectAnonymous(subject().app, unsignedCookie(sid));
  });

  it('treats a bad signature as no session, not as an error', async () => {
    const { sid } = await createLegacyLogin({ store, secret: SECRET }).login('u-1');
    await expectAnonymous(subject().app, badSignatureCookie(sid, SECRET));
  });

  it('treats a destroyed session as anonymous', async () => {
    const { sid, cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-1');
    const { app } = subject();
    expect(authFrom(await request(app).get('/whoami').set('Cookie', cookie))).toMatchObject({
      userId: 'u-1',
    });
    await destroySession(store, sid);
    await expectAnonymous(app, cookie);
  });

  it('treats an expired session as anonymous', async () => {
    const { sid, cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-1');
    const stored = await getSession(store, sid);
    const past = new Date(Date.now() - 60_000).toISOString();
    await setSession(store, sid, { ...stored, cookie: { ...(stored?.cookie as object), expires: past } });
    await expectAnonymous(subject().app, cookie);
  });

  it('reads a custom cookie name', async () => {
    const { cookie } = await createLegacyLogin({ store, secret: SECRET, cookieName: 'app.sid' }).login('u-c');
    expect(cookie.startsWith('app.sid=')).toBe(true);
    expect(
      authFrom(
        await request(subject({ cookieName: 'app.sid' }).app)
          .get('/whoami')
          .set('Cookie', cookie),
      ),
    ).toMatchObject({ userId: 'u-c' });
    expect(authFrom(await request(subject().app).get('/whoami').set('Cookie', cookie))).toBeNull();
  });

  it('never writes: the stored session is unchanged and no Set-Cookie is sent', async () => {
    const { sid, cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-ro');
    const sessions = (store as unknown as { sessions: Record<string, string> }).sessions;
    const before = JSON.stringify(sessions);
    expect(sessions[sid]).toBeDefined();
    const { app } = subject();
    for (let i = 0; i < 3; i += 1) {
      const res = await request(app).get('/me').set('Cookie', cookie);
      expect(res.status).toBe(200);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    expect(JSON.stringify(sessions)).toBe(before);
  });

  it('authenticates through a custom legacy resolver (legacy: { resolve })', async () => {
    const phpSessions = new Map([['php-abc', { user: 'php-user-1', role: 'admin' }]]);
    const seen: string[] = [];
    const { app } = legacyApp(express, {
      resolve: async (req) => {
        const match = /PHPSESSID=([^;]+)/.exec(req.headers.cookie ?? '');
        seen.push(req.url ?? '');
        const php = match?.[1] === undefined ? undefined : phpSessions.get(match[1]);
        return php ? { userId: php.user, session: php, sessionId: match?.[1] } : null;
      },
    });
    const auth = authFrom(await request(app).get('/whoami').set('Cookie', 'PHPSESSID=php-abc'));
    expect(auth).toMatchObject({
      userId: 'php-user-1',
      kind: 'legacy',
      presented: ['legacy'],
      sessionId: 'php-abc',
      session: { role: 'admin' },
    });
    expect(seen.length).toBeGreaterThan(0);
    await expectAnonymous(app, 'PHPSESSID=unknown');
  });

  it('answers 503 with Retry-After when the custom legacy resolver throws', async () => {
    const { app } = legacyApp(express, {
      resolve: () => {
        throw new Error('php session backend down');
      },
    });
    expectBridgeError(
      await request(app).get('/me').set('Cookie', 'PHPSESSID=x'),
      503,
      'ERR_BRIDGE_RESOLVER_UNAVAILABLE',
    );
  });

  it('answers 503 with Retry-After when the custom legacy resolver hangs past timeoutMs', async () => {
    const { app } = legacyApp(express, { resolve: () => new Promise(() => {}), timeoutMs: 100 });
    expectBridgeError(
      await request(app).get('/me').set('Cookie', 'PHPSESSID=x'),
      503,
      'ERR_BRIDGE_RESOLVER_UNAVAILABLE',
    );
  });
});

const redis = await connectTestRedis();
const prefix = redisPrefix('core-legacy');

afterAll(async () => {
  if (redis) {
    await deleteRedisPrefix(redis, prefix);
    redis.destroy();
  }
});

describe.skipIf(redis === undefined).each(expressVersions)(
  '%s: legacy express-session cookies (connect-redis on the real Redis)',
  (_name, express) => {
    let store: Store;
    let storePrefix: string;

    beforeEach(() => {
      if (!redis) throw new Error('unreachable');
      storePrefix = `${prefix}${Math.random().toString(36).slice(2, 8)}:`;
      store = redisSessionStore(redis, storePrefix);
    });
    afterEach(async () => {
      if (redis) await deleteRedisPrefix(redis, storePrefix);
    });

    it('authenticates a session stored by connect-redis', async () => {
      const { sid, cookie } = await createLegacyLogin({ store, secret: SECRET }).login('r-1');
      const { app } = legacyApp(express, { store: store, secret: SECRET });
      const auth = authFrom(await request(app).get('/whoami').set('Cookie', cookie));
      expect(auth).toMatchObject({ userId: 'r-1', kind: 'legacy', presented: ['legacy'], sessionId: sid });
    });

    it('accepts an old-secret cookie with a rotated secret array', async () => {
      const { cookie } = await createLegacyLogin({ store, secret: 'old' }).login('r-rot');
      const { app } = legacyApp(express, { store: store, secret: ['new', 'old'] });
      expect(authFrom(await request(app).get('/whoami').set('Cookie', cookie))).toMatchObject({
        userId: 'r-rot',
      });
    });

    it('treats a session destroyed in Redis as anonymous', async () => {
      const { sid, cookie } = await createLegacyLogin({ store, secret: SECRET }).login('r-2');
      const { app } = legacyApp(express, { store: store, secret: SECRET });
      expect(authFrom(await request(app).get('/whoami').set('Cookie', cookie))).toMatchObject({
        userId: 'r-2',
      });
      await destroySession(store, sid);
      await expectAnonymous(app, cookie);
    });

    it('never touches the Redis session: value and TTL are not refreshed, no Set-Cookie', async () => {
      if (!redis) throw new Error('unreachable');
      const { sid, cookie } = await createLegacyLogin({ store, secret: SECRET }).login('r-3');
      const key = `${storePrefix}${sid}`;
      await redis.pExpire(key, 500_000);
      const value = await redis.get(key);
      const { app } = legacyApp(express, { store: store, secret: SECRET });
      for (let i = 0; i < 3; i += 1) {
        const res = await request(app).get('/me').set('Cookie', cookie);
        expect(res.status).toBe(200);
        expect(res.headers['set-cookie']).toBeUndefined();
      }
      expect(await redis.get(key)).toBe(value);
      const ttl = await redis.pTTL(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(500_000);
    });

    it('treats a session whose cookie.expires has passed as anonymous even when the store returns it', async () => {
      if (!redis) throw new Error('unreachable');
      // A store that keeps sessions past their expiry (connect-redis with disableTTL, written when the session
      // was still live): only cookie.expires says it is over. Written straight to Redis, as time passing would.
      const keeping = redisSessionStore(redis, storePrefix, { disableTTL: true });
      const cookieOf = (expires: number) => ({
        originalMaxAge: 3_600_000,
        expires: new Date(expires).toISOString(),
        httpOnly: true,
        path: '/',
      });
      await redis.set(
        `${storePrefix}sid-live`,
        JSON.stringify({ cookie: cookieOf(Date.now() + 3_600_000), userId: 'r-live' }),
      );
      await redis.set(
        `${storePrefix}sid-expired`,
        JSON.stringify({ cookie: cookieOf(Date.now() - 60_000), userId: 'r-expired' }),
      );
      expect(await getSession(keeping, 'sid-expired')).toMatchObject({ userId: 'r-expired' });
      const { app } = legacyApp(express, { store: keeping, secret: SECRET });
      const live = signedCookie('sid-live', SECRET);
      expect(authFrom(await request(app).get('/whoami').set('Cookie', live))).toMatchObject({
        userId: 'r-live',
      });
      await expectAnonymous(app, signedCookie('sid-expired', SECRET));
    });
  },
);
