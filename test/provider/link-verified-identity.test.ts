/**
 * `provider.link` and `provider.userId` for opaque sessions receive the identity the provider verified, so the
 * README's linking example (compare the provider's verified email with the legacy user's) works for Ory as it
 * does for JWTs, against a real Ory whoami stand-in and a real express-session login.
 */

import type { JWTPayload } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ory } from '../../src/presets/ory.js';
import type { ProviderIdentity } from '../../src/types.js';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { expressVersions } from '../helpers/express-versions.js';
import { authFrom, expectBridgeError } from '../helpers/fixtures.js';
import { createLegacyLogin, memoryStore } from '../helpers/legacy.js';
import { type OryStandin, startOryStandin } from '../helpers/ory-standin.js';

const SECRET = 'legacy-secret';
/** The legacy database of the README example. */
const USERS = new Map([['u-1', { email: 'ada@example.com' }]]);

describe.each(expressVersions)('%s: linking an Ory session by its verified email', (_name, express) => {
  let project: OryStandin;
  beforeAll(async () => {
    project = await startOryStandin();
  });
  afterAll(async () => {
    await project.close();
  });

  function setup() {
    const store = memoryStore();
    const links = new Map<string, string>();
    const seen: { userId: JWTPayload[]; link: ProviderIdentity[] } = { userId: [], link: [] };
    const bridge = makeBridge({
      legacy: { store, secret: SECRET },
      provider: {
        ...ory({ url: project.url }),
        userId: (claims) => {
          seen.userId.push(claims);
          return links.get(String(claims.sub)) ?? null;
        },
        // The README example.
        link: async (identity, legacy) => {
          seen.link.push(identity);
          const user = USERS.get(legacy.userId);
          const email = identity.verifiedEmail;
          if (!user || !email || user.email.toLowerCase() !== email.toLowerCase()) return false;
          links.set(identity.sub, legacy.userId);
          return true;
        },
      },
    });
    return { app: buildApp(express, bridge), login: createLegacyLogin({ store, secret: SECRET }), seen };
  }

  const orySession = (email: string, verified: boolean) =>
    project.addSession({
      identity: {
        traits: { email },
        verifiable_addresses: [
          { value: email, via: 'email', verified, status: verified ? 'completed' : 'sent' },
        ],
      },
    });

  it('links when Ory verified the legacy user’s email: claims and identity carry traits and verifiable_addresses', async () => {
    const { app, login, seen } = setup();
    const { cookie } = await login.login('u-1');
    const { value, identityId } = orySession('Ada@example.com', true);
    const auth = authFrom(await request(app).get('/me').set('Cookie', cookie).set('X-Session-Token', value));
    expect(auth).toMatchObject({ kind: 'provider', userId: 'u-1', presented: ['legacy', 'provider'] });
    expect(seen.userId[0]).toMatchObject({ sub: identityId, email: 'Ada@example.com', email_verified: true });
    expect(seen.link[0]).toMatchObject({
      sub: identityId,
      verifiedEmail: 'Ada@example.com',
      claims: { email: 'Ada@example.com', email_verified: true },
      identity: { traits: { email: 'Ada@example.com' }, verifiable_addresses: [{ verified: true }] },
    });
  });

  it('does not link when Ory has not verified the address: verifiedEmail is undefined', async () => {
    const { app, login, seen } = setup();
    const { cookie } = await login.login('u-1');
    const { value } = orySession('ada@example.com', false);
    expectBridgeError(
      await request(app).get('/me').set('Cookie', cookie).set('X-Session-Token', value),
      401,
      'ERR_BRIDGE_IDENTITY_UNLINKED',
    );
    expect(seen.link[0]).toMatchObject({ verifiedEmail: undefined, claims: { email_verified: false } });
  });

  it("does not link an attacker's verified email to the victim's legacy session", async () => {
    const { app, login } = setup();
    const { cookie } = await login.login('u-1');
    const { value } = orySession('mallory@example.com', true);
    expectBridgeError(
      await request(app).get('/me').set('Cookie', cookie).set('X-Session-Token', value),
      401,
      'ERR_BRIDGE_IDENTITY_UNLINKED',
    );
  });
});
