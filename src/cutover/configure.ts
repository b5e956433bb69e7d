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
  debug: (message: string) => void,
): (options: ConfigureOptions) => Promise<void> {
  function apply(options: ConfigureOptions): Promise<void> {
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
  }

  // A rollback to observe is easy to misread as "guards off": say what it does and does not change.
  return function configure(options) {
    const before = cutover.current.mode;
    let said = false;
    const note = () => {
      if (said || before === 'observe' || cutover.current.mode !== 'observe') return;
      said = true;
      debug(
        `configure: mode ${before} -> observe. app.use(bridge) now only measures and rejects nothing; requireUser() routes still demand a user (legacy or provider) and provider-only routes still refuse legacy sessions.`,
      );
    };
    const done = apply(options);
    note();
    return done.then(note);
  };
}
