/**
 * express-session's MemoryStore is read in place: its `get` parses the session out of `store.sessions` at once and
 * only defers the callback, so the bridge reads the same table itself and decides the request with no promise
 * and no event-loop turn. These tests pin down that it answers exactly what `get` would, writes nothing, and that
 * anything that is not MemoryStore itself still goes through `get`.
 */
import { sign } from 'cookie-signature';
import session from 'express-session';
import { describe, expect, it, vi } from 'vitest';
import { type LegacyConfig, LegacyReader } from '../helpers/internals.js';

const SECRET = 'in-place-secret';
const DAY = 86_400_000;

function readerOf(store: session.Store) {
  const config: LegacyConfig = {
    type: 'store',
    store,
    secrets: [SECRET],
    cookieName: 'connect.sid',
    userId: (s) => (s as { userId?: string }).userId,
    timeoutMs: 2000,
    scopes: undefined,
    breaker: undefined,
    drain: undefined,
  };
  const debug: string[] = [];
  const reader = new LegacyReader(config, (m) => debug.push(m));
  const check = (sid: string, now = Date.now()) =>
    reader.check({ headers: {} } as never, now, () => ({ 'connect.sid': `s:${sign(sid, SECRET)}` }));
  return { check, debug };
}

function put(store: session.MemoryStore, sid: string, userId: string, expiresIn = DAY): void {
  const cookie = {
    originalMaxAge: expiresIn,
    expires: new Date(Date.now() + expiresIn),
    httpOnly: true,
    path: '/',
  };
  store.set(sid, { cookie, userId } as never, () => {});
}

describe("express-session's MemoryStore, read in place", () => {
  it('decides a stored session at once, with no promise, as its get would', async () => {
    const store = new session.MemoryStore();
    put(store, 'sid-alive', 'alice');
    const { check } = readerOf(store);
    const result = check('sid-alive');
    expect(result).not.toBeInstanceOf(Promise);
    expect(result).toMatchObject({ state: 'ok', userId: 'alice', sessionId: 'sid-alive' });
    const viaGet = await new Promise((resolve) => store.get('sid-alive', (_e, s) => resolve(s)));
    expect((result as { session: unknown }).session).toEqual(viaGet);
  });

  it('answers none for an unknown, a destroyed and a cleared session', () => {
    const store = new session.MemoryStore();
    put(store, 'sid-destroyed', 'bob');
    put(store, 'sid-cleared', 'carol');
    const { check } = readerOf(store);
    expect(check('sid-never')).toEqual({ state: 'none' });
    store.destroy('sid-destroyed', () => {});
    expect(check('sid-destroyed')).toEqual({ state: 'none' });
    store.clear(() => {}); // replaces the table: the reader must read the new one
    expect(check('sid-cleared')).toEqual({ state: 'none' });
    put(store, 'sid-after-clear', 'dave');
    expect(check('sid-after-clear')).toMatchObject({ state: 'ok', userId: 'dave' });
  });

  it('treats an expired session as none and leaves it in the store (read-only, unlike get)', () => {
    const store = new session.MemoryStore();
    put(store, 'sid-expired', 'erin', -1000);
    const { check, debug } = readerOf(store);
    expect(check('sid-expired')).toEqual({ state: 'none' });
    expect(debug).toContain('legacy session not found (destroyed or expired in the store)');
    const sessions = (store as unknown as { sessions: Record<string, string> }).sessions;
    expect(Object.keys(sessions)).toContain('sid-expired');
  });

  it('follows its expiry rule for an expires that is not a date string (a number in the past is expired)', () => {
    const store = new session.MemoryStore();
    const sessions = (store as unknown as { sessions: Record<string, string> }).sessions;
    sessions['sid-number'] = JSON.stringify({ cookie: { expires: Date.now() - 1000 }, userId: 'ivan' });
    sessions['sid-no-expiry'] = JSON.stringify({ cookie: { expires: null }, userId: 'judy' });
    const { check } = readerOf(store);
    expect(check('sid-number')).toEqual({ state: 'none' });
    expect(check('sid-no-expiry')).toMatchObject({ state: 'ok', userId: 'judy' });
  });

  it('answers unavailable where its get throws: damaged JSON, a stored null', () => {
    const store = new session.MemoryStore();
    const sessions = (store as unknown as { sessions: Record<string, string> }).sessions;
    sessions['sid-damaged'] = '{not json';
    sessions['sid-null'] = 'null';
    const { check } = readerOf(store);
    for (const sid of ['sid-damaged', 'sid-null']) {
      expect(check(sid)).toMatchObject({
        state: 'unavailable',
        error: { code: 'ERR_BRIDGE_LEGACY_UNAVAILABLE' },
      });
    }
  });

  it('goes through get once get is replaced on the prototype after the bridge was built (a test spy)', async () => {
    const store = new session.MemoryStore();
    put(store, 'sid-spied', 'kim');
    const { check } = readerOf(store);
    const spy = vi.spyOn(session.MemoryStore.prototype, 'get');
    try {
      const result = check('sid-spied');
      expect(result).toBeInstanceOf(Promise);
      expect(await result).toMatchObject({ state: 'ok', userId: 'kim' });
      expect(spy).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
    expect(check('sid-spied')).not.toBeInstanceOf(Promise);
  });

  it('goes through get for a subclass, and for a MemoryStore whose get was replaced', async () => {
    let calls = 0;
    class CountingStore extends session.MemoryStore {
      override get(sid: string, cb: (err: unknown, s?: session.SessionData | null) => void): void {
        calls++;
        super.get(sid, cb);
      }
    }
    const sub = new CountingStore();
    put(sub, 'sid-sub', 'frank');
    const viaSub = readerOf(sub).check('sid-sub');
    expect(viaSub).toBeInstanceOf(Promise);
    expect(await viaSub).toMatchObject({ state: 'ok', userId: 'frank' });
    expect(calls).toBe(1);

    const patched = new session.MemoryStore();
    put(patched, 'sid-patched', 'grace');
    const original = patched.get.bind(patched);
    patched.get = (sid, cb) => {
      calls++;
      original(sid, cb);
    };
    const viaPatched = readerOf(patched).check('sid-patched');
    expect(viaPatched).toBeInstanceOf(Promise);
    expect(await viaPatched).toMatchObject({ state: 'ok', userId: 'grace' });
    expect(calls).toBe(2);
  });
});
