/**
 * What the silent migration must never do: serve a private key member, reuse a `jti`, let `claims()` rewrite
 * the reserved claims, or put an assertion, a provider token or the client secret in a log line, an event, an
 * error answer or the stats.
 */
import express from 'express';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { type AnyBridgeEvent, memoryStats, tokenExchange } from '../../src/index.js';
import { OptionChecks, parseSigningKey, signAssertion } from '../helpers/internals.js';
import { createLegacyLogin, memoryStore } from '../helpers/legacy.js';
import {
  bridgeTrust,
  KEYS_PATH,
  startUpgradeApp,
  UPGRADE_PATH,
  upgradeSigningKey,
} from '../helpers/upgrade-app.js';
import { startLinkedExchangeStandin } from '../helpers/upgrade-standins.js';

const SECRET = 'legacy-secret-for-security-tests';
const CLIENT_SECRET = 'client-secret-never-logged-0123456789';
const PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi'];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function setup(extra: { claims?: () => Record<string, unknown>; previous?: boolean } = {}) {
  const trust = bridgeTrust('https://id.example.test/exchange');
  const standin = await startLinkedExchangeStandin(trust, CLIENT_SECRET);
  closers.push(() => standin.close());
  const store = memoryStore();
  const login = createLegacyLogin({ store, secret: SECRET });
  const logs: string[] = [];
  const events: AnyBridgeEvent[] = [];
  const previous = await upgradeSigningKey('ES256', 'upgrade-previous');
  const { d: _d, ...previousPublic } = previous;
  const app = await startUpgradeApp(
    express,
    {
      legacy: { store, secret: SECRET },
      provider: {
        name: 'idp',
        issuer: standin.issuer,
        jwksUri: standin.jwksUri,
        audience: 'api://orders',
        linkClaim: 'legacy_user_id',
      },
      stats: memoryStats(),
      debug: (message) => logs.push(message),
      onEvent: (event) => events.push(event),
      upgrade: {
        signingKey: await upgradeSigningKey('RS256', 'upgrade-current'),
        ...(extra.previous ? { previousKeys: [previousPublic] } : {}),
        issuer: trust.issuer,
        audience: trust.audience,
        claims: extra.claims,
        failureThreshold: 100,
        exchange: tokenExchange({
          tokenEndpoint: standin.tokenEndpoint,
          clientId: 'client',
          clientSecret: CLIENT_SECRET,
        }),
      },
    },
    trust,
  );
  closers.push(() => app.close());
  return { app, standin, login, logs, events };
}

describe('upgradeKeys()', () => {
  it('serves the public JWK Set, current key and previousKeys, cacheable for 5 minutes, with no private member', async () => {
    const { app } = await setup({ previous: true });
    const res = await request(app.origin).get(KEYS_PATH).expect(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['cache-control']).toBe('public, max-age=300');
    const keys = res.body.keys as Array<Record<string, unknown>>;
    expect(keys.map((k) => [k.kid, k.alg, k.use])).toEqual([
      ['upgrade-current', 'RS256', 'sig'],
      ['upgrade-previous', 'ES256', 'sig'],
    ]);
    for (const key of keys) for (const member of PRIVATE) expect(key).not.toHaveProperty(member);
    expect(res.text).not.toMatch(/"(d|p|q|dp|dq|qi)"/);
  });
});

describe('the assertion', () => {
  it('is a compact JWS { alg, kid, typ: JWT } with iss, sub, aud, iat, exp, jti and the extra claims', async () => {
    const key = parseSigningKey(new OptionChecks('test'), await upgradeSigningKey('ES256', 'k1'));
    const token = await signAssertion(key, {
      issuer: 'https://app.example.test',
      audience: 'aud-1',
      subject: '42',
      now: 1_800_000_000,
      lifetimeSeconds: 60,
      claims: { email: 'ada@example.com' },
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: 'k1', typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(Object.keys(claims).sort()).toEqual(['aud', 'email', 'exp', 'iat', 'iss', 'jti', 'sub']);
    expect(claims).toMatchObject({
      iss: 'https://app.example.test',
      sub: '42',
      aud: 'aud-1',
      iat: 1_800_000_000,
      exp: 1_800_000_060,
    });
    expect(Buffer.from(claims.jti as string, 'base64url')).toHaveLength(16);
  });

  it('carries 10,000 distinct jti values in 10,000 assertions', async () => {
    const key = parseSigningKey(new OptionChecks('test'), await upgradeSigningKey('ES256', 'k1'));
    const jtis = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const token = await signAssertion(key, {
        issuer: 'https://app.example.test',
        audience: 'aud-1',
        subject: 'same-user',
        now: 1_800_000_000,
        lifetimeSeconds: 60,
        claims: {},
      });
      jtis.add(decodeJwt(token).jti as string);
    }
    expect(jtis.size).toBe(10_000);
  }, 60_000);

  it('keeps iss, sub, aud, iat, exp and jti when claims() tries to set them', async () => {
    const { app, standin, login } = await setup({
      claims: () => ({
        sub: 'admin',
        iss: 'x',
        aud: 'y',
        iat: 1,
        nbf: 2,
        exp: 9_999_999_999,
        jti: 'fixed',
        email: 'e@x',
      }),
    });
    const session = await login.login('u-5');
    await request(app.origin).post(UPGRADE_PATH).set('Cookie', session.cookie).expect(200);
    const sent = new URLSearchParams(standin.server.requests.find((r) => r.method === 'POST')?.body);
    const claims = decodeJwt(sent.get('subject_token') as string);
    expect(claims).toMatchObject({
      sub: 'u-5',
      iss: 'https://app.example.test',
      aud: 'https://id.example.test/exchange',
      email: 'e@x',
    });
    expect(claims.jti).not.toBe('fixed');
    expect(claims).not.toHaveProperty('nbf');
    expect((claims.exp as number) - (claims.iat as number)).toBe(60);
  });
});

describe('secrets', () => {
  it('puts no assertion, provider token or client secret in logs, events, error answers or the stats', async () => {
    const { app, standin, login, logs, events } = await setup();
    const answers: string[] = [];
    const capture = (res: request.Response) => answers.push(JSON.stringify(res.headers), res.text);
    const u1 = await login.login('u-1');
    const ok = await request(app.origin).post(UPGRADE_PATH).set('Cookie', u1.cookie).expect(200);
    const tokens = Object.values(ok.body.tokens as Record<string, unknown>).filter(
      (v): v is string => typeof v === 'string' && v.length > 20,
    );
    standin.setDeny(true);
    capture(
      await request(app.origin)
        .post(UPGRADE_PATH)
        .set('Cookie', (await login.login('u-2')).cookie)
        .expect(403),
    );
    standin.setDeny(false);
    standin.server.mode = 'fail';
    capture(
      await request(app.origin)
        .post(UPGRADE_PATH)
        .set('Cookie', (await login.login('u-3')).cookie)
        .expect(503),
    );
    standin.server.mode = 'ok';
    await standin.server.stop();
    capture(
      await request(app.origin)
        .post(UPGRADE_PATH)
        .set('Cookie', (await login.login('u-4')).cookie)
        .expect(503),
    );
    capture(await request(app.origin).post(UPGRADE_PATH).set('Origin', 'https://evil.example').expect(403));
    capture(await request(app.origin).post(UPGRADE_PATH).expect(401));
    await app.bridge.flushStats();
    const report = JSON.stringify(await app.bridge.report());
    const assertions = standin.server.requests
      .filter((r) => r.method === 'POST')
      .map((r) => new URLSearchParams(r.body).get('subject_token'))
      .filter((t): t is string => typeof t === 'string');
    expect(assertions.length).toBeGreaterThanOrEqual(3);
    expect(tokens.length).toBeGreaterThanOrEqual(1);
    const everything = [...logs, JSON.stringify(events), ...answers, report].join('\n');
    expect(logs.some((l) => l.startsWith('upgrade:'))).toBe(true);
    for (const secret of [CLIENT_SECRET, ...assertions, ...tokens]) {
      expect(everything).not.toContain(secret);
      // Nor any of its dot-separated parts (a signature alone is still the credential's).
      for (const part of secret.split('.').filter((p) => p.length > 16))
        expect(everything).not.toContain(part);
    }
    expect(events.filter((e) => e.type === 'session-upgrade').map((e) => Object.keys(e).sort())).toEqual(
      Array(6).fill(['result', 'time', 'type']),
    );
  });
});
