import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { LogRecord, ProcessExit } from "../../e2e/support/server";
import { findFreePort } from "../../e2e/support/server";

/**
 * A production Crosswalk process on a database the test started (DATABASE_URL and
 * DATABASE_OWNER_URL given), so that several processes can share it and any of them can be killed
 * without taking the database with it.
 */
export interface CrosswalkProcess {
  name: string;
  pid: number;
  port: number;
  baseUrl: string;
  logs: LogRecord[];
  exited: Promise<ProcessExit>;
  isRunning(): boolean;
  recentOutput(): string;
  /** Resolves with the first log record (past or future) that matches. */
  waitForLog(matches: (record: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** Whether this process served the request with this X-Request-Id (its request log line). */
  served(requestId: string): boolean;
  /** kill -9: no shutdown, no chance to give anything up. */
  kill(): Promise<ProcessExit>;
  /** SIGTERM, then SIGKILL after a deadline; safe to call twice. */
  stop(): Promise<ProcessExit>;
}

const PROJECT_ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const READY_TIMEOUT_MS = 60_000;

export async function startCrosswalkProcess(options: {
  name: string;
  /** A snapshot of the build (snapshotBuild). */
  appDir: string;
  databaseUrl: string;
  ownerUrl: string;
  /** Shared by processes that should share keys (the access log's, single sign-on's). */
  dataDir: string;
  env?: Record<string, string>;
}): Promise<CrosswalkProcess> {
  const port = await findFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // Only a replica the test names: never one from the environment the tests run in.
  const inherited = { ...process.env };
  delete inherited.DATABASE_REPLICA_URL;
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATA_DIR: options.dataDir,
    LOG_LEVEL: "info",
    DATABASE_URL: options.databaseUrl,
    DATABASE_OWNER_URL: options.ownerUrl,
    ...options.env,
  };

  // The built host when the build has one (as production runs it), else the server's source.
  const builtHost = path.join(options.appDir, "build/host/index.js");
  const args = existsSync(builtHost)
    ? [builtHost]
    : ["--import", "tsx", path.join(PROJECT_ROOT, "server/index.ts")];
  const child = spawn(process.execPath, args, {
    cwd: options.appDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let exit: ProcessExit | null = null;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });

  const logs: LogRecord[] = [];
  const otherOutput: string[] = [];
  const waiters: { matches: (record: LogRecord) => boolean; resolve: (r: LogRecord) => void }[] =
    [];
  createInterface({ input: child.stdout }).on("line", (line) => {
    let record: LogRecord;
    try {
      record = JSON.parse(line) as LogRecord;
    } catch {
      otherOutput.push(line);
      return;
    }
    logs.push(record);
    for (const waiter of [...waiters]) {
      if (waiter.matches(record)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(record);
      }
    }
  });
  createInterface({ input: child.stderr }).on("line", (line) => otherOutput.push(line));
  const recentOutput = () =>
    [
      `${options.name}:`,
      ...logs.slice(-20).map((record) => JSON.stringify(record)),
      ...otherOutput.slice(-20),
    ].join("\n");

  const waitForLog = (matches: (record: LogRecord) => boolean, timeoutMs = 10_000) => {
    const seen = logs.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise<LogRecord>((resolve, reject) => {
      const waiter = {
        matches,
        resolve: (record: LogRecord) => {
          clearTimeout(timer);
          resolve(record);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`No matching log line within ${timeoutMs} ms.\n${recentOutput()}`));
      }, timeoutMs);
      waiters.push(waiter);
    });
  };

  let stopping: Promise<ProcessExit> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      if (exit === null) {
        child.kill("SIGTERM");
        const deadline = setTimeout(() => child.kill("SIGKILL"), 15_000);
        await exited;
        clearTimeout(deadline);
      }
      return exited;
    })();
    return stopping;
  };

  const started: CrosswalkProcess = {
    name: options.name,
    pid: child.pid ?? 0,
    port,
    baseUrl,
    logs,
    exited,
    isRunning: () => exit === null,
    recentOutput,
    waitForLog,
    served: (requestId) =>
      logs.some((record) => record.msg === "request" && record.requestId === requestId),
    kill: () => {
      if (exit === null) child.kill("SIGKILL");
      return exited;
    },
    stop,
  };
  try {
    await waitUntilReady(baseUrl, () => exit, recentOutput);
    return started;
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitUntilReady(
  baseUrl: string,
  exitOf: () => ProcessExit | null,
  recentOutput: () => string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const exit = exitOf();
    if (exit) {
      throw new Error(
        `Crosswalk exited before it was ready (code ${exit.code}, signal ${exit.signal}).\n${recentOutput()}`,
      );
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline)
      throw new Error(`Crosswalk was not ready in time.\n${recentOutput()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A data directory for processes to share, removed by the returned function. */
export async function sharedDataDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-scaling-"));
  return { dir, remove: () => fs.rm(dir, { recursive: true, force: true }) };
}
