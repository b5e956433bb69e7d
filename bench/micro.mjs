// Micro-benchmark of the request-path pieces, without HTTP (npm run bench:micro).
//
//   npm run bench:micro                 # about 15 s
//   npm run bench:micro -- --time 3000  # longer per benchmark (ms)
//   npm run bench:micro -- --filter bridge
//
// The package is imported only through its public exports (dist/index.js). Internal steps are timed as the
// equivalent work with the same dependencies the bridge uses: `cookie` parse and `cookie-signature` unsign, the
// Bearer header reading, jose `jwtVerify`. Each benchmark warms up, then runs timed batches with
// `process.hrtime.bigint()` until its time is up (or a bounded number of operations) and prints the median ns/op.
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { parse as parseCookie } from 'cookie';
import { unsign } from 'cookie-signature';
import express from 'express';
import session from 'express-session';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { memoryStats, sessionBridge } from '../dist/index.js';
import {
  AUDIENCE,
  COOKIE_NAME,
  createFixture,
  ISSUER,
  SESSION_SECRET,
  sessionRecord,
  TOKEN_USERS,
} from './lib/fixtures.mjs';

const { values: args } = parseArgs({
  options: {
    time: { type: 'string', default: '1500' },
    rounds: { type: 'string', default: '5' },
    filter: { type: 'string' },
  },
});
const TIME_MS = Number(args.time);
const ROUNDS = Number(args.rounds);
if (!Number.isFinite(TIME_MS) || TIME_MS <= 0) throw new TypeError('--time must be a positive number of ms');
if (!Number.isInteger(ROUNDS) || ROUNDS <= 0) throw new TypeError('--rounds must be a positive integer');
const MAX_OPS = 5_000_000;
const BATCH = 100;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Times `fn` (sync or async) for `ms`: batches of BATCH calls until the time is up or MAX_OPS calls were made.
 * Returns the median ns per call over the batches.
 */
async function measure(fn, isAsync, ms, batch = BATCH) {
  const run = async (calls) => {
    const t0 = process.hrtime.bigint();
    if (isAsync) for (let i = 0; i < calls; i++) await fn(i);
    else for (let i = 0; i < calls; i++) fn(i);
    return Number(process.hrtime.bigint() - t0) / calls;
  };
  const perOp = [];
  const until = performance.now() + ms;
  let ops = 0;
  do {
    perOp.push(await run(batch));
    ops += batch;
  } while (performance.now() < until && ops < MAX_OPS);
  return { ns: median(perOp), ops };
}

const benches = [];
/**
 * Registers a benchmark; `per`: operations per call (the ns/op figure is divided by it); `batch`: calls per timed
 * batch (1 for a call that is itself a thousand operations).
 */
function bench(name, fn, { isAsync = false, per = 1, batch = BATCH } = {}) {
  if (args.filter && !name.includes(args.filter)) return;
  benches.push({ name, fn, isAsync, per, batch, rounds: [], ops: 0 });
}

/**
 * Runs every registered benchmark: a warm-up (a fifth of the time, at least 1000 calls), then ROUNDS interleaved
 * rounds of TIME_MS / ROUNDS each (round 1: every benchmark, round 2: ...), so a burst of load from other processes
 * hits all of them alike. The figure is the median of the rounds' medians.
 */
async function runAll() {
  for (const b of benches) {
    const until = performance.now() + TIME_MS / 5;
    let calls = 0;
    const least = b.batch === BATCH ? 1000 : 10 * b.batch;
    while ((calls < least || performance.now() < until) && calls < MAX_OPS) {
      b.isAsync ? await b.fn(calls) : b.fn(calls);
      calls++;
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const b of benches) {
      const { ns, ops } = await measure(b.fn, b.isAsync, TIME_MS / ROUNDS, b.batch);
      b.rounds.push(ns / b.per);
      b.ops += ops;
    }
  }
  for (const b of benches) b.ns = median(b.rounds);
}

// ---------------------------------------------------------------- fixtures
// The cached token pool (.tmp/bench/): 10,000 tokens, one per user, for the whole-call rows.
const fixture = await createFixture({ tokenCount: TOKEN_USERS, log: (m) => console.error(m) });
const token = fixture.pool.tokens[0];
const legacy = fixture.client.sessions[0];
const cookieHeader = legacy.cookie;
const store = new session.MemoryStore();
for (const s of fixture.sessions) store.set(s.sid, sessionRecord(s.userId), () => {});

const jwksServer = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fixture.jwks));
});
await new Promise((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
const jwksUri = `http://127.0.0.1:${jwksServer.address().port}/jwks.json`;

const verifyOptions = { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'] };
const localJwks = createLocalJWKSet(fixture.jwks);

function bridgeOf(stats, extra = {}) {
  return sessionBridge({
    legacy: { store, secret: SESSION_SECRET },
    provider: { issuer: ISSUER, audience: AUDIENCE, jwksUri },
    ...(stats ? {} : { stats: false }),
    ...extra,
  });
}

const fakeRes = {
  statusCode: 200,
  headersSent: false,
  setHeader() {},
  getHeader() {},
  writeHead() {
    return this;
  },
  end() {
    throw new Error(
      'the bridge answered instead of calling next(): the benchmark request is not authenticated',
    );
  },
};

/** Calls the middleware with a fresh fake request, resolves after next() with the resolved user id. */
function callBridge(bridge, headers, expectedKind) {
  return new Promise((resolve, reject) => {
    const req = { headers, method: 'GET', url: '/me', originalUrl: '/me' };
    bridge(req, fakeRes, (err) => {
      if (err) return reject(err);
      if (req.auth?.kind !== expectedKind)
        return reject(new Error(`expected a ${expectedKind} user, got ${JSON.stringify(req.auth)}`));
      resolve(req.auth.userId);
    });
  });
}

// Same logic as src/provider/bearer.ts (not exported): scheme up to the first blank, case-insensitive.
function readBearer(header) {
  if (header === undefined) return undefined;
  const match = /^(\S+)(?:[ \t]+([\s\S]*))?$/.exec(header.trim());
  if ((match?.[1] ?? '').toLowerCase() !== 'bearer') return undefined;
  const value = (match?.[2] ?? '').trim();
  return value.length > 0 ? value : undefined;
}

console.log(
  `Node ${process.version}; ns per operation: median over ${ROUNDS} interleaved rounds of the median over batches of ${BATCH} calls; ${TIME_MS} ms per benchmark\n`,
);

// ---------------------------------------------------------------- legacy cookie
bench('cookie.parse (Cookie header with connect.sid + 1 other)', () => parseCookie(cookieHeader));
const raw = parseCookie(cookieHeader)[COOKIE_NAME];
bench('cookie-signature unsign (1 secret)', () => {
  if (unsign(raw.slice(2), SESSION_SECRET) === false) throw new Error('bad signature');
});
bench('cookie.parse + unsign (the bridge legacy cookie step)', () => {
  const value = parseCookie(cookieHeader)[COOKIE_NAME];
  if (!value?.startsWith('s:') || unsign(value.slice(2), SESSION_SECRET) !== legacy.sid)
    throw new Error('bad sid');
});
bench(
  'express-session MemoryStore.get (callback, deferred)',
  () =>
    new Promise((resolve, reject) =>
      store.get(legacy.sid, (err, s) => (err || !s ? reject(err ?? new Error('none')) : resolve(s))),
    ),
  { isAsync: true },
);

// ---------------------------------------------------------------- provider token
const authorization = `Bearer ${token}`;
bench('Bearer token extraction from the Authorization header', () => {
  if (readBearer(authorization) !== token) throw new Error('no token');
});
bench('jose jwtVerify, RS256, createLocalJWKSet', () => jwtVerify(token, localJwks, verifyOptions), {
  isAsync: true,
});

// ---------------------------------------------------------------- the middleware itself
const withStats = bridgeOf(true);
const withoutStats = bridgeOf(false);
await callBridge(withStats, { authorization }, 'provider'); // fetches the JWKS once
await callBridge(withoutStats, { authorization }, 'provider');
bench(
  'bridge middleware, legacy MemoryStore session',
  () => callBridge(withStats, { cookie: cookieHeader }, 'legacy'),
  {
    isAsync: true,
  },
);
bench(
  'bridge middleware, legacy MemoryStore session, stats: false',
  () => callBridge(withoutStats, { cookie: cookieHeader }, 'legacy'),
  { isAsync: true },
);
// A ramp above 0 and below 100 places every legacy user (HMAC-SHA-256 of the user id, cached per user); at
// 0.001 % the benchmark user is outside the cohort, so the request still authenticates. The user is the same on
// every call, so this row measures a cache hit; a miss adds one HMAC, about the cost of the unsign row.
const ramped = bridgeOf(false, { cutover: { percent: 0.001 } });
bench(
  'bridge middleware, legacy MemoryStore session, stats: false, cutover.percent 0.001',
  () => callBridge(ramped, { cookie: cookieHeader }, 'legacy'),
  { isAsync: true },
);
bench(
  'bridge middleware, provider token (same token)',
  () => callBridge(withStats, { authorization }, 'provider'),
  {
    isAsync: true,
  },
);
bench(
  'bridge middleware, provider token (same token), stats: false',
  () => callBridge(withoutStats, { authorization }, 'provider'),
  { isAsync: true },
);
bench(
  'bridge middleware, anonymous (no credential)',
  () => new Promise((resolve) => withStats({ headers: {}, method: 'GET', url: '/me' }, fakeRes, resolve)),
  { isAsync: true },
);

// ---------------------------------------------------------------- the whole call
// What a server pays per request for the bridge, recorder included, measured the way a server runs it: each
// request is a real `http.IncomingMessage` handled by a real Express 5 app (`app.handle`), so it gets Express's
// per-request prototype switch and the hidden class of its own that comes with it (plain objects, as above, hide
// that cost). 1,000 requests through the app, then the recorder's flush into memoryStats() (which its timer would
// do once a second), timed together; a bare Express app without the bridge handles the same requests, and the
// difference is the bridge's. Requests in turn: 1,000 legacy sessions, 10,000 provider users (one token each,
// all cached after the warm-up), and the mixed traffic of the HTTP benchmark (60 legacy, 35 provider, 5 anonymous).
const WHOLE = 1000;
const wideTokens = fixture.pool.tokens.slice(0, TOKEN_USERS);
const sessions = fixture.client.sessions;
const wholeLegacy = (i) => [{ cookie: sessions[i % sessions.length].cookie }, 'legacy'];
const wholeProvider = (i) => [{ authorization: `Bearer ${wideTokens[i % wideTokens.length]}` }, 'provider'];
const wholeAnonymous = () => [{}, undefined];
const wholeMixed = (i) => {
  const slot = (i * 37) % 100;
  if (slot < 60) return wholeLegacy(i);
  if (slot < 95) return wholeProvider(i % 1000);
  return wholeAnonymous();
};
const socket = new Socket();
/** A request as Node's HTTP server makes it: an IncomingMessage with its raw headers. */
function incoming(headers) {
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = '/me';
  req.rawHeaders = Object.entries({ host: '127.0.0.1', ...headers }).flat();
  req.headers = { host: '127.0.0.1', ...headers };
  return req;
}
/** An Express 5 app with `bridge` mounted (or none), whose route hands `req.auth` to the request's callback. */
function expressWith(bridge) {
  const app = express();
  if (bridge) app.use(bridge);
  app.get('/me', (req, res) => res.locals.done(req.auth));
  return app;
}
function wholeCall(app, bridge, requestAt) {
  let n = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const [headers, kind] = requestAt(n++);
      const req = incoming(headers);
      const res = new ServerResponse(req);
      res.locals = {
        done(auth) {
          if (bridge && auth?.kind !== kind) reject(new Error(`expected a ${kind} user, got ${auth?.kind}`));
          else resolve();
        },
      };
      app.handle(req, res, (err) => reject(err ?? new Error('the route was not reached')));
    });
  return async () => {
    for (let i = 0; i < WHOLE; i++) await one();
    await bridge?.flushStats();
  };
}
const wide = sessionBridge({
  legacy: { store, secret: SESSION_SECRET },
  provider: { issuer: ISSUER, audience: AUDIENCE, jwksUri },
  stats: memoryStats(),
});
const wideNoStats = sessionBridge({
  legacy: { store, secret: SESSION_SECRET },
  provider: { issuer: ISSUER, audience: AUDIENCE, jwksUri },
  stats: false,
});
for (const b of [wide, wideNoStats]) {
  // Every token verified once (the cache then holds them all).
  for (let i = 0; i < wideTokens.length; i++) await callBridge(b, wholeProvider(i)[0], 'provider');
}
const bareApp = expressWith(undefined);
// The floor of any authentication middleware, on the same requests: a router layer, then also `req.auth`.
const noopApp = expressWith((_req, _res, next) => next());
const FLOOR_AUTH = Object.freeze({ kind: 'provider', userId: 'user-0' });
const authFloorApp = expressWith((req, _res, next) => {
  req.auth = FLOOR_AUTH;
  next();
});
const wideApp = expressWith(wide);
const wideNoStatsApp = expressWith(wideNoStats);
const whole = (name, fn) => bench(name, fn, { isAsync: true, per: WHOLE, batch: 1 });
whole(
  'whole call: bare Express 5, the same requests (the baseline)',
  wholeCall(bareApp, undefined, wholeMixed),
);
whole('whole call: floor: a no-op middleware', wholeCall(noopApp, undefined, wholeMixed));
whole(
  'whole call: floor: a middleware that sets a constant req.auth',
  wholeCall(authFloorApp, undefined, wholeMixed),
);
whole(
  'whole call: legacy MemoryStore (1,000 sessions), recorder flush included',
  wholeCall(wideApp, wide, wholeLegacy),
);
whole(
  'whole call: legacy MemoryStore (1,000 sessions), stats: false',
  wholeCall(wideNoStatsApp, wideNoStats, wholeLegacy),
);
whole(
  'whole call: provider (10,000 users in turn), recorder flush included',
  wholeCall(wideApp, wide, wholeProvider),
);
whole(
  'whole call: provider (10,000 users in turn), stats: false',
  wholeCall(wideNoStatsApp, wideNoStats, wholeProvider),
);
whole('whole call: mixed 60/35/5, recorder flush included', wholeCall(wideApp, wide, wholeMixed));
whole('whole call: anonymous', wholeCall(wideApp, wide, wholeAnonymous));

// ---------------------------------------------------------------- stats
const statsStore = memoryStats();
const events = Array.from({ length: 1000 }, (_, i) => ({
  time: Date.now(),
  kind: i % 3 === 0 ? 'provider' : 'legacy',
  outcome: 'ok',
  ...(i % 3 === 0 ? { providerUserId: `user-${i}`, provider: ISSUER } : { legacyUserId: `user-${i}` }),
}));
bench(
  'memoryStats().record, per event (batches of 1000, off the request path)',
  () => statsStore.record(events),
  {
    isAsync: true,
    per: events.length,
  },
);

await runAll();
console.log(`${'benchmark'.padEnd(66)} ${'ns/op'.padStart(9)}   rounds (ns/op)`);
for (const b of benches) {
  console.log(
    `${b.name.padEnd(66)} ${b.ns.toFixed(0).padStart(9)}   ${b.rounds.map((r) => r.toFixed(0)).join(' ')}`,
  );
}

const find = (name) => benches.find((b) => b.name === name)?.ns;
const delta = (a, b) => {
  const x = find(a);
  const y = find(b);
  return x !== undefined && y !== undefined ? `${(x - y).toFixed(0)} ns` : 'n/a';
};
console.log('\nThe recorder on the request path (stats on − stats: false):');
console.log(
  `  legacy:   ${delta('bridge middleware, legacy MemoryStore session', 'bridge middleware, legacy MemoryStore session, stats: false')}`,
);
console.log(
  `  provider: ${delta('bridge middleware, provider token (same token)', 'bridge middleware, provider token (same token), stats: false')}`,
);
const BARE = 'whole call: bare Express 5, the same requests (the baseline)';
console.log('\nThe bridge in a real Express request (whole call − bare Express):');
for (const name of benches.map((b) => b.name).filter((n) => n.startsWith('whole call: ') && n !== BARE)) {
  console.log(`  ${name.slice('whole call: '.length).padEnd(70)} ${delta(name, BARE)}`);
}
console.log(
  `The cutover cohort (cached place of a returning user): ${delta('bridge middleware, legacy MemoryStore session, stats: false, cutover.percent 0.001', 'bridge middleware, legacy MemoryStore session, stats: false')}`,
);

await wide.close();
await wideNoStats.close();
await withStats.close();
await withoutStats.close();
await ramped.close();
await statsStore.close?.();
jwksServer.close();
