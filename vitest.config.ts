import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file gets its own process: TensorFlow.js keeps global backend state.
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
    fileParallelism: true,
  },
});
