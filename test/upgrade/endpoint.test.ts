/**
 * Every answer of `bridge.upgradeEndpoint()`, against the RFC 8693 stand-in: methods, cross-site calls, modes,
 * missing or already-provider credentials, eligibility, provider refusals and failures (down, slow, 500), the
 * circuit breaker opening and closing, and concurrent upgrades sharing one provider call. The legacy session
 * keeps working throughout.
 */
import express from 'express';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type AnyBridgeEvent,
  type BridgeOptions,
  type SessionUpgradeEvent,
  tokenExchange,
  type UpgradeOptions,
} from '../../src/index.js';
import { badSignatureCookie, createLegacyLogin, memoryStore } from '../helpers/legacy.js';
import { bridgeTrust, startUpgradeApp, UPGRADE_PATH, upgradeSigningKey } from '../helpers/upgrade-app.js';
import { startLinkedExchangeStandin } from '../helpers/upgrade-standins.js';

const SECRET = 'legacy-secret-for-endpoint-tests';
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setup(
  options: { bridge?: Partial<BridgeOptions>; upgrade?: Partial<UpgradeOptions>; linkClaim?: false } = {},
) {
  const trust = bridgeTrust('https://id.example.test/exchange');
  const standin = await startLinkedExchangeStandin(trust, 'client-secret-0123456789');
  closers.push(() => standin.close());
  const store = memoryStore();
  const login = createLegacyLogin({ store, secret: SECRET });
  const events: SessionUpgradeEvent[] = [];
  const app = await startUpgradeApp(
    express,
    {
      legacy: { store, secret: SECRET },
      provider: {
        name: 'idp',
        issuer: standin.issuer,
        jwksUri: standin.jwksUri,
        audience: 'api://orders',
        ...(options.linkClaim === false ? {} : { linkClaim: 'legacy_user_id' }),
      },
      onEvent: (event: AnyBridgeEvent) => {
        if (event.type === 'session-upgrade') events.push(event);
      },
      ...options.bridge,
      upgrade: {
        signingKey: await upgradeSigningKey(),
        issuer: trust.issuer,
        audience: trust.audience,
        exchange: tokenExchange({
          tokenEndpoint: standin.tokenEndpoint,
          clientId: 'client',
          clientSecret: 'client-secret-0123456789',
        }),
        ...options.upgrade,
      },
    },
    trust,
  );
  closers.push(() => app.close());
  const session = await login.login('u-1');
  const results = () => events.map((e) => e.result);
  const me = () =>
    request(app.origin)
      .get('/me')
      .set('Cookie', session.cookie)
      .expect(200, { userId: 'u-1', kind: 'legacy' });
  const post = () => request(app.origin).post(UPGRADE_PATH).set('Cookie', session.cookie);
  return { standin, app, session, post, me, results, login };
}

describe('upgradeEndpoint: who may call it', () => {
  it('answers other methods 405 with Allow: POST, and records nothing', async () => {
    const { app, session, standin, results } = await setup();
    const res = await request(app.origin).get(UPGRADE_PATH).set('Cookie', session.cookie).expect(405);
    expect(res.headers.allow).toBe('POST');
    expect(standin.calls()).toBe(0);
    expect(results()).toEqual([]);
  });

  it('refuses a call marked Sec-Fetch-Site: cross-site with 403 ERR_BRIDGE_FORBIDDEN, before asking the provider', async () => {
    const { post, standin, results, me } = await setup();
    const res = await post().set('Sec-Fetch-Site', 'cross-site').expect(403);
    expect(res.body.code).toBe('ERR_BRIDGE_FORBIDDEN');
    expect(standin.calls()).toBe(0);
    expect(results()).toEqual(['forbidden']);
    await me();
  });

  it('refuses a foreign Origin and Origin: null, and accepts its own origin and allowedOrigins', async () => {
    const { post, app, results } = await setup({ upgrade: { allowedOrigins: ['https://app.example.test'] } });
    expect((await post().set('Origin', 'https://evil.example').expect(403)).body.code).toBe(
      'ERR_BRIDGE_FORBIDDEN',
    );
    expect((await post().set('Origin', 'null').expect(403)).body.code).toBe('ERR_BRIDGE_FORBIDDEN');
    await post().set('Origin', app.origin).set('Sec-Fetch-Site', 'same-origin').expect(200);
    await post().set('Origin', 'https://app.example.test').set('Sec-Fetch-Site', 'same-site').expect(200);
    expect(results()).toEqual(['forbidden', 'forbidden', 'upgraded', 'upgraded']);
  });

  it('answers 401 ERR_BRIDGE_UNAUTHENTICATED without a valid legacy session', async () => {
    const { app, session, standin, results } = await setup();
    const none = await request(app.origin).post(UPGRADE_PATH).expect(401);
    expect(none.body.code).toBe('ERR_BRIDGE_UNAUTHENTICATED');
    await request(app.origin)
      .post(UPGRADE_PATH)
      .set('Cookie', badSignatureCookie(session.sid, SECRET))
      .expect(401);
    expect(standin.calls()).toBe(0);
    expect(results()).toEqual(['unauthenticated', 'unauthenticated']);
  });
});

describe('upgradeEndpoint: modes', () => {
  it('refuses in observe and provider-only mode with 403 ERR_BRIDGE_UPGRADE_MODE', async () => {
    const { post, app, standin, results } = await setup();
    app.bridge.configure({ mode: 'observe' });
    expect((await post().expect(403)).body.code).toBe('ERR_BRIDGE_UPGRADE_MODE');
    app.bridge.configure({ mode: 'provider-only' });
    expect((await post().expect(403)).body.code).toBe('ERR_BRIDGE_UPGRADE_MODE');
    expect(standin.calls()).toBe(0);
    expect(results()).toEqual(['forbidden', 'forbidden']);
  });

  it('upgrades in bridge mode a user the cutover ramp has already moved', async () => {
    const { post, app } = await setup({ bridge: { cutover: { percent: 100 } } });
    const res = await post().expect(200);
    expect(res.body).toMatchObject({ upgraded: true, userId: 'u-1', provider: 'idp' });
    await request(app.origin)
      .get('/me')
      .set('Authorization', `Bearer ${res.body.tokens.access_token}`)
      .expect(200, { userId: 'u-1', kind: 'provider' });
  });
});

describe('upgradeEndpoint: decisions', () => {
  it('answers already-provider without a provider call when the request carries the same user as provider', async () => {
    const { post, standin, results } = await setup();
    const first = await post().expect(200);
    const calls = standin.calls();
    const again = await post().set('Authorization', `Bearer ${first.body.tokens.access_token}`).expect(200);
    expect(again.body).toEqual({ upgraded: false, reason: 'already-provider' });
    expect(again.headers['cache-control']).toBe('no-store');
    expect(standin.calls()).toBe(calls);
    expect(results()).toEqual(['upgraded', 'already']);
  });

  it('answers 403 when eligible returns false, and is told the legacy user and the request', async () => {
    const seen: string[] = [];
    const { post, standin, results, me } = await setup({
      upgrade: {
        eligible: ({ userId }, req) => {
          seen.push(`${userId} ${req.method}`);
          return false;
        },
      },
    });
    const res = await post().expect(403);
    expect(res.body.code).toBe('ERR_BRIDGE_FORBIDDEN');
    expect(seen).toEqual(['u-1 POST']);
    expect(standin.calls()).toBe(0);
    expect(results()).toEqual(['ineligible']);
    await me();
  });
});

describe('upgradeEndpoint: provider failures', () => {
  it('answers 503 with Retry-After when the provider is down, and the legacy session keeps working', async () => {
    const { post, standin, results, me } = await setup();
    await standin.server.stop();
    const res = await post().expect(503);
    expect(res.body.code).toBe('ERR_BRIDGE_PROVIDER_UNAVAILABLE');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(results()).toEqual(['failed']);
    await me();
  });

  it('answers 503 when the provider is slower than timeoutMs', async () => {
    const { post, standin, me } = await setup({ upgrade: { timeoutMs: 200 } });
    standin.server.delayMs = 1000;
    const started = Date.now();
    const res = await post().expect(503);
    expect(Date.now() - started).toBeLessThan(900);
    expect(res.headers['retry-after']).toBeDefined();
    await me();
  });

  it('answers 503 when the provider answers 500', async () => {
    const { post, standin, me } = await setup();
    standin.server.mode = 'fail';
    expect((await post().expect(503)).body.code).toBe('ERR_BRIDGE_PROVIDER_UNAVAILABLE');
    await me();
  });

  it('opens the breaker after failureThreshold failures (503 at once, no call) and closes it after a good probe', async () => {
    const { post, standin, results, me } = await setup({
      upgrade: { failureThreshold: 2, coolDownMs: 1000 },
    });
    standin.server.mode = 'fail';
    await post().expect(503);
    await post().expect(503);
    const calls = standin.calls();
    const open = await post().expect(503);
    expect(standin.calls()).toBe(calls);
    expect(Number(open.headers['retry-after'])).toBe(1);
    await me();
    standin.server.mode = 'ok';
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await post().expect(200);
    await post().expect(200);
    expect(results()).toEqual(['failed', 'failed', 'failed', 'upgraded', 'upgraded']);
  });
});

describe('upgradeEndpoint: throttling and foreign identities', () => {
  it('answers 503 with Retry-After on a 429 without opening the breaker: one looping client cannot shut upgrades off', async () => {
    const { post, standin, results, me } = await setup({
      upgrade: { failureThreshold: 2, coolDownMs: 60_000 },
    });
    standin.server.mode = 'throttle';
    for (let i = 0; i < 4; i++) {
      const res = await post().expect(503);
      expect(res.body.code).toBe('ERR_BRIDGE_PROVIDER_UNAVAILABLE');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
    // Every throttled attempt reached the provider: the breaker never opened.
    expect(standin.server.requests.length).toBe(4);
    standin.server.mode = 'ok';
    await post().expect(200);
    expect(results()).toEqual(['failed', 'failed', 'failed', 'failed', 'upgraded']);
    await me();
  });

  it("refuses a provider identity that maps to another user, even when only the token's sub maps it", async () => {
    // Nothing links identities (no linkClaim, no userId): the issued token's sub, `provider|u-1`, is its user id,
    // and that is not the legacy user u-1. Relinking it in the bridge's cache would hand u-1 another identity.
    const { post, standin, results, me } = await setup({ linkClaim: false });
    const res = await post().expect(403);
    expect(res.body.code).toBe('ERR_BRIDGE_UPGRADE_REFUSED');
    expect(standin.calls()).toBe(1);
    expect(results()).toEqual(['refused']);
    await me();
  });

  it('refuses onUpgrade at construction when nothing reads the stored link back (provider.userId or linkClaim)', async () => {
    await expect(setup({ linkClaim: false, upgrade: { onUpgrade: () => {} } })).rejects.toThrow(
      /`provider\.userId` is required: `upgrade\.onUpgrade` stores a link/,
    );
  });
});

describe('upgradeEndpoint: concurrency', () => {
  it('makes one provider call for concurrent upgrades of one user, and answers each', async () => {
    const { post, standin, results } = await setup();
    standin.server.delayMs = 300;
    const answers = await Promise.all(Array.from({ length: 5 }, () => post()));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(standin.calls()).toBe(1);
    expect(new Set(answers.map((r) => r.body.tokens.access_token)).size).toBe(1);
    expect(results()).toEqual(['upgraded', 'upgraded', 'upgraded', 'upgraded', 'upgraded']);
  });
});
