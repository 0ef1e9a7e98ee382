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
    // Test files already run two at a time on two cores: their kernels use one thread unless a
    // test asks for more (the CLI children inherit this).
    env: { LATENTKIT_THREADS: '1' },
  },
});
