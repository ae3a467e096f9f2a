import { defineConfig } from 'vitest/config';

/**
 * The stress suite (`npm run test:stress`): fuzzing through real HTTP, fault
 * injection, crash durability and linearizability checks. Slower than the
 * unit and integration tests, so it runs on its own; CI runs both.
 */
export default defineConfig({
  test: {
    include: ['test/stress/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // One file at a time: each file loads the machine on its own.
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
