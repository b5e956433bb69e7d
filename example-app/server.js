/**
 * The example: an existing Express backend (express-session, username/password) that is moving its users to
 * a new OpenID provider, with express-session-bridge accepting both logins during the migration.
 *
 *   npm start                      # http://localhost:3000
 *   PORT=4000 BRIDGE_MODE=observe npm start
 *   BRIDGE_CUTOVER_PERCENT=50 npm start   # a ramp: half of the legacy users must use the new provider
 *   SILENT_MIGRATION=0 npm start   # no silent migration: legacy users move only by signing in at the provider
 *
 * Everything runs in this one process on one port: the backend, the provider under /oidc, the bridge.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parse as parseCookies } from 'cookie';
import express from 'express';
import session from 'express-session';
import { sessionBridge, tokenExchange } from 'express-session-bridge';
import { errorHandler, notFound } from './error-pages.js';
import { createOidcProvider } from './oidc-provider.js';
import { homePage } from './pages.js';
import { providerFromEnvironment } from './provider-config.js';
import { ACCESS_TOKEN_COOKIE, providerLogin } from './provider-login.js';
import { providerScreens } from './provider-screens.js';
import { checkLegacyPassword, linkAtFirstSignIn, linkedUserIds, users } from './users.js';

/**
 * Builds the app for a server reachable at `baseUrl`.
 * @param {{ baseUrl: string, mode?: 'observe' | 'bridge' | 'provider-only', sessionSecret?: string,
 *   cutover?: { percent: number, key?: string }, silentMigration?: boolean }} options
 */
export function createApp({
  baseUrl,
  mode = 'bridge',
  sessionSecret = 'legacy-demo-secret',
  cutover,
  silentMigration = false,
}) {
  const issuer = `${baseUrl}/oidc`;
  const audience = `${baseUrl}/api`;
  const client = {
    id: 'example-backend',
    secret: randomBytes(24).toString('base64url'),
    redirectUri: `${baseUrl}/auth/callback`,
    postLogoutRedirectUri: `${baseUrl}/`,
  };

  const app = express();
  app.disable('x-powered-by');
  app.get('/favicon.ico', (_req, res) => res.status(204).end());

  // 1. The new provider. Mounted before any body parser: it reads its own request bodies. Its sign-in and
  // consent screens are ours (no external resource), ahead of it on the path its `interactions.url` names.
  // Silent migration: the bridge signs short assertions with this key (every instance would share it) and
  // serves its public half at UPGRADE_KEYS_PATH; the local provider's token-exchange grant trusts it.
  const upgrader = silentMigration
    ? {
        id: 'example-upgrader',
        secret: randomBytes(24).toString('base64url'),
        trustedIssuer: baseUrl,
        keysUrl: `${baseUrl}${UPGRADE_KEYS_PATH}`,
      }
    : undefined;
  const oidc = createOidcProvider({ issuer, audience, client, upgrader });
  app.use('/oidc/interaction', providerScreens(oidc));
  app.use('/oidc', oidc.callback());

  // 2. The existing backend: express-session with its MemoryStore and a username/password form.
  const legacyStore = new session.MemoryStore();
  const legacySession = session({
    store: legacyStore,
    secret: sessionSecret,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 7 * 24 * 3600 * 1000 },
  });

  app.get('/', legacySession, (req, res) => {
    const id = req.session.userId;
    res
      .set('cache-control', 'no-store')
      .type('html')
      .send(
        homePage({
          baseUrl,
          mode,
          legacyUser: id ? { id, name: users[id]?.name ?? id } : undefined,
          providerToken: parseCookies(req.headers.cookie ?? '')[ACCESS_TOKEN_COOKIE],
          notice: typeof req.query.notice === 'string' ? req.query.notice : undefined,
        }),
      );
  });

  app.post('/login', legacySession, express.urlencoded({ extended: false }), (req, res, next) => {
    const userId = checkLegacyPassword(String(req.body?.username ?? ''), String(req.body?.password ?? ''));
    if (!userId) return res.redirect(303, '/?notice=legacy-bad-login');
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.userId = userId; // what the bridge reads by default (session.passport?.user ?? session.userId)
      res.redirect(303, '/?notice=legacy-signed-in');
    });
  });

  app.post('/logout', legacySession, (req, res, next) => {
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie('connect.sid', { path: '/' });
      res.redirect(303, '/?notice=legacy-signed-out');
    });
  });

  // 3. The client side of "Sign in with the new provider" (code + PKCE), storing the token in `provider_at`.
  app.use(providerLogin({ issuer, audience, client }));

  // 4. The bridge: either credential becomes req.auth. It only reads the legacy store.
  // With BRIDGE_PROVIDER=auth0|stytch|ory|authgear|oidc (see provider-config.js) the bridge trusts that
  // provider instead of the local one; the local sign-in buttons then stay for the demo only.
  const provider = providerFromEnvironment(process.env) ?? {
    issuer,
    audience,
    cookieName: ACCESS_TOKEN_COOKIE,
    strictAccessToken: true, // oidc-provider issues RFC 9068 `at+jwt` access tokens
    userId: (claims) => linkedUserIds[claims.sub] ?? null, // identity linking: provider sub -> backend id
    link: linkAtFirstSignIn, // dave: linked at his first provider sign-in while his old session is valid
  };
  const bridge = sessionBridge({
    legacy: { store: legacyStore, secret: sessionSecret },
    provider,
    mode,
    ...(cutover ? { cutover } : {}),
    // Refusals go to errorHandler below: a browser gets a page, fetch and curl the bridge's JSON.
    errors: 'next',
    ...(upgrader ? { nudge: true, upgrade: upgradeOptions({ baseUrl, issuer, upgrader }) } : {}),
  });
  app.use(['/api', '/admin'], bridge);
  if (upgrader) {
    // The provider fetches this to verify the bridge's assertions; the page POSTs to /auth/upgrade when a
    // response carries `Session-Bridge-Upgrade: provider` (pages.js).
    app.get(UPGRADE_KEYS_PATH, bridge.upgradeKeys());
    app.post('/auth/upgrade', bridge.upgradeEndpoint());
  }

  app.get('/api/me', bridge.requireUser(), (req, res) => {
    if (!req.auth) return res.json({ mode, auth: null }); // observe mode: measured, never set
    const { userId, kind, presented, provider, payload } = req.auth;
    res.json({ userId, name: users[userId]?.name, kind, presented, provider, subject: payload?.sub });
  });

  // alice (u_1001) is the admin. In observe mode the bridge never sets req.auth: the app's own session decides.
  const adminId = (req) => (mode === 'observe' ? req.session?.userId : req.auth?.userId);
  // app.use(bridge) only decides; requireUser() answers what it refused (two users, a bad token, a store down).
  // The dashboard answers a request without a user with its own sign-in page, so only those refusals go here.
  const guard = bridge.requireUser();
  const ownPage = new Set(['ERR_BRIDGE_UNAUTHENTICATED', 'ERR_BRIDGE_LEGACY_DISABLED']);
  const refusals = (req, res, next) =>
    guard(req, res, (err) => next(err && !ownPage.has(err.code) ? err : undefined));
  app.get(
    '/admin/migration',
    legacySession,
    refusals,
    bridge.statsHandler({ authorize: (req) => adminId(req) === 'u_1001' }),
  );

  app.use(notFound);
  app.use(errorHandler);
  return { app, bridge, provider: oidc };
}

const UPGRADE_KEYS_PATH = '/.well-known/upgrade-keys.json';

/** The bridge's `upgrade` option for the local provider's RFC 8693 grant. */
function upgradeOptions({ baseUrl, issuer, upgrader }) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    signingKey: { ...privateKey.export({ format: 'jwk' }), kid: 'example-upgrade-1', alg: 'RS256' },
    issuer: baseUrl,
    audience: issuer, // the provider's issuer: its grant checks that the assertion is meant for it
    claims: ({ userId }) => ({ email: users[userId]?.email }), // the provider finds the account by email
    exchange: tokenExchange({
      tokenEndpoint: `${issuer}/token`,
      clientId: upgrader.id,
      clientSecret: upgrader.secret,
    }),
    // The provider's `sub` for this user: the app stores the link (a database column in real life).
    onUpgrade: ({ userId, sub }) => {
      linkedUserIds[sub] = userId;
    },
    cookie: { secure: baseUrl.startsWith('https:') },
  };
}

/**
 * Listens on `port` (0 for any free port) and builds the app for the port actually bound, so the issuer and
 * redirect URLs are right. Resolves to `{ url, server, close }`.
 * @param {{ port?: number, host?: string, mode?: 'observe' | 'bridge' | 'provider-only',
 *   cutover?: { percent: number, key?: string }, silentMigration?: boolean }} [options]
 */
export async function start({
  port = Number(process.env.PORT ?? 3000),
  host = process.env.HOST ?? '127.0.0.1',
  mode = process.env.BRIDGE_MODE ?? 'bridge',
  cutover = process.env.BRIDGE_CUTOVER_PERCENT
    ? { percent: Number(process.env.BRIDGE_CUTOVER_PERCENT) }
    : undefined,
  silentMigration = false,
} = {}) {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const url = `http://localhost:${server.address().port}`;
  const { app, bridge } = createApp({ baseUrl: url, mode, cutover, silentMigration });
  server.on('request', app);
  return {
    url,
    server,
    async close() {
      await bridge.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.release.lts && process.release.lts < 'Jod') {
    // Printed by oidc-provider when it is imported, above this line.
    console.log(
      'Note: oidc-provider\'s "Unsupported runtime" warning above is about the local stand-in provider only (oidc-provider 9\n' +
        'supports Node 22+). express-session-bridge supports Node 20, and the example and its tests run on it.',
    );
  }
  // `npm start` runs with silent migration on: a signed-in legacy user moves on their next page load.
  const { url, close } = await start({ silentMigration: process.env.SILENT_MIGRATION !== '0' });
  console.log(`Example app: ${url}`);
  console.log(
    '  demo users: alice/alice (admin), bob/bob, dave/dave, erin/erin; provider accounts alice, bob, carol, dave',
  );
  console.log(`  dashboard:  ${url}/admin/migration (sign in as alice)`);
  const stop = () => close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
