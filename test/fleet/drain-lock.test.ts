/**
 * Issue 16 acceptance, one legacy store scan per fleet: three instances (separate processes) with
 * `legacy.drain: { intervalMs: 1000 }` on the real Redis. Each counts the listings of its legacy store (one
 * `all()` call per scan).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';
import {
  connectNodeRedis,
  deleteKeys,
  describeRedis,
  REDIS_URL,
  type RedisConnection,
  testPrefix,
} from '../helpers/redis.js';
import { type FleetProcess, msUntil, startFleetProcess } from './processes.js';

interface ScanReport {
  legacyStore: { scan: { scannedAt: string; users: number } | null; scannedBy: string | null };
}

await describeRedis('one legacy store scan per fleet', () => {
  const prefix = testPrefix('fleet-drain');
  let redis: RedisConnection;
  let fleet: FleetProcess[] = [];

  const listCalls = async () =>
    Promise.all(
      fleet.map(async (i) => (await i.get<{ listCalls: number }>('/__test/list-calls')).body.listCalls),
    );
  const sum = (values: number[]) => values.reduce((x, y) => x + y, 0);
  const reports = () => Promise.all(fleet.map(async (i) => (await i.get<ScanReport>('/__test/report')).body));

  beforeAll(async () => {
    redis = await connectNodeRedis();
    fleet = await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        startFleetProcess({
          ESB_REDIS_URL: REDIS_URL,
          ESB_STATS_PREFIX: prefix,
          ESB_INSTANCE_ID: id,
          ESB_DRAIN_INTERVAL_MS: '1000',
        }),
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(fleet.map((i) => i.close()));
    await deleteKeys(redis.sendCommand, prefix);
    await redis.close();
  }, 30_000);

  it('lists the store once per interval across three instances, and all three report the same scan', async () => {
    // The first scans start 5 s after construction.
    await msUntil(async () => sum(await listCalls()) > 0, 10_000, 'a first scan');
    const from = await listCalls();
    const windowMs = 6000;
    await new Promise((r) => setTimeout(r, windowMs));
    const to = await listCalls();
    const scans = sum(to) - sum(from);
    console.log(
      `drain: ${scans} scans in ${windowMs} ms with intervalMs 1000 and three instances (by instance: ${to.map((n, i) => n - (from[i] ?? 0)).join(', ')})`,
    );
    // One per interval (the lock allows the next one 950 ms after the last ended), never one per instance.
    expect(scans).toBeGreaterThanOrEqual(3);
    expect(scans).toBeLessThanOrEqual(Math.ceil(windowMs / 950) + 1);

    const all = await reports();
    const seen = all.map((r) => `${r.legacyStore.scannedBy}@${r.legacyStore.scan?.scannedAt}`);
    // A scan may end between two of the three reports: then ask again.
    const same =
      new Set(seen).size === 1
        ? seen
        : (await reports()).map((r) => `${r.legacyStore.scannedBy}@${r.legacyStore.scan?.scannedAt}`);
    expect(new Set(same).size).toBe(1);
    expect(all[0]?.legacyStore.scan?.users).toBe(20);
  });

  it('shares a scan asked for on any instance with every instance', async () => {
    const c = fleet[2] as FleetProcess;
    expect((await c.post('/__test/scan')).status).toBe(200);
    const { body } = await (fleet[0] as FleetProcess).get<ScanReport>('/__test/report');
    // c's scan, unless a scheduled scan ended after it.
    expect(['c', 'a', 'b']).toContain(body.legacyStore.scannedBy);
    const scannedAt = Date.parse(body.legacyStore.scan?.scannedAt ?? '');
    expect(Date.now() - scannedAt).toBeLessThan(2000);
  });

  it('lets another instance take over after the lock expires when the scanner is killed mid-scan', async () => {
    // Every scan now takes 4 s: the scanner renews its 1 s lease meanwhile, the others wait.
    await Promise.all(fleet.map((i) => i.post('/__test/list-delay', { ms: 4000 })));
    const before = await listCalls();
    let scanner = -1;
    await msUntil(
      async () => {
        const now = await listCalls();
        scanner = now.findIndex((n, i) => n > (before[i] ?? 0));
        return scanner >= 0;
      },
      5000,
      'a slow scan to start',
    );
    await new Promise((r) => setTimeout(r, 1500)); // past its first lease: it holds the lock by renewing it
    const during = await listCalls();
    expect(sum(during) - sum(before)).toBe(1); // nobody else scans while it holds the lock
    const victim = fleet[scanner] as FleetProcess;
    await victim.kill();
    const killedAt = Date.now();
    const rest = fleet.filter((i) => i !== victim);
    fleet = rest;
    const restBefore = await listCalls();
    const ms = await msUntil(
      async () => sum(await listCalls()) > sum(restBefore),
      5000,
      'another instance to take over',
    );
    console.log(
      `drain: ${victim.id} killed mid-scan; another instance started the next scan ${Date.now() - killedAt} ms later (polled ${ms} ms)`,
    );
    await Promise.all(rest.map((i) => i.post('/__test/list-delay', { ms: 0 })));
    await msUntil(
      async () =>
        (await reports()).every(
          (r) =>
            r.legacyStore.scannedBy !== null &&
            r.legacyStore.scannedBy !== victim.id &&
            Date.parse(r.legacyStore.scan?.scannedAt ?? '') > killedAt,
        ),
      10_000,
      'a scan by a survivor, reported by both',
    );
    // The killed instance stays in the registry, listed as gone (no heartbeat for 3 intervals).
    const survivor = rest[0] as FleetProcess;
    await msUntil(
      async () => {
        const res = await fetch(`${survivor.url}/__test/stats?format=prometheus`);
        const families = parsePrometheusText(await res.text());
        return sampleValue(families, 'session_bridge_fleet_instances', { state: 'gone' }) === 1;
      },
      6000,
      `${victim.id} listed as gone`,
    );
    const { body } = await survivor.get<{
      fleet: { instances: { id: string; gone: boolean }[]; agree: boolean };
    }>('/__test/report');
    expect(body.fleet.instances.find((i) => i.id === victim.id)).toMatchObject({ gone: true });
    expect(body.fleet.agree).toBe(true);
  });
});
