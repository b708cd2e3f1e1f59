import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * More than one process on one database: two Crosswalk processes behind Debian's nginx sharing
 * one PostgreSQL (the leader lease moving when the leader is killed), and a streaming read
 * replica on Debian's PostgreSQL 15. Each test file starts and stops what it needs. Run with
 * `npm run test:scaling`, which builds first.
 */
export default defineConfig({
  resolve: { alias: { "~": path.resolve(import.meta.dirname, "app") } },
  test: {
    include: ["test/scaling/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 240_000,
    teardownTimeout: 60_000,
    // Two cores: two servers, nginx and PostgreSQL already fill them.
    fileParallelism: false,
  },
});
