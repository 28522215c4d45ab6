import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native addon + process-wide ISA/thread settings: run files in separate processes, tests within a file in order.
    pool: 'forks',
    testTimeout: 60_000,
  },
});
