import { OptionChecks } from '../options/checks.js';
import type { ProviderOptions } from '../types.js';
import { presetUrl } from './preset-url.js';

/** Options of the `introspection()` preset; any `ProviderOptions` field overrides what the preset sets. */
export interface IntrospectionPresetOptions extends Partial<Omit<ProviderOptions, 'audience'>> {
  /** The RFC 7662 introspection endpoint. */
  endpoint: string;
  /** Client id and secret of this API at the authorization server (HTTP Basic, RFC 7662 section 2.1). */
  clientId: string;
  clientSecret: string;
  /** `payload.iss` of introspected tokens. Default: the endpoint's origin. */
  issuer?: string;
  /**
   * Required: the answer's `aud` must contain one of these. `null` knowingly accepts a token issued for any
   * client of the authorization server.
   */
  audience: string | string[] | null;
}

/**
 * Any opaque access token, checked with RFC 7662 token introspection. By design every non-JWT Bearer value is
 * sent to the configured endpoint (opaque access tokens have no common shape): it must be your own
 * authorization server, which sees whatever Bearer values your clients send.
 */
export function introspection(options: IntrospectionPresetOptions): ProviderOptions {
  const { endpoint, clientId, clientSecret, issuer, audience, ...overrides } = options;
  const origin = new URL(
    presetUrl('introspection', 'endpoint', endpoint, 'https://idp.example.com/oauth2/introspect'),
  ).origin;
  for (const [name, value] of [
    ['clientId', clientId],
    ['clientSecret', clientSecret],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0) {
      new OptionChecks('introspection()').missing(
        name,
        'pass the client this API uses at the authorization server.',
      );
    }
  }
  return {
    name: 'introspection',
    issuer: issuer ?? origin,
    jwt: false,
    bearer: true,
    session: {
      check: 'introspection',
      endpoint,
      clientId,
      clientSecret,
      audience,
    },
    ...overrides,
  };
}
