/**
 * The one mechanism behind opaque provider checks, against a real local stand-in (Ory's whoami) that can be
 * slowed, stopped and restarted: caches, timeout, circuit breaker, and the refused / unavailable split.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type OpaqueCheckSettings, OpaqueSessionChecker, oryWhoami } from '../../helpers/internals.js';
import { type OryStandin, startOryStandin } from '../../helpers/ory-standin.js';

const SETTINGS: OpaqueCheckSettings = {
  timeoutMs: 3_000,
  cacheTtlMs: 30_000,
  cacheMax: 100,
  negativeTtlMs: 5_000,
  negativeMax: 100,
  failureThreshold: 3,
  coolDownMs: 10_000,
};

describe('OpaqueSessionChecker with Ory whoami', () => {
  let ory: OryStandin;
  const clock = { t: Date.now() };
  const now = () => clock.t;
  const checker = (settings: Partial<OpaqueCheckSettings> = {}) =>
    new OpaqueSessionChecker(oryWhoami(ory.url), { ...SETTINGS, ...settings }, now);
  const cookie = (value: string) => ({ via: 'cookie' as const, name: 'ory_session_playground', value });

  beforeAll(async () => {
    ory = await startOryStandin();
  });
  beforeEach(async () => {
    clock.t = Date.now();
    ory.server.mode = 'ok';
    ory.server.delayMs = 0;
    ory.server.requests.length = 0;
    await ory.server.start();
  });
  afterAll(async () => {
    await ory.close();
  });

  it('accepts an active session: subject is identity.id, expiry from expires_at', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const { value, identityId } = ory.addSession({
      expiresAt,
      identity: { metadata_public: { legacy_user_id: 'u-7' } },
    });
    const result = await checker().check(cookie(value));
    expect(result.state).toBe('ok');
    if (result.state !== 'ok') return;
    expect(result.session.subject).toBe(identityId);
    expect(result.session.expiresAt).toBe(expiresAt.getTime());
    expect(result.session.identity.metadata_public).toEqual({ legacy_user_id: 'u-7' });
  });

  it('forwards only the Ory cookie, or the session token as X-Session-Token', async () => {
    const { value } = ory.addSession();
    const c = checker();
    await c.check(cookie(value));
    await c.check({ via: 'bearer', name: 'authorization', value });
    const [viaCookie, viaToken] = ory.server.requests;
    expect(viaCookie?.headers.cookie).toBe(`ory_session_playground=${value}`);
    expect(viaCookie?.headers.authorization).toBeUndefined();
    expect(viaToken?.headers['x-session-token']).toBe(value);
    expect(viaToken?.headers.cookie).toBeUndefined();
  });

  it.each([
    ['an unknown credential (401)', () => 'ory_st_unknown'],
    ['an inactive session', () => ory.addSession({ active: false }).value],
    ['a session that needs a second factor (403)', () => ory.addSession({ needsAal2: true }).value],
  ])('refuses %s', async (_label, make) => {
    expect((await checker().check(cookie(make()))).state).toBe('refused');
  });

  it('does not remember a refusal for a pending second factor (403): the next check asks again', async () => {
    const { value } = ory.addSession({ needsAal2: true });
    const c = checker();
    expect((await c.check(cookie(value))).state).toBe('refused');
    expect((await c.check(cookie(value))).state).toBe('refused');
    expect(ory.server.requests).toHaveLength(2);
  });

  it('refuses a credential longer than 4 KiB without asking the provider', async () => {
    const c = checker();
    expect((await c.check(cookie(`ory_st_${'a'.repeat(5000)}`))).state).toBe('refused');
    expect(ory.server.requests).toHaveLength(0);
    expect(c.breaker.state).toBe('closed');
  });

  it('counts the cookie name in the 4 KiB limit', async () => {
    const c = checker();
    const long = { via: 'cookie' as const, name: `ory_session_${'n'.repeat(5000)}`, value: 'x' };
    expect((await c.check(long)).state).toBe('refused');
    expect(ory.server.requests).toHaveLength(0);
  });

  it('refuses a session whose expires_at has passed by the bridge clock', async () => {
    const { value } = ory.addSession({ expiresAt: new Date(Date.now() + 60_000) });
    clock.t += 120_000;
    expect((await checker().check(cookie(value))).state).toBe('refused');
  });

  it('reuses a valid answer within the TTL and never beyond the session expiry', async () => {
    const { value } = ory.addSession({ expiresAt: new Date(Date.now() + 10_000) });
    const c = checker({ cacheTtlMs: 30_000 });
    await c.check(cookie(value));
    await c.check(cookie(value));
    expect(ory.server.requests).toHaveLength(1);
    clock.t += 9_000;
    expect((await c.check(cookie(value))).state).toBe('ok');
    expect(ory.server.requests).toHaveLength(1);
    clock.t += 2_000; // past expires_at although within cacheTtlMs
    expect((await c.check(cookie(value))).state).toBe('refused');
    expect(ory.server.requests).toHaveLength(2);
  });

  it('asks again after the TTL, so a revoked session stops working', async () => {
    const { value } = ory.addSession();
    const c = checker({ cacheTtlMs: 1_000 });
    await c.check(cookie(value));
    clock.t += 1_001;
    await c.check(cookie(value));
    expect(ory.server.requests).toHaveLength(2);
  });

  it('remembers a refused credential for negativeTtlMs, then asks again', async () => {
    const c = checker({ negativeTtlMs: 5_000 });
    for (let i = 0; i < 50; i++) expect((await c.check(cookie('ory_st_bad'))).state).toBe('refused');
    expect(ory.server.requests).toHaveLength(1);
    clock.t += 5_001;
    await c.check(cookie('ory_st_bad'));
    expect(ory.server.requests).toHaveLength(2);
  });

  it('shares one lookup between concurrent checks of the same credential', async () => {
    const { value } = ory.addSession();
    ory.server.delayMs = 50;
    const c = checker();
    const results = await Promise.all(Array.from({ length: 20 }, () => c.check(cookie(value))));
    expect(results.every((r) => r.state === 'ok')).toBe(true);
    expect(ory.server.requests).toHaveLength(1);
  });

  it('answers unavailable when the provider is slower than timeoutMs, 500s, or is down', async () => {
    const { value } = ory.addSession();
    ory.server.delayMs = 1_000;
    const started = Date.now();
    expect((await checker({ timeoutMs: 100 }).check(cookie(value))).state).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(950);
    ory.server.delayMs = 0;
    ory.server.mode = 'fail';
    expect((await checker().check(cookie(value))).state).toBe('unavailable');
    ory.server.mode = 'ok';
    await ory.server.stop();
    expect((await checker().check(cookie(value))).state).toBe('unavailable');
  });

  it('opens the breaker after consecutive failures, answers at once, probes after the cool-down and recovers', async () => {
    const { value } = ory.addSession();
    const c = checker({ failureThreshold: 3, coolDownMs: 10_000 });
    await ory.server.stop();
    for (let i = 0; i < 3; i++) expect((await c.check(cookie(value))).state).toBe('unavailable');
    await ory.server.start();
    // Open: no request reaches the provider, and the answer says when to retry.
    const open = await c.check(cookie(value));
    expect(open).toMatchObject({ state: 'unavailable', retryAfterSeconds: 10 });
    expect(ory.server.requests).toHaveLength(0);
    clock.t += 10_000;
    expect((await c.check(cookie(value))).state).toBe('ok');
    expect(ory.server.requests).toHaveLength(1);
    expect(c.breaker.state).toBe('closed');
  });

  it('does not cache failures: the next check after an outage asks again', async () => {
    const { value } = ory.addSession();
    const c = checker();
    ory.server.mode = 'fail';
    expect((await c.check(cookie(value))).state).toBe('unavailable');
    ory.server.mode = 'ok';
    expect((await c.check(cookie(value))).state).toBe('ok');
  });
});
