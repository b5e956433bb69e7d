import type { AnyBridgeEvent } from '../types.js';

/**
 * The event fan-out: every event goes to `onEvent` (when set) and to the stats (when on). A hook that throws
 * or rejects is logged and changes nothing; the stats record without waiting for the store.
 */
export function createEmit(
  onEvent: ((event: AnyBridgeEvent) => void) | undefined,
  record: ((event: AnyBridgeEvent) => void) | undefined,
  debug: (message: string) => void,
): (event: AnyBridgeEvent) => void {
  return function emit(event) {
    try {
      // An async hook that rejects must not become an unhandled rejection (it would stop the process).
      const result: unknown = onEvent?.(event);
      if (result instanceof Promise)
        result.catch((err: unknown) => debug(`onEvent rejected: ${String(err)}`));
    } catch (err) {
      debug(`onEvent threw: ${String(err)}`);
    }
    record?.(event);
  };
}
