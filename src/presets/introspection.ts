import { OptionChecks } from '../options/checks.js';
import type { ProviderOptions } from '../types.js';

/** Options of the `introspection()` preset; any `ProviderOptions` field overrides what the preset sets. */
export interface IntrospectionPresetOptions extends Partial<Omit<ProviderOptions, 'audience'>> {
  /** The RFC 7662 introspection endpoint. */
  endpoint: string;
  /** Client id and secret of this API at the authorization server (HTTP Basic, RFC 7662 section 2.1). */
  clientId: string;
  clientSecret: string;
  /** `payload.iss` of introspected tokens. Default: the endpoint's origin. */
  issuer?: string;
  /** When set, the answer's `aud` must contain one of these. */
  audience?: string | string[];
}

/** Any opaque access token, checked with RFC 7662 token introspection. */
export function introspection(options: IntrospectionPresetOptions): ProviderOptions {
  const { endpoint, clientId, clientSecret, issuer, audience, ...overrides } = options;
  let origin: string;
  try {
    origin = new URL(endpoint).origin;
  } catch {
    return new OptionChecks('introspection()').invalid(
      'endpoint',
      endpoint,
      'the URL of your introspection endpoint',
    );
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
      ...(audience === undefined ? {} : { audience }),
    },
    ...overrides,
  };
}
