import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** One JSON line the server wrote to stdout (pino). */
export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A production Crosswalk server running as a child process, with its own embedded PostgreSQL. */
export interface CrosswalkServer {
  baseUrl: string;
  dataDir: string;
  child: ChildProcess;
  /** Every JSON log line so far, in order. */
  logs: LogRecord[];
  /** The port of the embedded PostgreSQL, from the "embedded PostgreSQL started" log line. */
  databasePort: number;
  /** Settles when the process exits, however it exits. */
  exited: Promise<ProcessExit>;
  isRunning(): boolean;
  /** The last lines the server wrote, for failure messages. */
  recentOutput(): string;
  /** Resolves with the first log record (past or future) that matches. */
  waitForLog(matches: (record: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** SIGTERM, wait for exit (SIGKILL after a deadline), then remove the data directory. */
  stop(): Promise<ProcessExit>;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const PROJECT_ROOT = fileURLToPath(new URL("../../..", import.meta.url));

/** A port nothing listens on right now (the kernel picks it; the probe is closed straight away). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/**
 * Copy the production build (build/ and public/) to a temporary directory for servers to run from,
 * so a rebuild in the working tree during the run (another person's `npm run build`) cannot swap
 * the browser's hashed scripts out from under the tests. node_modules is linked, not copied.
 */
export async function snapshotBuild(): Promise<string> {
  const appDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-e2e-build-"));
  for (const folder of ["build", "public"]) {
    await fs.cp(path.join(PROJECT_ROOT, folder), path.join(appDir, folder), { recursive: true });
  }
  await fs.symlink(
    path.join(PROJECT_ROOT, "node_modules"),
    path.join(appDir, "node_modules"),
    "dir",
  );
  return appDir;
}

/**
 * Start the built host, `node build/host/index.js` (as production runs it), from `appDir` (a
 * snapshot of the build), with a fresh data directory and no DATABASE_URL, so it starts its own
 * embedded PostgreSQL and seeds the demo partnership. Resolves once GET /readyz answers 200.
 */
export async function startCrosswalk(options: {
  appDir: string;
  /**
   * A host name for PUBLIC_URL (same port) instead of the address listened on: browsers make
   * passkeys only for a name, never for 127.0.0.1. The tests still reach the server at baseUrl.
   */
  publicHost?: string;
  /** More settings for the server (DB_LOCK_TIMEOUT_MS, say), over this process's environment. */
  env?: Record<string, string>;
}): Promise<CrosswalkServer> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-e2e-"));
  // mkdtemp makes the directory 0700; as root the embedded PostgreSQL runs as the `postgres` user,
  // which must be able to pass through it to reach its cluster directory.
  await fs.chmod(dataDir, 0o711);
  const port = await findFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
    ...(options.publicHost ? { PUBLIC_URL: `http://${options.publicHost}:${port}` } : {}),
    ...options.env,
  };
  delete env.DATABASE_URL;
  delete env.DATABASE_OWNER_URL;

  const child = spawn(process.execPath, [path.join(options.appDir, "build/host/index.js")], {
    cwd: options.appDir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });

  const exited = new Promise<ProcessExit>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  let exit: ProcessExit | null = null;
  void exited.then((result) => {
    exit = result;
  });

  const logs: LogRecord[] = [];
  const otherOutput: string[] = [];
  const waiters: {
    matches: (record: LogRecord) => boolean;
    resolve: (record: LogRecord) => void;
  }[] = [];
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

  const describeOutput = () =>
    [...logs.slice(-20).map((record) => JSON.stringify(record)), ...otherOutput.slice(-40)].join(
      "\n",
    );

  const waitForLog = (
    matches: (record: LogRecord) => boolean,
    timeoutMs = 10_000,
  ): Promise<LogRecord> => {
    const seen = logs.find(matches);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `No matching server log line within ${timeoutMs} ms. Output:\n${describeOutput()}`,
          ),
        );
      }, timeoutMs);
      const waiter = {
        matches,
        resolve: (record: LogRecord) => {
          clearTimeout(timer);
          resolve(record);
        },
      };
      waiters.push(waiter);
    });
  };

  let stopping: Promise<ProcessExit> | null = null;
  const stop = (): Promise<ProcessExit> => {
    stopping ??= (async () => {
      if (exit === null) {
        child.kill("SIGTERM");
        const deadline = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(deadline);
      }
      await fs.rm(dataDir, { recursive: true, force: true });
      return exited;
    })();
    return stopping;
  };

  try {
    await waitUntilReady(baseUrl, () => exit, describeOutput);
    const started = await waitForLog((record) => record.msg === "embedded PostgreSQL started");
    if (typeof started.port !== "number")
      throw new Error(`The embedded PostgreSQL log line has no port: ${JSON.stringify(started)}`);
    return {
      baseUrl,
      dataDir,
      child,
      logs,
      databasePort: started.port,
      exited,
      isRunning: () => exit === null,
      recentOutput: describeOutput,
      waitForLog,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitUntilReady(
  baseUrl: string,
  exitOf: () => ProcessExit | null,
  describeOutput: () => string,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const exit = exitOf();
    if (exit) {
      throw new Error(
        `Crosswalk exited before it was ready (code ${exit.code}, signal ${exit.signal}). Output:\n${describeOutput()}`,
      );
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Crosswalk was not ready within ${READY_TIMEOUT_MS / 1000} s. Output:\n${describeOutput()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
