/** Public entry of the in-memory stats store; the implementation lives in `./memory/`. */

export type { MemoryStatsOptions } from './memory/options.js';
export { memoryStats } from './memory/store.js';
