import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * Attacks tried for real (test/security): a production build served by server/index.ts with its
 * own embedded PostgreSQL and the demo partnership, attacked over HTTP, with sqlmap as an outside
 * judge. Run with `npm run test:security`, which builds first.
 */
export default defineConfig({
  resolve: { alias: { "~": path.resolve(import.meta.dirname, "app") } },
  test: {
    include: ["test/security/**/*.test.ts"],
    globalSetup: ["test/security/global-setup.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    // Two cores: a server, its PostgreSQL and the attacks already fill them.
    fileParallelism: false,
  },
});
