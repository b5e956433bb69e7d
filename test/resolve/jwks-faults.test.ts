/**
 * The failure policy for provider keys, through the real middleware and a real local JWKS server.
 */
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProviderOptions } from '../../src/types.js';
import { buildApp, makeBridge } from '../helpers/apps.js';
import { type ExpressFactory, expressVersions } from '../helpers/express-versions.js';
import {
  AUDIENCE,
  authFrom,
  expectBridgeError,
  type ProviderFixture,
  startProvider,
} from '../helpers/fixtures.js';
import { UNUSABLE_ENTRY_ALGORITHMS, type UnusableEntry, unusableEntries } from '../helpers/unusable-keys.js';

let unusable: UnusableEntry[];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  unusable = await unusableEntries();
});
afterAll(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
});

async function provider(): Promise<ProviderFixture> {
  const fixture = await startProvider();
  cleanups.push(() => fixture.server.close());
  return fixture;
}

function appFor(express: ExpressFactory, options: ProviderOptions) {
  return buildApp(express, makeBridge({ provider: options }));
}

function get(app: ReturnType<typeof appFor>, token: string) {
  return request(app).get('/whoami').set('Authorization', `Bearer ${token}`);
}

describe.each(expressVersions)('%s: JWKS faults', (_name, express) => {
  describe('a JWKS that also holds entries no token can be verified with', () => {
    const algorithms = [...UNUSABLE_ENTRY_ALGORITHMS];

    it('accepts a token signed by a good key published next to unusable entries', async () => {
      const fixture = await provider();
      fixture.server.publishRaw([...unusable.map((u) => u.entry), fixture.key.publicJwk]);
      const app = appFor(express, fixture.options({ algorithms }));
      expect(authFrom(await get(app, await fixture.mint({ sub: 'good' })))).toMatchObject({ userId: 'good' });
      expect(fixture.server.counts.jwks).toBe(1);
    });

    it('rejects a token naming an unusable entry with 401, even as the first request, and good tokens keep working', async () => {
      const fixture = await provider();
      fixture.server.publishRaw([fixture.key.publicJwk, ...unusable.map((u) => u.entry)]);
      const named = unusable.filter((u) => u.token !== undefined);
      for (const { label, token } of named) {
        // A fresh bridge each time: the token naming the bad entry is the first thing it sees.
        const app = appFor(express, fixture.options({ algorithms, jwksCooldownMs: 60_000 }));
        const res = await get(app, (await token?.({ iss: fixture.issuer, aud: AUDIENCE })) ?? '');
        expect(res.status, `a token naming ${label}`).toBe(401);
        expectBridgeError(res, 401, 'ERR_BRIDGE_TOKEN_INVALID');
        const good = await get(app, await fixture.mint({ sub: 'good' }));
        expect(good.status, `a good token right after one naming ${label}`).toBe(200);
      }
      // One fetch per bridge: naming an unusable entry neither refetches nor starts a backoff.
      expect(fixture.server.counts.jwks).toBe(named.length);
    });

    it('never verifies with a published private key, even for a token that key signed', async () => {
      const fixture = await provider();
      const leaked = unusable.find((u) => u.label === 'a private key (d)');
      fixture.server.publishRaw([fixture.key.publicJwk, leaked?.entry]);
      const app = appFor(express, fixture.options());
      const token = await leaked?.token?.({ iss: fixture.issuer, aud: AUDIENCE, sub: 'admin' });
      expectBridgeError(await get(app, token ?? ''), 401, 'ERR_BRIDGE_TOKEN_INVALID');
      expect(authFrom(await get(app, await fixture.mint()))).toMatchObject({ kind: 'provider' });
    });
  });
});
