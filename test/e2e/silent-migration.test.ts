/**
 * Silent migration end to end, on Express 4 and 5, with a connect-redis legacy store and redisStats on the real
 * Redis: a legacy cookie POSTed to the upgrade endpoint comes back as Stytch's cookies; the next request with
 * only the provider cookie is the same user as a provider user; the stats count the user as migrated exactly
 * once and show the silent move (report, Prometheus, dashboard); the legacy session in Redis is byte for byte
 * unchanged, its expiry untouched.
 */
import type { RedisStore } from 'connect-redis';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisStats, stytch, stytchAttest } from '../../src/index.js';
import { expressVersions } from '../helpers/express-versions.js';
import { createLegacyLogin, redisSessionStore } from '../helpers/legacy.js';
import {
  connectNodeRedis,
  deleteKeys,
  describeRedis,
  type NodeRedisClient,
  type RedisConnection,
  testPrefix,
} from '../helpers/redis.js';
import {
  bridgeTrust,
  setCookies,
  startUpgradeApp,
  UPGRADE_PATH,
  upgradeSigningKey,
} from '../helpers/upgrade-app.js';
import { startStytchAttestStandin } from '../helpers/upgrade-standins.js';

const SECRET = 'legacy-secret-silent-migration-e2e';
const PROJECT_ID = 'project-test-0f0e0d0c-aaaa-4bbb-8ccc-000000000001';
const STYTCH_SECRET = 'secret-test-silent-migration-0123456789';

await describeRedis('silent migration end to end', () => {
  let redis: RedisConnection & { client: NodeRedisClient };
  const prefixes: string[] = [];
  const closers: Array<() => Promise<void>> = [];
  beforeAll(async () => {
    redis = await connectNodeRedis();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    for (const prefix of prefixes.splice(0)) await deleteKeys(redis.sendCommand, prefix);
  });
  afterAll(() => redis.close());

  describe.each(expressVersions)('%s', (_name, express) => {
    it('upgrades a connect-redis legacy session to Stytch cookies; the next request is the same user, as a provider user', async () => {
      const sessionPrefix = testPrefix('silent-sess');
      const statsPrefix = testPrefix('silent-stats');
      prefixes.push(sessionPrefix, statsPrefix);
      const store: RedisStore = redisSessionStore(redis.client, sessionPrefix);
      const legacy = createLegacyLogin({ store, secret: SECRET });
      const session = await legacy.login('1001', { data: { email: 'ada@example.com' } });

      const trust = bridgeTrust('stytch-trusted-auth');
      const standin = await startStytchAttestStandin({
        projectId: PROJECT_ID,
        secret: STYTCH_SECRET,
        profileId: 'trusted-auth-token-profile-test-e2e',
        trust,
        users: { 'ada@example.com': 'user-test-ada-e2e' },
      });
      closers.push(() => standin.close());
      const app = await startUpgradeApp(
        express,
        {
          // The bridge reads through its own connect-redis instance, as a separate service would.
          legacy: { store: redisSessionStore(redis.client, sessionPrefix), secret: SECRET },
          provider: stytch({ projectId: PROJECT_ID, jwksUri: standin.jwksUri, linkClaim: 'legacy_user_id' }),
          stats: redisStats({ sendCommand: redis.sendCommand, prefix: statsPrefix }),
          recorder: { flushIntervalMs: 60_000 },
          upgrade: {
            signingKey: await upgradeSigningKey(),
            issuer: trust.issuer,
            audience: trust.audience,
            claims: ({ session: s }) => ({ email: (s as { email: string }).email }),
            exchange: stytchAttest({
              projectId: PROJECT_ID,
              secret: STYTCH_SECRET,
              profileId: 'trusted-auth-token-profile-test-e2e',
              sessionDurationMinutes: 43_200,
              apiBase: standin.server.origin,
            }),
          },
        },
        trust,
      );
      closers.push(() => app.close());

      const key = `${sessionPrefix}${session.sid}`;
      const before = await redis.client.sendCommand(['DUMP', key]);
      const ttlBefore = Number(await redis.client.sendCommand(['PTTL', key]));
      expect(before).not.toBeNull();

      await request(app.origin)
        .get('/me')
        .set('Cookie', session.cookie)
        .expect(200, { userId: '1001', kind: 'legacy' });
      const upgraded = await request(app.origin).post(UPGRADE_PATH).set('Cookie', session.cookie).expect(200);
      expect(upgraded.body).toEqual({ upgraded: true, userId: '1001', provider: 'stytch' });
      const cookies = setCookies(upgraded.headers['set-cookie']);
      expect(Object.keys(cookies).sort()).toEqual(['stytch_session', 'stytch_session_jwt']);
      expect(cookies.stytch_session_jwt?.line).toMatch(/Max-Age=2592000/);

      const providerCookie = `stytch_session_jwt=${cookies.stytch_session_jwt?.value}`;
      await request(app.origin)
        .get('/me')
        .set('Cookie', providerCookie)
        .expect(200, { userId: '1001', kind: 'provider' });
      await request(app.origin)
        .get('/me')
        .set('Cookie', providerCookie)
        .expect(200, { userId: '1001', kind: 'provider' });
      // The legacy session still works on every route.
      await request(app.origin)
        .get('/me')
        .set('Cookie', session.cookie)
        .expect(200, { userId: '1001', kind: 'legacy' });

      expect(await redis.client.sendCommand(['DUMP', key])).toEqual(before);
      expect(Number(await redis.client.sendCommand(['PTTL', key]))).toBeLessThanOrEqual(ttlBefore);

      await app.bridge.flushStats();
      const report = await app.bridge.report();
      expect(report.totals.users.migrated).toBe(1);
      expect(report.totals.users.legacyOnly).toBe(0);
      expect(report.totals.sessionUpgrades.upgraded).toBe(1);
      expect(report.windows['1d'].sessionUpgrades.upgraded).toBe(1);

      const stats = express();
      stats.get('/stats', app.bridge.statsHandler({ public: true }));
      const prom = await request(stats).get('/stats').query({ format: 'prometheus' }).expect(200);
      expect(prom.text).toMatch(/^session_bridge_session_upgrades_total\{result="upgraded"\} 1$/m);
      const page = await request(stats).get('/stats').set('Accept', 'text/html').expect(200);
      expect(page.text).toContain('id="moved-silently">1<');
      expect(page.text).toContain('id="signed-in-provider">0<');
    });
  });
});
