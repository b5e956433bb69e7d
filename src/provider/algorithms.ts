import type { ProviderAlgorithm } from '../types.js';

/**
 * The algorithm allowlist, defined once: the asymmetric JWS algorithms jose verifies with a key from a JWKS,
 * which `algorithms` may name. Never `none` or HMAC. The record keeps it complete against `ProviderAlgorithm`.
 */
const ALGORITHMS: Record<ProviderAlgorithm, true> = {
  RS256: true,
  RS384: true,
  RS512: true,
  PS256: true,
  PS384: true,
  PS512: true,
  ES256: true,
  ES384: true,
  ES512: true,
  EdDSA: true,
  Ed25519: true,
};

/** Every allowed algorithm, in a stable order (for messages). */
export const PROVIDER_ALGORITHMS: readonly ProviderAlgorithm[] = Object.keys(
  ALGORITHMS,
) as ProviderAlgorithm[];

/** `alg` is on the allowlist. */
export function isProviderAlgorithm(alg: unknown): alg is ProviderAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(ALGORITHMS, alg);
}

/**
 * The algorithms the bridge itself signs with (`upgrade.signingKey.alg`): the part of the allowlist every
 * provider's trust profile accepts (Stytch, Auth0, RFC 7523/8693 servers), so a provider verifying the bridge's
 * assertion applies the same rule as the bridge verifying the provider's tokens.
 */
export const SIGNING_ALGORITHMS = ['RS256', 'ES256'] as const satisfies readonly ProviderAlgorithm[];

/** One of `SIGNING_ALGORITHMS`. */
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];
