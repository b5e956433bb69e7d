import type { AddressInfo } from 'node:net';
import { createServer, type Server, type Socket } from 'node:net';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BridgeOptions, ProviderOptions } from '../../src/index.js';
import { buildApp, eventRecorder, makeBridge, sleep } from '../helpers/apps.js';
import { type ExpressFactory, expressVersions } from '../helpers/express-versions.js';
import {
  AUDIENCE,
  authFrom,
  expectBridgeError,
  type ProviderFixture,
  startProvider,
} from '../helpers/fixtures.js';
import type { EndpointMode } from '../helpers/jwks-server.js';
import { createLegacyLogin, memoryStore, signedCookie } from '../helpers/legacy.js';
import { connectNodeRedis, hasRedisServer, startRedisServer } from '../helpers/redis.js';
import { createSigningKey, mintToken } from '../helpers/tokens.js';

const SECRET = 'legacy-secret';
const PROVIDER_COOKIE = 'provider_jwt';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => {
  unhandled.push(reason);
};

/** A TCP server that accepts connections and never answers: a hung Redis. */
async function startBlackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

beforeAll(() => {
  process.on('unhandledRejection', onUnhandled);
});

describe.each(expressVersions)('%s: failures', (_name, express) => {
  const cleanups: Array<() => Promise<void> | void> = [];

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function provider(): Promise<ProviderFixture> {
    const fixture = await startProvider();
    cleanups.push(() => fixture.server.close());
    return fixture;
  }

  function subject(factory: ExpressFactory, options: BridgeOptions) {
    const recorder = eventRecorder();
    const bridge = makeBridge({ onEvent: recorder.onEvent, ...options });
    return { app: buildApp(factory, bridge), recorder };
  }

  describe('the provider keys cannot be obtained', () => {
    const jwksModes: EndpointMode[] = ['fail', 'hang', 'garbage', 'not-jwks', 'huge'];

    it.each(jwksModes)('answers 503 with Retry-After when the JWKS endpoint is in mode %s', async (mode) => {
      const fixture = await provider();
      fixture.server.setMode(mode, 'jwks');
      const { app, recorder } = subject(express, { provider: fixture.options({ jwksTimeoutMs: 300 }) });
      const res = await request(app)
        .get('/me')
        .set('Authorization', `Bearer ${await fixture.mint()}`);
      expectBridgeError(res, 503, 'ERR_BRIDGE_JWKS_UNAVAILABLE');
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({ outcome: 'unavailable', code: 'ERR_BRIDGE_JWKS_UNAVAILABLE' });
    });

    it.each(jwksModes)('answers 503 with Retry-After when discovery is in mode %s', async (mode) => {
      const fixture = await provider();
      fixture.server.setMode(mode, 'discovery');
      const { app } = subject(express, {
        provider: { issuer: fixture.issuer, audience: AUDIENCE, jwksTimeoutMs: 300 },
      });
      const res = await request(app)
        .get('/me')
        .set('Authorization', `Bearer ${await fixture.mint()}`);
      expectBridgeError(res, 503, 'ERR_BRIDGE_JWKS_UNAVAILABLE');
    });

    it('keeps verifying with the last good keys while the JWKS endpoint fails (stale-if-error)', async () => {
      const fixture = await provider();
      const { app } = subject(express, {
        provider: fixture.options({ jwksCacheMaxAgeMs: 50, jwksCooldownMs: 20 }),
      });
      const token = await fixture.mint({ sub: 'p-stale' });
      expect(authFrom(await request(app).get('/me').set('Authorization', `Bearer ${token}`))).toMatchObject({
        userId: 'p-stale',
      });
      const fetchesBefore = fixture.server.counts.jwks;
      fixture.server.setMode('fail', 'jwks');
      await sleep(150);
      const res = await request(app).get('/me').set('Authorization', `Bearer ${token}`);
      expect(authFrom(res)).toMatchObject({ userId: 'p-stale', kind: 'provider' });
      expect(fixture.server.counts.jwks).toBeGreaterThan(fetchesBefore);
      // A kid never seen may be a freshly rotated key: with the endpoint down that cannot be decided.
      const rotated = await createSigningKey();
      const unknown = await mintToken(rotated, { iss: fixture.issuer, aud: AUDIENCE });
      expectBridgeError(
        await request(app).get('/me').set('Authorization', `Bearer ${unknown}`),
        503,
        'ERR_BRIDGE_JWKS_UNAVAILABLE',
      );
    });

    it('answers 503 when the JWKS server is gone (connection refused)', async () => {
      const fixture = await provider();
      await fixture.server.close();
      const { app } = subject(express, { provider: fixture.options() });
      const res = await request(app)
        .get('/me')
        .set('Authorization', `Bearer ${await fixture.mint()}`);
      expectBridgeError(res, 503, 'ERR_BRIDGE_JWKS_UNAVAILABLE');
    });

    it('answers 503 for a provider cookie alone when the JWKS is down', async () => {
      const fixture = await provider();
      fixture.server.setMode('fail');
      const { app } = subject(express, { provider: fixture.options({ cookieName: PROVIDER_COOKIE }) });
      const res = await request(app)
        .get('/me')
        .set('Cookie', `${PROVIDER_COOKIE}=${await fixture.mint()}`);
      expectBridgeError(res, 503, 'ERR_BRIDGE_JWKS_UNAVAILABLE');
    });

    it('recovers once the JWKS endpoint answers again', async () => {
      const fixture = await provider();
      fixture.server.setMode('fail', 'jwks');
      const { app } = subject(express, { provider: fixture.options({ jwksCooldownMs: 20 }) });
      const token = await fixture.mint();
      expectBridgeError(
        await request(app).get('/me').set('Authorization', `Bearer ${token}`),
        503,
        'ERR_BRIDGE_JWKS_UNAVAILABLE',
      );
      fixture.server.setMode('ok', 'jwks');
      let status = 0;
      for (let attempt = 0; attempt < 40 && status !== 200; attempt += 1) {
        await sleep(250);
        status = (await request(app).get('/me').set('Authorization', `Bearer ${token}`)).status;
      }
      expect(status).toBe(200);
    });

    it('keeps legacy sessions working: a provider cookie next to a valid legacy session falls back to legacy', async () => {
      const fixture = await provider();
      fixture.server.setMode('fail');
      const store = memoryStore();
      const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-1');
      const { app } = subject(express, {
        legacy: { store: store, secret: SECRET },
        provider: fixture.options({ cookieName: PROVIDER_COOKIE }),
      });
      const res = await request(app)
        .get('/me')
        .set('Cookie', `${cookie}; ${PROVIDER_COOKIE}=${await fixture.mint({ sub: 'u-1' })}`);
      expect(authFrom(res)).toMatchObject({ userId: 'u-1', kind: 'legacy' });
      expect(authFrom(await request(app).get('/me').set('Cookie', cookie))).toMatchObject({ kind: 'legacy' });
    });

    it('keeps legacy sessions working while the JWKS endpoint hangs', async () => {
      const fixture = await provider();
      fixture.server.setMode('hang');
      const store = memoryStore();
      const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-1');
      const { app } = subject(express, {
        legacy: { store: store, secret: SECRET },
        provider: fixture.options({ cookieName: PROVIDER_COOKIE, jwksTimeoutMs: 300 }),
      });
      const res = await request(app)
        .get('/me')
        .set('Cookie', `${cookie}; ${PROVIDER_COOKIE}=${await fixture.mint({ sub: 'u-1' })}`);
      expect(authFrom(res)).toMatchObject({ userId: 'u-1', kind: 'legacy' });
    });
  });

  describe('the legacy store cannot be read', () => {
    let fixture: ProviderFixture;
    let brokenStore: RedisStore;
    let hungStore: RedisStore;

    beforeAll(async () => {
      fixture = await provider();
      // A node-redis client that was never connected: every command fails ("The client is closed").
      const closed = createClient({ url: 'redis://127.0.0.1:1', socket: { reconnectStrategy: false } });
      closed.on('error', () => {});
      brokenStore = new RedisStore({ client: closed, prefix: 'esb-test:core-failures:' });
      // A node-redis client connected to a server that never answers: every command hangs.
      const hole = await startBlackHole();
      const hung = createClient({
        url: `redis://127.0.0.1:${hole.port}`,
        socket: { reconnectStrategy: false },
      });
      hung.on('error', () => {});
      hung.connect().catch(() => {});
      hungStore = new RedisStore({ client: hung, prefix: 'esb-test:core-failures:' });
      cleanups.push(async () => {
        hung.destroy();
        await hole.close();
      });
    });

    function withStore(store: RedisStore, extra: Partial<ProviderOptions> = {}) {
      return subject(express, {
        legacy: { store: store, secret: SECRET, timeoutMs: 300 },
        provider: fixture.options(extra),
      });
    }

    it('answers 503 with Retry-After for a legacy-only request when the store errors', async () => {
      const { app, recorder } = withStore(brokenStore);
      const res = await request(app).get('/me').set('Cookie', signedCookie('sid-1', SECRET));
      expectBridgeError(res, 503, 'ERR_BRIDGE_LEGACY_UNAVAILABLE');
      const [event] = await recorder.waitFor(1);
      expect(event).toMatchObject({ outcome: 'unavailable', code: 'ERR_BRIDGE_LEGACY_UNAVAILABLE' });
    });

    it('answers 503 with Retry-After for a legacy-only request when the store hangs past timeoutMs', async () => {
      const { app } = withStore(hungStore);
      const res = await request(app).get('/me').set('Cookie', signedCookie('sid-1', SECRET));
      expectBridgeError(res, 503, 'ERR_BRIDGE_LEGACY_UNAVAILABLE');
    });

    it.each([
      ['errors', () => brokenStore],
      ['hangs', () => hungStore],
    ])('still authenticates a valid provider token when the store %s', async (_label, store) => {
      const { app } = withStore(store());
      const token = await fixture.mint({ sub: 'p-1' });
      const alone = await request(app).get('/me').set('Authorization', `Bearer ${token}`);
      expect(authFrom(alone)).toMatchObject({ userId: 'p-1', kind: 'provider' });
      const withCookie = await request(app)
        .get('/me')
        .set('Authorization', `Bearer ${token}`)
        .set('Cookie', signedCookie('sid-1', SECRET));
      expect(authFrom(withCookie)).toMatchObject({ userId: 'p-1', kind: 'provider' });
    });

    it.skipIf(!hasRedisServer())(
      'answers 503 when the Redis holding the sessions stops, while provider tokens keep working',
      async () => {
        const server = await startRedisServer();
        const connection = await connectNodeRedis(server.url);
        cleanups.push(async () => {
          await connection.close();
          await server.stop();
        });
        const store = new RedisStore({ client: connection.client, prefix: 'esb-test:core-failures:' });
        const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-redis');
        const { app } = withStore(store);
        expect(authFrom(await request(app).get('/me').set('Cookie', cookie))).toMatchObject({
          userId: 'u-redis',
        });
        await server.stop();
        expectBridgeError(
          await request(app).get('/me').set('Cookie', cookie),
          503,
          'ERR_BRIDGE_LEGACY_UNAVAILABLE',
        );
        const token = await fixture.mint({ sub: 'u-redis' });
        const res = await request(app)
          .get('/me')
          .set('Cookie', cookie)
          .set('Authorization', `Bearer ${token}`);
        expect(authFrom(res)).toMatchObject({ userId: 'u-redis', kind: 'provider' });
      },
    );

    it('does not consult the store for requests without a validly signed legacy cookie', async () => {
      const { app } = withStore(brokenStore);
      expect(authFrom(await request(app).get('/whoami'))).toBeNull();
      expect(
        authFrom(await request(app).get('/whoami').set('Cookie', signedCookie('sid-1', 'other'))),
      ).toBeNull();
    });

    it('answers 503, not 500, when the legacy userId extractor throws', async () => {
      const store = memoryStore();
      const { cookie } = await createLegacyLogin({ store, secret: SECRET }).login('u-1');
      const { app } = subject(express, {
        legacy: {
          store: store,
          secret: SECRET,
          userId: () => {
            throw new Error('extractor bug');
          },
        },
      });
      const res = await request(app).get('/me').set('Cookie', cookie);
      expect(res.status).toBe(503);
      expect(['ERR_BRIDGE_LEGACY_UNAVAILABLE', 'ERR_BRIDGE_RESOLVER_UNAVAILABLE']).toContain(
        (res.body as { code?: string }).code,
      );
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
    });
  });
});

describe('process health', () => {
  it('left no unhandled promise rejection behind', async () => {
    await sleep(200);
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
});
