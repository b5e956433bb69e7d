import type { ErrorRequestHandler, RequestHandler } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeError, type BridgeEvent } from '../../src/index.js';
import { authOf, buildApp, eventRecorder, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError, type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { createLegacyLogin, memoryStore } from '../helpers/legacy.js';

const SECRET = 'legacy-secret';

describe.each(expressVersions)('%s: onEvent and error delivery', (_name, express) => {
  let provider: ProviderFixture;

  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(async () => {
    await provider.server.close();
  });

  it('receives one event per request with the outcome, presented credentials and user ids', async () => {
    const store = memoryStore();
    const legacy = createLegacyLogin({ store, secret: SECRET });
    const recorder = eventRecorder();
    // A fixed clock near real time: the legacy session's cookie.expires (one hour) is checked against it.
    const clock = Math.floor(Date.now() / 1000) * 1000 + 5_000;
    const bridge = makeBridge({
      legacy: { store: store, secret: SECRET },
      provider: provider.options({ name: 'acme' }),
      onEvent: recorder.onEvent,
      now: () => clock,
    });
    const app = buildApp(express, bridge);
    const { cookie } = await legacy.login('u-1');
    const exp = Math.floor(clock / 1000) + 600;
    const iat = Math.floor(clock / 1000);
    const token = await provider.mint({ sub: 'u-1', exp, iat });
    const other = await provider.mint({ sub: 'u-2', exp, iat });

    await request(app).get('/whoami');
    await request(app).get('/me');
    await request(app).get('/whoami').set('Cookie', cookie);
    await request(app).get('/whoami').set('Authorization', `Bearer ${token}`);
    await request(app).get('/me').set('Cookie', cookie).set('Authorization', `Bearer ${token}`);
    await request(app).get('/whoami').set('Authorization', 'Bearer garbage');
    await request(app).get('/whoami').set('Cookie', cookie).set('Authorization', `Bearer ${other}`);

    const events = await recorder.waitFor(7);
    expect(events).toHaveLength(7);
    const expected: Array<Partial<BridgeEvent>> = [
      { outcome: 'anonymous', sent: { legacy: false, provider: false } },
      { outcome: 'anonymous', sent: { legacy: false, provider: false } },
      {
        outcome: 'authenticated',
        resolvedKind: 'legacy',
        userId: 'u-1',
        legacyUserId: 'u-1',
        sent: { legacy: true, provider: false },
      },
      {
        outcome: 'authenticated',
        resolvedKind: 'provider',
        userId: 'u-1',
        providerUserId: 'u-1',
        provider: 'acme',
        sent: { legacy: false, provider: true },
      },
      {
        outcome: 'authenticated',
        resolvedKind: 'provider',
        userId: 'u-1',
        legacyUserId: 'u-1',
        providerUserId: 'u-1',
        sent: { legacy: true, provider: true },
      },
      { outcome: 'rejected', code: 'ERR_BRIDGE_TOKEN_INVALID', sent: { legacy: false, provider: true } },
      {
        outcome: 'conflict',
        code: 'ERR_BRIDGE_CONFLICT',
        legacyUserId: 'u-1',
        providerUserId: 'u-2',
        sent: { legacy: true, provider: true },
      },
    ];
    expected.forEach((shape, index) => {
      expect(events[index], `event ${index}`).toMatchObject({ ...shape, mode: 'bridge', time: clock });
    });
    expect(events[0]?.code).toBeUndefined();
    expect(events[0]?.userId).toBeUndefined();
    expect(events[2]?.providerUserId).toBeUndefined();
  });

  it('requireUser() runs the bridge itself when it is not mounted globally, once per request', async () => {
    const store = memoryStore();
    const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-1');
    const recorder = eventRecorder();
    const bridge = makeBridge({
      legacy: { store: store, secret: SECRET },
      onEvent: recorder.onEvent,
    });
    const app = express();
    app.get('/only-required', bridge.requireUser() as unknown as RequestHandler, (req, res) => {
      res.json(authOf(req));
    });
    expect(authFrom(await request(app).get('/only-required').set('Cookie', cookie))).toMatchObject({
      userId: 'u-1',
      kind: 'legacy',
    });
    expectBridgeError(await request(app).get('/only-required'), 401, 'ERR_BRIDGE_UNAUTHENTICATED');
    expect(await recorder.waitFor(2)).toHaveLength(2);
  });

  it('decides once when mounted twice', async () => {
    const store = memoryStore();
    const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-1');
    const recorder = eventRecorder();
    const bridge = makeBridge({
      legacy: { store: store, secret: SECRET },
      onEvent: recorder.onEvent,
    });
    const app = express();
    app.use(bridge as unknown as RequestHandler);
    app.use(bridge as unknown as RequestHandler);
    app.get('/whoami', (req, res) => {
      res.json(authOf(req));
    });
    expect(authFrom(await request(app).get('/whoami').set('Cookie', cookie))).toMatchObject({
      userId: 'u-1',
    });
    expect(await recorder.waitFor(1)).toHaveLength(1);
  });

  it('keeps answering when onEvent throws', async () => {
    const store = memoryStore();
    const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-1');
    let calls = 0;
    const bridge = makeBridge({
      legacy: { store: store, secret: SECRET },
      onEvent: () => {
        calls += 1;
        throw new Error('listener bug');
      },
    });
    const app = buildApp(express, bridge);
    expect(authFrom(await request(app).get('/me').set('Cookie', cookie))).toMatchObject({ userId: 'u-1' });
    expect(authFrom(await request(app).get('/whoami'))).toBeNull();
    expect(calls).toBe(2);
  });

  it("passes a BridgeError to next(err) with errors: 'next'", async () => {
    const received: unknown[] = [];
    const handler: ErrorRequestHandler = (err, _req, res, _next) => {
      received.push(err);
      const error = err as BridgeError;
      res.status(error.status).json({ mine: true, code: error.code });
    };
    const bridge = makeBridge({ provider: provider.options(), errors: 'next' });
    const app = buildApp(express, bridge, { errorHandler: handler });
    const res = await request(app).get('/me').set('Authorization', 'Bearer not-a-token');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ mine: true, code: 'ERR_BRIDGE_TOKEN_INVALID' });
    expect(received).toHaveLength(1);
    expect(received[0]).toBeInstanceOf(BridgeError);
    expect(received[0]).toMatchObject({
      code: 'ERR_BRIDGE_TOKEN_INVALID',
      status: 401,
      error: 'invalid_token',
    });

    const unauthenticated = await request(app).get('/me');
    expect(unauthenticated.body).toEqual({ mine: true, code: 'ERR_BRIDGE_UNAUTHENTICATED' });
    expect(received[1]).toBeInstanceOf(BridgeError);

    // The error reaches the app's handler at requireUser(), never at app.use(bridge): a route that did not ask
    // for a user goes on without req.auth.
    const unguarded = await request(app).get('/auth-is-undefined').set('Authorization', 'Bearer not-a-token');
    expect(unguarded.status).toBe(200);
    expect(unguarded.body).toBe(true);
    expect(received).toHaveLength(2);
  });
});
