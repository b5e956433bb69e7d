/**
 * `bridge.configure()`: validates (a `TypeError`, thrown before anything changes), then applies the change here
 * (per process), or stores it as the fleet state (shared: src/fleet/shared-state.ts), which every instance
 * applies within `fleet.syncMs`.
 */
import type { SharedState } from '../fleet/shared-state.js';
import type { LegacyConfig } from '../options/config.js';
import { parseConfigure } from '../options/parse-options.js';
import type { ConfigureOptions } from '../types.js';
import type { CutoverState } from './state.js';

export function createConfigure(
  cutover: CutoverState,
  legacy: LegacyConfig | undefined,
  shared: SharedState | undefined,
): (options: ConfigureOptions) => Promise<void> {
  return function configure(options) {
    const request = parseConfigure(options, cutover.current, legacy);
    if (!shared) {
      cutover.set(request.settings, request.by === undefined ? {} : { by: request.by });
      return Promise.resolve();
    }
    if (request.key) {
      throw new TypeError(
        'bridge.configure: `cutover.key` cannot change at run time while the cutover is shared through Redis ' +
          '(the key never goes to Redis): set `cutover.key` at construction on every instance, or leave it out here.',
      );
    }
    return shared.configure({ mode: request.mode, percent: request.percent }, request.by);
  };
}
