import { settle, TimeoutError } from '../util/with-timeout.js';

/** The app callback's value, or why there is none. */
export type CallbackOutcome<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * A description of a thrown value that is safe to log: its class name only. The message is left out on
 * purpose, since an app's error may quote the password or the identifier it was given.
 */
function describeThrown(err: unknown): string {
  const name = err instanceof Error ? err.name : typeof err;
  return /^[A-Za-z_$][\w$]{0,63}$/.test(name) ? name : 'Error';
}

/**
 * Runs an app callback (sync or async) with a timeout. Never rejects: a throw, a rejection or a timeout is an
 * outcome with a loggable `problem`. A callback that answers after its timeout is ignored, and so is its
 * rejection.
 */
export async function runCallback<T>(
  what: string,
  call: () => T | PromiseLike<T>,
  timeoutMs: number,
): Promise<CallbackOutcome<T>> {
  try {
    return { ok: true, value: await settle(call(), timeoutMs, what) };
  } catch (err) {
    if (err instanceof TimeoutError) return { ok: false, problem: `${what} timed out after ${timeoutMs} ms` };
    return {
      ok: false,
      problem: `${what} threw ${describeThrown(err)} (message not logged: it may quote the password)`,
    };
  }
}
