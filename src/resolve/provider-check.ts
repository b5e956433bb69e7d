import {
  decodeJwt,
  decodeProtectedHeader,
  type JWTHeaderParameters,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose';
import type { ProviderConfig } from '../config.js';
import { BridgeError } from '../errors.js';
import { isCanonicalCompactJws } from '../sources/compact-jws.js';
import type { CredentialSource, ProviderCredential } from '../sources/provider-credential.js';
import { ProviderKeys } from './provider-keys.js';
import { UserLinker } from './user-linker.js';
import { MAX_TOKEN_LENGTH, verifyOptionsFor, verifyToken } from './verify-token.js';

/** One configured provider with the machinery built once at construction. */
export class ProviderRuntime {
  readonly config: ProviderConfig;
  readonly keys: ProviderKeys;
  readonly linker: UserLinker;
  readonly verifyOptions: JWTVerifyOptions;
  constructor(config: ProviderConfig, now: () => number, debug: (message: string) => void) {
    this.config = config;
    this.keys = new ProviderKeys(config, now, debug);
    this.linker = new UserLinker(config);
    this.verifyOptions = verifyOptionsFor(config);
  }
}

export type ProviderResult =
  | { state: 'none' }
  | {
      state: 'ok';
      source: CredentialSource;
      provider: string;
      userId: string;
      payload: JWTPayload;
      header: JWTHeaderParameters;
      token: string;
    }
  /** Rejected (`invalid`) or undecidable (`unavailable`); `source` is undefined for a malformed header. */
  | {
      state: 'invalid' | 'unavailable';
      source: CredentialSource | undefined;
      provider?: string;
      error: BridgeError;
    };

/** Picks the provider by the (not yet verified) `iss` claim; verification then checks it for real. */
function route(
  credential: Extract<ProviderCredential, { type: 'token' }>,
  runtimes: readonly ProviderRuntime[],
): ProviderRuntime {
  const { token } = credential;
  let iss: unknown;
  try {
    if (token.length > MAX_TOKEN_LENGTH) throw new Error('too large');
    if (!isCanonicalCompactJws(token)) throw new Error('not a canonical compact JWS');
    decodeProtectedHeader(token);
    iss = decodeJwt(token).iss;
  } catch (cause) {
    throw new BridgeError('ERR_BRIDGE_TOKEN_INVALID', 'The token is not a well-formed JWT.', { cause });
  }
  const runtime =
    typeof iss === 'string' ? runtimes.find((r) => r.config.issuers.includes(iss as string)) : undefined;
  // A credential counts only where the provider its issuer routes to looks for it.
  const accepted =
    credential.source === 'header'
      ? runtime?.config.bearer
      : runtime?.config.cookieName === credential.cookieName;
  if (!runtime || !accepted) {
    throw new BridgeError(
      'ERR_BRIDGE_UNTRUSTED_ISSUER',
      'The token was issued by an issuer this API does not trust.',
    );
  }
  return runtime;
}

/** Verifies the provider credential of a request and links it to a user. Never throws. */
export async function checkProvider(
  credential: ProviderCredential,
  runtimes: readonly ProviderRuntime[],
  now: number,
): Promise<ProviderResult> {
  if (credential.type === 'none') return { state: 'none' };
  if (credential.type === 'malformed') {
    return {
      state: 'invalid',
      source: 'header',
      error: new BridgeError(
        'ERR_BRIDGE_INVALID_REQUEST',
        `Malformed Authorization header: ${credential.reason}.`,
      ),
    };
  }
  const { token, source } = credential;
  let runtime: ProviderRuntime | undefined;
  try {
    runtime = route(credential, runtimes);
    const { payload, header } = await verifyToken(token, runtime.verifyOptions, runtime.keys, now);
    const userId = await runtime.linker.userId(payload);
    if (userId === undefined) {
      throw new BridgeError(
        'ERR_BRIDGE_IDENTITY_UNLINKED',
        'The token is valid but no user is linked to its identity.',
      );
    }
    return { state: 'ok', source, provider: runtime.config.name, userId, payload, header, token };
  } catch (err) {
    const error =
      err instanceof BridgeError
        ? err
        : new BridgeError('ERR_BRIDGE_TOKEN_INVALID', 'The token could not be verified.', { cause: err });
    return {
      state: error.status === 503 ? 'unavailable' : 'invalid',
      source,
      ...(runtime ? { provider: runtime.config.name } : {}),
      error,
    };
  }
}
