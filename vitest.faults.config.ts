import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * Faults tried for real (test/faults): production servers started as child processes with their
 * own PostgreSQL, whose database is killed, locked, filled or unplugged, and whose process is
 * killed or signalled, while notes are being written. Run with `npm run test:faults`, which builds
 * first.
 */
export default defineConfig({
  resolve: { alias: { "~": path.resolve(import.meta.dirname, "app") } },
  test: {
    include: ["test/faults/**/*.test.ts"],
    globalSetup: ["test/faults/global-setup.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // Two cores: every scenario's server, its PostgreSQL and its load already fill them.
    fileParallelism: false,
  },
});
