import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "~": path.resolve(import.meta.dirname, "app") } },
  test: {
    include: ["test/integration/**/*.test.ts", "{app,db,policies,server}/**/*.test.ts"],
    globalSetup: ["test/setup/global-database.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file gets its own database; two workers suit a two-core machine.
    maxWorkers: 2,
  },
});
