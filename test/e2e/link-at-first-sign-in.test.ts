/**
 * Linking at first sign-in, end to end against the example app and its real OpenID provider (oidc-provider):
 * dave holds a legacy session and signs in with a provider account that nothing links yet. The bridge's
 * `provider.link` links it once; afterwards the provider credential alone resolves to dave's legacy user id,
 * and the stats count him as migrated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningExample } from '../../example-app/server.js';
import { CookieJar, legacySignIn, providerSignIn } from '../helpers/example-flows.js';

interface Me {
  userId: string;
  kind: string;
  presented: string[];
  subject?: string;
}

let example: RunningExample;
beforeAll(async () => {
  const { start } = await import('../../example-app/server.js');
  example = await start({ port: 0, mode: 'bridge' });
});
afterAll(async () => {
  await example?.close();
});

async function me(cookie: string): Promise<{ status: number; body: Me & { code?: string } }> {
  const res = await fetch(`${example.url}/api/me`, { headers: { cookie } });
  return { status: res.status, body: (await res.json()) as Me & { code?: string } };
}

async function migratedUsers(adminCookie: string): Promise<number> {
  const res = await fetch(`${example.url}/admin/migration`, {
    headers: { cookie: adminCookie, accept: 'application/json' },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { totals: { users: { migrated: number } } }).totals.users.migrated;
}

describe('linking at first sign-in (example app, oidc-provider)', () => {
  it('refuses an unlinked provider account without a legacy session', async () => {
    const jar = new CookieJar();
    await providerSignIn(example.url, jar, 'dave');
    const res = await me(`provider_at=${jar.get('provider_at')}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('ERR_BRIDGE_IDENTITY_UNLINKED');
  });

  it("does not link dave's account to another legacy user: the provider cookie gives way to that legacy session", async () => {
    // erin's legacy session with dave's (unlinked) provider account: the example's link compares the provider
    // account's verified email with the legacy user's and says no.
    const jar = new CookieJar();
    await legacySignIn(example.url, jar, 'erin', 'erin');
    const token = await providerSignIn(example.url, jar, 'dave');
    const res = await me(jar.header());
    expect(res).toMatchObject({
      status: 200,
      body: { userId: 'u_1005', kind: 'legacy', presented: ['legacy'] },
    });
    expect((await me(`provider_at=${token}`)).body.code).toBe('ERR_BRIDGE_IDENTITY_UNLINKED');
  });

  it('links once with the legacy session, then the provider credential alone is the legacy user, counted as migrated', async () => {
    const admin = new CookieJar();
    await legacySignIn(example.url, admin, 'alice', 'alice');
    const adminCookie = `connect.sid=${admin.get('connect.sid')}`;
    const before = await migratedUsers(adminCookie);

    const browser = new CookieJar();
    await legacySignIn(example.url, browser, 'dave', 'dave');
    expect(await me(browser.header())).toMatchObject({
      status: 200,
      body: { userId: 'u_1004', kind: 'legacy' },
    });

    const token = await providerSignIn(example.url, browser, 'dave');
    // Both credentials in one request: the link is made, the request is dave through the provider.
    const linked = await me(browser.header());
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({
      userId: 'u_1004',
      kind: 'provider',
      presented: ['legacy', 'provider'],
      subject: 'dave',
    });

    // The provider credential alone now resolves to dave's legacy user id.
    const alone = await me(`provider_at=${token}`);
    expect(alone).toMatchObject({
      status: 200,
      body: { userId: 'u_1004', kind: 'provider', presented: ['provider'] },
    });

    // The stats count dave as migrated (events are flushed every second).
    await expect.poll(() => migratedUsers(adminCookie), { timeout: 10_000 }).toBe(before + 1);
  });
});
