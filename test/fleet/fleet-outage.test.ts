/**
 * Issue 16 acceptance, Redis down: three instances (separate processes) on a private redis-server that the test
 * stops and restarts (empty, as a Redis without persistence comes back).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  connectNodeRedis,
  describeWithRedisServer,
  type RedisServer,
  startRedisServer,
  testPrefix,
} from '../helpers/redis.js';
import { answersPerUser, type FleetProcess, msUntil, startFleetProcess } from './processes.js';

const USERS = Array.from({ length: 60 }, (_, i) => `outage-user-${i}`);

describeWithRedisServer('the fleet while Redis is down', () => {
  let server: RedisServer;
  let fleet: FleetProcess[] = [];
  const prefix = testPrefix('fleet-outage');

  beforeAll(async () => {
    server = await startRedisServer();
    fleet = await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        startFleetProcess({ ESB_REDIS_URL: server.url, ESB_STATS_PREFIX: prefix, ESB_INSTANCE_ID: id }),
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(fleet.map((i) => i.close()));
    await server.stop();
  }, 30_000);

  const states = () => Promise.all(fleet.map((i) => i.state()));

  it('rejects configure while Redis is stopped, changes no instance, answers every request as before and resyncs after', async () => {
    const [a, b] = fleet as [FleetProcess, FleetProcess, FleetProcess];
    expect((await a.post('/__test/configure', { cutover: { percent: 40 } })).status).toBe(200);
    await msUntil(async () => (await states()).every((s) => s.percent === 40), 3000, '40 % everywhere');
    const before = await answersPerUser(fleet, USERS, 1);

    // Traffic runs through the stop and the restart; every answer must stay what it was.
    let running = true;
    const changed: string[] = [];
    const traffic = (async () => {
      let rounds = 0;
      while (running) {
        const now = await answersPerUser(fleet, USERS, 1);
        for (const [user, statuses] of now) {
          const was = [...(before.get(user) ?? [])][0];
          for (const status of statuses) if (status !== was) changed.push(`${user}: ${was} -> ${status}`);
        }
        rounds++;
      }
      return rounds;
    })();

    await server.stop();
    const refused = await b.post<{ ok: boolean; code: string }>('/__test/configure', {
      cutover: { percent: 90 },
    });
    expect(refused).toMatchObject({ status: 503, body: { ok: false, code: 'ERR_BRIDGE_FLEET_UNAVAILABLE' } });
    await new Promise((r) => setTimeout(r, 2500)); // more than two sync intervals
    expect(await states()).toEqual([
      { mode: 'bridge', percent: 40 },
      { mode: 'bridge', percent: 40 },
      { mode: 'bridge', percent: 40 },
    ]);

    await server.start(); // empty: the first instance to sync puts its state back
    const redis = await connectNodeRedis(server.url);
    const ms = await msUntil(
      async () => {
        const json = await redis.sendCommand('GET', `${prefix}fleet:state`);
        return typeof json === 'string' && JSON.parse(json).percent === '40';
      },
      10_000,
      'the state back in Redis',
    );
    await redis.close();
    await new Promise((r) => setTimeout(r, 1200)); // every instance synced at least once more
    running = false;
    const rounds = await traffic;
    console.log(
      `outage: ${rounds} rounds of ${USERS.length} requests during stop and restart, none changed; state back in Redis ${ms} ms after the restart`,
    );
    expect(changed).toEqual([]);
    expect(rounds).toBeGreaterThan(3);
    expect((await b.post('/__test/configure', { cutover: { percent: 45 } })).status).toBe(200);
    await msUntil(
      async () => (await states()).every((s) => s.percent === 45),
      3000,
      '45 % everywhere after the restart',
    );
  });
});
