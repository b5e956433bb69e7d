/**
 * Issue 16 acceptance, shared cutover: three bridge instances, each in its own Node process (the built package),
 * share the mode and the ramp through the real Redis. Timings are measured from the moment `configure()`
 * resolved on the instance that was asked.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  connectNodeRedis,
  deleteKeys,
  describeRedis,
  REDIS_URL,
  type RedisConnection,
  testPrefix,
} from '../helpers/redis.js';
import { answersPerUser, type FleetProcess, msUntil, startFleetProcess } from './processes.js';

const USERS = Array.from({ length: 200 }, (_, i) => `user-${i}`);

await describeRedis('shared cutover across three processes', () => {
  const prefix = testPrefix('fleet-cutover');
  const started: FleetProcess[] = [];
  let redis: RedisConnection;
  let a: FleetProcess;
  let b: FleetProcess;
  let c: FleetProcess;

  const start = async (id: string, extra: Record<string, string> = {}) => {
    const instance = await startFleetProcess({
      ESB_REDIS_URL: REDIS_URL,
      ESB_STATS_PREFIX: prefix,
      ESB_INSTANCE_ID: id,
      ...extra,
    });
    started.push(instance);
    return instance;
  };
  const appliedBy = (instances: FleetProcess[], percent: number, mode = 'bridge') =>
    msUntil(
      async () => {
        const states = await Promise.all(instances.map((i) => i.state()));
        return states.every((s) => s.percent === percent && s.mode === mode);
      },
      5000,
      `${mode} ${percent} % on ${instances.map((i) => i.id).join(', ')}`,
    );

  beforeAll(async () => {
    redis = await connectNodeRedis();
    [a, b, c] = await Promise.all([start('a'), start('b'), start('c')]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(started.map((i) => i.close()));
    await deleteKeys(redis.sendCommand, prefix);
    await redis.close();
  }, 30_000);

  it('applies a ramp to 50 % made on one instance on the other two within 2 s, and they answer every user alike', async () => {
    const configured = await a.post('/__test/configure', { cutover: { percent: 50 }, by: 'ramp test' });
    expect(configured).toMatchObject({ status: 200, body: { ok: true, percent: 50 } });
    const ms = await appliedBy([b, c], 50);
    console.log(`ramp to 50 %: applied by the two other processes ${ms} ms after configure() resolved`);
    expect(ms).toBeLessThan(2000);

    // 1,000 requests: 200 users, 5 each, spread round robin over the three processes.
    const answers = await answersPerUser([a, b, c], USERS, 5);
    const mixed = [...answers].filter(([, statuses]) => statuses.size !== 1);
    expect(mixed).toEqual([]);
    const refused = [...answers.values()].filter((s) => s.has(401)).length;
    const admitted = [...answers.values()].filter((s) => s.has(200)).length;
    expect(refused + admitted).toBe(USERS.length);
    expect(refused).toBeGreaterThan(60); // 50 % of 200 users: the cohort is uniform
    expect(admitted).toBeGreaterThan(60);
  });

  it('propagates a rollback made on another instance the same way', async () => {
    expect((await c.post('/__test/configure', { cutover: { percent: 0 }, by: 'rollback' })).status).toBe(200);
    const ms = await appliedBy([a, b], 0);
    console.log(`rollback to 0 %: applied by the two other processes ${ms} ms after configure() resolved`);
    expect(ms).toBeLessThan(2000);
    const answers = await answersPerUser([a, b, c], USERS.slice(0, 60), 3);
    expect([...answers.values()].every((s) => s.size === 1 && s.has(200))).toBe(true);
  });

  it('starts a fourth instance on the fleet state: before its first request with syncFleet(), else within syncMs', async () => {
    expect((await b.post('/__test/configure', { cutover: { percent: 30 } })).status).toBe(200);
    await appliedBy([a, b, c], 30);
    // Its construction options say 0 %: the fleet state wins.
    const synced = await start('d-synced', { ESB_PERCENT: '0', ESB_SYNC_BEFORE_LISTEN: '1' });
    expect(await synced.state()).toEqual({ mode: 'bridge', percent: 30 });
    const lazy = await start('d-lazy', { ESB_PERCENT: '0' });
    const ms = await appliedBy([lazy], 30);
    console.log(`fourth instance without syncFleet(): fleet state applied ${ms} ms after it was ready`);
    expect(ms).toBeLessThanOrEqual(1000);
    await lazy.close();
  });

  it("reports the fleet's history, every instance in the registry and that they agree", async () => {
    const { body: report } = await c.get<{
      cutover: { history: { percent: number; instance?: string; by?: string | null; version?: number }[] };
      fleet: {
        agree: boolean;
        instances: { id: string; gone: boolean; percent: number }[];
        syncAgeMs: number;
      };
    }>('/__test/report');
    const changes = report.cutover.history.map((h) => [h.instance, h.percent, h.by]);
    expect(changes).toEqual(
      expect.arrayContaining([
        ['a', 50, 'ramp test'],
        ['c', 0, 'rollback'],
        ['b', 30, null],
      ]),
    );
    const versions = report.cutover.history.map((h) => h.version ?? 0);
    expect(versions).toEqual([...versions].sort((x, y) => x - y));
    await msUntil(
      async () => {
        const { body } = await c.get<typeof report>('/__test/report');
        // d-lazy closed: it left the registry. a, b, c and d-synced remain.
        return (
          body.fleet.instances.map((i) => `${i.id}:${i.percent}:${i.gone}`).join() ===
          'a:30:false,b:30:false,c:30:false,d-synced:30:false'
        );
      },
      3000,
      'four live instances on 30 % in the registry',
    );
    const { body: later } = await a.get<typeof report>('/__test/report');
    expect(later.fleet).toMatchObject({ agree: true });
    expect(later.fleet.syncAgeMs).toBeLessThan(2000);
  });

  it('ends two concurrent configures on two instances with every instance on one state and both in the history', async () => {
    const [first, second] = await Promise.all([
      a.post('/__test/configure', { mode: 'provider-only', by: 'concurrent-a' }),
      b.post('/__test/configure', { cutover: { percent: 70 }, by: 'concurrent-b' }),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    // Each change names only its own field, so Redis merges both: provider-only at 70 %.
    await appliedBy([a, b, c], 70, 'provider-only');
    const { body } = await c.get<{ cutover: { history: { by?: string | null }[] } }>('/__test/report');
    const by = body.cutover.history.map((h) => h.by);
    expect(by).toEqual(expect.arrayContaining(['concurrent-a', 'concurrent-b']));
    await expect(Promise.all([a.state(), b.state(), c.state()])).resolves.toEqual([
      { mode: 'provider-only', percent: 70 },
      { mode: 'provider-only', percent: 70 },
      { mode: 'provider-only', percent: 70 },
    ]);
  });
});
