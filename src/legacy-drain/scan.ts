/**
 * One read-only scan of the legacy store: list its sessions in batches (listing.ts) and count them. Only
 * counts leave a batch: no session body, id or user id is kept once its batch is done, and the distinct
 * counters hold 53-bit hashes in bounded tables (distinct-counter.ts).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { isRecord } from '../options/checks.js';
import { DAY } from '../stats/time.js';
import type { LegacySessionData } from '../types.js';
import { toUserId } from '../util/user-id.js';
import { settle, withTimeout } from '../util/with-timeout.js';
import { DistinctCounter } from './distinct-counter.js';
import { type ListedSession, listingOf, type StoreCall } from './listing.js';
import type { LegacyExpiryDay, LegacyStoreScan } from './types.js';

/** Days after the scan's day that `expiringByDay` covers; later expiries are counted in `expiringLater`. */
export const EXPIRY_HORIZON_DAYS = 3650;
/** Async `legacy.userId` calls in flight at once. */
const USER_ID_CONCURRENCY = 32;

export interface ScanInput {
  /** The legacy express-session store. */
  store: object;
  /** `legacy.userId`. */
  userId: (session: LegacySessionData) => unknown;
  /** `legacy.timeoutMs`: for an async `legacy.userId`. */
  userIdTimeoutMs: number;
  /** `legacy.drain.timeoutMs`: for each store call. */
  timeoutMs: number;
  /** The scan's time (the bridge's `now`). */
  now: number;
  /** Stops the scan between two batches (the bridge was closed). */
  signal: AbortSignal;
  /** Distinct values tracked exactly before sampling starts. Default 1,000,000. */
  maxDistinct?: number;
}

/** The time of `cookie.expires` (a Date, or a string once serialized), or undefined when it has none. */
function expiryOf(session: LegacySessionData): number | undefined {
  const expires = isRecord(session.cookie) ? session.cookie.expires : undefined;
  const at =
    expires instanceof Date
      ? expires.getTime()
      : typeof expires === 'string'
        ? Date.parse(expires)
        : Number.NaN;
  return Number.isFinite(at) ? at : undefined;
}

/** Settles like `work`, or rejects with the abort reason as soon as `signal` aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function isoDay(day: number): string {
  return new Date(day * DAY).toISOString().slice(0, 10);
}

class Tally {
  sessions = 0;
  loggedIn = 0;
  withoutExpiry = 0;
  later = 0;
  unreadable = 0;
  latest = Number.NEGATIVE_INFINITY;
  readonly users: DistinctCounter;
  /** Session ids seen, when the listing may repeat one (Redis SCAN). */
  readonly sids: DistinctCounter | undefined;
  /** Logged-in sessions by UTC day number of their expiry; at most `EXPIRY_HORIZON_DAYS + 1` entries. */
  readonly byDay = new Map<number, number>();
  readonly #firstDay: number;

  constructor(now: number, mayRepeat: boolean, maxDistinct: number | undefined) {
    this.#firstDay = Math.floor(now / DAY);
    this.users = new DistinctCounter(maxDistinct);
    this.sids = mayRepeat ? new DistinctCounter(maxDistinct) : undefined;
  }

  /** A live session whose `legacy.userId` answered `id`. */
  count(id: unknown, expiry: number | undefined): void {
    this.sessions++;
    const userId = toUserId(id);
    if (userId === undefined) return;
    this.loggedIn++;
    this.users.add(userId);
    if (expiry === undefined) {
      this.withoutExpiry++;
      return;
    }
    if (expiry > this.latest) this.latest = expiry;
    const day = Math.floor(expiry / DAY);
    if (day - this.#firstDay > EXPIRY_HORIZON_DAYS) this.later++;
    else this.byDay.set(day, (this.byDay.get(day) ?? 0) + 1);
  }

  result(scannedAt: number, durationMs: number): LegacyStoreScan {
    const expiringByDay: LegacyExpiryDay[] = [...this.byDay.keys()]
      .sort((a, b) => a - b)
      .map((day) => ({ day: isoDay(day), sessions: this.byDay.get(day)! }));
    return {
      supported: true,
      scannedAt: new Date(scannedAt).toISOString(),
      durationMs,
      sessions: this.sessions,
      loggedIn: this.loggedIn,
      users: this.users.count,
      approximate: this.users.approximate || (this.sids?.approximate ?? false),
      latestExpiry:
        this.withoutExpiry > 0 || this.latest === Number.NEGATIVE_INFINITY
          ? null
          : new Date(this.latest).toISOString(),
      sessionsWithoutExpiry: this.withoutExpiry,
      expiringByDay,
      expiringLater: this.later,
      unreadable: this.unreadable,
    };
  }
}

/** Scans the store once. Rejects when a store call fails or times out, or when `signal` aborts. */
export async function scanLegacyStore(input: ScanInput): Promise<LegacyStoreScan> {
  const { now, signal } = input;
  const listing = listingOf(input.store);
  if (!listing.supported) {
    return { supported: false, scannedAt: new Date(now).toISOString(), reason: listing.reason };
  }
  const started = performance.now();
  const tally = new Tally(now, listing.mayRepeat, input.maxDistinct);
  const call: StoreCall = (what, work) => {
    signal.throwIfAborted();
    return withTimeout(untilAborted(work(), signal), input.timeoutMs, `the legacy store's ${what}`);
  };
  let pending: Promise<void>[] = [];

  const countOne = ({ sid, session, storeTtlMs }: ListedSession): void => {
    if (sid !== undefined && tally.sids && !tally.sids.add(sid)) return;
    if (!isRecord(session)) {
      tally.unreadable++;
      return;
    }
    // A session without `cookie.expires` (express-session's default cookie) lasts as long as the store keeps it.
    const expiry = expiryOf(session) ?? (storeTtlMs === undefined ? undefined : now + storeTtlMs);
    if (expiry !== undefined && expiry <= now) return;
    let id: unknown;
    try {
      id = settle(input.userId(session), input.userIdTimeoutMs, 'legacy.userId');
    } catch {
      tally.unreadable++;
      return;
    }
    if (id instanceof Promise) {
      pending.push(
        id.then(
          (value: unknown) => tally.count(value, expiry),
          () => {
            tally.unreadable++;
          },
        ),
      );
    } else {
      tally.count(id, expiry);
    }
  };

  for await (const batch of listing.batches(call)) {
    for (const listed of batch) {
      countOne(listed);
      if (pending.length >= USER_ID_CONCURRENCY) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
    pending = [];
    signal.throwIfAborted();
    // Off the request path: let requests run between two batches.
    await nextTurn();
  }
  return tally.result(now, Math.round(performance.now() - started));
}
