import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The stress suite has its own command and configuration.
    exclude: ['test/stress/**', '**/node_modules/**'],
    // One in-memory DynamoDB Local for the whole run; tests get its endpoint via inject().
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The SDK's "Node 20 support ends" notice would repeat in every worker.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
