import fs from "node:fs/promises";
import type { TestProject } from "vitest/node";
import { snapshotBuild, startCrosswalk } from "./support/server";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where the shared Crosswalk server listens, e.g. http://127.0.0.1:41234 */
    baseUrl: string;
    /** A snapshot of the build under test (build/ and public/) that every test server runs from. */
    appDir: string;
  }
}

/**
 * One production Crosswalk server, with its own embedded PostgreSQL and demo partnership, shared by
 * the end-to-end test files. Tests that stop or damage a server start their own instead.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const appDir = await snapshotBuild();
  const server = await startCrosswalk({ appDir }).catch(async (error: unknown) => {
    await fs.rm(appDir, { recursive: true, force: true });
    throw error;
  });
  project.provide("baseUrl", server.baseUrl);
  project.provide("appDir", appDir);
  let tearingDown = false;
  // Every later test would fail with "connection refused"; say why once, where it happened.
  void server.exited.then((exit) => {
    if (tearingDown) return;
    process.stderr.write(
      `\nThe shared Crosswalk server exited during the tests (code ${exit.code}, signal ${exit.signal}). ` +
        `Its last output:\n${server.recentOutput()}\n\n`,
    );
  });
  return async () => {
    tearingDown = true;
    const exit = await server.stop();
    await fs.rm(appDir, { recursive: true, force: true });
    if (exit.code !== 0)
      throw new Error(
        `The shared Crosswalk server exited with code ${exit.code} (signal ${exit.signal})`,
      );
  };
}
