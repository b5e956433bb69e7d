import { afterEach, describe, expect, it, vi } from 'vitest';
import { memoryStats, type StatsStore } from '../../src/index.js';
import type { AnyStatsEvent, StatsEvent, StatsSnapshot } from '../../src/stats-store.js';
import { parseRecorderOptions, Recorder } from '../helpers/internals.js';

const T0 = Date.UTC(2025, 5, 30, 12);

function event(n: number): StatsEvent {
  return { time: T0 + n, kind: 'legacy', outcome: 'ok', legacyUserId: `u${n}` };
}

/** An in-memory store whose `record` can be switched to fail or to hang, keeping what it received. */
class SwitchableStore implements StatsStore {
  readonly received: AnyStatsEvent[] = [];
  readonly calls: number[] = [];
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  #pending: { events: readonly AnyStatsEvent[]; resolve: () => void; reject: (error: Error) => void }[] = [];

  record(events: readonly AnyStatsEvent[]): Promise<void> | void {
    this.calls.push(events.length);
    if (this.mode === 'fail') throw new Error('connection refused');
    if (this.mode === 'hang') {
      return new Promise<void>((resolve, reject) => {
        this.#pending.push({ events, resolve, reject });
      });
    }
    this.received.push(...events);
  }

  /** Completes the hanging calls successfully. */
  release(): void {
    for (const call of this.#pending.splice(0)) {
      this.received.push(...call.events);
      call.resolve();
    }
  }

  /** Rejects the hanging calls. */
  rejectPending(error: Error): void {
    for (const call of this.#pending.splice(0)) call.reject(error);
  }

  query(): StatsSnapshot {
    throw new Error('not used');
  }
}

const ids = (events: readonly AnyStatsEvent[]) =>
  events.map((e) =>
    e.type === 'password-migration' || e.type === 'session-upgrade' ? e.result : e.legacyUserId,
  );
const recorders: Recorder[] = [];
function recorder(store: StatsStore, options = {}) {
  const r = new Recorder(store, parseRecorderOptions(options), () => T0);
  recorders.push(r);
  return r;
}

afterEach(async () => {
  for (const r of recorders.splice(0)) await r.close();
  vi.useRealTimers();
});

describe('Recorder', () => {
  it('drops the oldest events when the buffer is full and counts them', async () => {
    const store = new SwitchableStore();
    const r = recorder(store, { bufferSize: 3 });
    for (let n = 1; n <= 5; n++) r.push(event(n));
    expect(r.health()).toMatchObject({ buffered: 3, dropped: 2 });
    await r.flush();
    expect(ids(store.received)).toEqual(['u3', 'u4', 'u5']);
    expect(r.health()).toMatchObject({ buffered: 0, recorded: 3, dropped: 2, failedFlushes: 0 });
  });

  it('flush drains everything in batches of at most batchSize, oldest first', async () => {
    const store = new SwitchableStore();
    const r = recorder(store, { batchSize: 1000 });
    for (let n = 0; n < 2500; n++) r.push(event(n));
    await r.flush();
    expect(store.calls).toEqual([1000, 1000, 500]);
    expect(ids(store.received)).toEqual(Array.from({ length: 2500 }, (_, n) => `u${n}`));
    expect(r.health()).toMatchObject({
      buffered: 0,
      recorded: 2500,
      lastFlushAt: new Date(T0).toISOString(),
    });
  });

  it('counts a failing store, keeps the batch, and resumes recording when the store recovers', async () => {
    const store = new SwitchableStore();
    const r = recorder(store);
    store.mode = 'fail';
    for (let n = 0; n < 10; n++) r.push(event(n));
    await r.flush();
    expect(r.health()).toMatchObject({ buffered: 10, recorded: 0, failedFlushes: 1, dropped: 0 });
    expect(r.health().lastError).toContain('connection refused');

    store.mode = 'ok';
    r.push(event(10));
    await r.flush();
    expect(ids(store.received)).toEqual(Array.from({ length: 11 }, (_, n) => `u${n}`));
    expect(r.health()).toMatchObject({ buffered: 0, recorded: 11, failedFlushes: 1 });
  });

  it('puts a failed batch back in front and drops its oldest events when newer ones took the room', async () => {
    const store = new SwitchableStore();
    const r = recorder(store, { bufferSize: 4, batchSize: 4, flushTimeoutMs: 60_000 });
    for (let n = 1; n <= 4; n++) r.push(event(n));
    store.mode = 'hang';
    const flushing = r.flush(); // takes u1..u4; the buffer is empty while the call hangs
    r.push(event(5));
    r.push(event(6));
    store.rejectPending(new Error('ECONNRESET'));
    await flushing;
    // Room for 2 of the 4: u3, u4 go back in front of u5, u6; u1, u2 are dropped and counted.
    expect(r.health()).toMatchObject({ buffered: 4, dropped: 2, failedFlushes: 1, recorded: 0 });
    expect(r.health().lastError).toContain('ECONNRESET');

    store.mode = 'ok';
    await r.flush();
    expect(ids(store.received)).toEqual(['u3', 'u4', 'u5', 'u6']);
  });

  it('times out a store that never answers while push stays synchronous, and resumes when it answers', async () => {
    vi.useFakeTimers();
    const store = new SwitchableStore();
    const r = recorder(store, { flushTimeoutMs: 5000 });
    store.mode = 'hang';
    r.push(event(1));
    const flushing = r.flush();
    expect(store.calls).toEqual([1]);

    // While the store hangs, push returns synchronously (no promise) and the event is buffered at once.
    const result: unknown = r.push(event(2));
    expect(result).toBeUndefined();
    expect(r.health().buffered).toBe(1);

    await vi.advanceTimersByTimeAsync(5000);
    await flushing;
    expect(r.health()).toMatchObject({ failedFlushes: 1, recorded: 0, buffered: 2 });
    expect(r.health().lastError).toContain('did not settle within 5000 ms');

    // The timed-out call is still pending: no second call is started meanwhile (one call at a time, and
    // hung calls never pile up), whether by the timer or by flush().
    await vi.advanceTimersByTimeAsync(10_000);
    await r.flush();
    expect(store.calls).toEqual([1]);

    store.mode = 'ok';
    store.release();
    await vi.advanceTimersByTimeAsync(0);
    await r.flush();
    expect(ids(store.received)).toContain('u2');
    expect(r.health()).toMatchObject({ buffered: 0 });
  });

  it('flushes on its timer with one store call in flight at a time', async () => {
    vi.useFakeTimers();
    const store = new SwitchableStore();
    const r = recorder(store, { batchSize: 5, flushIntervalMs: 1000, flushTimeoutMs: 60_000 });
    store.mode = 'hang';
    for (let n = 0; n < 10; n++) r.push(event(n));
    await vi.advanceTimersByTimeAsync(999);
    expect(store.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(store.calls).toEqual([5]);
    await vi.advanceTimersByTimeAsync(3000); // ticks while the call is in flight start no other call
    expect(store.calls).toEqual([5]);
    store.mode = 'ok';
    store.release();
    await vi.advanceTimersByTimeAsync(0);
    expect(store.calls).toEqual([5, 5]);
    expect(r.health()).toMatchObject({ recorded: 10, buffered: 0 });
  });

  it('counts requests locally by kind and outcome since start', () => {
    const r = recorder(new SwitchableStore(), { bufferSize: 1 });
    r.push(event(1));
    r.push(event(2));
    r.push({ time: T0, kind: 'provider', outcome: 'expired' });
    r.push({ time: T0, kind: 'anonymous', outcome: 'anonymous' });
    expect(r.local()).toEqual([
      { kind: 'legacy', outcome: 'ok', count: 2 },
      { kind: 'provider', outcome: 'expired', count: 1 },
      { kind: 'anonymous', outcome: 'anonymous', count: 1 },
    ]);
  });

  it('counts password migration decisions locally by result, apart from the requests, and buffers them', async () => {
    const store = new SwitchableStore();
    const r = recorder(store);
    r.push({ type: 'password-migration', time: T0, result: 'match' });
    r.push({ type: 'password-migration', time: T0, result: 'match' });
    r.push({ type: 'password-migration', time: T0, result: 'rateLimited' });
    r.push(event(1));
    expect(r.localPasswordMigrations()).toEqual({
      match: 2,
      mismatch: 0,
      unknown: 0,
      rateLimited: 1,
      unauthorized: 0,
      error: 0,
    });
    expect(r.local()).toEqual([{ kind: 'legacy', outcome: 'ok', count: 1 }]);
    await r.flush();
    expect(store.calls).toEqual([4]);
    expect(store.received.map((e) => e.type ?? 'request')).toEqual([
      'password-migration',
      'password-migration',
      'password-migration',
      'request',
    ]);
  });

  it('close flushes into a real store and ignores later pushes', async () => {
    const store = memoryStats();
    const r = recorder(store);
    r.push(event(1));
    await r.close();
    r.push(event(2));
    expect(r.health()).toMatchObject({ recorded: 1, buffered: 0 });
    const snapshot = await store.query({
      now: T0 + 10,
      windows: { '1d': 86_400_000 },
      seriesBucket: 'day',
      seriesFrom: T0,
    });
    expect(snapshot.windows['1d']!.users.legacy).toBe(1);
  });

  it('rejects invalid options with a TypeError', () => {
    expect(() => parseRecorderOptions({ bufferSize: 0 })).toThrow(TypeError);
    expect(() => parseRecorderOptions({ batchSize: 2.5 })).toThrow(TypeError);
    expect(() => parseRecorderOptions({ flushIntervalMs: -1 })).toThrow(TypeError);
    expect(() => parseRecorderOptions({ flushTimeoutMs: Number.NaN })).toThrow(TypeError);
    expect(() => parseRecorderOptions({ bufferSzie: 10 })).toThrow(TypeError);
  });
});
