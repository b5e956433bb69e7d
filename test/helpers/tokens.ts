/**
 * Token minting for tests: real keys from jose `generateKeyPair`, real signatures from `SignJWT` /
 * `CompactSign`, and hand-built hostile tokens (alg none, HS256 key confusion, Infinity exp, ...).
 *
 * Claim overrides follow one rule: `undefined` keeps the default, `null` omits the claim or header.
 */
import { randomUUID } from 'node:crypto';
import {
  base64url,
  CompactSign,
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  SignJWT,
} from 'jose';

export type TokenAlg = 'RS256' | 'ES256';

export interface SigningKey {
  kid: string;
  alg: TokenAlg;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** Public JWK as a JWKS endpoint publishes it (`kid`, `alg`, `use: 'sig'`). */
  publicJwk: JWK;
}

export async function createSigningKey(options: { alg?: TokenAlg; kid?: string } = {}): Promise<SigningKey> {
  const alg = options.alg ?? 'RS256';
  const kid = options.kid ?? `kid-${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { kid, alg, privateKey, publicKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } };
}

/** Claim and header overrides. `undefined`: default; `null`: leave the claim/header out. */
export interface TokenOverrides {
  iss?: string | null;
  aud?: string | string[] | null;
  /** Any JSON value, to build hostile tokens (number, empty string, ...). Default `'user-1'`. */
  sub?: unknown;
  /** Seconds since the epoch. Default: now + 10 minutes. */
  exp?: number | null;
  nbf?: number | null;
  /** Default: now. */
  iat?: number | null;
  jti?: string | null;
  client_id?: string | null;
  /** Extra claims, merged last. */
  claims?: Record<string, unknown>;
  /** Header `kid`. Default: the signing key's kid. */
  kid?: string | null;
  /** Header `typ`. Default `'JWT'`. */
  typ?: string | null;
  /** Extra protected header parameters (`jwk`, `jku`, `x5u`, ...), merged last. */
  header?: Record<string, unknown>;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function put(target: Record<string, unknown>, name: string, value: unknown, fallback: unknown): void {
  if (value === null) return;
  const chosen = value === undefined ? fallback : value;
  if (chosen !== undefined) target[name] = chosen;
}

/** The payload a token would carry for these overrides. */
export function buildClaims(overrides: TokenOverrides = {}): Record<string, unknown> {
  const now = nowSeconds();
  const claims: Record<string, unknown> = {};
  put(claims, 'iss', overrides.iss, undefined);
  put(claims, 'aud', overrides.aud, undefined);
  put(claims, 'sub', overrides.sub, 'user-1');
  put(claims, 'iat', overrides.iat, now);
  put(claims, 'nbf', overrides.nbf, undefined);
  put(claims, 'exp', overrides.exp, now + 600);
  put(claims, 'jti', overrides.jti, undefined);
  put(claims, 'client_id', overrides.client_id, undefined);
  return { ...claims, ...overrides.claims };
}

function buildHeader(
  alg: string,
  kid: string | undefined,
  overrides: TokenOverrides,
): Record<string, unknown> {
  const header: Record<string, unknown> = { alg };
  put(header, 'kid', overrides.kid, kid);
  put(header, 'typ', overrides.typ, 'JWT');
  return { ...header, ...overrides.header };
}

/** A correctly signed JWT (jose `SignJWT`). */
export async function mintToken(key: SigningKey, overrides: TokenOverrides = {}): Promise<string> {
  const header = buildHeader(key.alg, key.kid, overrides);
  return new SignJWT(buildClaims(overrides))
    .setProtectedHeader({ ...header, alg: key.alg })
    .sign(key.privateKey);
}

/** Signs an arbitrary payload text (not necessarily what `JSON.stringify` would produce). */
export async function signRawPayload(
  key: SigningKey,
  payloadJson: string,
  overrides: TokenOverrides = {},
): Promise<string> {
  const header = buildHeader(key.alg, key.kid, overrides);
  return new CompactSign(new TextEncoder().encode(payloadJson))
    .setProtectedHeader({ ...header, alg: key.alg })
    .sign(key.privateKey);
}

/** A minter bound to one key and default claims (issuer, audience). */
export function tokenMinter(
  key: SigningKey,
  defaults: TokenOverrides,
): (overrides?: TokenOverrides) => Promise<string> {
  return (overrides = {}) => mintToken(key, { ...defaults, ...overrides });
}

function encodeJson(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

/** `alg: none`, no signature (hand-built: jose refuses to produce one through `SignJWT`). */
export function algNoneToken(overrides: TokenOverrides = {}): string {
  const header = { alg: 'none', typ: 'JWT', ...overrides.header };
  return `${encodeJson(header)}.${encodeJson(buildClaims(overrides))}.`;
}

/**
 * HS256 "key confusion": HMAC-signed with the bytes of the RSA/EC public key (PEM), which a naive verifier
 * that takes `alg` from the header would accept. The header names the trusted key's kid.
 */
export async function hs256ConfusionToken(key: SigningKey, overrides: TokenOverrides = {}): Promise<string> {
  const pem = await exportSPKI(key.publicKey);
  const header = buildHeader('HS256', key.kid, overrides);
  return new SignJWT(buildClaims(overrides))
    .setProtectedHeader({ ...header, alg: 'HS256' })
    .sign(new TextEncoder().encode(pem));
}

/** Signed with a key the provider never published, but naming the trusted kid. */
export async function wrongKeyToken(trusted: SigningKey, overrides: TokenOverrides = {}): Promise<string> {
  const attacker = await createSigningKey({ alg: trusted.alg, kid: trusted.kid });
  return mintToken(attacker, overrides);
}

/** Replaces claims in an existing token's payload, keeping its header and signature. */
export function tamperPayload(token: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined) {
    throw new Error('tamperPayload: not a compact JWS');
  }
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
  return `${header}.${encodeJson({ ...claims, ...changes })}.${signature}`;
}

/** Correctly signed, but `"exp":1e400` in the payload text, which `JSON.parse` turns into `Infinity`. */
export async function infiniteExpToken(key: SigningKey, overrides: TokenOverrides = {}): Promise<string> {
  const claims = buildClaims({ ...overrides, exp: null });
  const json = JSON.stringify(claims);
  const payloadJson = `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}"exp":1e400}`;
  return signRawPayload(key, payloadJson, overrides);
}

/** Signed by an attacker key that is embedded in the header as `jwk` (RFC 8725: never trust it). */
export async function embeddedJwkToken(overrides: TokenOverrides = {}): Promise<string> {
  const attacker = await createSigningKey();
  return mintToken(attacker, { ...overrides, header: { jwk: attacker.publicJwk, ...overrides.header } });
}

/**
 * Signed by an attacker key published at `jkuUrl` and named by a `jku` header (RFC 8725: never follow it).
 * Publish `attacker.publicJwk` on a server at `jkuUrl` to see whether the verifier fetches it.
 */
export async function jkuToken(
  attacker: SigningKey,
  jkuUrl: string,
  overrides: TokenOverrides = {},
): Promise<string> {
  return mintToken(attacker, { ...overrides, header: { jku: jkuUrl, ...overrides.header } });
}
