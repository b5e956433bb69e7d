/**
 * A preset's mistakes are reported in the preset's own words: the option the user wrote (`url`, `endpoint`,
 * `domain`), the preset's name and an example of that provider, never `provider.issuer` or another provider's URL.
 */
import { describe, expect, it } from 'vitest';
import { auth0 } from '../../src/presets/auth0.js';
import { authgear } from '../../src/presets/authgear.js';
import { introspection } from '../../src/presets/introspection.js';
import { ory } from '../../src/presets/ory.js';
import { stytch } from '../../src/presets/stytch.js';
import type { ProviderOptions } from '../../src/types.js';
import { makeBridge } from '../helpers/apps.js';

/** The TypeError the preset, or a bridge built from it, throws. */
function errorOf(build: () => ProviderOptions): TypeError {
  try {
    makeBridge({ provider: build() });
  } catch (err) {
    expect(err).toBeInstanceOf(TypeError);
    return err as TypeError;
  }
  throw new Error('expected a TypeError');
}

const cases: Array<[string, () => ProviderOptions, RegExp, RegExp]> = [
  ['ory() with a plain-http URL', () => ory({ url: 'http://ory.example.com' }), /^ory\(\): `url`/, /oryapis/],
  ['ory() without a URL', () => ory({} as never), /^ory\(\): `url` is required/, /oryapis/],
  [
    'ory() with a plain-http tokenized key set',
    () =>
      ory({ url: 'https://x.projects.oryapis.com', tokenized: { jwksUri: 'http://keys.example.com/jwks' } }),
    /^ory\(\): `tokenized\.jwksUri`/,
    /ory-jwks/,
  ],
  [
    'authgear() with a plain-http endpoint',
    () => authgear({ endpoint: 'http://myapp.example.com' }),
    /^authgear\(\): `endpoint`/,
    /authgear\.cloud/,
  ],
  [
    'introspection() with a plain-http endpoint',
    () =>
      introspection({
        endpoint: 'http://idp.example.com/introspect',
        clientId: 'api',
        clientSecret: 's',
        audience: 'api',
      }),
    /^introspection\(\): `endpoint`/,
    /introspect/,
  ],
  [
    'introspection() without a client secret',
    () => introspection({ endpoint: 'https://idp.example.com/introspect', clientId: 'api' } as never),
    /^introspection\(\): `clientSecret` is required/,
    /authorization server/,
  ],
  [
    'auth0() without an audience',
    () => auth0({ domain: 'tenant.eu.auth0.com' } as never),
    /^auth0\(\): `audience` is required/,
    /api\.example\.com/,
  ],
  [
    'auth0() with a path in the domain',
    () => auth0({ domain: 'tenant.auth0.com/x', audience: 'a' }),
    /^auth0\(\): `domain`/,
    /auth0\.com/,
  ],
  [
    'stytch() with a malformed project id',
    () => stytch({ projectId: 'abc' }),
    /^stytch\(\): `projectId`/,
    /project-live/,
  ],
];

describe('preset errors', () => {
  it.each(cases)('%s names the preset and its own option', (_name, build, names, example) => {
    const error = errorOf(build);
    expect(error.message).toMatch(names);
    expect(error.message).toMatch(example);
    expect(error.message).not.toContain('provider.issuer');
    if (!/^auth0/.test(error.message)) expect(error.message).not.toMatch(/auth0/i);
  });
});
