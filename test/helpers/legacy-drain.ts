/**
 * A known population of legacy sessions for the legacy store drain, written by the real express-session login
 * (test/helpers/legacy.ts) with the clock frozen at `WRITTEN_AT`, so every `cookie.expires` is exact. The bridge
 * scans at `SCAN_AT`, two hours later: the one-hour sessions are then expired by their cookie but still stored
 * (connect-redis gave them a one-hour TTL of real time).
 */
import type { Store } from 'express-session';
import { vi } from 'vitest';
import { createLegacyLogin } from './legacy.js';

export const SECRET = 'drain-secret';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
export const WRITTEN_AT = Date.UTC(2030, 0, 10, 12);
export const SCAN_AT = WRITTEN_AT + 2 * HOUR;

/** [user id or undefined for an anonymous session, maxAge, shape]. */
const POPULATION: ReadonlyArray<[string | undefined, number, 'userId' | 'passport']> = [
  ['u1', DAY, 'userId'], // expires 2030-01-11T12:00
  ['u1', 3 * DAY, 'userId'], // 2030-01-13T12:00: u1 has two sessions
  ['u2', DAY, 'userId'], // 2030-01-11T12:00
  ['u2', HOUR, 'userId'], // expired at SCAN_AT
  ['u3', 3 * DAY, 'passport'], // 2030-01-13T12:00
  ['u3', 10 * DAY, 'passport'], // 2030-01-20T12:00: the latest expiry
  ['u4', HOUR, 'userId'], // expired: u4 is no longer a legacy user
  ['u5', 2 * DAY, 'userId'], // 2030-01-12T12:00
  [undefined, DAY, 'userId'], // anonymous, live
  [undefined, HOUR, 'userId'], // anonymous, expired
];

/** What a scan at `SCAN_AT` must find. */
export const EXPECTED_SCAN = {
  supported: true,
  scannedAt: new Date(SCAN_AT).toISOString(),
  sessions: 7,
  loggedIn: 6,
  users: 4,
  approximate: false,
  latestExpiry: '2030-01-20T12:00:00.000Z',
  sessionsWithoutExpiry: 0,
  expiringByDay: [
    { day: '2030-01-11', sessions: 2 },
    { day: '2030-01-12', sessions: 1 },
    { day: '2030-01-13', sessions: 2 },
    { day: '2030-01-20', sessions: 1 },
  ],
  expiringLater: 0,
  unreadable: 0,
} as const;

/** Logs the population in through express-session on `store`, with `Date` frozen at `WRITTEN_AT`. Returns the sids. */
export async function writeKnownSessions(store: Store): Promise<string[]> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(WRITTEN_AT);
  try {
    const sids: string[] = [];
    for (const [userId, maxAge, shape] of POPULATION) {
      // One login app per session: express-session sets `store.generate` when mounted, so the last app mounted
      // on a store decides the cookie options of every new session on it.
      const login = createLegacyLogin({ store, secret: SECRET, maxAge });
      const session = await login.login(userId, { shape, data: { cart: ['sku-1'] } });
      sids.push(session.sid);
    }
    return sids;
  } finally {
    vi.useRealTimers();
  }
}

/** Counts the store's write calls (`set`, `touch`, `destroy`, `clear`) from now on. */
export function countWrites(store: Store): () => number {
  const spies = (['set', 'touch', 'destroy', 'clear'] as const)
    .filter((name) => typeof store[name] === 'function')
    .map((name) => vi.spyOn(store, name));
  return () => spies.reduce((sum, spy) => sum + spy.mock.calls.length, 0);
}
