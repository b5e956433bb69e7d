import { OptionChecks } from '../options/checks.js';
import type { ProviderOptions } from '../types.js';

/** Options of the `ory()` preset; any `ProviderOptions` field overrides what the preset sets. */
export interface OryPresetOptions extends Partial<ProviderOptions> {
  /** Your Ory project URL (`https://{slug}.projects.oryapis.com`, or your custom domain), or Kratos' public URL. */
  url: string;
  /**
   * Also accept tokenized sessions (`/sessions/whoami?tokenize_as=...`): JWTs signed with the key set of your
   * token template. `audience` is what the template puts in `aud`; without it `aud` is not checked.
   */
  tokenized?: { jwksUri: string; audience?: string | string[] };
}

/**
 * Ory sessions: the `ory_session_*` (Ory Network) or `ory_kratos_session` (Kratos) cookie, `X-Session-Token`,
 * or `Authorization: Bearer ory_st_...`, checked with `GET {url}/sessions/whoami`; the subject is
 * `identity.id`. With `tokenized`, tokenized session JWTs are verified locally too.
 */
export function ory(options: OryPresetOptions): ProviderOptions {
  const { url, tokenized, ...overrides } = options;
  if (typeof url !== 'string' || url.length === 0) {
    new OptionChecks('ory()').missing(
      'url',
      "pass your Ory project URL, e.g. 'https://{slug}.projects.oryapis.com'.",
    );
  }
  const issuer = url.replace(/\/+$/, '');
  const jwt: Partial<ProviderOptions> = tokenized
    ? {
        jwksUri: tokenized.jwksUri,
        audience: tokenized.audience ?? null,
        algorithms: ['ES256', 'RS256', 'EdDSA'],
      }
    : { jwt: false };
  return {
    name: 'ory',
    issuer,
    bearer: true,
    session: { check: 'ory-whoami', url: issuer },
    ...jwt,
    ...overrides,
  };
}
