/**
 * Credentials are read strictly: one spelling per compact token, sane issued-at times, one well-formed
 * Authorization header, typed claims, and no proof-of-possession token accepted as a plain Bearer token.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import {
  AUDIENCE,
  authFrom,
  expectBridgeError,
  type ProviderFixture,
  startProvider,
} from '../helpers/fixtures.js';
import { createLegacyLogin, memoryStore } from '../helpers/legacy.js';
import { nowSeconds, signRawPayload } from '../helpers/tokens.js';

const SECRET = 'legacy-secret';

/** `GET /me` with `token` as a Bearer credential. */
function bearerMe(app: Parameters<typeof request>[0], token: string) {
  return request(app).get('/me').set('Authorization', `Bearer ${token}`);
}

/** Re-spells one segment of a compact JWS without changing the bytes it decodes to. */
function respell(token: string, segment: 0 | 1 | 2, spell: (s: string) => string): string {
  const parts = token.split('.');
  parts[segment] = spell(parts[segment] ?? '');
  return parts.join('.');
}

describe.each(expressVersions)('%s: credential strictness', (_name, express) => {
  let provider: ProviderFixture;
  let other: ProviderFixture;

  beforeAll(async () => {
    provider = await startProvider();
    other = await startProvider();
  });
  afterAll(async () => {
    await provider.server.close();
    await other.server.close();
  });

  describe('compact serialization (RFC 7515): one spelling per token', () => {
    it('accepts the canonical token it refuses re-spelled', async () => {
      const app = buildApp(express, makeBridge({ provider: provider.options() }));
      const token = await provider.mint();
      authFrom(await bearerMe(app, token));
    });

    it.each([
      [
        '= padding in the signature',
        (t: string) => respell(t, 2, (s) => `${s}${'='.repeat((4 - (s.length % 4)) % 4 || 4)}`),
      ],
      ['a space inside the payload', (t: string) => respell(t, 1, (s) => `${s.slice(0, 10)} ${s.slice(10)}`)],
      [
        'an encoded newline inside the payload',
        (t: string) => respell(t, 1, (s) => `${s.slice(0, 10)}%0A${s.slice(10)}`),
      ],
      [
        'standard base64 characters',
        (t: string) => respell(t, 2, (s) => s.replaceAll('-', '+').replaceAll('_', '/')),
      ],
      ['a fourth segment', (t: string) => `${t}.AAAA`],
    ])('refuses a genuine token with %s (401 invalid_token)', async (_label, spell) => {
      const app = buildApp(express, makeBridge({ provider: provider.options() }));
      let token = await provider.mint();
      // Some re-spellings need the signature to contain '-' or '_': mint until it does (bounded).
      for (let i = 0; i < 20 && !/[-_]/.test(token.split('.')[2] ?? ''); i++) token = await provider.mint();
      const respelled = spell(token);
      expect(respelled).not.toBe(token);
      expectBridgeError(await bearerMe(app, respelled), 401, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('refuses a signature whose last character carries non-zero padding bits', async () => {
      const app = buildApp(express, makeBridge({ provider: provider.options() }));
      const token = await provider.mint();
      const sig = token.split('.')[2] ?? '';
      // RS256 signatures are 256 bytes: 342 characters, the last one holds 2 unused bits.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(sig.at(-1) ?? 'A');
      const twin = respell(token, 2, (s) => `${s.slice(0, -1)}${alphabet[last ^ 1]}`);
      expect(Buffer.from(twin.split('.')[2] ?? '', 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
      expectBridgeError(await bearerMe(app, twin), 401, 'ERR_BRIDGE_TOKEN_INVALID');
    });
  });

  describe('issued-at', () => {
    it('refuses a token whose iat is later than now plus the clock tolerance', async () => {
      const app = buildApp(express, makeBridge({ provider: provider.options({ clockToleranceSeconds: 5 }) }));
      const future = await provider.mint({ iat: nowSeconds() + 60 });
      expectBridgeError(await bearerMe(app, future), 401, 'ERR_BRIDGE_TOKEN_INVALID');
      const withinTolerance = await provider.mint({ iat: nowSeconds() + 2 });
      authFrom(await bearerMe(app, withinTolerance));
    });

    it('refuses a token older than maxTokenAgeSeconds by iat, and one without iat when it is set', async () => {
      const app = buildApp(express, makeBridge({ provider: provider.options({ maxTokenAgeSeconds: 300 }) }));
      const old = await provider.mint({ iat: nowSeconds() - 3600 });
      expectBridgeError(await bearerMe(app, old), 401, 'ERR_BRIDGE_TOKEN_EXPIRED');
      const noIat = await provider.mint({ iat: null });
      expectBridgeError(await bearerMe(app, noIat), 401, 'ERR_BRIDGE_TOKEN_INVALID');
      const young = await provider.mint({ iat: nowSeconds() - 60 });
      authFrom(await bearerMe(app, young));
    });

    it('rejects maxTokenAgeSeconds that is not a positive number at construction', () => {
      expect(() => makeBridge({ provider: provider.options({ maxTokenAgeSeconds: 0 }) })).toThrow(TypeError);
      expect(() =>
        makeBridge({ provider: provider.options({ maxTokenAgeSeconds: Number.POSITIVE_INFINITY }) }),
      ).toThrow(TypeError);
    });
  });

  describe('Authorization header', () => {
    it('answers 400 invalid_request for two Authorization headers', async () => {
      const app = buildApp(express, makeBridge({ provider: provider.options() }));
      const token = await provider.mint();
      expectBridgeError(
        await request(app)
          .get('/me')
          .set('Authorization', [`Bearer ${token}`, `Bearer ${token}`] as unknown as string),
        400,
        'ERR_BRIDGE_INVALID_REQUEST',
      );
      expectBridgeError(
        await request(app)
          .get('/me')
          .set('Authorization', [`Bearer ${token}`, 'Basic dXNlcjpwYXNz'] as unknown as string),
        400,
        'ERR_BRIDGE_INVALID_REQUEST',
      );
    });

    it.each([
      'Bearer,junk',
      'Bearer;junk',
      'Bearer:junk',
      'Bearer/junk',
      'BEARER,',
      'bearer=x',
      'Bearer.junk',
      'Bearer-junk',
    ])('does not fall back to a valid legacy cookie for the Bearer-like header %j', async (value) => {
      const store = memoryStore();
      const login = createLegacyLogin({ store, secret: SECRET });
      const app = buildApp(
        express,
        makeBridge({ legacy: { store, secret: SECRET }, provider: provider.options() }),
      );
      const { cookie } = await login.login('u-legacy');
      authFrom(await request(app).get('/me').set('Cookie', cookie));
      const res = await request(app).get('/me').set('Cookie', cookie).set('Authorization', value);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('ERR_BRIDGE_INVALID_REQUEST');
    });

    it('still ignores other schemes next to a valid legacy cookie', async () => {
      const store = memoryStore();
      const login = createLegacyLogin({ store, secret: SECRET });
      const app = buildApp(
        express,
        makeBridge({ legacy: { store, secret: SECRET }, provider: provider.options() }),
      );
      const { cookie } = await login.login('u-legacy');
      const auth = authFrom(
        await request(app).get('/me').set('Cookie', cookie).set('Authorization', 'Basic dXNlcjpwYXNz'),
      );
      expect(auth?.userId).toBe('u-legacy');
    });
  });

  describe('claim types', () => {
    it.each([
      ['client_id', ['x']],
      ['jti', true],
      ['scope', ['read']],
      ['client_id', 42],
    ])('refuses %s of type %j in any mode', async (claim, value) => {
      const app = buildApp(express, makeBridge({ provider: provider.options() }));
      const token = await provider.mint({ claims: { [claim]: value } });
      expectBridgeError(await bearerMe(app, token), 401, 'ERR_BRIDGE_TOKEN_INVALID');
    });

    it('refuses non-string client_id and jti in RFC 9068 strict mode, accepts strings', async () => {
      const app = buildApp(express, makeBridge({ provider: provider.options({ strictAccessToken: true }) }));
      const base = { typ: 'at+jwt', jti: 'j-1', client_id: 'c-1' };
      const good = await provider.mint(base);
      authFrom(await bearerMe(app, good));
      for (const claims of [{ client_id: ['x'] }, { jti: true }]) {
        const token = await provider.mint({ ...base, claims });
        expectBridgeError(await bearerMe(app, token), 401, 'ERR_BRIDGE_TOKEN_INVALID');
      }
    });
  });

  describe('proof-of-possession', () => {
    it('refuses a DPoP-bound token (cnf.jkt) presented as Bearer (RFC 9449 7.2)', async () => {
      const app = buildApp(express, makeBridge({ provider: provider.options() }));
      const token = await provider.mint({
        claims: { cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } },
      });
      expectBridgeError(await bearerMe(app, token), 401, 'ERR_BRIDGE_TOKEN_INVALID');
    });
  });

  describe('provider cookies', () => {
    it("does not let a token authenticate through another provider's cookie", async () => {
      const providers = [
        provider.options({ name: 'a', cookieName: 'a_jwt', bearer: false, userId: (c) => `a:${c.sub}` }),
        other.options({ name: 'b', cookieName: 'b_jwt', bearer: false, userId: (c) => `b:${c.sub}` }),
      ];
      const app = buildApp(express, makeBridge({ provider: providers }));
      const bToken = await other.mint();
      // B's token in A's cookie: refused.
      expectBridgeError(
        await request(app).get('/me').set('Cookie', `a_jwt=${bToken}`),
        401,
        'ERR_BRIDGE_UNTRUSTED_ISSUER',
      );
      // In its own cookie it works.
      const auth = authFrom(await request(app).get('/me').set('Cookie', `b_jwt=${bToken}`));
      expect(auth?.userId).toBe('b:user-1');
    });
  });

  it('still verifies tokens signed over an arbitrary payload spelling (signRawPayload)', async () => {
    const raw = JSON.stringify({ iss: provider.issuer, aud: AUDIENCE, sub: 's', exp: nowSeconds() + 60 });
    const token = await signRawPayload(provider.key, raw);
    const app = buildApp(express, makeBridge({ provider: provider.options() }));
    authFrom(await bearerMe(app, token));
  });
});
