import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";

/**
 * The child processes of a benchmark run (the application, the baseline) and the embedded
 * PostgreSQL: every one is stopped when the run ends, fails, or is interrupted with Ctrl-C, so a
 * coordinator's rerun never finds a port or a data directory still held.
 */

type Cleanup = () => Promise<void>;
const cleanups: Cleanup[] = [];
let cleaning: Promise<void> | null = null;

/** Run `cleanup` when the run ends, in the reverse order of registration. */
export function onCleanup(cleanup: Cleanup): () => void {
  cleanups.push(cleanup);
  return () => {
    const at = cleanups.indexOf(cleanup);
    if (at >= 0) cleanups.splice(at, 1);
  };
}

/** Stop everything registered, once, however many times it is asked. */
export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const cleanup = cleanups.pop();
      await cleanup?.().catch((error: unknown) => {
        process.stderr.write(`cleanup failed: ${String(error)}\n`);
      });
    }
  })();
  return cleaning;
}

/** Ctrl-C, a kill, or an uncaught failure: stop the children, then exit non-zero. */
export function stopChildrenOnExit(): void {
  const stop = (code: number) => {
    void cleanUp().finally(() => process.exit(code));
  };
  process.once("SIGINT", () => stop(130));
  process.once("SIGTERM", () => stop(143));
  process.once("SIGHUP", () => stop(129));
  process.on("uncaughtException", (error) => {
    process.stderr.write(`${error.stack ?? error.message}\n`);
    stop(1);
  });
  // A child killed outright still leaves nothing behind: synchronous last resort.
  process.once("exit", () => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  });
}

const children = new Set<ChildProcess>();

/** A free TCP port on loopback, as the kernel hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no free port")),
      );
    });
  });
}

export interface Child {
  pid: number;
  /** What the process wrote to standard error, the last 64 KB: shown when it fails. */
  stderrTail(): string;
  /** Stop it (SIGTERM, then SIGKILL after `graceMs`) and wait for it to exit. */
  stop(graceMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

/** Start a Node.js process that is stopped with the run. */
export function startChild(
  args: string[],
  env: Record<string, string>,
  name: string,
  options: { stdout?: (chunk: string) => void } = {},
): Child {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  children.add(child);
  let tail = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    tail = (tail + chunk).slice(-65_536);
  });
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => options.stdout?.(chunk));
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      children.delete(child);
      resolve(code);
    });
  });
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const unregister = onCleanup(stop);
  void exited.then(unregister);
  return { pid: child.pid, stderrTail: () => tail, stop, exited };
}

/** Wait until `url` answers 200, or fail when the process exits or `timeoutMs` passes. */
export async function waitUntilReady(child: Child, url: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void child.exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) {
      throw new Error(
        `the process exited (${String(exitCode)}) before it was ready:\n${child.stderrTail()}`,
      );
    }
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs / 1000} s: ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The resident set size of a process now, in bytes (VmRSS), or null when it has gone. */
export function residentBytes(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Sample a process's RSS every `everyMs` while running: the peak seen. */
export function rssSampler(pid: number, everyMs = 100) {
  let peak = residentBytes(pid) ?? 0;
  let timer: NodeJS.Timeout | null = null;
  return {
    start() {
      timer ??= setInterval(() => {
        peak = Math.max(peak, residentBytes(pid) ?? 0);
      }, everyMs);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
      peak = Math.max(peak, residentBytes(pid) ?? 0);
    },
    peak: () => peak,
  };
}
