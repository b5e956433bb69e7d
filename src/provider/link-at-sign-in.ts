import type { LegacyResult } from '../legacy/reader.js';
import { settle } from '../util/with-timeout.js';
import type { ProviderResult, ProviderRuntime, VerifiedCredential } from './check.js';
import { LINK_TIMEOUT_MS } from './user-linker.js';

/** A request that may link (`shouldLink` decides): a valid legacy session and an unlinked provider identity. */
export interface LinkCandidate {
  /** The provider check's result, returned as it is when no link is made. */
  result: ProviderResult;
  /** The verified credential whose identity nothing links yet, and its provider. */
  unlinked: { runtime: ProviderRuntime; credential: VerifiedCredential };
  /** The legacy session that vouches for the link. */
  legacy: Extract<LegacyResult, { state: 'ok' }>;
}

/**
 * Linking at first sign-in: asks `provider.link` whether the candidate's provider identity belongs to its
 * legacy user. `true` links it (the app has stored the link; the bridge remembers it for `userIdCache.ttlMs`)
 * and the credential resolves to the legacy user. `false`, a throw (logged) or no answer within 5 s leave the
 * result as it was: unlinked.
 */
export async function linkAtSignIn(
  candidate: LinkCandidate,
  debug: (message: string) => void,
): Promise<ProviderResult> {
  const { result, legacy } = candidate;
  const { runtime, credential } = candidate.unlinked;
  const link = runtime.config.link;
  if (!link) return result;
  const { payload } = credential;
  let answer: unknown;
  try {
    answer = await settle(
      link(
        {
          provider: credential.provider,
          iss: String(payload.iss),
          sub: String(payload.sub),
          claims: payload,
          source: credential.source,
        },
        { userId: legacy.userId, session: legacy.session },
      ),
      LINK_TIMEOUT_MS,
      'provider.link',
    );
  } catch (err) {
    debug(`provider.link failed, the identity stays unlinked: ${String(err)}`);
    return result;
  }
  if (answer !== true) return result;
  runtime.linker.remember(payload, legacy.userId);
  const { identity: _identity, ...verified } = credential;
  return { state: 'ok', ...verified, userId: legacy.userId, linked: true };
}
