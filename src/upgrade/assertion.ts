import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { UpgradeSigningKey } from './signing-key.js';

/** Claims the bridge sets itself: `claims()` cannot override them. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'iat',
  'nbf',
  'exp',
  'jti',
]);

/** What one assertion says. */
export interface AssertionInput {
  issuer: string;
  audience: string;
  subject: string;
  /** Seconds since the epoch. */
  now: number;
  lifetimeSeconds: number;
  /** Extra claims, reserved ones already removed. */
  claims: Readonly<Record<string, unknown>>;
}

/** A fresh `jti`: 128 random bits, base64url. */
export function newJti(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Signs an upgrade assertion: a compact JWS with header `{ alg, kid, typ: 'JWT' }` and claims `iss`, `sub`,
 * `aud`, `iat`, `exp` (`lifetimeSeconds` after `iat`), `jti` (128 random bits, never reused), plus the extra
 * claims.
 */
export function signAssertion(key: UpgradeSigningKey, input: AssertionInput): Promise<string> {
  return new SignJWT({ ...input.claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(input.issuer)
    .setSubject(input.subject)
    .setAudience(input.audience)
    .setIssuedAt(input.now)
    .setExpirationTime(input.now + input.lifetimeSeconds)
    .setJti(newJti())
    .sign(key.privateKey);
}

/** `claims()`'s answer without the reserved claims; `undefined` when it is not a plain object. */
export function extraClaims(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [name, claim] of Object.entries(value)) if (!RESERVED_CLAIMS.has(name)) out[name] = claim;
  return out;
}
