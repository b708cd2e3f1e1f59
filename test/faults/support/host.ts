import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { findFreePort, type LogRecord, type ProcessExit } from "../../e2e/support/server";
import { stopPostgresOn } from "./postgres";

export const PROJECT_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** The production host as an operator's supervisor runs it (README): node and the built host. */
export function hostCommand(appDir: string): string[] {
  return [path.join(appDir, "build/host/index.js")];
}

/** A Crosswalk host process under test: its log, its exit, and the means to hurt it. */
export interface FaultHost {
  baseUrl: string;
  port: number;
  dataDir: string;
  pid: number;
  child: ChildProcess;
  /** Every JSON log line so far, in order. */
  logs: LogRecord[];
  /** Every line written to standard error (the start-up banner, a failure to start). */
  stderr: string[];
  exited: Promise<ProcessExit>;
  isRunning(): boolean;
  /** The last lines the process wrote, for failure messages. */
  recentOutput(): string;
  /** Resolves with the first log record (past or future) that matches. */
  waitForLog(matches: (record: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** The exit, or null if the process is still running after `timeoutMs`. */
  exitWithin(timeoutMs: number): Promise<ProcessExit | null>;
  /** Resident memory of the process now (VmRSS), in bytes; null once it has exited. */
  residentBytes(): Promise<number | null>;
  /**
   * SIGTERM, SIGKILL after a deadline, then stop any PostgreSQL still running on the data
   * directory (a killed host leaves its embedded server behind). Leaves the directory in place.
   */
  stop(): Promise<ProcessExit>;
}

export interface HostOptions {
  appDir: string;
  /** Where the host keeps its data: an existing directory (a copy of the seeded template, say). */
  dataDir: string;
  /** The port to listen on; a free one when absent (a restart passes the one it had). */
  port?: number;
  /** Variables added to (or, when undefined, taken from) the test's own environment. */
  env?: Record<string, string | undefined>;
}

const STOP_TIMEOUT_MS = 15_000;

/** Start a host process and return at once, without waiting for it to be ready. */
export async function launchHost(options: HostOptions): Promise<FaultHost> {
  const port = options.port ?? (await findFreePort());
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATA_DIR: options.dataDir,
    LOG_LEVEL: "info",
    // Every scenario reuses one signed-in session made when the suite starts.
    SESSION_IDLE_MINUTES: "240",
  };
  delete env.DATABASE_URL;
  delete env.DATABASE_OWNER_URL;
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }

  const child = spawn(process.execPath, hostCommand(options.appDir), {
    cwd: options.appDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error("The host process did not start");
  const pid = child.pid;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  let exit: ProcessExit | null = null;
  void exited.then((result) => {
    exit = result;
  });

  const logs: LogRecord[] = [];
  const stderr: string[] = [];
  const otherOutput: string[] = [];
  const waiters = new Set<{
    matches: (record: LogRecord) => boolean;
    resolve: (record: LogRecord) => void;
  }>();
  createInterface({ input: child.stdout }).on("line", (line) => {
    let record: LogRecord;
    try {
      record = JSON.parse(line) as LogRecord;
    } catch {
      otherOutput.push(line);
      return;
    }
    logs.push(record);
    for (const waiter of waiters) {
      if (waiter.matches(record)) {
        waiters.delete(waiter);
        waiter.resolve(record);
      }
    }
  });
  createInterface({ input: child.stderr }).on("line", (line) => {
    stderr.push(line);
    otherOutput.push(line);
  });

  // Lines are cut short: a failure message should show what happened, not every stack trace.
  const recentOutput = () =>
    [...logs.slice(-12).map((record) => JSON.stringify(record)), ...otherOutput.slice(-20)]
      .map((line) => (line.length > 400 ? `${line.slice(0, 400)}…` : line))
      .join("\n");

  const waitForLog = (
    matches: (record: LogRecord) => boolean,
    timeoutMs = 10_000,
  ): Promise<LogRecord> => {
    const seen = logs.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        matches,
        resolve: (record: LogRecord) => {
          clearTimeout(timer);
          resolve(record);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(`No matching log line within ${timeoutMs} ms. Output:\n${recentOutput()}`),
        );
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  const exitWithin = (timeoutMs: number): Promise<ProcessExit | null> =>
    Promise.race([
      exited,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), timeoutMs).unref()),
    ]);

  let stopping: Promise<ProcessExit> | null = null;
  const stop = (): Promise<ProcessExit> => {
    stopping ??= (async () => {
      if (exit === null) {
        child.kill("SIGTERM");
        if ((await exitWithin(STOP_TIMEOUT_MS)) === null) child.kill("SIGKILL");
      }
      const result = await exited;
      await stopPostgresOn(options.dataDir);
      return result;
    })();
    return stopping;
  };

  return {
    baseUrl,
    port,
    dataDir: options.dataDir,
    pid,
    child,
    logs,
    stderr,
    exited,
    isRunning: () => exit === null,
    recentOutput,
    waitForLog,
    exitWithin,
    residentBytes: () => residentBytesOf(pid),
    stop,
  };
}

/** Start a host and wait until GET /readyz answers 200 (it stops the host if that never comes). */
export async function startHost(options: HostOptions, readyWithinMs = 90_000): Promise<FaultHost> {
  const host = await launchHost(options);
  try {
    await waitForReady(host, readyWithinMs);
    return host;
  } catch (error) {
    await host.stop();
    throw error;
  }
}

/** Wait until GET /readyz answers 200; fails at once if the host exits. */
export async function waitForReady(host: FaultHost, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (!host.isRunning()) {
      const exit = await host.exited;
      throw new Error(
        `Crosswalk exited before it was ready (code ${exit.code}, signal ${exit.signal}). Output:\n${host.recentOutput()}`,
      );
    }
    try {
      const response = await fetch(`${host.baseUrl}/readyz`, {
        signal: AbortSignal.timeout(2_000),
      });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Crosswalk was not ready within ${withinMs / 1000} s. Output:\n${host.recentOutput()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function residentBytesOf(pid: number): Promise<number | null> {
  const status = await fs.readFile(`/proc/${pid}/status`, "utf8").catch(() => null);
  const kilobytes = status && /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kilobytes ? Number(kilobytes) * 1024 : null;
}

/**
 * A fresh data directory holding a copy of `templateDir` (a seeded host's data, stopped), kept
 * with its owners and modes (`cp -a`): as root the embedded PostgreSQL runs as `postgres`, and
 * refuses a cluster directory that user does not own.
 */
export async function copyDataDir(templateDir: string): Promise<string> {
  const parent = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-faults-"));
  await fs.chmod(parent, 0o711);
  const dataDir = path.join(parent, "data");
  await run("cp", ["-a", templateDir, dataDir]);
  return dataDir;
}

/** Remove a data directory made by copyDataDir (and its parent). */
export async function removeDataDir(dataDir: string): Promise<void> {
  await fs.rm(path.dirname(dataDir), { recursive: true, force: true });
}

/** Run a program to completion; reject with its output when it fails. */
export function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(" ")} failed (${code}): ${output}`)),
    );
  });
}
