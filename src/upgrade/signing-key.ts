import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { isRecord, type OptionChecks } from '../options/checks.js';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../provider/algorithms.js';

/** The algorithms an upgrade assertion may be signed with (the shared `SIGNING_ALGORITHMS`). */
export type UpgradeAlgorithm = SigningAlgorithm;

/** JWK members that only a private key has: never served. */
export const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The signing key, ready: the private `KeyObject` and the public JWK the key set serves. */
export interface UpgradeSigningKey {
  kid: string;
  alg: UpgradeAlgorithm;
  privateKey: KeyObject;
  publicJwk: JWK;
}

/** The public JWK of `key`, rebuilt from the key material: nothing but the public members, `kid`, `alg`, `use`. */
function publicJwkOf(key: KeyObject, kid: string, alg: UpgradeAlgorithm): JWK {
  const jwk = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' }) as JWK;
  return { ...jwk, kid, alg, use: 'sig' };
}

function kidAndAlg(check: OptionChecks, name: string, value: Record<string, unknown>) {
  const kid = value.kid;
  if (typeof kid !== 'string' || kid.length === 0) {
    check.missing(`${name}.kid`, "give the key an id (the JWS header names it), e.g. 'upgrade-2026-01'.");
  }
  const alg = value.alg;
  if (!(SIGNING_ALGORITHMS as readonly unknown[]).includes(alg)) {
    check.invalid(
      `${name}.alg`,
      alg,
      `one of ${SIGNING_ALGORITHMS.map((a) => `'${a}'`).join(', ')}`,
      'the algorithm of the key (RSA: RS256, EC P-256: ES256)',
    );
  }
  return { kid: kid as string, alg: alg as UpgradeAlgorithm };
}

function checkMaterial(check: OptionChecks, name: string, key: KeyObject, alg: UpgradeAlgorithm): void {
  const details = key.asymmetricKeyDetails;
  if (alg === 'RS256') {
    if (key.asymmetricKeyType !== 'rsa' || (details?.modulusLength ?? 0) < 2048) {
      check.fail(`\`${name}\` must be an RSA key of at least 2048 bits for RS256.`);
    }
  } else if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    check.fail(`\`${name}\` must be an EC P-256 key for ES256.`);
  }
}

/** `upgrade.signingKey`: a private JWK with `kid` and `alg` `RS256` or `ES256`. */
export function parseSigningKey(check: OptionChecks, value: unknown): UpgradeSigningKey {
  const name = 'upgrade.signingKey';
  if (!isRecord(value) || typeof value.d !== 'string') {
    check.missing(
      name,
      `pass the private JWK the bridge signs assertions with, with \`kid\` and \`alg\` (${SIGNING_ALGORITHMS.join(' or ')}), e.g. from jose \`exportJWK(privateKey)\`. Every instance needs the same key.`,
    );
  }
  const jwk = value as Record<string, unknown>;
  const { kid, alg } = kidAndAlg(check, name, jwk);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: jwk as JWK & { kty: string }, format: 'jwk' });
  } catch {
    return check.fail(
      `\`${name}\` is not a usable private JWK: export it with jose \`exportJWK(privateKey)\`.`,
    );
  }
  checkMaterial(check, name, privateKey, alg);
  return { kid, alg, privateKey, publicJwk: publicJwkOf(privateKey, kid, alg) };
}

/** `upgrade.previousKeys`: public JWKs still published during a rotation (private members are refused). */
export function parsePreviousKeys(check: OptionChecks, value: unknown, current: string): JWK[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    check.invalid(
      'upgrade.previousKeys',
      value,
      'an array of public JWKs',
      'jose `exportJWK(publicKey)` of each',
    );
  }
  const kids = new Set([current]);
  return (value as unknown[]).map((entry, i) => {
    const name = `upgrade.previousKeys[${i}]`;
    if (!isRecord(entry)) return check.invalid(name, entry, 'a public JWK', 'jose `exportJWK(publicKey)`');
    if (PRIVATE_MEMBERS.some((m) => Object.hasOwn(entry, m))) {
      check.fail(
        `\`${name}\` holds private key members: pass only its public half (jose \`exportJWK(publicKey)\`).`,
      );
    }
    const { kid, alg } = kidAndAlg(check, name, entry);
    if (kids.has(kid))
      check.fail(`\`${name}.kid\` (${kid}) is used by another key: every key needs its own kid.`);
    kids.add(kid);
    let key: KeyObject;
    try {
      key = createPublicKey({ key: entry as JWK & { kty: string }, format: 'jwk' });
    } catch {
      return check.fail(`\`${name}\` is not a usable public JWK.`);
    }
    checkMaterial(check, name, key, alg);
    return publicJwkOf(key, kid, alg);
  });
}
