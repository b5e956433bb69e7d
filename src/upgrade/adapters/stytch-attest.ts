import type { UpgradeExchange } from '../types.js';
import {
  adapterChecks,
  basicAuth,
  knownOptions,
  optionalOption,
  postToProvider,
  providerUrl,
  requiredOption,
  requiredString,
} from './provider-call.js';

/** Options of `stytchAttest()`. */
export interface StytchAttestOptions {
  /** Required. Your Stytch project id, e.g. `project-live-6a1f...`. */
  projectId: string;
  /** Required. The project's secret (HTTP Basic with the project id). Never logged. */
  secret: string;
  /** Required. The id of your trusted auth token profile. */
  profileId: string;
  /** Required. Minutes the Stytch session lasts, 5 to 527040 (without it Stytch creates no session). */
  sessionDurationMinutes: number;
  /** Default: `https://test.stytch.com` or `https://api.stytch.com`, from the project id. */
  apiBase?: string;
  /** The session custom claim carrying the legacy user id, for `provider.linkClaim`. Default `'legacy_user_id'`. */
  legacyUserIdClaim?: string;
}

const KEYS: Array<keyof StytchAttestOptions> = [
  'projectId',
  'secret',
  'profileId',
  'sessionDurationMinutes',
  'apiBase',
  'legacyUserIdClaim',
];

/** Stytch's own session cookies, as its SDKs read them. */
export const STYTCH_SESSION_COOKIE = 'stytch_session';
export const STYTCH_JWT_COOKIE = 'stytch_session_jwt';

/**
 * Stytch Attest Session (trusted auth tokens): `POST {apiBase}/v1/sessions/attest` with the project id and
 * secret, the profile id, the bridge's assertion as `token`, `session_duration_minutes`, and the legacy user
 * id in `session_custom_claims` (so the session JWT carries it: `provider.linkClaim: 'legacy_user_id'`).
 *
 * In the Stytch dashboard: create a trusted auth token profile with the issuer (`upgrade.issuer`), the
 * audience (`upgrade.audience`), the JWKS URL (where you mount `bridge.upgradeKeys()`) and an attribute
 * mapping with `email` and `token_id` (map `token_id` to `jti`, `email` to the claim `upgrade.claims()` adds).
 * Users must exist in Stytch first unless the profile can JIT-provision.
 */
export function stytchAttest(options: StytchAttestOptions): UpgradeExchange {
  const f = 'stytchAttest';
  const given = knownOptions(f, options, KEYS);
  const projectId = requiredOption(
    f,
    'projectId',
    given.projectId,
    "your Stytch project id, e.g. 'project-live-6a1f...'",
  );
  const check = adapterChecks(f);
  if (!/^project-(test|live)-[A-Za-z0-9-]+$/.test(projectId)) {
    check.invalid(
      'projectId',
      projectId,
      'a Stytch project id',
      "your project id, e.g. 'project-live-6a1f...'",
    );
  }
  const secret = requiredOption(f, 'secret', given.secret, "the project's secret");
  const profileId = requiredOption(
    f,
    'profileId',
    given.profileId,
    'the id of your trusted auth token profile',
  );
  const minutes = given.sessionDurationMinutes;
  const durationHint = 'the minutes of the Stytch session, e.g. 60';
  if (minutes === undefined) {
    check.missing('sessionDurationMinutes', `pass ${durationHint} (without it Stytch creates no session).`);
  }
  if (typeof minutes !== 'number' || !Number.isSafeInteger(minutes) || minutes < 5 || minutes > 527040) {
    check.invalid('sessionDurationMinutes', minutes, 'a whole number from 5 up to 527040', durationHint);
  }
  const apiBase =
    given.apiBase === undefined
      ? `https://${projectId.startsWith('project-live-') ? 'api' : 'test'}.stytch.com`
      : providerUrl(f, 'apiBase', given.apiBase, 'https://api.stytch.com');
  const claim =
    optionalOption(f, 'legacyUserIdClaim', given.legacyUserIdClaim, "a claim name, e.g. 'legacy_user_id'") ??
    'legacy_user_id';
  const url = `${apiBase}/v1/sessions/attest`;
  const authorization = basicAuth(projectId, secret);
  return {
    kind: 'stytch-attest',
    audience: undefined,
    usesAssertion: true,
    async exchange({ assertion, userId, signal }) {
      const { body } = await postToProvider(f, url, {
        headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          profile_id: profileId,
          token: assertion,
          session_duration_minutes: minutes,
          session_custom_claims: { [claim]: userId },
        }),
        signal,
      });
      const record = body as Record<string, unknown>;
      const sessionToken = requiredString(f, record, 'session_token');
      const sessionJwt = requiredString(f, record, 'session_jwt');
      return {
        tokens: { session_token: sessionToken, session_jwt: sessionJwt },
        credential: sessionJwt,
        cookies: [
          { name: STYTCH_SESSION_COOKIE, value: sessionToken },
          { name: STYTCH_JWT_COOKIE, value: sessionJwt },
        ],
        expiresInSeconds: (minutes as number) * 60,
        subject: requiredString(f, record, 'user_id'),
      };
    },
  };
}
