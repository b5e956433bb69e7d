import {
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyOptions,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { BridgeError } from '../errors.js';
import type { ProviderConfig } from '../options/config.js';
import { KeysUnavailableError, type ProviderKeys } from './keys.js';

/** Longest token we try to verify; larger ones are rejected before any parsing. */
export const MAX_TOKEN_LENGTH = 16 * 1024;

const DATE_CLAIMS = ['exp', 'nbf', 'iat'] as const;
const RFC9068_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];
const STRING_CLAIMS = ['client_id', 'jti', 'scope'] as const;

export interface VerifiedToken {
  payload: JWTPayload;
  header: JWTHeaderParameters;
}

function invalid(message: string, cause?: unknown): BridgeError {
  return new BridgeError('ERR_BRIDGE_TOKEN_INVALID', message, { cause });
}

/** Maps jose's errors to ours without leaking details of keys or internals to the client. */
function toBridgeError(err: unknown): BridgeError {
  if (err instanceof BridgeError) return err;
  if (err instanceof KeysUnavailableError) {
    const e = new BridgeError(
      'ERR_BRIDGE_JWKS_UNAVAILABLE',
      'The signing keys of the provider are unavailable.',
      {
        cause: err,
      },
    );
    e.headers['Retry-After'] = String(err.retryAfter);
    return e;
  }
  if (err instanceof joseErrors.JWTExpired)
    return new BridgeError('ERR_BRIDGE_TOKEN_EXPIRED', 'The token has expired.', { cause: err });
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    return invalid(
      `The token's "${err.claim}" claim is ${err.reason === 'missing' ? 'missing' : 'not accepted'}.`,
      err,
    );
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed)
    return invalid('The token is signed with an algorithm that is not allowed.', err);
  if (err instanceof joseErrors.JWKSNoMatchingKey)
    return invalid('The token is signed with an unknown key.', err);
  if (err instanceof joseErrors.JWSSignatureVerificationFailed)
    return invalid('The token signature is invalid.', err);
  if (err instanceof joseErrors.JOSEError)
    return invalid('The token is malformed or cannot be verified.', err);
  // Anything else jose throws for hostile input (TypeError on a bad header, ...) is still the token's fault.
  return invalid('The token is malformed.', err);
}

/**
 * What jose leaves to us: finite numeric dates, `iat` not in the future, a non-empty string `sub`, string
 * `client_id`, `jti` and `scope` when present (RFC 9068, as express-oauth2-jwt-bearer checks), and no
 * proof-of-possession binding we cannot verify (RFC 9449 section 7.2: a DPoP-bound token, `cnf.jkt`, must not
 * be accepted as a bearer token; the same holds for any `cnf` confirmation method).
 */
function checkClaims(payload: JWTPayload, now: number, toleranceSeconds: number): void {
  for (const claim of DATE_CLAIMS) {
    const value = payload[claim];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw invalid(`The token's "${claim}" claim must be a finite number.`);
    }
  }
  if (payload.iat !== undefined && payload.iat > now / 1000 + toleranceSeconds) {
    throw invalid('The token\'s "iat" claim is in the future.');
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) {
    throw invalid('The token\'s "sub" claim must be a non-empty string.');
  }
  for (const claim of STRING_CLAIMS) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'string') {
      throw invalid(`The token's "${claim}" claim must be a string.`);
    }
  }
  if (payload.cnf !== undefined) {
    throw invalid(
      'The token is bound to a proof-of-possession key (cnf) and cannot be used as a Bearer token.',
    );
  }
}

/** The `jwtVerify` options of a provider, built once at construction (only the clock changes per call). */
export function verifyOptionsFor(config: ProviderConfig): JWTVerifyOptions {
  return {
    issuer: config.issuers,
    audience: config.audience,
    algorithms: config.algorithms,
    clockTolerance: config.clockToleranceSeconds,
    ...(config.maxTokenAgeSeconds === undefined ? {} : { maxTokenAge: config.maxTokenAgeSeconds }),
    requiredClaims: [
      ...new Set([
        'exp',
        'sub',
        ...(config.strictAccessToken ? RFC9068_CLAIMS : []),
        ...config.requiredClaims,
      ]),
    ],
    ...(config.strictAccessToken ? { typ: 'at+jwt' } : {}),
  };
}

/**
 * Verifies a provider JWT with jose against the provider's keys: explicit algorithm allowlist, issuer,
 * audience, `exp` and `sub` required, finite numeric dates, `iat` not in the future (and not older than
 * `maxTokenAgeSeconds` when set), small clock tolerance, RFC 9068 `typ` in strict mode.
 * `jku`, `x5u` and embedded `jwk` headers are never followed (keys come only from the provider's JWKS).
 * The caller bounds the token's length. Throws a `BridgeError`.
 */
export async function verifyToken(
  token: string,
  options: JWTVerifyOptions,
  keys: ProviderKeys,
  now: number,
): Promise<VerifiedToken> {
  try {
    const { payload, protectedHeader } = await jwtVerify(token, keys.getKey, {
      ...options,
      currentDate: new Date(now),
    });
    checkClaims(payload, now, typeof options.clockTolerance === 'number' ? options.clockTolerance : 0);
    return { payload, header: protectedHeader };
  } catch (err) {
    throw toBridgeError(err);
  }
}
