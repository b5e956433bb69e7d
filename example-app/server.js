/**
 * The example: an existing Express backend (express-session, username/password) that is moving its users to
 * a new OpenID provider, with express-session-bridge accepting both logins during the migration.
 *
 *   npm start                      # http://localhost:3000
 *   PORT=4000 BRIDGE_MODE=observe npm start
 *   BRIDGE_CUTOVER_PERCENT=50 npm start   # a ramp: half of the legacy users must use the new provider
 *
 * Everything runs in this one process on one port: the backend, the provider under /oidc, the bridge.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parse as parseCookies } from 'cookie';
import express from 'express';
import session from 'express-session';
import { sessionBridge } from 'express-session-bridge';
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
 *   cutover?: { percent: number, key?: string } }} options
 */
export function createApp({ baseUrl, mode = 'bridge', sessionSecret = 'legacy-demo-secret', cutover }) {
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
  const oidc = createOidcProvider({ issuer, audience, client });
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
  });
  app.use(['/api', '/admin'], bridge);

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

/**
 * Listens on `port` (0 for any free port) and builds the app for the port actually bound, so the issuer and
 * redirect URLs are right. Resolves to `{ url, server, close }`.
 * @param {{ port?: number, host?: string, mode?: 'observe' | 'bridge' | 'provider-only',
 *   cutover?: { percent: number, key?: string } }} [options]
 */
export async function start({
  port = Number(process.env.PORT ?? 3000),
  host = process.env.HOST ?? '127.0.0.1',
  mode = process.env.BRIDGE_MODE ?? 'bridge',
  cutover = process.env.BRIDGE_CUTOVER_PERCENT
    ? { percent: Number(process.env.BRIDGE_CUTOVER_PERCENT) }
    : undefined,
} = {}) {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const url = `http://localhost:${server.address().port}`;
  const { app, bridge } = createApp({ baseUrl: url, mode, cutover });
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
  const { url, close } = await start();
  console.log(`Example app: ${url}`);
  console.log(
    '  demo users: alice/alice (admin), bob/bob, dave/dave, erin/erin; provider accounts alice, bob, carol, dave',
  );
  console.log(`  dashboard:  ${url}/admin/migration (sign in as alice)`);
  const stop = () => close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
