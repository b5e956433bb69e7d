// What test/bench/bench-cases.test.ts reuses of the benchmark (typed in harness.d.mts).
export { addedInstructions, instructionsByFunction, perRequestByFunction } from './cachegrind.mjs';
export { CASES, sampleRequests } from './cases.mjs';
export { createFixture, ISSUER } from './fixtures.mjs';
export { startCaseServer, startJwksServer } from './processes.mjs';
