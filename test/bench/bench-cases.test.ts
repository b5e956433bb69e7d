/**
 * Every case of the HTTP benchmark (bench/run.mjs), run once for correctness, not timed: each case's server starts
 * in its own process exactly as the benchmark starts it (bench/lib/processes.mjs, the built package from dist/),
 * and each kind of request the benchmark sends gets the exact status and body the load generator expects. So a
 * case that answers 401 (or anything else) is caught here before it can look fast in a benchmark.
 *
 * The connect-redis cases need the shared Redis (REDIS_URL): they skip with the reason when it is unreachable,
 * and fail with REQUIRE_REDIS=1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CASES,
  type CaseServer,
  createFixture,
  type Fixture,
  ISSUER,
  sampleRequests,
  startCaseServer,
  startJwksServer,
} from '../../bench/lib/harness.mjs';
import { REDIS_URL, redisOrSkip } from '../helpers/redis.js';

const redis = await redisOrSkip();

let fixture: Fixture;
let jwks: { jwksUri: string; close(): Promise<void> };
const servers = new Map<string, CaseServer>();

beforeAll(async () => {
  // A handful of tokens is enough: the samples use the first few. Not cached, so .tmp/ plays no part.
  fixture = await createFixture({ tokenCount: 8, cache: false });
  jwks = await startJwksServer(fixture.jwks, { issuer: ISSUER });
  const ctx = { jwksUri: jwks.jwksUri, sessions: fixture.sessions, redisUrl: REDIS_URL };
  // All servers start at once (unpinned): the file stays well under 20 s.
  const started = await Promise.allSettled(
    CASES.filter((c) => !c.redis || redis).map(async (c) => {
      servers.set(c.name, await startCaseServer(c.name, ctx, { timeoutMs: 20_000 }));
    }),
  );
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}, 30_000);

afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.close()));
  await jwks?.close();
});

async function exchange(
  port: number,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/me`, { headers });
  return { status: res.status, body: await res.text() };
}

function describeCase(name: string, needsRedis: boolean, fn: () => void): void {
  if (needsRedis && !redis) describe.skip(`${name} [skipped: no Redis at ${REDIS_URL}]`, fn);
  else describe(name, fn);
}

for (const c of CASES) {
  describeCase(c.name, c.redis === true, () => {
    it(`answers every kind of request of "${c.label}" with the status and body the benchmark checks`, async () => {
      const server = servers.get(c.name);
      expect(server, `server of ${c.name} started`).toBeDefined();
      const samples = sampleRequests(c.name, fixture.client);
      expect(samples.length).toBeGreaterThan(0);
      for (const sample of samples) {
        const answer = await exchange(server!.port, sample.headers);
        expect(answer, JSON.stringify(sample.headers).slice(0, 120)).toEqual({
          status: sample.status,
          body: sample.body,
        });
      }
    });
  });
}

describe('the benchmark harness', () => {
  it('expects 200 with a user for every authenticated case, so a 401 cannot pass as fast', () => {
    const anonymous = new Set(['express', 'express-control', 'express-noop', 'bridge-mixed']);
    for (const c of CASES.filter((c) => !anonymous.has(c.name))) {
      for (const sample of sampleRequests(c.name, fixture.client)) {
        expect(sample.status).toBe(200);
        expect(JSON.parse(sample.body).userId, c.name).toMatch(/^user-\d+$/);
      }
    }
  });

  it('reads the CPU time and the request count inside the server process', async () => {
    const server = servers.get('express')!;
    const before = await server.cpu();
    await exchange(server.port, {});
    const after = await server.cpu();
    expect(after.requests - before.requests).toBe(1);
    expect(after.cpu.user + after.cpu.system).toBeGreaterThanOrEqual(before.cpu.user + before.cpu.system);
  });
});
