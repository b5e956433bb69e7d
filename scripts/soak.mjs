/**
 * Soak test (issue #7): mixed valid and hostile traffic against the example app for a fixed time. Every answer
 * is checked against what that request must get; the JWKS fetches and the server's heap are watched.
 *
 *   npm run soak                                  # 10 minutes
 *   npm run soak -- --minutes 30                  # or SOAK_MINUTES=30 npm run soak
 *   npm run soak -- --seconds 20                  # a quick check
 *   options: --concurrency 16  --seed 1  --max-requests N
 *
 * The example app runs unchanged in a child process (scripts/soak-server.mjs) on a free port of 127.0.0.1,
 * with Node's header limit raised to 64 KiB so that oversized tokens reach the bridge's own 16 KiB limit
 * instead of being refused by Node's HTTP parser (431). Valid credentials are real: legacy users sign in through
 * the form (POST /login), provider users through the provider's own sign-in (code + PKCE, the development login
 * screen and the consent screen), as in test/example-app.e2e.test.ts. Requests go over keep-alive connections
 * with `http.request` and raw header arrays, so a request can carry two Authorization headers.
 *
 * Exits non-zero on any 5xx, any answer that is not the one the request must get, any transport error, more
 * JWKS fetches than the bridge's cooldown allows, or server heap growth above HEAP_GROWTH_LIMIT (see there).
 */
import { fork } from 'node:child_process';
import { createHmac, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string' },
    seconds: { type: 'string' },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
    'max-requests': { type: 'string', default: '100000000' },
  },
});

const RUN_MS =
  args.seconds !== undefined
    ? positive('--seconds', args.seconds) * 1000
    : positive('--minutes', args.minutes ?? process.env.SOAK_MINUTES ?? '10') * 60_000;
const CONCURRENCY = Math.floor(positive('--concurrency', args.concurrency));
const MAX_REQUESTS = Math.floor(positive('--max-requests', args['max-requests']));
/** Traffic before the baseline heap is taken: JIT, caches and the stats store reach their working size. */
const WARMUP_MS = Math.min(30_000, Math.max(5_000, RUN_MS / 10), RUN_MS / 2);
const PROGRESS_MS = 30_000;
const REQUEST_TIMEOUT_MS = 30_000;
const MAX_BODY = 1024 * 1024;
const SERVER_HEADER_LIMIT = 64 * 1024;
/** The bridge's token size limit (src/provider/verify-token.ts MAX_TOKEN_LENGTH). */
const TOKEN_LIMIT = 16 * 1024;
/** The bridge's default `jwksCooldownMs`: jose refetches the JWKS for an unknown `kid` at most this often. */
const JWKS_COOLDOWN_MS = 30_000;
/**
 * "Heap must stay flat": the server's heap after a full GC at the end may exceed the one after warm-up by at
 * most 10 MiB or 50 %, whichever is smaller. Why: after warm-up every bounded structure has its working size
 * (the stats store holds four users; the legacy MemoryStore and the provider's sessions are written only at
 * set-up; lru caches hold a few entries; code is compiled), so two post-GC measurements differ by GC noise,
 * under 2 MB in trial runs. A leak grows with the request count: at the 500 to 800 requests/s measured on this
 * shared 2-core machine, a 10-minute run makes 300,000 requests or more, and 10 MiB is then a leak of at most
 * about 35 bytes per request, less than one retained string or closure per request. The 50 % bound keeps a short
 * run (--seconds) from passing a leak that is large next to a small heap. The growth per request is printed.
 * RSS is reported but not judged: it follows the allocator and the header buffers of the largest requests.
 */
const HEAP_GROWTH_LIMIT = { bytes: 10 * 1024 * 1024, ratio: 0.5 };
const LEGACY_SECRET = 'legacy-demo-secret'; // example-app/server.js default `sessionSecret`

const MB = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const random = mulberry32(Number(args.seed));
const int = (min, max) => min + Math.floor(random() * (max - min + 1)); // inclusive
const choose = (list) => list[Math.floor(random() * list.length)];
const b64u = (value) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const fromB64u = (part) => JSON.parse(Buffer.from(part, 'base64url').toString());

// --- The server ---------------------------------------------------------------------------------------------

const serverLog = { lines: 0 };
const child = fork(fileURLToPath(new URL('./soak-server.mjs', import.meta.url)), {
  execArgv: ['--expose-gc', `--max-http-header-size=${SERVER_HEADER_LIMIT}`],
  stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
});
for (const stream of [child.stdout, child.stderr]) {
  stream.setEncoding('utf8');
  stream.on('data', (text) => {
    for (const line of text.split('\n')) {
      if (line.length === 0) continue;
      serverLog.lines++;
      if (serverLog.lines <= 50) console.log(`[server] ${line}`);
      else if (serverLog.lines === 51) console.log('[server] (further server output is counted, not shown)');
    }
  });
}
let closing = false;
const childExit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
childExit.then(({ code, signal }) => {
  if (closing) return;
  console.error(`The server process exited during the soak (code ${code}, signal ${signal}).`);
  process.exit(1);
});
const pendingMemory = new Map();
let ready;
const started = new Promise((resolve) => {
  ready = resolve;
});
child.on('message', (message) => {
  if (message.type === 'ready') ready(message);
  else if (message.type === 'memory') {
    pendingMemory.get(message.id)?.(message);
    pendingMemory.delete(message.id);
  }
});
const server = await withTimeout(started, 60_000, 'the example app did not start');
const serverStartedAt = Date.now();
const HOST = `localhost:${server.port}`; // what a browser sends for the app's own URL; the socket is 127.0.0.1
const ISSUER = `http://${HOST}/oidc`;
if (!server.gc) console.warn('The server process has no global.gc(): heap figures include garbage.');

let memoryRequests = 0;
/** The server's memory and request counters, after a full GC when `gc` is true. */
function serverState(gc) {
  const id = ++memoryRequests;
  const answer = new Promise((resolve) => pendingMemory.set(id, resolve));
  child.send({ type: 'memory', id, gc });
  return withTimeout(answer, 30_000, 'the server did not report its memory');
}

// --- HTTP --------------------------------------------------------------------------------------------------

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/**
 * One request to the app on 127.0.0.1. `headers` is a list of [name, value] pairs sent as they are (a name may
 * repeat). Resolves to { status, headers, body } with at most MAX_BODY bytes of body.
 */
function send({ method = 'GET', path, headers = [], body }) {
  const raw = ['host', HOST];
  for (const [name, value] of headers) raw.push(name, value);
  if (body !== undefined) raw.push('content-length', String(Buffer.byteLength(body)));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.port,
        method,
        path,
        headers: raw,
        agent,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks = [];
        let size = 0;
        res.on('data', (chunk) => {
          size += chunk.length;
          if (size <= MAX_BODY) chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A cookie jar for the sign-in flows: name and path, like a browser on one host. */
class CookieJar {
  #cookies = new Map();
  store(setCookie = []) {
    for (const line of setCookie) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const cookie = { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), path: '/' };
      let expired = false;
      for (const attribute of attributes) {
        const [key = '', value = ''] = attribute.split('=').map((s) => s.trim());
        if (key.toLowerCase() === 'path' && value.startsWith('/')) cookie.path = value;
        if (key.toLowerCase() === 'max-age' && Number(value) <= 0) expired = true;
        if (key.toLowerCase() === 'expires' && Date.parse(value) <= Date.now()) expired = true;
      }
      const key = `${cookie.name}\0${cookie.path}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, cookie);
    }
  }
  header(path) {
    const inPath = (c) =>
      c.path === '/' || path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`);
    return [...this.#cookies.values()]
      .filter(inPath)
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
  get(name) {
    for (const c of this.#cookies.values()) if (c.name === name) return c.value;
    return undefined;
  }
}

/** The path of a redirect target, which must be this app: the soak never leaves 127.0.0.1. */
function localPath(location) {
  const url = new URL(location, `http://${HOST}`);
  if (url.host !== HOST && url.host !== `127.0.0.1:${server.port}`) {
    throw new Error(`refusing to follow a redirect off the app: ${location}`);
  }
  return `${url.pathname}${url.search}`;
}

async function browse(jar, request) {
  const cookie = jar.header(request.path.split('?')[0]);
  const res = await send({
    ...request,
    headers: [...(cookie ? [['cookie', cookie]] : []), ...(request.headers ?? [])],
  });
  jar.store(res.headers['set-cookie']);
  return res;
}

// --- Real credentials ----------------------------------------------------------------------------------------

/** Signs in with the legacy form; returns the `connect.sid` cookie value as set (URL-encoded). */
async function legacySignIn(username, password) {
  const res = await send({
    method: 'POST',
    path: '/login',
    headers: [['content-type', 'application/x-www-form-urlencoded']],
    body: new URLSearchParams({ username, password }).toString(),
  });
  const jar = new CookieJar();
  jar.store(res.headers['set-cookie']);
  const value = jar.get('connect.sid');
  if (res.status !== 303 || res.headers.location !== '/?notice=legacy-signed-in' || !value) {
    throw new Error(`legacy sign-in as ${username} failed: ${res.status} ${res.headers.location}`);
  }
  return value;
}

/**
 * "Sign in with the new provider" as a browser does it: /auth/login, the provider's login screen (any password),
 * its consent screen, back to /auth/callback, which stores the access token in the `provider_at` cookie.
 */
async function providerSignIn(account) {
  const jar = new CookieJar();
  let request = { path: '/auth/login' };
  let res;
  for (let hop = 0; hop < 20; hop++) {
    res = await browse(jar, request);
    if (res.status >= 300 && res.status < 400) {
      request = { path: localPath(res.headers.location) };
      continue;
    }
    if (res.status !== 200 || !request.path.startsWith('/oidc/interaction/')) break;
    const action = /<form[^>]*action="([^"]+)"/.exec(res.body)?.[1]?.replaceAll('&amp;', '&');
    const prompt = /name="prompt" value="([a-z]+)"/.exec(res.body)?.[1];
    if (!action || !prompt) throw new Error(`no form on the provider's ${request.path}`);
    const form = prompt === 'login' ? { prompt, login: account, password: 'soak-any-password' } : { prompt };
    request = {
      method: 'POST',
      path: localPath(action),
      headers: [['content-type', 'application/x-www-form-urlencoded']],
      body: new URLSearchParams(form).toString(),
    };
  }
  const token = jar.get('provider_at');
  if (res?.status !== 200 || request.path !== '/?notice=provider-signed-in' || !token) {
    throw new Error(`provider sign-in as ${account} ended at ${request.path} with ${res?.status}`);
  }
  return token;
}

console.log(`Example app on 127.0.0.1:${server.port} (pid ${child.pid}); signing in ...`);
const legacy = {};
for (const [name, userId] of [
  ['alice', 'u_1001'],
  ['bob', 'u_1002'],
  ['dave', 'u_1004'],
]) {
  legacy[name] = { userId, value: await legacySignIn(name, name) };
  legacy[name].cookie = `connect.sid=${legacy[name].value}`;
}
const provider = {};
for (const [name, userId] of [
  ['alice', 'u_1001'],
  ['bob', 'u_1002'],
  ['carol', 'u_1003'],
]) {
  provider[name] = { userId, token: await providerSignIn(name) };
}
// A legacy session that was signed out: its cookie is validly signed, its session is gone.
const signedOut = `connect.sid=${await legacySignIn('bob', 'bob')}`;
{
  const res = await send({ method: 'POST', path: '/logout', headers: [['cookie', signedOut]] });
  if (res.status !== 303) throw new Error(`legacy sign-out answered ${res.status}`);
}
{
  const res = await send({
    method: 'POST',
    path: '/login',
    headers: [['content-type', 'application/x-www-form-urlencoded']],
    body: 'username=alice&password=wrong',
  });
  if (res.headers['set-cookie']?.some((c) => c.startsWith('connect.sid='))) {
    throw new Error('a wrong password got a session cookie');
  }
}
// The public key, for an HS256 token keyed with it (algorithm confusion). Counted apart from the bridge's fetches.
const jwksResponse = await send({ path: '/oidc/jwks' });
const CLIENT_JWKS_FETCHES = 1;
const providerJwk = JSON.parse(jwksResponse.body).keys[0];
const publicPem = createPublicKey({ key: providerJwk, format: 'jwk' }).export({
  type: 'spki',
  format: 'pem',
});

// --- Hostile tokens ----------------------------------------------------------------------------------------

const sample = provider.alice.token;
const [sampleHeader, samplePayload] = sample.split('.').map((part, i) => (i < 2 ? fromB64u(part) : part));
let tokenExp = Math.min(...Object.values(provider).map((p) => fromB64u(p.token.split('.')[1]).exp));
const { privateKey: foreignKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rs256 = (header, payload, key = foreignKey) => {
  const input = `${b64u(header)}.${b64u(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
};
/** Correct claims, signed by a key the provider never published, with kids it does not have (JWKS refetch). */
const unknownKid = Array.from({ length: 32 }, (_, i) =>
  rs256({ ...sampleHeader, kid: `soak-unknown-${i}` }, { ...samplePayload, jti: `soak-${i}` }),
);
/** Correct claims and the provider's real kid, signed by another key. */
const wrongKey = rs256(sampleHeader, samplePayload);
const algNone = `${b64u({ alg: 'none', typ: 'at+jwt' })}.${b64u(samplePayload)}.`;
const algNoneKid = `${b64u({ ...sampleHeader, alg: 'none' })}.${b64u(samplePayload)}.`;
const hs256 = (() => {
  const input = `${b64u({ ...sampleHeader, alg: 'HS256' })}.${b64u(samplePayload)}`;
  return `${input}.${createHmac('sha256', publicPem).update(input).digest('base64url')}`;
})();
const B64U = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const randomB64u = (length) => Array.from({ length }, () => choose(B64U)).join('');
/** Printable ASCII and Latin-1 0x80-0xff: the bytes a header value may carry besides tab. */
const randomBytes = (length) =>
  Array.from({ length }, () => {
    const code = int(0, 95 + 127);
    return String.fromCharCode(code < 95 ? 0x20 + code : 0x80 + (code - 95));
  }).join('');

/** Changes one character of `text`, never its last one (whose low bits may not count in base64). */
function flip(text) {
  const at = int(0, Math.max(0, text.length - 2));
  let now = choose(B64U);
  while (now === text[at]) now = choose(B64U);
  return `${text.slice(0, at)}${now}${text.slice(at + 1)}`;
}
/** `flip` inside one segment of a compact JWS. */
function flipChar(token, segment) {
  const parts = token.split('.');
  parts[segment] = flip(parts[segment]);
  return parts.join('.');
}

/** Tokens that are a real one spelled differently, or changed: each must be refused. */
const respelled = [
  (t) => flipChar(t, 2), // signature
  (t) => flipChar(t, 1), // payload
  (t) => flipChar(t, 0), // header
  (t) => {
    const [h, p, s] = t.split('.');
    const sub = fromB64u(p).sub === 'carol' ? 'alice' : 'carol';
    return `${h}.${b64u({ ...fromB64u(p), sub })}.${s}`; // another subject
  },
  (t) => {
    const [h, p, s] = t.split('.');
    return `${h}.${b64u({ ...fromB64u(p), exp: fromB64u(p).exp + 86400 })}.${s}`; // a longer life
  },
  (t) => {
    const [h, p, s] = t.split('.');
    return `${h}.${Buffer.from(JSON.stringify(fromB64u(p), null, 1)).toString('base64url')}.${s}`; // re-serialised
  },
  (t) => `${t}==`, // padding
  (t) => t.replace(/\.([^.]+)$/, (_, s) => `.${Buffer.from(s, 'base64url').toString('base64')}`), // base64, not url
  (t) => t.replaceAll('.', '..'),
  (t) => `${t}.${t.split('.')[2]}`, // four segments
  (t) => t.split('.').slice(0, 2).join('.'), // no signature
  (t) => `${t.split('.').slice(0, 2).join('.')}.`, // empty signature
  (t) => t.slice(0, int(1, t.length - 1)), // truncated
  (t) => t.slice(int(1, t.length - 1)), // head cut off
  (t) => t.toUpperCase(),
  (t) => `"${t}"`,
  (t) => encodeURIComponent(`${t} `),
  (t) => {
    const [h, p, s] = t.split('.');
    return `${h}.${b64u({ ...fromB64u(p), iss: `${ISSUER}/` })}.${s}`; // a look-alike issuer
  },
];
function respell(token) {
  for (;;) {
    const changed = choose(respelled)(token);
    if (changed !== token) return changed;
  }
}
const garbageTokens = [
  () => randomB64u(int(1, 400)),
  () => `${randomB64u(int(1, 60))}.${randomB64u(int(1, 300))}.${randomB64u(int(0, 342))}`,
  () => `${b64u(sampleHeader)}.${randomB64u(int(1, 400))}.${randomB64u(342)}`,
  () => `${b64u({ alg: 'RS256', kid: randomB64u(8) })}.${b64u(randomBytes(int(0, 50)))}.${randomB64u(342)}`,
  () => `${b64u('{"alg":')}.${b64u('[')}.x`,
  () => `${b64u({ ...sampleHeader, crit: ['b64'], b64: false })}.${b64u(samplePayload)}.${randomB64u(342)}`,
  () => randomBytes(int(1, 200)).replace(/[\s,;"\\]/g, 'x'),
  () =>
    choose([
      'null',
      'undefined',
      '[object Object]',
      '{}',
      '..',
      '.',
      'e30.e30.',
      'a.b.c',
      '%00',
      '__proto__',
    ]),
];
const garbage = () => choose(garbageTokens)();
/** A JWT-shaped token just over, or far over, the bridge's 16 KiB limit (but under the server's header limit). */
function oversized() {
  const length = TOKEN_LIMIT + 1 + (random() < 0.3 ? 0 : int(0, 24 * 1024));
  const head = `${b64u(sampleHeader)}.`;
  const tail = `.${randomB64u(342)}`;
  const payload = b64u({ ...samplePayload, pad: 'x'.repeat(Math.ceil(length * 0.75)) });
  return `${head}${payload.slice(0, length - head.length - tail.length)}${tail}`;
}

// --- Legacy cookies that must not sign anyone in -----------------------------------------------------------

/** `s:<sid>.<signature>` as express-session signs it (cookie-signature: HMAC-SHA256, base64 without padding). */
const signed = (value) => {
  const text = decodeURIComponent(value).slice(2);
  const dot = text.lastIndexOf('.');
  return { sid: text.slice(0, dot), signature: text.slice(dot + 1) };
};
const sessionId = (value) => signed(value).sid;
const connectSid = (text) => `connect.sid=${encodeURIComponent(text)}`;
const signCookie = (sid, secret) =>
  connectSid(`s:${sid}.${createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '')}`);
const badLegacyCookies = [
  (l) => connectSid(`s:${signed(l.value).sid}.${flip(signed(l.value).signature)}`),
  (l) => connectSid(`s:${flip(signed(l.value).sid)}.${signed(l.value).signature}`),
  (l) => signCookie(sessionId(l.value), 'another-secret'),
  (l) => `connect.sid=${encodeURIComponent(sessionId(l.value))}`, // unsigned
  (l) => `connect.sid=${encodeURIComponent(`s:${sessionId(l.value)}`)}`, // no signature
  (l) => `connect.sid=${encodeURIComponent(`s:${sessionId(l.value)}.`)}`,
  (l) => signCookie(`${sessionId(l.value)}x`, LEGACY_SECRET), // the right secret, a near-miss session id
  () => signCookie(randomB64u(32), LEGACY_SECRET), // the right secret, a session that does not exist
  () => 'connect.sid=s%3A',
  () => `connect.sid=s%3A${randomB64u(int(1, 80))}.${randomB64u(43)}`,
  () => `connect.sid=${encodeURIComponent(randomBytes(int(1, 100)))}`,
];
const badLegacy = () => choose(badLegacyCookies)(choose(Object.values(legacy)));

function junkCookies(bytes) {
  const parts = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const part = `c${i}_${randomB64u(int(1, 8))}=${randomB64u(int(0, 120))}`;
    parts.push(part);
    size += part.length + 2;
  }
  return parts;
}
/** A Cookie header of 8 to 14 KiB plus `extra` somewhere inside: under Node's default 16 KiB header limit. */
function longCookieHeader(extra) {
  const parts = junkCookies(int(8 * 1024, 14 * 1024));
  if (extra) parts.splice(int(0, parts.length), 0, extra);
  return parts.join('; ');
}

// --- The traffic mix -----------------------------------------------------------------------------------------

const legacyUsers = () => choose(Object.values(legacy));
const providerUsers = () => choose(Object.values(provider));
const bearerScheme = () => choose(['Bearer', 'Bearer', 'Bearer', 'bearer', 'BEARER']);
const auth = (value) => ['authorization', value];
const cookie = (value) => ['cookie', value];
const me = (...headers) => ({ path: '/api/me', headers });
const admin = (format, ...headers) => ({
  path: format === 'prometheus' ? '/admin/migration?format=prometheus' : '/admin/migration',
  headers: [['accept', format === 'html' ? 'text/html' : 'application/json'], ...headers],
});
const user = (status, userId, kind) => ({ status, userId, kind });
const refused = (status) => ({ status });

/**
 * The request kinds. `build()` returns [request, expectation]. Expectations are what the README and SECURITY.md
 * promise: a valid credential is that user (200); nothing usable is 401; an invalid token is 401
 * `invalid_token`; a malformed or ambiguous request (a malformed Bearer header, two Authorization headers, a
 * legacy session and a provider token of different users) is 400. A Bearer header is final: a bad one is refused
 * even next to a valid legacy cookie, while a bad provider *cookie* gives way to a valid legacy session.
 */
const scenarios = [];
function scenario(name, kind, weight, build) {
  scenarios.push({ name, kind, weight, build, count: 0, mismatches: 0, statuses: {} });
}

scenario('legacy cookie', 'valid', 10, () => {
  const u = legacyUsers();
  return [me(cookie(u.cookie)), user(200, u.userId, 'legacy')];
});
scenario('provider cookie provider_at', 'valid', 8, () => {
  const u = providerUsers();
  return [me(cookie(`provider_at=${u.token}`)), user(200, u.userId, 'provider')];
});
scenario('provider Bearer', 'valid', 10, () => {
  const u = providerUsers();
  return [me(auth(`${bearerScheme()} ${u.token}`)), user(200, u.userId, 'provider')];
});
scenario('legacy + same user Bearer', 'valid', 2, () => [
  me(cookie(legacy.alice.cookie), auth(`Bearer ${provider.alice.token}`)),
  user(200, 'u_1001', 'provider'),
]);
scenario('legacy + stale provider cookie', 'valid', 3, () => {
  const u = legacyUsers();
  const stale = choose([garbage, () => respell(providerUsers().token), () => choose(unknownKid)])();
  return [me(cookie(`${u.cookie}; provider_at=${encodeURIComponent(stale)}`)), user(200, u.userId, 'legacy')];
});
scenario('legacy + Basic header', 'valid', 1, () => [
  me(cookie(legacy.dave.cookie), auth('Basic ZGF2ZTpkYXZl')),
  user(200, 'u_1004', 'legacy'),
]);
scenario('long cookie header with legacy cookie', 'valid', 1, () => {
  const u = legacyUsers();
  return [me(cookie(longCookieHeader(u.cookie))), user(200, u.userId, 'legacy')];
});
scenario('long cookie header with provider_at', 'valid', 1, () => {
  const u = providerUsers();
  return [me(cookie(longCookieHeader(`provider_at=${u.token}`))), user(200, u.userId, 'provider')];
});

scenario('no credentials', 'anonymous', 5, () => [me(), refused(401)]);
scenario('unrelated cookies', 'anonymous', 1, () => [me(cookie('theme=dark; lang=en')), refused(401)]);
scenario('another scheme', 'anonymous', 1, () => [
  me(auth(choose(['Basic YWxpY2U6YWxpY2U=', 'Bearerx abc', 'Digest username="alice"', 'Token x']))),
  refused(401),
]);
scenario('signed-out legacy session', 'anonymous', 1, () => [me(cookie(signedOut)), refused(401)]);
scenario('long cookie header, nothing usable', 'anonymous', 1, () => [
  me(cookie(longCookieHeader())),
  refused(401),
]);

scenario('garbage Bearer', 'hostile', 4, () => [me(auth(`Bearer ${garbage()}`)), refused(401)]);
scenario('garbage provider_at', 'hostile', 2, () => [
  me(cookie(`provider_at=${encodeURIComponent(garbage())}`)),
  refused(401),
]);
scenario('re-spelled Bearer', 'hostile', 5, () => [
  me(auth(`Bearer ${respell(providerUsers().token)}`)),
  refused(401),
]);
scenario('re-spelled provider_at', 'hostile', 2, () => [
  me(cookie(`provider_at=${encodeURIComponent(respell(providerUsers().token))}`)),
  refused(401),
]);
scenario('unknown kid', 'hostile', 3, () => [me(auth(`Bearer ${choose(unknownKid)}`)), refused(401)]);
scenario('real kid, foreign key', 'hostile', 1, () => [me(auth(`Bearer ${wrongKey}`)), refused(401)]);
scenario('alg none', 'hostile', 2, () => [me(auth(`Bearer ${choose([algNone, algNoneKid])}`)), refused(401)]);
scenario('HS256 keyed with the public key', 'hostile', 1, () => [me(auth(`Bearer ${hs256}`)), refused(401)]);
scenario('oversized Bearer (> 16 KiB)', 'hostile', 1, () => [
  me(auth(`Bearer ${oversized()}`)),
  refused(401),
]);
scenario('oversized provider_at (> 16 KiB)', 'hostile', 1, () => [
  me(cookie(`provider_at=${oversized()}`)),
  refused(401),
]);
scenario('bad legacy cookie signature', 'hostile', 4, () => [me(cookie(badLegacy())), refused(401)]);
scenario('random bytes in cookies', 'hostile', 2, () => {
  const header = choose([
    () => randomBytes(int(1, 4096)),
    () => `connect.sid=${randomBytes(int(1, 200))}; provider_at=${randomBytes(int(1, 200))}`,
    () => `connect.sid=%E0%A4%A${randomB64u(10)}; provider_at=%${randomB64u(2)}%`,
  ])();
  return [me(cookie(header)), refused(401)];
});
scenario('duplicate Authorization', 'hostile', 3, () => {
  const first = providerUsers().token;
  const second = choose([() => first, () => providerUsers().token, garbage])();
  const name = choose(['authorization', 'Authorization', 'AUTHORIZATION']);
  const headers = [auth(`Bearer ${first}`), [name, `Bearer ${second}`]];
  if (random() < 0.3) headers.push(cookie(legacyUsers().cookie));
  return [me(...headers), refused(400)];
});
scenario('malformed Bearer', 'hostile', 3, () => {
  const value = choose([
    'Bearer,x',
    'Bearer',
    'Bearer=abc',
    'Bearer.abc',
    `Bearer,${provider.alice.token}`,
    `Bearer:${provider.alice.token}`,
  ]);
  return [me(auth(value), ...(random() < 0.5 ? [cookie(legacy.alice.cookie)] : [])), refused(400)];
});
scenario('invalid Bearer + valid legacy cookie', 'hostile', 2, () => {
  const token = choose([garbage, () => respell(provider.bob.token)])();
  return [me(auth(`Bearer ${token}`), cookie(legacyUsers().cookie)), refused(401)];
});
scenario('conflict: provider alice + legacy bob', 'hostile', 1, () => {
  // Two Cookie headers: Node joins them with "; " as one.
  const bearer = random() < 0.5 ? [auth(`Bearer ${provider.alice.token}`)] : [];
  return [
    me(cookie(legacy.bob.cookie), ...bearer, cookie(`provider_at=${provider.alice.token}`)),
    refused(400),
  ];
});

// The stats endpoint: alice is the admin.
scenario('stats as alice (legacy)', 'admin', 2, () => [
  admin(choose(['json', 'json', 'prometheus', 'html']), cookie(legacy.alice.cookie)),
  { status: 200, report: true },
]);
scenario('stats as alice (Bearer)', 'admin', 1, () => [
  admin('json', auth(`Bearer ${provider.alice.token}`)),
  { status: 200, report: true },
]);
scenario('stats as bob', 'admin', 1, () => [admin('json', cookie(legacy.bob.cookie)), refused(403)]);
scenario('stats, anonymous', 'admin', 1, () => [admin('json'), refused(401)]);
scenario('stats, hostile Bearer', 'admin', 1, () => {
  const token = choose([garbage, () => respell(provider.alice.token), () => algNone])();
  return [admin('json', auth(`Bearer ${token}`)), refused(401)];
});

const totalWeight = scenarios.reduce((sum, s) => sum + s.weight, 0);
function pickScenario() {
  let r = random() * totalWeight;
  for (const s of scenarios) {
    r -= s.weight;
    if (r < 0) return s;
  }
  return scenarios[scenarios.length - 1];
}

/** Why an answer is wrong, or undefined when it is the one the request must get. */
function check(expected, res) {
  if (res.status !== expected.status) return `expected ${expected.status}, got ${res.status}`;
  if (res.status === 400 || res.status === 401) {
    // RFC 6750: every refusal of /api carries a Bearer challenge.
    if (!/^Bearer\b/.test(res.headers['www-authenticate'] ?? ''))
      return 'no Bearer WWW-Authenticate challenge';
  }
  if (expected.userId) {
    let body;
    try {
      body = JSON.parse(res.body);
    } catch {
      return 'a 200 without a JSON body';
    }
    if (body.userId !== expected.userId || body.kind !== expected.kind) {
      return `expected ${expected.userId} (${expected.kind}), got ${body.userId} (${body.kind})`;
    }
  }
  if (expected.report) {
    const type = res.headers['content-type'] ?? '';
    if (!/^(application\/json|text\/plain|text\/html)/.test(type)) return `a report as ${type}`;
    if (type.startsWith('application/json') && !/"totals":/.test(res.body))
      return 'a JSON report without totals';
  }
  return undefined;
}

// --- The run -------------------------------------------------------------------------------------------------

const failures = [];
const totals = { requests: 0, mismatches: 0, errors: 0, serverErrors: 0, statuses: {} };
const samples = [];
let inFlight = 0;
let gate;
let pausedMs = 0;

async function pause() {
  let release;
  gate = new Promise((resolve) => {
    release = resolve;
  });
  const since = Date.now();
  while (inFlight > 0) await sleep(10);
  return () => {
    pausedMs += Date.now() - since;
    gate = undefined;
    release();
  };
}

/** The server's memory after a full GC with no request in flight and the stats recorder flushed (1 s timer). */
async function quietMemory() {
  const resume = await pause();
  await sleep(2000);
  const state = await serverState(true);
  resume();
  return state;
}

function note(scenario, status) {
  scenario.statuses[status] = (scenario.statuses[status] ?? 0) + 1;
  totals.statuses[status] = (totals.statuses[status] ?? 0) + 1;
}

function mismatch(scenario, request, reason, res) {
  scenario.mismatches++;
  totals.mismatches++;
  if (samples.length < 20) {
    const headers = request.headers.map(
      ([n, v]) => `${n}: ${v.length > 120 ? `${v.slice(0, 120)}... (${v.length})` : v}`,
    );
    samples.push(
      `${scenario.name}: ${reason}\n    ${request.path} ${headers.join(' | ')}\n    -> ${res?.body?.slice(0, 300) ?? ''}`,
    );
  }
}

let deadline;
async function worker() {
  while (Date.now() < deadline && totals.requests < MAX_REQUESTS) {
    if (gate) {
      await gate;
      continue;
    }
    const scenario = pickScenario();
    const [request, expected] = scenario.build();
    scenario.count++;
    totals.requests++;
    inFlight++;
    try {
      const res = await send(request);
      note(scenario, res.status);
      if (res.status >= 500) totals.serverErrors++;
      const reason = check(expected, res);
      if (reason) mismatch(scenario, request, reason, res);
    } catch (err) {
      totals.errors++;
      note(scenario, 'error');
      mismatch(scenario, request, `transport error: ${err.message}`, undefined);
    } finally {
      inFlight--;
    }
  }
}

const statusLine = (statuses) =>
  Object.entries(statuses)
    .sort(([a], [b]) => String(a).localeCompare(String(b)))
    .map(([status, n]) => `${status}: ${n}`)
    .join(', ');

const runStart = Date.now();
deadline = runStart + RUN_MS;
console.log(
  `Soak: ${(RUN_MS / 1000).toFixed(0)} s, ${CONCURRENCY} in flight, seed ${args.seed}; ` +
    `legacy users ${Object.keys(legacy).join(', ')}; provider users ${Object.keys(provider).join(', ')}; ` +
    `${scenarios.length} request kinds; warm-up ${(WARMUP_MS / 1000).toFixed(0)} s`,
);
let lastProgress = { at: Date.now(), requests: totals.requests };
const progress = setInterval(async () => {
  const now = Date.now();
  const state = await serverState(true).catch(() => undefined);
  const rate = (totals.requests - lastProgress.requests) / ((now - lastProgress.at) / 1000);
  lastProgress = { at: now, requests: totals.requests };
  console.log(
    `[${String(Math.round((now - runStart) / 1000)).padStart(4)} s] ${totals.requests} requests ` +
      `(${rate.toFixed(0)}/s); ${statusLine(totals.statuses)}; mismatches ${totals.mismatches}; ` +
      `JWKS fetches ${(state?.seen.jwks ?? CLIENT_JWKS_FETCHES) - CLIENT_JWKS_FETCHES}; ` +
      `server heap ${state ? MB(state.memory.heapUsed) : '?'}, rss ${state ? MB(state.memory.rss) : '?'}`,
  );
}, PROGRESS_MS);
const workers = Array.from({ length: CONCURRENCY }, () => worker());

await sleep(WARMUP_MS);
const baseline = await quietMemory();
const baselineAt = Date.now();
const baselineRequests = totals.requests;
console.log(
  `after warm-up: ${totals.requests} requests; server heap ${MB(baseline.memory.heapUsed)}, ` +
    `rss ${MB(baseline.memory.rss)}`,
);

// Provider tokens live an hour: sign in again before they expire on a long run.
const refresh = setInterval(async () => {
  if (tokenExp * 1000 - Date.now() > 5 * 60_000) return;
  tokenExp = Infinity; // one refresh at a time
  try {
    for (const [name, u] of Object.entries(provider)) u.token = await providerSignIn(name);
    tokenExp = Math.min(...Object.values(provider).map((p) => fromB64u(p.token.split('.')[1]).exp));
    console.log('provider tokens renewed through the sign-in flow');
  } catch (err) {
    failures.push(`renewing the provider tokens failed: ${err.message}`);
    deadline = 0;
  }
}, PROGRESS_MS);

await Promise.all(workers);
clearInterval(progress);
clearInterval(refresh);
const trafficEnd = Date.now();
const final = await quietMemory();

const seconds = (trafficEnd - runStart - pausedMs) / 1000;
const growth = final.memory.heapUsed - baseline.memory.heapUsed;
const growthLimit = Math.min(HEAP_GROWTH_LIMIT.bytes, HEAP_GROWTH_LIMIT.ratio * baseline.memory.heapUsed);
const afterBaseline = totals.requests - baselineRequests;
const bridgeJwks = final.seen.jwks - CLIENT_JWKS_FETCHES;
const jwksBound = 1 + Math.ceil((Date.now() - serverStartedAt) / JWKS_COOLDOWN_MS);
const byKind = {};
for (const s of scenarios) {
  byKind[s.kind] ??= { requests: 0, mismatches: 0, statuses: {} };
  byKind[s.kind].requests += s.count;
  byKind[s.kind].mismatches += s.mismatches;
  for (const [status, n] of Object.entries(s.statuses)) {
    byKind[s.kind].statuses[status] = (byKind[s.kind].statuses[status] ?? 0) + n;
  }
}

if (totals.serverErrors > 0) failures.push(`${totals.serverErrors} answers were 5xx`);
if (totals.mismatches > 0) failures.push(`${totals.mismatches} answers were not the ones expected`);
if (totals.errors > 0) failures.push(`${totals.errors} requests failed in transport`);
if (growth > growthLimit) failures.push(`server heap grew by ${MB(growth)} (limit ${MB(growthLimit)})`);
if (bridgeJwks > jwksBound)
  failures.push(`${bridgeJwks} JWKS fetches, more than the cooldown allows (${jwksBound})`);
if (serverLog.lines > 0) console.log(`(the server printed ${serverLog.lines} lines)`);

console.log('\nPer request kind:');
for (const s of scenarios) {
  console.log(
    `  ${s.kind.padEnd(9)} ${s.name.padEnd(40)} ${String(s.count).padStart(7)}  ${statusLine(s.statuses)}` +
      (s.mismatches ? `  MISMATCHES ${s.mismatches}` : ''),
  );
}
if (samples.length > 0) console.log(`\nFirst mismatches:\n  ${samples.join('\n  ')}`);
console.log(`
Soak report (${seconds.toFixed(0)} s of traffic, ${CONCURRENCY} in flight, seed ${args.seed})
  requests served:   ${totals.requests} (${(totals.requests / seconds).toFixed(1)}/s)
  statuses:          ${statusLine(totals.statuses)}
  by kind:           ${Object.entries(byKind)
    .map(([kind, k]) => `${kind} ${k.requests} (${statusLine(k.statuses)})`)
    .join('; ')}
  mismatches:        ${totals.mismatches}; 5xx: ${totals.serverErrors}; transport errors: ${totals.errors}
  JWKS fetches:      ${bridgeJwks} by the bridge (at most ${jwksBound} allowed by its ${JWKS_COOLDOWN_MS / 1000} s cooldown), plus ${CLIENT_JWKS_FETCHES} by this script; discovery requests: ${final.seen.discovery}
  server requests:   ${final.seen.requests} seen by the server (including set-up and its own JWKS/discovery fetches)
  server heap used:  start ${MB(baseline.memory.heapUsed)} (after warm-up, ${baselineRequests} requests) -> end ${MB(final.memory.heapUsed)}, growth ${growth >= 0 ? '+' : ''}${MB(growth)} over ${afterBaseline} requests (${(growth / Math.max(1, afterBaseline)).toFixed(1)} bytes/request; limit ${MB(growthLimit)})
  server rss:        start ${MB(baseline.memory.rss)} -> end ${MB(final.memory.rss)}
  heap measured after a full GC with no request in flight, ${((Date.now() - baselineAt) / 60_000).toFixed(1)} min apart
${failures.length === 0 ? 'PASS' : `FAIL: ${failures.join('; ')}`}`);

closing = true;
agent.destroy();
child.send({ type: 'close' });
await withTimeout(childExit, 10_000, 'the server did not stop').catch(() => child.kill());
process.exitCode = failures.length === 0 ? 0 : 1;

// --- Helpers -------------------------------------------------------------------------------------------------

function positive(name, value) {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) {
    console.error(`${name} must be a positive number, got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return n;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout(promise, ms, message) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A small seeded PRNG (as in example-app/simulate.js), so a --seed gives the same request sequence. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
