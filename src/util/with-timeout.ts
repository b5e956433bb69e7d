/** Thrown by `withTimeout` when the work did not settle in time. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Settles like `work`, or rejects with a `TimeoutError` after `ms`. The timer is unref'ed so it never
 * keeps the process alive, and cleared as soon as the work settles.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref();
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Awaits a value that may be a promise, with a timeout only when it is one: synchronous callbacks (the
 * default `legacy.userId`, most `provider.userId`) cost no timer and no extra promise.
 */
export function settle<T>(value: T | PromiseLike<T>, ms: number, what: string): T | Promise<T> {
  if (typeof (value as PromiseLike<T> | undefined)?.then !== 'function') return value as T;
  return withTimeout(Promise.resolve(value), ms, what);
}
