/**
 * A migration in fast-forward: a synthetic population moves from the legacy login to the new provider,
 * days compressed into seconds, with a known ground truth to hold the dashboard's numbers against.
 *
 *   npm run simulate                                   # 200 (+10 new) users, 30 days, 2 simulated days per second
 *   npm run simulate -- --users 1000 --days 60 --speed 0 --once
 *   npm run simulate -- --silent --speed 0 --once             # then the same population with silent migration
 *
 * Real requests go through a real bridge: legacy sessions in an express-session MemoryStore behind
 * signed `connect.sid` cookies, provider JWTs signed with jose and verified against a JWKS served over
 * local HTTP. Only the clock is simulated (the bridge's `now` option).
 *
 * Scenario (every user signs in every day, 1 to 3 requests):
 * - all `--users` start on the legacy login on day 0;
 * - each switches to the provider on a day drawn from a decay curve (half of those still on the legacy
 *   login switch every `--half-life` days); the switch day carries both credentials, later days only the
 *   provider token; `--stay` of them never switch;
 * - `--new` of that many again sign up at the provider during the run and never had a legacy account.
 *
 * With `--silent`, a second run replays the same population through a second bridge whose `upgrade` option is on
 * from day `--silent-from`: each legacy user is moved by `POST /auth/upgrade` at their first visit from then on
 * (an RFC 7523 token endpoint here verifies the bridge's assertion through `upgradeKeys()` over HTTP), and the
 * legacy-only tail and the projected cutover date are printed with and without it.
 *
 * The line printed per day is read from the bridge's own report (its daily series), so it counts exactly what
 * the dashboard's chart shows: distinct users seen with each login that day, a user on their switch day in both.
 */
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import signature from 'cookie-signature';
import express from 'express';
import session from 'express-session';
import { jwtBearerGrant, sessionBridge } from 'express-session-bridge';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '200' },
    days: { type: 'string', default: '30' },
    speed: { type: 'string', default: '2' }, // simulated days per second; 0 = as fast as possible
    'half-life': { type: 'string', default: '5' },
    stay: { type: 'string', default: '0.05' },
    new: { type: 'string', default: '0.05' },
    seed: { type: 'string', default: '1' },
    port: { type: 'string', default: process.env.PORT ?? '3001' },
    once: { type: 'boolean', default: false }, // print the comparison and exit (non-zero on a mismatch)
    silent: { type: 'boolean', default: false }, // a second run with silent migration on
    'silent-from': { type: 'string', default: '3' }, // the simulated day silent migration is switched on
  },
});
const USERS = Number(args.users);
const DAYS = Number(args.days);
const SPEED = Number(args.speed);
const HALF_LIFE = Number(args['half-life']);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Math.floor(Date.now() / DAY) * DAY - DAYS * DAY; // day 0 .. yesterday (UTC)
const SECRET = 'legacy-demo-secret';

// --- The population and its ground truth -----------------------------------------------------------

const random = mulberry32(Number(args.seed));
/** @type {{ id: string, legacy: boolean, from: number, switchDay: number, slot: number, perDay: number }[]} */
const population = [];
for (let i = 0; i < USERS; i++) {
  const stays = random() < Number(args.stay);
  // Exponential decay: P(still legacy after d days) = 0.5 ** (d / HALF_LIFE); switching starts on day 1.
  const switchDay = stays ? Infinity : 1 + Math.floor((-Math.log(1 - random()) * HALF_LIFE) / Math.LN2);
  population.push({ id: userId(i), legacy: true, from: 0, switchDay, slot: i % 12, perDay: 1 + (i % 3) });
}
const NEWCOMERS = Math.round(USERS * Number(args.new));
for (let i = 0; i < NEWCOMERS; i++) {
  const joinDay = 1 + Math.floor(random() * (DAYS - 1));
  population.push({
    id: userId(USERS + i),
    legacy: false,
    from: joinDay,
    switchDay: joinDay,
    slot: i % 12,
    perDay: 1,
  });
}

/** What the report must say for a window of the last `windowDays` days. */
function groundTruth(windowDays) {
  const first = Math.max(0, DAYS - windowDays); // first simulated day inside the window
  const users = { legacy: 0, provider: 0, migrated: 0, legacyOnly: 0 };
  const requests = { legacy: 0, provider: 0 };
  for (const u of population) {
    const lastLegacy = u.legacy ? Math.min(u.switchDay, DAYS - 1) : undefined; // the switch day carries both
    const firstProvider = u.switchDay < DAYS ? u.switchDay : undefined;
    if (lastLegacy !== undefined && lastLegacy >= first) users.legacy++;
    if (firstProvider !== undefined) users.provider++; // active every day up to the end
    if (u.legacy && firstProvider !== undefined && firstProvider >= first) users.migrated++;
    if (lastLegacy !== undefined && lastLegacy >= first && firstProvider === undefined) users.legacyOnly++;
    for (let day = Math.max(first, u.from); day < DAYS; day++) {
      requests[day < u.switchDay ? 'legacy' : 'provider'] += u.perDay;
    }
  }
  return { users, requests };
}

// --- Real components: a JWKS over HTTP, an express-session store, the bridge --------------------------

const { privateKey, publicKey } = await generateKeyPair('RS256');
const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'sim-1', alg: 'RS256', use: 'sig' }] };
const jwksServer = createServer((_req, res) =>
  res.setHeader('content-type', 'application/json').end(JSON.stringify(jwks)),
);
await new Promise((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${jwksServer.address().port}/`;
const audience = 'https://api.example.test';

const store = new session.MemoryStore();
let clock = T0;
const bridge = sessionBridge({
  legacy: { store, secret: SECRET },
  provider: {
    issuer,
    audience,
    name: 'new-idp',
    jwksUri: `${issuer}jwks.json`,
    userId: (claims) => claims.sub.replace(/^idp\|/, ''), // identity linking: idp|u_0042 -> u_0042
  },
  now: () => clock,
});

const app = express();
app.get('/api/work', bridge, bridge.requireUser(), (req, res) => res.json({ kind: req.auth.kind }));
app.get('/admin/migration', bridge.statsHandler({ public: true })); // local demo only: no authorization
app.get('/', (_req, res) => res.redirect('/admin/migration'));
const server = createServer(app);
await new Promise((resolve) => server.listen(Number(args.port), '127.0.0.1', resolve));
const base = `http://localhost:${server.address().port}`;
console.log(`Dashboard: ${base}/admin/migration  (reload it while the simulation runs)`);
console.log(
  `Simulating ${USERS} users on the old login, plus ${NEWCOMERS} who sign up at the provider during the run ` +
    `(${population.length} in all), over ${DAYS} days (${SPEED ? `${SPEED} days/s` : 'full speed'})`,
);
console.log(
  'Per day, as the dashboard counts them: distinct users seen with each login (both on a switch day)',
);

// Legacy sessions exactly as express-session stores them, and the cookie it would have set.
const legacyCookies = new Map();
for (const u of population.filter((p) => p.legacy)) {
  const sid = `sim-${u.id}`;
  await new Promise((resolve, reject) =>
    store.set(sid, { cookie: { originalMaxAge: null, expires: null, path: '/' }, userId: u.id }, (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  legacyCookies.set(u.id, `connect.sid=${encodeURIComponent(`s:${signature.sign(sid, SECRET)}`)}`);
}

const mintToken = (u, at) =>
  new SignJWT({ scope: 'api:read' })
    .setProtectedHeader({ alg: 'RS256', kid: 'sim-1', typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(`idp|${u.id}`)
    .setIssuedAt(Math.floor(at / 1000))
    .setExpirationTime(Math.floor(at / 1000) + 3600)
    .sign(privateKey);

// --- The run ------------------------------------------------------------------------------------------

let failures = 0;
const started = Date.now();
for (let day = 0; day < DAYS; day++) {
  for (let slot = 0; slot < 12; slot++) {
    clock = T0 + day * DAY + (8 + slot) * HOUR + 17 * 60_000; // office hours, one slot per hour
    const active = population.filter((u) => u.slot === slot && u.from <= day);
    await Promise.all(
      active.map(async (u) => {
        const headers = {};
        if (u.legacy && day <= u.switchDay) headers.cookie = legacyCookies.get(u.id);
        if (day >= u.switchDay) headers.authorization = `Bearer ${await mintToken(u, clock)}`;
        for (let n = 0; n < u.perDay; n++) {
          const res = await fetch(`${base}/api/work`, { headers });
          await res.arrayBuffer();
          if (res.status !== 200) failures++;
        }
      }),
    );
  }
  // The day's figures from the bridge's own report (the same definitions as the dashboard), not from counters here.
  await bridge.flushStats();
  const dayStart = new Date(T0 + day * DAY).toISOString();
  const point = (await bridge.report()).series.find((p) => p.start === dayStart);
  console.log(
    `day ${String(day + 1).padStart(3)}/${DAYS}  ${dayStart.slice(0, 10)}  legacy ${pad(point?.legacyUsers ?? '-')}  provider ${pad(point?.providerUsers ?? '-')}`,
  );
  if (SPEED > 0) await sleep(Math.max(0, started + ((day + 1) * 1000) / SPEED - Date.now()));
}
clock = T0 + DAYS * DAY - 60_000; // 23:59 on the last day: windows then hold whole simulated days

// --- What the endpoint reports, next to the ground truth ------------------------------------------

const report = await (
  await fetch(`${base}/admin/migration`, { headers: { accept: 'application/json' } })
).json();
const rows = [];
for (const [label, windowDays, reported] of [
  ['totals', DAYS, report.totals],
  ['30d', 30, report.windows['30d']],
  ['7d', 7, report.windows['7d']],
  ['1d', 1, report.windows['1d']],
]) {
  const truth = groundTruth(windowDays);
  for (const key of ['legacy', 'provider', 'migrated', 'legacyOnly']) {
    rows.push([`${label} users.${key}`, truth.users[key], reported?.users?.[key]]);
  }
  for (const key of ['legacy', 'provider']) {
    rows.push([`${label} requests.${key}`, truth.requests[key], reported?.requests?.[key]]);
  }
}
const mismatches = rows.filter(([, expected, actual]) => expected !== actual).length;
console.log(`\n${'metric'.padEnd(28)}${'expected'.padStart(9)}${'reported'.padStart(10)}`);
for (const [name, expected, actual] of rows) {
  console.log(
    `${name.padEnd(28)}${pad(expected, 9)}${pad(actual ?? '-', 10)}  ${expected === actual ? 'ok' : 'MISMATCH'}`,
  );
}
console.log(
  `\n${mismatches === 0 ? 'All figures match the ground truth.' : `${mismatches} figure(s) differ from the ground truth.`}` +
    ` Failed requests: ${failures}. Cutover: ${report.cutover?.ready ? 'ready' : 'not ready'}` +
    (report.cutover?.reason ? ` (${report.cutover.reason})` : ''),
);

if (args.silent) await silentRun(report);

if (args.once) {
  await bridge.close();
  server.close();
  jwksServer.close();
  process.exitCode = mismatches === 0 && failures === 0 ? 0 : 1;
} else {
  console.log(`\nDashboard: ${base}/admin/migration  (Ctrl+C to stop)`);
}

/**
 * The same population, days and requests through a second bridge with silent migration on from day
 * `--silent-from`: a legacy user's first visit from then on POSTs to the upgrade endpoint and continues with the
 * provider token it answers. Prints the legacy-only tail and the projected cutover with and without it.
 */
async function silentRun(without) {
  const SILENT_FROM = Number(args['silent-from']);
  // The provider's side: an RFC 7523 token endpoint trusting the bridge's upgradeKeys() (fetched over HTTP).
  let keysUrl = '';
  let trusted;
  const seen = new Set();
  const tokenServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', async () => {
      const form = new URLSearchParams(body);
      trusted ??= createRemoteJWKSet(new URL(keysUrl));
      try {
        const { payload } = await jwtVerify(form.get('assertion') ?? '', trusted, {
          issuer: 'https://app.example.test',
          audience: tokenEndpoint,
          currentDate: new Date(clock),
          requiredClaims: ['jti', 'iat', 'exp'],
        });
        if (payload.exp - payload.iat > 300 || seen.has(payload.jti)) throw new Error('replayed');
        seen.add(payload.jti);
        const token = await mintToken({ id: payload.sub }, clock);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 3600 }));
      } catch {
        res.statusCode = 400;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'The assertion is not valid.' }));
      }
    });
  });
  await new Promise((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
  const tokenEndpoint = `http://127.0.0.1:${tokenServer.address().port}/token`;
  const { privateKey: upgradeKey } = await generateKeyPair('ES256', { extractable: true });
  const silent = sessionBridge({
    legacy: { store, secret: SECRET },
    provider: {
      issuer,
      audience,
      name: 'new-idp',
      jwksUri: `${issuer}jwks.json`,
      userId: (claims) => claims.sub.replace(/^idp\|/, ''),
    },
    now: () => clock,
    upgrade: {
      signingKey: { ...(await exportJWK(upgradeKey)), kid: 'sim-upgrade', alg: 'ES256' },
      issuer: 'https://app.example.test',
      exchange: jwtBearerGrant({ tokenEndpoint, clientId: 'sim', clientSecret: 'sim-secret' }),
    },
  });
  const silentApp = express();
  silentApp.get('/keys', silent.upgradeKeys());
  silentApp.post('/auth/upgrade', silent.upgradeEndpoint());
  silentApp.get('/api/work', silent, silent.requireUser(), (req, res) => res.json({ kind: req.auth.kind }));
  const silentServer = createServer(silentApp);
  await new Promise((resolve) => silentServer.listen(0, '127.0.0.1', resolve));
  const silentBase = `http://127.0.0.1:${silentServer.address().port}`;
  keysUrl = `${silentBase}/keys`;

  console.log(`\nThe same population with silent migration on from day ${SILENT_FROM + 1}:`);
  const moved = new Set();
  let upgrades = 0;
  for (let day = 0; day < DAYS; day++) {
    for (let slot = 0; slot < 12; slot++) {
      clock = T0 + day * DAY + (8 + slot) * HOUR + 17 * 60_000;
      const active = population.filter((u) => u.slot === slot && u.from <= day);
      await Promise.all(
        active.map(async (u) => {
          if (u.legacy && day >= SILENT_FROM && day < u.switchDay && !moved.has(u.id)) {
            const res = await fetch(`${silentBase}/auth/upgrade`, {
              method: 'POST',
              headers: { cookie: legacyCookies.get(u.id) },
            });
            const answer = await res.json();
            if (answer.upgraded) {
              moved.add(u.id); // later requests carry only the provider token
              upgrades++;
            }
          }
          const headers = {};
          if (moved.has(u.id)) headers.authorization = `Bearer ${await mintToken(u, clock)}`;
          else {
            if (u.legacy && day <= u.switchDay) headers.cookie = legacyCookies.get(u.id);
            if (day >= u.switchDay) headers.authorization = `Bearer ${await mintToken(u, clock)}`;
          }
          for (let n = 0; n < u.perDay; n++)
            await (await fetch(`${silentBase}/api/work`, { headers })).arrayBuffer();
        }),
      );
    }
  }
  clock = T0 + DAYS * DAY - 60_000;
  await silent.flushStats();
  const withIt = await silent.report();
  const line = (label, a, b) =>
    console.log(`${label.padEnd(34)}${String(a).padStart(14)}${String(b).padStart(14)}`);
  console.log(`\n${''.padEnd(34)}${'without'.padStart(14)}${'with'.padStart(14)}`);
  line('legacy-only users (retention)', without.totals.users.legacyOnly, withIt.totals.users.legacyOnly);
  line('legacy users, last 7 days', without.windows['7d'].users.legacy, withIt.windows['7d'].users.legacy);
  line('legacy share, last 7 days', pct(without.cutover.legacyShare7d), pct(withIt.cutover.legacyShare7d));
  line('moved silently', 0, withIt.totals.sessionUpgrades.upgraded);
  line('cutover ready', without.cutover.ready ? 'yes' : 'no', withIt.cutover.ready ? 'yes' : 'no');
  line('projected cutover', projected(without.cutover), projected(withIt.cutover));
  await silent.close();
  silentServer.close();
  tokenServer.close();
  console.log(`(${upgrades} legacy users moved by POST /auth/upgrade, each with one fresh assertion)`);
}

function pct(share) {
  return `${(share * 100).toFixed(1)} %`;
}

function projected(cutover) {
  if (cutover.ready) return 'now';
  return cutover.projectedReadyAt ? cutover.projectedReadyAt.slice(0, 10) : cutover.projection.reason;
}

function userId(i) {
  return `u_${String(i + 1).padStart(4, '0')}`;
}

function pad(value, width = 4) {
  return String(value).padStart(width);
}

/** A small seeded PRNG, so a given --seed always yields the same population. */
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
