/**
 * The shared cutover in one process, against the real Redis: what a deploy, a bad call, a long history and a
 * single instance do. (Separate processes: shared-cutover.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { type BridgeOptions, memoryStats, redisStats, sessionBridge } from '../../src/index.js';
import { memoryStore } from '../helpers/legacy.js';
import {
  connectNodeRedis,
  deleteKeys,
  describeRedis,
  type RedisConnection,
  testPrefix,
} from '../helpers/redis.js';

const SECRET = 'shared-state-secret';

function options(extra: Partial<BridgeOptions>): BridgeOptions {
  return { legacy: { store: memoryStore(), secret: SECRET }, ...extra };
}

describe('fleet options', () => {
  it('refuses a syncMs outside 100 to 60000, an empty instanceId and unknown keys, naming the fix', () => {
    const build = (fleet: unknown) => () => sessionBridge(options({ stats: false, fleet: fleet as never }));
    expect(build({ syncMs: 50 })).toThrow(/`fleet.syncMs` must be a whole number from 100/);
    expect(build({ syncMs: 120_000 })).toThrow(
      /`fleet.syncMs` must be a whole number from 100 up to 60000 \(got 120000\)/,
    );
    expect(build({ instanceId: '' })).toThrow(/`fleet.instanceId` must/);
    expect(build({ sync: 1000 })).toThrow(/unknown option `fleet.sync`/);
    expect(build('yes')).toThrow(TypeError);
  });
});

describe('one instance without a shared store', () => {
  it('applies configure at once, resolves, keeps `by` in the history, and has no fleet section', async () => {
    const bridge = sessionBridge(options({ stats: memoryStats() }));
    onTestFinished(() => bridge.close());
    const done = bridge.configure({ cutover: { percent: 20 }, by: 'alice' });
    expect(bridge.percent).toBe(20); // before the promise settles: nothing waits
    await expect(done).resolves.toBeUndefined();
    const report = await bridge.report();
    expect(report.cutover.history.at(-1)).toMatchObject({ percent: 20, by: 'alice' });
    expect(report.fleet).toBeUndefined();
    await expect(bridge.syncFleet()).resolves.toBeUndefined();
  });

  it('still throws a TypeError synchronously for an invalid call, changing nothing', () => {
    const bridge = sessionBridge(options({ stats: false }));
    onTestFinished(() => bridge.close());
    expect(() => bridge.configure({ cutover: { percent: 101 } })).toThrow(TypeError);
    expect(() => bridge.configure({ by: 'x'.repeat(201) })).toThrow(/at most 200 characters/);
    expect(bridge.percent).toBe(0);
  });
});

await describeRedis('the shared cutover in one process', () => {
  let redis: RedisConnection;
  beforeAll(async () => {
    redis = await connectNodeRedis();
  });
  afterAll(() => redis.close());

  const shared = (prefix: string, extra: Partial<BridgeOptions> = {}) => {
    const bridge = sessionBridge(
      options({ stats: redisStats({ sendCommand: redis.sendCommand, prefix }), ...extra }),
    );
    onTestFinished(() => bridge.close());
    return bridge;
  };
  const fresh = (name: string) => {
    const prefix = testPrefix(name);
    onTestFinished(() => deleteKeys(redis.sendCommand, prefix));
    return prefix;
  };

  it('starts a deploy on the fleet state, not its options, and says so through debug', async () => {
    const prefix = fresh('fleet-deploy');
    const first = shared(prefix, { fleet: { instanceId: 'first' } });
    await first.syncFleet();
    await first.configure({ mode: 'provider-only', by: 'ops' });
    const messages: string[] = [];
    const deployed = shared(prefix, {
      mode: 'observe',
      cutover: { percent: 10 },
      fleet: { instanceId: 'deployed' },
      debug: (m) => messages.push(m),
    });
    await deployed.syncFleet();
    expect([deployed.mode, deployed.percent]).toEqual(['provider-only', 0]);
    expect(messages.join('\n')).toMatch(
      /shared state wins over this instance's options: provider-only 0 %.*set by first \/ ops.*instead of observe 10 %/,
    );
  });

  it('refuses to change cutover.key at run time, since the key never goes to Redis', async () => {
    const bridge = shared(fresh('fleet-key'));
    expect(() => bridge.configure({ cutover: { percent: 5, key: 'another key' } })).toThrow(
      /`cutover.key` cannot change at run time while the cutover is shared/,
    );
    expect(bridge.percent).toBe(0);
  });

  it('keeps the last 1,000 changes of the fleet in the history, versions increasing', async () => {
    const prefix = fresh('fleet-history');
    const bridge = shared(prefix);
    await bridge.syncFleet();
    for (let i = 1; i <= 1005; i++) await bridge.configure({ cutover: { percent: i % 2 === 0 ? 10 : 20 } });
    const { history } = (await bridge.report()).cutover;
    expect(history).toHaveLength(1000);
    expect(history.at(-1)).toMatchObject({ percent: 20, version: 1006 });
    expect(history[0]).toMatchObject({ version: 7 });
    expect(await redis.sendCommand('LLEN', `${prefix}fleet:history`)).toBe(1000);
  });

  it('rejects configure with ERR_BRIDGE_FLEET_UNAVAILABLE when Redis fails, changing nothing', async () => {
    const failing = async (...args: string[]) => {
      if (args[0]?.startsWith('EVAL') && failNow) throw new Error('connection lost');
      return redis.sendCommand(...args);
    };
    let failNow = false;
    const prefix = fresh('fleet-failing');
    const bridge = sessionBridge(options({ stats: redisStats({ sendCommand: failing, prefix }) }));
    onTestFinished(() => bridge.close());
    await bridge.syncFleet();
    failNow = true;
    await expect(bridge.configure({ cutover: { percent: 50 } })).rejects.toMatchObject({
      code: 'ERR_BRIDGE_FLEET_UNAVAILABLE',
      status: 503,
    });
    expect(bridge.percent).toBe(0);
    await expect(bridge.syncFleet()).rejects.toMatchObject({ code: 'ERR_BRIDGE_FLEET_UNAVAILABLE' });
    failNow = false;
  });

  it('keeps everything per process with fleet: false, even with redisStats()', async () => {
    const prefix = fresh('fleet-off');
    const a = shared(prefix, { fleet: false });
    const b = shared(prefix, { fleet: false });
    await a.configure({ cutover: { percent: 40 } });
    await new Promise((r) => setTimeout(r, 50));
    expect([a.percent, b.percent]).toEqual([40, 0]);
    expect((await a.report()).fleet).toBeUndefined();
    expect(await redis.sendCommand('EXISTS', `${prefix}fleet:state`)).toBe(0);
  });
});
