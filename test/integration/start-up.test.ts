import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { useTestDatabase } from "../support/database";

const db = useTestDatabase();
const HOST_BUILD = path.resolve("build/host/index.js");

/** A port nothing listens on right now. */
function freePort(): Promise<number> {
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

/** `url` pointed at 127.0.0.1:`port` instead, with its user, password and database. */
function atPort(url: string, port: number): string {
  const moved = new URL(url);
  moved.hostname = "127.0.0.1";
  moved.port = String(port);
  return moved.href;
}

/** A TCP relay from `port` to the test database: the database "comes back" when it starts. */
function relayTo(url: string, port: number): Promise<net.Server> {
  const target = new URL(url);
  const relay = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
  });
  return new Promise((resolve) => relay.listen(port, "127.0.0.1", () => resolve(relay)));
}

interface Started {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first line (past or future) that matches. */
  waitFor(pattern: RegExp, timeoutMs: number): Promise<string>;
  exited: Promise<number | null>;
}

function startHost(env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [HOST_BUILD], { env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    for (const waiter of [...waiters])
      if (waiter.pattern.test(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
  };
  createInterface({ input: child.stdout }).on("line", onLine);
  createInterface({ input: child.stderr }).on("line", onLine);
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  return {
    child,
    lines,
    exited,
    waitFor: (pattern, timeoutMs) => {
      const seen = lines.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`no line like ${pattern} in ${timeoutMs} ms:\n${lines.join("\n")}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("starting while the database cannot be reached", () => {
  it("says once what it cannot reach, keeps trying with backoff, and starts by itself once the database answers", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-start-up-"));
    cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
    const databasePort = await freePort();
    const appUrl = atPort(db.appUrl, databasePort);
    const password = decodeURIComponent(new URL(appUrl).password);
    const host = startHost({
      ...process.env,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: "0",
      DATA_DIR: dataDir,
      LOG_LEVEL: "debug",
      DATABASE_URL: appUrl,
      DATABASE_OWNER_URL: atPort(db.ownerUrl, databasePort),
      SHUTDOWN_DRAIN_MS: "0",
    });
    cleanups.push(async () => {
      if (host.child.exitCode === null && host.child.signalCode === null) {
        host.child.kill("SIGKILL");
        await host.exited;
      }
    });

    // The second attempt follows the first after 1 s, and the third is due 2 s later.
    await host.waitFor(/"attempt":2,.*"msg":"database still unreachable"/, 10_000);
    const unreachable = host.lines
      .filter((line) => line.includes('"msg":"database unreachable: retrying"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(unreachable).toHaveLength(1);
    expect(unreachable[0]).toMatchObject({
      level: 40,
      target: `127.0.0.1:${databasePort}`,
      code: "ECONNREFUSED",
      retryInMs: 1_000,
    });
    const retries = host.lines
      .filter((line) => line.includes('"msg":"database still unreachable"'))
      .map((line) => (JSON.parse(line) as { retryInMs: number }).retryInMs);
    expect(retries).toEqual([2_000]);
    const output = host.lines.join("\n");
    expect(output).not.toContain("Crosswalk is running");
    expect(output).not.toContain('"msg":"listening"');
    expect(output).not.toContain("Migration (unknown)");
    expect(output).not.toContain(password);
    expect(output).not.toContain('"stack"');

    const relay = await relayTo(db.appUrl, databasePort);
    cleanups.push(() => new Promise((resolve) => relay.close(resolve)));
    await host.waitFor(/Crosswalk is running at/, 15_000);
    expect(host.lines.some((line) => line.includes('"msg":"database reached"'))).toBe(true);

    host.child.kill("SIGTERM");
    expect(await host.exited).toBe(0);
  });

  it("stops at once, with code 0, when told to while it waits", async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-start-up-"));
    cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
    const databasePort = await freePort();
    const host = startHost({
      ...process.env,
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: "0",
      DATA_DIR: dataDir,
      LOG_LEVEL: "info",
      DATABASE_URL: atPort(db.appUrl, databasePort),
    });
    await host.waitFor(/"msg":"database unreachable: retrying"/, 10_000);

    const signalled = performance.now();
    host.child.kill("SIGTERM");
    expect(await host.exited).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(2_000);
    expect(host.lines.join("\n")).not.toContain("Crosswalk is running");
  });
});
