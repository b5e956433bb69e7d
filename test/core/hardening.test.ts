import type { RequestHandler } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, makeBridge, sleep } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError, type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { createLegacyLogin, memoryStore } from '../helpers/legacy.js';

const SECRET = 'legacy-secret';

describe.each(expressVersions)('%s: hardening', (_name, express) => {
  let fixture: ProviderFixture;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    fixture = await startProvider();
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await fixture.server.close();
  });

  it('does not let requireUser() accept a req.auth that another middleware set', async () => {
    const bridge = makeBridge({ provider: fixture.options() });
    const app = express();
    // e.g. express-basic-auth or express-jwt with other options, mounted before the bridge
    const upstream: RequestHandler = (req, _res, next) => {
      (req as unknown as { auth: unknown }).auth = { user: 'basic-auth-user' };
      next();
    };
    app.use(upstream);
    app.get('/me', bridge.requireUser() as unknown as RequestHandler, (_req, res) => {
      res.json({ reached: true });
    });
    expectBridgeError(await request(app).get('/me'), 401, 'ERR_BRIDGE_UNAUTHENTICATED');
    // An invalid Bearer token is still checked, whatever req.auth already holds.
    expectBridgeError(
      await request(app).get('/me').set('Authorization', 'Bearer not-a-jwt'),
      401,
      'ERR_BRIDGE_TOKEN_INVALID',
    );
  });

  it('does not let a second bridge with stricter options inherit the first bridge decision', async () => {
    const store = memoryStore();
    const login = createLegacyLogin({ store, secret: SECRET });
    const site = makeBridge({ legacy: { store, secret: SECRET }, provider: fixture.options() });
    const admin = makeBridge({ provider: fixture.options({ audience: 'https://admin.example.test' }) });
    const app = express();
    app.use(site as unknown as RequestHandler);
    app.get('/admin', admin.requireUser() as unknown as RequestHandler, (_req, res) => {
      res.json({ reached: true });
    });
    const { cookie } = await login.login('u-1');
    expectBridgeError(
      await request(app).get('/admin').set('Cookie', cookie),
      401,
      'ERR_BRIDGE_UNAUTHENTICATED',
    );
    const apiToken = await fixture.mint({ sub: 'u-1' });
    expectBridgeError(
      await request(app).get('/admin').set('Authorization', `Bearer ${apiToken}`),
      401,
      'ERR_BRIDGE_TOKEN_INVALID',
    );
  });

  it('accepts a numeric user id from provider.userId (a database key) as its string', async () => {
    const app = buildApp(express, makeBridge({ provider: fixture.options({ userId: async () => 1001 }) }));
    const res = await request(app)
      .get('/whoami')
      .set('Authorization', `Bearer ${await fixture.mint({ sub: 'p-9' })}`);
    expect(authFrom(res)).toMatchObject({ userId: '1001', kind: 'provider' });
  });

  it('swallows an async onEvent hook that rejects instead of crashing the process', async () => {
    const before = unhandled.length;
    const app = buildApp(
      express,
      makeBridge({
        provider: fixture.options(),
        onEvent: async () => {
          throw new Error('log backend down');
        },
      }),
    );
    const res = await request(app)
      .get('/whoami')
      .set('Authorization', `Bearer ${await fixture.mint({ sub: 'p-1' })}`);
    expect(authFrom(res)).toMatchObject({ userId: 'p-1' });
    await sleep(20);
    expect(unhandled.length).toBe(before);
  });

  it('reads a Bearer token separated by a tab, so an invalid one cannot fall back to the legacy cookie', async () => {
    const store = memoryStore();
    const login = createLegacyLogin({ store, secret: SECRET });
    const app = buildApp(
      express,
      makeBridge({ legacy: { store, secret: SECRET }, provider: fixture.options() }),
    );
    const { cookie } = await login.login('u-1');
    expectBridgeError(
      await request(app).get('/me').set('Cookie', cookie).set('Authorization', 'Bearer\tgarbage'),
      401,
      'ERR_BRIDGE_TOKEN_INVALID',
    );
  });

  it('backs off while the JWKS endpoint fails instead of fetching once per request', async () => {
    const own = await startProvider();
    try {
      const app = buildApp(express, makeBridge({ provider: own.options({ jwksCooldownMs: 0 }) }));
      own.server.setMode('fail', 'jwks');
      const token = await own.mint();
      const before = own.server.counts.jwks;
      for (let i = 0; i < 20; i += 1) {
        expectBridgeError(
          await request(app).get('/me').set('Authorization', `Bearer ${token}`),
          503,
          'ERR_BRIDGE_JWKS_UNAVAILABLE',
        );
      }
      // The first request fetched and failed; the others within the backoff did not fetch again.
      expect(own.server.counts.jwks - before).toBe(1);
    } finally {
      await own.server.close();
    }
  });
});
