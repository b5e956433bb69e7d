/**
 * Deciding versus enforcing (issue #14, finding 10): `app.use(bridge)` decides and sets `req.auth` but never
 * answers an error itself; a route that never asked for a user goes on without `req.auth`. `requireUser()`
 * answers what the bridge decided, exactly as the middleware used to: status, code, `WWW-Authenticate`,
 * `Retry-After` and body. With `errors: 'next'`, the error reaches the app's handler at `requireUser()`.
 */
import type { ErrorRequestHandler, RequestHandler } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeError, sessionBridge } from '../../src/index.js';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { expectBridgeError, type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { createLegacyLogin, memoryStore } from '../helpers/legacy.js';

const SECRET = 'legacy-secret';

describe.each(expressVersions)('%s: app.use(bridge) decides, requireUser() enforces', (_name, express) => {
  let provider: ProviderFixture;

  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(async () => {
    await provider.server.close();
  });

  it('lets an unguarded route with an invalid Bearer go on without req.auth', async () => {
    const app = buildApp(express, makeBridge({ provider: provider.options() }));
    const res = await request(app).get('/auth-is-undefined').set('Authorization', 'Bearer not-a-jwt');
    expect(res.status).toBe(200);
    expect(res.body).toBe(true);
    expect(res.headers['www-authenticate']).toBeUndefined();
    const whoami = await request(app).get('/whoami').set('Authorization', 'Bearer not-a-jwt');
    expect(whoami.status).toBe(200);
    expect(whoami.body).toBeNull();
  });

  it('answers the same invalid Bearer on a requireUser() route with 401 invalid_token and its WWW-Authenticate', async () => {
    const app = buildApp(express, makeBridge({ provider: provider.options() }));
    const res = await request(app).get('/me').set('Authorization', 'Bearer not-a-jwt');
    const body = expectBridgeError(res, 401, 'ERR_BRIDGE_TOKEN_INVALID');
    expect(body.error).toBe('invalid_token');
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="api", error="invalid_token", error_description="${body.error_description}"`,
    );
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['retry-after']).toBeUndefined();
  });

  it('keeps a malformed Authorization header for requireUser(): 400 invalid_request there, nothing elsewhere', async () => {
    const store = memoryStore();
    const login = createLegacyLogin({ store, secret: SECRET });
    const app = buildApp(
      express,
      makeBridge({ legacy: { store, secret: SECRET }, provider: provider.options() }),
    );
    const { cookie } = await login.login('u-legacy');
    const unguarded = await request(app)
      .get('/auth-is-undefined')
      .set('Cookie', cookie)
      .set('Authorization', 'Bearer,junk');
    expect(unguarded.status).toBe(200);
    expect(unguarded.body).toBe(true);
    const res = await request(app).get('/me').set('Cookie', cookie).set('Authorization', 'Bearer,junk');
    const body = expectBridgeError(res, 400, 'ERR_BRIDGE_INVALID_REQUEST');
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="api", error="invalid_request", error_description="${body.error_description}"`,
    );
  });

  it('keeps a conflict for requireUser(): 400 ERR_BRIDGE_CONFLICT there, no req.auth elsewhere', async () => {
    const store = memoryStore();
    const login = createLegacyLogin({ store, secret: SECRET });
    const app = buildApp(
      express,
      makeBridge({ legacy: { store, secret: SECRET }, provider: provider.options() }),
    );
    const { cookie } = await login.login('legacy-user');
    const token = await provider.mint({ sub: 'provider-user' });
    const send = (path: string) =>
      request(app).get(path).set('Cookie', cookie).set('Authorization', `Bearer ${token}`);
    const unguarded = await send('/auth-is-undefined');
    expect(unguarded.status).toBe(200);
    expect(unguarded.body).toBe(true);
    expectBridgeError(await send('/me'), 400, 'ERR_BRIDGE_CONFLICT');
  });

  it('keeps an unavailable legacy store for requireUser(): 503 with Retry-After there, nothing elsewhere', async () => {
    const app = buildApp(
      express,
      makeBridge({
        legacy: {
          resolve: () => {
            throw new Error('session backend down');
          },
        },
      }),
    );
    const unguarded = await request(app).get('/auth-is-undefined').set('Cookie', 'PHPSESSID=x');
    expect(unguarded.status).toBe(200);
    expect(unguarded.body).toBe(true);
    expect(unguarded.headers['retry-after']).toBeUndefined();
    const res = await request(app).get('/me').set('Cookie', 'PHPSESSID=x');
    expectBridgeError(res, 503, 'ERR_BRIDGE_RESOLVER_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('answers a disabled legacy session with its hint at requireUser() only (provider-only mode)', async () => {
    const store = memoryStore();
    const login = createLegacyLogin({ store, secret: SECRET });
    const app = buildApp(
      express,
      makeBridge({ mode: 'provider-only', legacy: { store, secret: SECRET }, provider: provider.options() }),
    );
    const { cookie } = await login.login('u-legacy');
    const unguarded = await request(app).get('/auth-is-undefined').set('Cookie', cookie);
    expect(unguarded.status).toBe(200);
    expect(unguarded.body).toBe(true);
    const body = expectBridgeError(
      await request(app).get('/me').set('Cookie', cookie),
      401,
      'ERR_BRIDGE_LEGACY_DISABLED',
    );
    expect(body.hint).toBe('provider_login_required');
  });

  it("hands the error to the app's error handler at requireUser() with errors: 'next'", async () => {
    const received: unknown[] = [];
    const handler: ErrorRequestHandler = (err, _req, res, _next) => {
      received.push(err);
      res.status((err as BridgeError).status).json({ handled: (err as BridgeError).code });
    };
    const app = buildApp(express, makeBridge({ provider: provider.options(), errors: 'next' }), {
      errorHandler: handler,
    });
    const unguarded = await request(app).get('/auth-is-undefined').set('Authorization', 'Bearer not-a-jwt');
    expect(unguarded.body).toBe(true);
    expect(received).toHaveLength(0);
    const res = await request(app).get('/me').set('Authorization', 'Bearer not-a-jwt');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ handled: 'ERR_BRIDGE_TOKEN_INVALID' });
    expect(received).toHaveLength(1);
    expect(received[0]).toBeInstanceOf(BridgeError);
    expect((received[0] as BridgeError).headers['WWW-Authenticate']).toMatch(
      /^Bearer realm="api", error="invalid_token"/,
    );
  });
  it('lets the stats endpoint behind app.use(bridge) answer a request with an unrelated Bearer header', async () => {
    const bridge = sessionBridge({ provider: provider.options() });
    const app = express();
    app.use(bridge as unknown as RequestHandler);
    app.get('/admin/migration', bridge.statsHandler({ public: true }) as unknown as RequestHandler);
    const res = await request(app)
      .get('/admin/migration')
      .set('Accept', 'application/json')
      .set('Authorization', 'Bearer another-service-key');
    expect(res.status).toBe(200);
    expect(res.headers['www-authenticate']).toBeUndefined();
    await bridge.close();
  });
});
