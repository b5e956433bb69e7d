import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Suites that share the real Redis use their own key prefixes, so files may run in parallel.
    pool: 'forks',
    // `npm test` prints the statement/branch/function/line coverage of src/ (v8); no thresholds.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/augment.ts'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
    },
  },
});
