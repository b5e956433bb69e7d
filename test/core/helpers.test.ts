/**
 * The hostile tokens and fixtures of the core suite are what they claim to be: a rejection test is only
 * meaningful if its token is wrong in exactly the way its name says (and right in every other way).
 */
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, exportSPKI, jwtVerify } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, type ProviderFixture, startProvider } from '../helpers/fixtures.js';
import { createLegacyLogin, getSession, memoryStore, signedCookie } from '../helpers/legacy.js';
import {
  algNoneToken,
  embeddedJwkToken,
  hs256ConfusionToken,
  infiniteExpToken,
  tamperPayload,
  wrongKeyToken,
} from '../helpers/tokens.js';

describe('test fixtures', () => {
  let provider: ProviderFixture;

  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(async () => {
    await provider.server.close();
  });

  it('serves discovery and a JWKS that verifies minted tokens, counting requests', async () => {
    const discovery = (await (await fetch(provider.server.discoveryUrl)).json()) as Record<string, string>;
    expect(discovery).toEqual({ issuer: provider.issuer, jwks_uri: provider.server.jwksUri });
    const jwks = createRemoteJWKSet(new URL(provider.server.jwksUri));
    const { payload } = await jwtVerify(await provider.mint(), jwks, {
      issuer: provider.issuer,
      audience: AUDIENCE,
    });
    expect(payload.sub).toBe('user-1');
    expect(provider.server.counts).toMatchObject({ discovery: 1, jwks: 1 });
    expect((await fetch(`${provider.server.origin}//.well-known/openid-configuration`)).status).toBe(404);
  });

  it('hand-builds an alg none token', () => {
    const token = algNoneToken({ iss: provider.issuer });
    expect(decodeProtectedHeader(token).alg).toBe('none');
    expect(token.endsWith('.')).toBe(true);
  });

  it('signs the HS256 confusion token with the public key bytes', async () => {
    const token = await hs256ConfusionToken(provider.key, { iss: provider.issuer, aud: AUDIENCE });
    const secret = new TextEncoder().encode(await exportSPKI(provider.key.publicKey));
    const { protectedHeader } = await jwtVerify(token, secret, { algorithms: ['HS256'] });
    expect(protectedHeader).toMatchObject({ alg: 'HS256', kid: provider.key.kid });
  });

  it('produces an exp that parses as Infinity under a valid signature', async () => {
    const token = await infiniteExpToken(provider.key, { iss: provider.issuer, aud: AUDIENCE });
    expect(decodeJwt(token).exp).toBe(Number.POSITIVE_INFINITY);
    expect(decodeProtectedHeader(token).kid).toBe(provider.key.kid);
  });

  it('names the trusted kid in a token signed by another key', async () => {
    const token = await wrongKeyToken(provider.key, { iss: provider.issuer, aud: AUDIENCE });
    expect(decodeProtectedHeader(token).kid).toBe(provider.key.kid);
    const jwks = createRemoteJWKSet(new URL(provider.server.jwksUri));
    await expect(jwtVerify(token, jwks)).rejects.toThrow(/signature/);
  });

  it('keeps header and signature when tampering with the payload', async () => {
    const original = await provider.mint({ iss: provider.issuer, aud: AUDIENCE });
    const tampered = tamperPayload(original, { sub: 'admin' });
    expect(decodeJwt(tampered).sub).toBe('admin');
    expect(tampered.split('.')[2]).toBe(original.split('.')[2]);
  });

  it('embeds the attacker key in the header', async () => {
    const header = decodeProtectedHeader(await embeddedJwkToken({ iss: provider.issuer }));
    expect(header.jwk).toMatchObject({ kty: 'RSA' });
  });

  it('creates a legacy login that express-session itself accepts', async () => {
    const store = memoryStore();
    const legacy = createLegacyLogin({ store, secret: ['new', 'old'] });
    const { sid, cookie } = await legacy.login('u-1');
    expect(cookie).toBe(signedCookie(sid, 'new'));
    expect(await getSession(store, sid)).toMatchObject({ userId: 'u-1' });
    const passport = await legacy.login('p-1', { shape: 'passport' });
    expect(await getSession(store, passport.sid)).toMatchObject({ passport: { user: 'p-1' } });
    // The legacy app's own session middleware recognises the cookie (it does not issue a new one).
    const res = await request(legacy.app).get('/nothing').set('Cookie', cookie);
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});
