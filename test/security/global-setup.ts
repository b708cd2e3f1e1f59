import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import type { TestProject } from "vitest/node";
import { snapshotBuild } from "../e2e/support/server";
import { seedSecondPartnership, type SecondPartnership } from "./support/second-partnership";
import { addressOf, startSecurityServer, type ServerAddress } from "./support/server";

declare module "vitest" {
  export interface ProvidedContext {
    /** The shared server under attack, a snapshot of the build, and the second partnership in it. */
    security: { server: ServerAddress; appDir: string; second: SecondPartnership };
  }
}

/**
 * One production Crosswalk server with its embedded PostgreSQL, the demo partnership and a second
 * partnership, shared by the security test files. Files whose attacks change much (the fuzzing,
 * sqlmap) start servers of their own from the same build snapshot.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync("build/server/index.js"))
    throw new Error("No production build: run `npm run test:security`, which builds first.");
  const appDir = await snapshotBuild();
  const server = await startSecurityServer(appDir).catch(async (error: unknown) => {
    await fs.rm(appDir, { recursive: true, force: true });
    throw error;
  });
  let tearingDown = false;
  void server.exited.then((exit) => {
    if (tearingDown) return;
    process.stderr.write(
      `\nThe shared Crosswalk server exited during the security tests (code ${exit.code}, signal ${exit.signal}). ` +
        `Its last output:\n${server.recentOutput()}\n\n`,
    );
  });
  const teardown = async () => {
    tearingDown = true;
    const exit = await server.stop();
    await fs.rm(appDir, { recursive: true, force: true });
    if (exit.code !== 0)
      throw new Error(
        `The shared Crosswalk server exited with code ${exit.code} (signal ${exit.signal})`,
      );
  };
  try {
    const second = await seedSecondPartnership(addressOf(server));
    project.provide("security", { server: addressOf(server), appDir, second });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
