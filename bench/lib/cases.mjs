// The benchmark cases. Each has a server side (`build`: an Express 5 app answering `GET /me` with a small JSON,
// run in its own process by case-server.mjs) and a client side (`traffic`: the i-th request of a run and the exact
// answer it must get, used by the load generator and by test/bench/bench-cases.test.ts).
//
// Every app answers `{"userId":...,"kind":...}` so a case that stops authenticating cannot look fast: the load
// generator compares every response body with the expected one.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  AUDIENCE,
  COOKIE_NAME,
  ISSUER,
  SESSION_SECRET,
  sessionRecord,
  subjectOf,
  TOKEN_USERS,
  USERS,
} from './fixtures.mjs';

/**
 * name, label (the table's row), the comparison baseline for the targets, and whether it needs Redis.
 * The order is the order within a round.
 */
export const CASES = [
  { name: 'express', label: 'bare Express 5' },
  {
    name: 'express-control',
    label: "bare Express 5 again, as a case (A/A control: the harness's own bias and spread)",
  },
  { name: 'express-noop', label: 'Express 5 + one no-op middleware (the floor of any middleware)' },
  {
    name: 'express-auth',
    label: 'Express 5 + a middleware that sets a constant req.auth (the floor of an auth middleware)',
  },
  { name: 'auth0', label: 'express-oauth2-jwt-bearer' },
  { name: 'express-jwt', label: 'express-jwt + jwks-rsa' },
  { name: 'jose', label: 'jose createRemoteJWKSet + jwtVerify' },
  { name: 'session-memory', label: 'express-session MemoryStore' },
  { name: 'session-redis', label: 'express-session connect-redis', redis: true },
  { name: 'bridge-provider-warm', label: 'bridge: provider warm' },
  {
    name: 'bridge-provider-warm-10k',
    label: 'bridge: provider warm, 10,000 users in turn',
    wide: true,
    // Every token is verified once before the cache answers it: 10,000 RS256 checks, about 4 s of CPU here.
    warmup: 8,
  },
  { name: 'bridge-provider-cold', label: 'bridge: provider cold', cold: true },
  { name: 'bridge-legacy-memory', label: 'bridge: legacy MemoryStore' },
  { name: 'bridge-legacy-redis', label: 'bridge: legacy connect-redis', redis: true },
  { name: 'bridge-mixed', label: 'bridge: mixed 60/35/5' },
  { name: 'bridge-provider-warm-nostats', label: 'bridge: provider warm, stats: false' },
  { name: 'bridge-legacy-memory-nostats', label: 'bridge: legacy MemoryStore, stats: false' },
];

/** The prefix of a bare Express server sent another case's requests (`express-same:bridge-mixed`). */
export const SAME = 'express-same:';

/** Whether a case sends credentials, so a bare Express run sent the same requests is worth measuring. */
export function sendsCredentials(name) {
  return !['express', 'express-control', 'express-noop', 'express-auth'].includes(name);
}

export function caseByName(name) {
  const found = CASES.find((c) => c.name === name);
  if (!found)
    throw new Error(
      `unknown bench case ${JSON.stringify(name)}: use one of ${CASES.map((c) => c.name).join(', ')}`,
    );
  return found;
}

/** The case whose requests `name` sends: itself, or for `express-same:<case>` that case (validated either way). */
export function requestsOf(name) {
  return caseByName(name.startsWith(SAME) ? name.slice(SAME.length) : name);
}

/* ------------------------------------------------------------ client side ------------------------------------------------------------ */

const body = (userId, kind) => JSON.stringify({ userId, kind });
const ok = (headers, userId, kind) => ({ headers, status: 200, body: body(userId, kind) });

/** A deterministic permutation of 100 slots: 60 legacy, 35 provider, 2 anonymous, 2 bad signature, 1 unknown session. */
function mixedSlots() {
  const slots = [
    ...Array(60).fill('legacy'),
    ...Array(35).fill('provider'),
    'anonymous',
    'anonymous',
    'bad-signature',
    'bad-signature',
    'unknown-session',
  ];
  let seed = 0x9e3779b9;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [slots[i], slots[j]] = [slots[j], slots[i]];
  }
  return slots;
}

/**
 * The request sequence of a case: `at(i)` is the i-th request of a run, `{ headers, status, body }` with the exact
 * expected answer. `fixture`: `{ tokens, coldTokens?, sessions, invalidCookies }` (see fixtures.mjs); token i
 * belongs to `subjectOf(i)`, session i to `user-i`. `coldTokens` is the token pool (cold and 10k cases).
 *
 * `sample()` lists one request of each kind the case sends, for the correctness test.
 */
export function traffic(name, fixture) {
  // `express-same:<case>`: bare Express sent that case's requests; it reads no credential and answers no user.
  if (name.startsWith(SAME)) {
    const base = traffic(name.slice(SAME.length), fixture);
    return { at: (i) => ok(base.at(i).headers, null, null), size: base.size };
  }
  const { tokens, sessions, invalidCookies } = fixture;
  const bearer = (i) => ({ authorization: `Bearer ${tokens[i % tokens.length]}` });
  const provider = (i, kind = 'provider') => ok(bearer(i), subjectOf(i % tokens.length), kind);
  const legacy = (i, kind = 'legacy') => {
    const s = sessions[i % sessions.length];
    return ok({ cookie: s.cookie }, s.userId, kind);
  };
  const warm = provider(0);
  switch (name) {
    case 'express':
    case 'express-control':
    case 'express-noop':
      return { at: () => ok({}, null, null), size: 1 };
    case 'express-auth':
      return { at: () => ok({}, 'user-0', 'provider'), size: 1 };
    case 'session-memory':
    case 'session-redis':
    case 'bridge-legacy-memory':
    case 'bridge-legacy-memory-nostats':
    case 'bridge-legacy-redis':
      return { at: (i) => legacy(i), size: sessions.length };
    case 'auth0':
    case 'express-jwt':
    case 'jose':
    case 'bridge-provider-warm':
    case 'bridge-provider-warm-nostats':
      // The same token on every request (the competitors too: none of them caches verified tokens).
      return { at: () => warm, size: 1 };
    case 'bridge-provider-cold':
    case 'bridge-provider-warm-10k': {
      // Cold: a distinct token every request. 10k: the first TOKEN_USERS tokens of the pool (one per user) in turn,
      // so the verified-token cache is hit under a working set of 10,000 users.
      const all = fixture.coldTokens ?? tokens;
      const pool = name === 'bridge-provider-cold' ? all : all.slice(0, TOKEN_USERS);
      return {
        at: (i) =>
          ok({ authorization: `Bearer ${pool[i % pool.length]}` }, subjectOf(i % pool.length), 'provider'),
        size: pool.length,
      };
    }
    case 'bridge-mixed': {
      const slots = mixedSlots();
      return {
        at(i) {
          switch (slots[i % slots.length]) {
            case 'legacy':
              return legacy(i);
            case 'provider':
              return provider(i);
            case 'anonymous':
              return ok({}, null, null);
            case 'bad-signature':
              return ok({ cookie: invalidCookies.badSignature }, null, null);
            default:
              return ok({ cookie: invalidCookies.unknownSession }, null, null);
          }
        },
        size: slots.length * USERS,
        sample: () => [
          legacy(1),
          provider(2),
          ok({}, null, null),
          ...['badSignature', 'unknownSession'].map((k) => ok({ cookie: invalidCookies[k] }, null, null)),
        ],
      };
    }
    default:
      caseByName(name);
      throw new Error(`no traffic for ${name}`);
  }
}

/** One request of each kind a case sends. */
export function sampleRequests(name, fixture) {
  const t = traffic(name, fixture);
  return t.sample ? t.sample() : [t.at(0), t.at(1)];
}

/* ------------------------------------------------------------ server side ------------------------------------------------------------ */

function storeSet(store, sid, record) {
  return new Promise((resolve, reject) => store.set(sid, record, (err) => (err ? reject(err) : resolve())));
}

async function seed(store, sessions) {
  const now = Date.now();
  await Promise.all(sessions.map((s) => storeSet(store, s.sid, sessionRecord(s.userId, now))));
}

async function redisClient(url) {
  const { createClient } = await import('redis');
  const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Deletes every key under `prefix` (SCAN + UNLINK; bounded by the number of keys). */
async function deletePrefix(client, prefix) {
  let cursor = '0';
  for (let i = 0; i < 100_000; i++) {
    const [next, keys] = await client.sendCommand(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000']);
    if (keys.length > 0) await client.sendCommand(['UNLINK', ...keys]);
    cursor = String(next);
    if (cursor === '0') return;
  }
}

/** A connect-redis store (node-redis client) under a fresh prefix, seeded; `close` deletes the keys. */
async function redisSessions(ctx) {
  const { RedisStore } = await import('connect-redis');
  const client = await redisClient(ctx.redisUrl);
  const prefix = `esb-bench:${process.pid}:${randomBytes(4).toString('hex')}:`;
  const store = new RedisStore({ client, prefix });
  await seed(store, ctx.sessions);
  return {
    store,
    async close() {
      await deletePrefix(client, prefix);
      client.destroy();
    },
  };
}

async function memorySessions(ctx) {
  const { default: session } = await import('express-session');
  const store = new session.MemoryStore();
  await seed(store, ctx.sessions);
  return { store, close: async () => {} };
}

function sendMe(res, userId, kind) {
  res.json({ userId: userId ?? null, kind: userId == null ? null : kind });
}

async function newApp() {
  const { default: express } = await import('express');
  const app = express();
  app.disable('x-powered-by');
  return app;
}

/** A 401 JSON body for the hand-written verifiers (never expected in a run: every request carries a valid token). */
function unauthorized(res) {
  res.status(401).json({ error: 'invalid_token' });
}

async function buildBridge(ctx, { sessions, stats }) {
  // `ctx.bridgeDist`: another build of the package (`--before`), to compare two versions in one run.
  const { sessionBridge } = await import(
    ctx.bridgeDist ? pathToFileURL(join(ctx.bridgeDist, 'index.js')).href : '../../dist/index.js'
  );
  const legacy = sessions === 'redis' ? await redisSessions(ctx) : await memorySessions(ctx);
  const bridge = sessionBridge({
    legacy: { store: legacy.store, secret: SESSION_SECRET },
    provider: { issuer: ISSUER, audience: AUDIENCE, jwksUri: ctx.jwksUri },
    ...(stats ? {} : { stats: false }),
  });
  const app = await newApp();
  app.use(bridge);
  app.get('/me', (req, res) => sendMe(res, req.auth?.userId, req.auth?.kind));
  return {
    app,
    async close() {
      await bridge.close();
      await legacy.close();
    },
  };
}

const builders = {
  async express() {
    const app = await newApp();
    app.get('/me', (_req, res) => sendMe(res, null, null));
    return { app };
  },

  /** The same app as `express`, measured as a case next to its own bare server: should read 1.0×. */
  'express-control': () => builders.express(),

  /** What one middleware costs in Express 5 whatever it does: a layer of the router and a call. */
  async 'express-noop'() {
    const app = await newApp();
    app.use((_req, _res, next) => next());
    app.get('/me', (_req, res) => sendMe(res, null, null));
    return { app };
  },

  /**
   * What any authentication middleware costs at least: a layer, a property added to the request (on Express's
   * request objects that copies the request's hidden class) and the route reading it.
   */
  async 'express-auth'() {
    const app = await newApp();
    const auth = { userId: 'user-0', kind: 'provider' };
    app.use((req, _res, next) => {
      req.auth = auth;
      next();
    });
    app.get('/me', (req, res) => sendMe(res, req.auth?.userId, req.auth?.kind));
    return { app };
  },

  async auth0(ctx) {
    const { auth } = await import('express-oauth2-jwt-bearer');
    const app = await newApp();
    app.use(auth({ issuer: ISSUER, audience: AUDIENCE, jwksUri: ctx.jwksUri, tokenSigningAlg: 'RS256' }));
    app.get('/me', (req, res) => sendMe(res, req.auth.payload.sub, 'provider'));
    return { app };
  },

  async 'express-jwt'(ctx) {
    const { expressjwt } = await import('express-jwt');
    const { default: jwksRsa } = await import('jwks-rsa');
    const app = await newApp();
    app.use(
      expressjwt({
        secret: jwksRsa.expressJwtSecret({
          jwksUri: ctx.jwksUri,
          cache: true,
          rateLimit: true,
          jwksRequestsPerMinute: 10,
        }),
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['RS256'],
      }),
    );
    app.get('/me', (req, res) => sendMe(res, req.auth.sub, 'provider'));
    return { app };
  },

  async jose(ctx) {
    const { createRemoteJWKSet, jwtVerify } = await import('jose');
    const jwks = createRemoteJWKSet(new URL(ctx.jwksUri));
    const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'] };
    const app = await newApp();
    app.use(async (req, res, next) => {
      const match = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
      if (!match) return unauthorized(res);
      try {
        const { payload } = await jwtVerify(match[1], jwks, options);
        req.auth = payload;
      } catch {
        return unauthorized(res);
      }
      next();
    });
    app.get('/me', (req, res) => sendMe(res, req.auth.sub, 'provider'));
    return { app };
  },

  async 'session-memory'(ctx) {
    return expressSession(await memorySessions(ctx));
  },

  async 'session-redis'(ctx) {
    return expressSession(await redisSessions(ctx));
  },

  'bridge-provider-warm': (ctx) => buildBridge(ctx, { sessions: 'memory', stats: true }),
  'bridge-provider-cold': (ctx) => buildBridge(ctx, { sessions: 'memory', stats: true }),
  'bridge-provider-warm-10k': (ctx) => buildBridge(ctx, { sessions: 'memory', stats: true }),
  'bridge-legacy-memory': (ctx) => buildBridge(ctx, { sessions: 'memory', stats: true }),
  'bridge-legacy-redis': (ctx) => buildBridge(ctx, { sessions: 'redis', stats: true }),
  'bridge-mixed': (ctx) => buildBridge(ctx, { sessions: 'memory', stats: true }),
  'bridge-provider-warm-nostats': (ctx) => buildBridge(ctx, { sessions: 'memory', stats: false }),
  'bridge-legacy-memory-nostats': (ctx) => buildBridge(ctx, { sessions: 'memory', stats: false }),
};

/** express-session as a legacy app mounts it: reads the existing session (and, as it does, touches it). */
async function expressSession(legacy) {
  const { default: session } = await import('express-session');
  const app = await newApp();
  app.use(
    session({
      store: legacy.store,
      secret: SESSION_SECRET,
      name: COOKIE_NAME,
      resave: false,
      saveUninitialized: false,
    }),
  );
  app.get('/me', (req, res) => sendMe(res, req.session.userId, 'legacy'));
  return { app, close: legacy.close };
}

/**
 * Builds a case's app. `ctx`: `{ jwksUri, sessions: [{ sid, userId }], redisUrl }`.
 * Returns `{ app, close? }`.
 */
export async function buildCase(name, ctx) {
  if (name.startsWith(SAME)) return builders.express(ctx);
  caseByName(name);
  return builders[name](ctx);
}
