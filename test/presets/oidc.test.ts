/** The `oidc()` preset: any other OpenID provider, with keys found through its discovery document. */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oidc } from '../../src/index.js';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { AUDIENCE, authFrom, type ProviderFixture, startProvider } from '../helpers/fixtures.js';

describe.each(expressVersions)('%s: oidc() preset', (_name, express) => {
  let provider: ProviderFixture;
  beforeAll(async () => {
    provider = await startProvider();
  });
  afterAll(() => provider.server.close());

  it('returns the provider options as given, as a copy', () => {
    const options = { issuer: provider.issuer, audience: AUDIENCE };
    const preset = oidc(options);
    expect(preset).toEqual(options);
    expect(preset).not.toBe(options);
  });

  it('authenticates a token of the issuer, its keys found through discovery', async () => {
    const { jwksUri: _jwksUri, ...withoutJwksUri } = provider.options();
    const app = buildApp(express, makeBridge({ provider: oidc(withoutJwksUri) }));
    const token = await provider.mint({ sub: 'oidc-user' });
    const res = await request(app).get('/me').set('Authorization', `Bearer ${token}`);
    expect(authFrom(res)).toMatchObject({ kind: 'provider', userId: 'oidc-user' });
  });
});
