// Credentials for the benchmark: one RS256 signing key, a pool of distinct signed tokens, and legacy
// express-session sessions (ids, signed cookies, user ids).
//
// Tokens are built as jose's SignJWT builds them (compact JWS, RS256, kid in the header) but signed with
// node:crypto directly, in worker threads: 2048-bit RSA signing costs about 1 ms, and the cold case needs tens of
// thousands of distinct tokens. The key and the pool are cached under .tmp/bench/ (gitignored) and reused while the
// tokens are valid for at least another day, so only the first run pays for signing.
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import signature from 'cookie-signature';

const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');
export const CACHE_DIR = join(ROOT, '.tmp', 'bench');

/** The issuer and audience in every token. Never contacted: every verifier is given the JWKS URL directly. */
export const ISSUER = 'https://idp.bench.example/';
export const AUDIENCE = 'https://api.bench.example';
export const SESSION_SECRET = 'bench-legacy-session-secret';
export const COOKIE_NAME = 'connect.sid';
/** Distinct users: legacy sessions cycle through this many, and the tokens the load generator sends by default. */
export const USERS = 1000;
/** Distinct provider subjects in the token pool: token i belongs to `user-(i mod TOKEN_USERS)`. */
export const TOKEN_USERS = 10_000;
/** The subject of pool token i. */
export const subjectOf = (index) => `user-${index % TOKEN_USERS}`;
/** Bumped when the claims of the pool change, so an older cached pool is signed again. */
const POOL_VERSION = 2;

const DAY_S = 86_400;
const b64url = (value) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** The compact JWS for `claims`, exactly as jose's SignJWT would produce it with `{ alg, kid, typ }`. */
function signToken(privateKey, kid, claims) {
  const input = `${b64url({ alg: 'RS256', kid, typ: 'JWT' })}.${b64url(claims)}`;
  return `${input}.${sign('RSA-SHA256', Buffer.from(input), privateKey).toString('base64url')}`;
}

function claimsAt(index, iat, exp) {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: subjectOf(index),
    iat,
    exp,
    jti: `jti-${index}`,
  };
}

if (!isMainThread && workerData?.task === 'sign') {
  const { pem, kid, from, to, iat, exp } = workerData;
  const key = createPrivateKey(pem);
  const tokens = [];
  for (let i = from; i < to; i++) tokens.push(signToken(key, kid, claimsAt(i, iat, exp)));
  parentPort.postMessage(tokens);
}

/** Tokens `first` to `end - 1`, signed in worker threads (one per core, at most 4). */
async function signRange(pem, kid, first, end, iat, exp) {
  const workers = Math.max(1, Math.min(availableParallelism(), 4));
  const per = Math.ceil((end - first) / workers);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const from = first + w * per;
      const to = Math.min(end, from + per);
      if (from >= to) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        const worker = new Worker(fileURLToPath(import.meta.url), {
          workerData: { task: 'sign', pem, kid, from, to, iat, exp },
        });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  return parts.flat();
}

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    kid: `bench-${randomBytes(4).toString('hex')}`,
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }),
  };
}

/**
 * The signing key and `count` distinct tokens (token i: subject `subjectOf(i)`, jti `jti-i`).
 * With `cache` (the default) both come from .tmp/bench/ when the cached pool is large enough and valid for at least
 * another day; otherwise they are made (and cached) now.
 */
export async function tokenPool({ count, cache = true, log = () => {} }) {
  const metaPath = join(CACHE_DIR, 'token-pool.json');
  const tokensPath = join(CACHE_DIR, 'token-pool.txt');
  const now = Math.floor(Date.now() / 1000);
  let key;
  let exp;
  let tokens = [];
  if (cache && existsSync(metaPath) && existsSync(tokensPath)) {
    try {
      const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
      if (
        meta.version === POOL_VERSION &&
        meta.exp - now > DAY_S &&
        meta.issuer === ISSUER &&
        meta.audience === AUDIENCE
      ) {
        const cached = readFileSync(tokensPath, 'utf8').split('\n');
        if (cached.length === meta.count) {
          if (meta.count >= count) return { key: meta.key, tokens: cached.slice(0, count), cached: true };
          // Too few: sign only the missing ones with the same key.
          ({ key, exp } = meta);
          tokens = cached;
        }
      }
    } catch {
      // A damaged cache is made again.
    }
  }
  if (!key) {
    key = newKey();
    exp = now + 7 * DAY_S;
  }
  const started = Date.now();
  const missing = count - tokens.length;
  log(`signing ${missing} RS256 tokens (cached in .tmp/bench/ for later runs)...`);
  tokens = tokens.concat(await signRange(key.pem, key.kid, tokens.length, count, now, exp));
  log(`signed ${missing} tokens in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (cache) {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(`${tokensPath}.part`, tokens.join('\n'));
    renameSync(`${tokensPath}.part`, tokensPath);
    writeFileSync(
      metaPath,
      JSON.stringify({ version: POOL_VERSION, key, count, exp, issuer: ISSUER, audience: AUDIENCE }),
    );
  }
  return { key, tokens, cached: false };
}

/** The JWKS document publishing `key`. */
export function jwksOf(key) {
  const jwk = createPublicKey(key.pem).export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: key.kid, alg: 'RS256', use: 'sig' }] };
}

/**
 * `USERS` legacy sessions: random 32-character ids as express-session makes them (uid-safe, 24 bytes), the
 * user each belongs to, and the `Cookie` header a browser sends back (the signed `s:` value, URL-encoded, plus
 * an unrelated cookie, as browsers usually send several).
 */
export function legacySessions(count = USERS) {
  return Array.from({ length: count }, (_, i) => {
    const sid = randomBytes(24).toString('base64url');
    return {
      sid,
      userId: `user-${i}`,
      cookie: `${COOKIE_NAME}=${encodeURIComponent(`s:${signature.sign(sid, SESSION_SECRET)}`)}; lang=en`,
    };
  });
}

/** A cookie with a valid signature for a session id that no store knows, and one with a broken signature. */
export function invalidLegacyCookies() {
  const unknownSid = randomBytes(24).toString('base64url');
  const signed = signature.sign(randomBytes(24).toString('base64url'), SESSION_SECRET);
  const broken = `${signed.slice(0, -2)}${signed.endsWith('AA') ? 'BB' : 'AA'}`;
  return {
    unknownSession: `${COOKIE_NAME}=${encodeURIComponent(`s:${signature.sign(unknownSid, SESSION_SECRET)}`)}; lang=en`,
    badSignature: `${COOKIE_NAME}=${encodeURIComponent(`s:${broken}`)}; lang=en`,
  };
}

/**
 * Everything a benchmark run needs: the signing key and its JWKS, `tokenCount` distinct tokens, the legacy sessions,
 * `client` (what the load generator and the correctness test send: the first `USERS` tokens, the sessions with their
 * cookies, invalid cookies) and `sessions` (what the servers seed their stores with: ids and users only).
 */
export async function createFixture({ tokenCount = USERS, cache = true, log } = {}) {
  const pool = await tokenPool({ count: tokenCount, cache, log });
  const sessions = legacySessions();
  return {
    pool,
    jwks: jwksOf(pool.key),
    client: { tokens: pool.tokens.slice(0, USERS), sessions, invalidCookies: invalidLegacyCookies() },
    sessions: sessions.map(({ sid, userId }) => ({ sid, userId })),
  };
}

/** The session record express-session writes for a logged-in user (what `store.set(sid, session)` receives). */
export function sessionRecord(userId, now = Date.now()) {
  const maxAge = DAY_S * 1000;
  return {
    cookie: {
      originalMaxAge: maxAge,
      expires: new Date(now + maxAge).toISOString(),
      secure: false,
      httpOnly: true,
      path: '/',
    },
    userId,
  };
}
