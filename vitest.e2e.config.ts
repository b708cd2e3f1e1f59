import { defineConfig } from "vitest/config";

/**
 * End-to-end tests: a production build served by server/index.ts (started by the global setup with
 * its own embedded PostgreSQL), driven by Debian's Chromium through playwright-core.
 * Run with `npm run test:e2e`, which builds first.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    globalSetup: ["test/e2e/global-setup.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // Two cores: a browser, a server and its PostgreSQL already fill them.
    fileParallelism: false,
  },
});
