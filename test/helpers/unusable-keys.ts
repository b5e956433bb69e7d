/**
 * JWKS entries that must never verify a token, as a misconfigured provider might publish them next to its good
 * keys, each with a token that names it (header `kid`, an algorithm of the entry's key type) so a test can show
 * the entry is skipped rather than used or treated as an outage.
 */
import { randomBytes } from 'node:crypto';
import { base64url, exportJWK, generateKeyPair } from 'jose';
import { createSigningKey, mintToken, type SigningKey, type TokenOverrides } from './tokens.js';

export interface UnusableEntry {
  /** What is wrong with it, for test names. */
  label: string;
  entry: unknown;
  /** A token whose header names this entry, or `undefined` when the entry cannot be named (no kid). */
  token?: (claims: TokenOverrides) => Promise<string>;
}

/** The algorithms the tokens of `unusableEntries()` use: allow both so each token reaches key selection. */
export const UNUSABLE_ENTRY_ALGORITHMS = ['RS256', 'ES256'] as const;

/**
 * One of each kind of entry jose cannot (or must not) import for verification. The private key is a real RS256
 * key pair whose private JWK (with `d`) is published: a token it signs must still be rejected. Some entries make
 * WebCrypto's import throw (no `n`, a point off the curve); others import but can never verify (a 72-bit "modulus").
 */
export async function unusableEntries(): Promise<UnusableEntry[]> {
  const leaked = await createSigningKey({ alg: 'RS256', kid: 'leaked-private' });
  const privateJwk = { ...(await exportJWK(leaked.privateKey)), kid: leaked.kid, alg: 'RS256', use: 'sig' };
  const attacker = await createSigningKey({ alg: 'RS256' });
  const ecAttacker = await createSigningKey({ alg: 'ES256' });
  const encPair = await generateKeyPair('RSA-OAEP', { extractable: true });
  const encJwk = { ...(await exportJWK(encPair.publicKey)), kid: 'enc-key', use: 'enc' };
  const namedBy =
    (key: SigningKey, kid: string) =>
    (claims: TokenOverrides): Promise<string> =>
      mintToken(key, { ...claims, kid });
  return [
    { label: 'a private key (d)', entry: privateJwk, token: namedBy(leaked, leaked.kid) },
    {
      label: 'a symmetric oct key',
      entry: { kty: 'oct', kid: 'hmac', alg: 'HS256', use: 'sig', k: base64url.encode(randomBytes(32)) },
      token: namedBy(attacker, 'hmac'),
    },
    {
      label: 'an unknown kty',
      entry: { kty: 'QUANTUM', kid: 'future', use: 'sig', x: 'AAAA' },
      token: namedBy(attacker, 'future'),
    },
    { label: 'an encryption key (use: enc)', entry: encJwk, token: namedBy(attacker, 'enc-key') },
    {
      label: 'an RSA key with a broken n',
      entry: { kty: 'RSA', kid: 'broken-n', alg: 'RS256', use: 'sig', n: '%%not base64url%%', e: 'AQAB' },
      token: namedBy(attacker, 'broken-n'),
    },
    {
      label: 'an RSA key without n',
      entry: { kty: 'RSA', kid: 'no-n', alg: 'RS256', use: 'sig', e: 'AQAB' },
      token: namedBy(attacker, 'no-n'),
    },
    {
      label: 'an EC key whose point is not on the curve',
      entry: { kty: 'EC', kid: 'off-curve', crv: 'P-256', alg: 'ES256', use: 'sig', x: 'AAAA', y: 'AAAA' },
      token: namedBy(ecAttacker, 'off-curve'),
    },
    {
      label: 'an EC key on an unknown curve',
      entry: { kty: 'EC', kid: 'odd-curve', crv: 'P-999', x: 'AAAA', y: 'AAAA', use: 'sig' },
      token: namedBy(attacker, 'odd-curve'),
    },
    { label: 'a string', entry: 'not-a-key' },
    { label: 'null', entry: null },
  ];
}
