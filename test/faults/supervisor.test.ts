import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, inject, test } from "vitest";
import { statusOf } from "../e2e/support/http";
import { Cleanup } from "./support/cleanup";
import { copyDataDir, PROJECT_ROOT, removeDataDir, startHost } from "./support/host";
import { printFigures } from "./support/notes";
import { postgresProcessesOn } from "./support/postgres";

const world = inject("faults");
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

/** How the README tells an operator's supervisor (systemd, a container) to run Crosswalk. */
const SUPERVISED_COMMAND = "node build/host/index.js";

/** The inode of the socket listening on 127.0.0.1:`port`, from /proc/net/tcp. */
async function listeningSocketInode(port: number): Promise<string | null> {
  const table = await fs.readFile("/proc/net/tcp", "utf8");
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const line of table.split("\n").slice(1)) {
    const columns = line.trim().split(/\s+/);
    // local_address, state 0A (LISTEN), inode.
    if (columns[1] === local && columns[3] === "0A") return columns[9] ?? null;
  }
  return null;
}

/** Whether process `pid` itself holds the socket with this inode. */
async function holdsSocket(pid: number, inode: string): Promise<boolean> {
  const descriptors = await fs.readdir(`/proc/${pid}/fd`).catch(() => []);
  for (const descriptor of descriptors) {
    const link = await fs.readlink(`/proc/${pid}/fd/${descriptor}`).catch(() => "");
    if (link === `socket:[${inode}]`) return true;
  }
  return false;
}

describe("the process a supervisor runs and signals", () => {
  test(`the README's \`${SUPERVISED_COMMAND}\` is the process that listens, and SIGTERM to it stops it cleanly with its embedded database`, async () => {
    const readme = await fs.readFile(path.join(PROJECT_ROOT, "README.md"), "utf8");
    expect(
      readme.includes(SUPERVISED_COMMAND),
      `the README does not tell a supervisor to run \`${SUPERVISED_COMMAND}\``,
    ).toBe(true);

    const dataDir = await copyDataDir(world.templateDir);
    cleanup.add(() => removeDataDir(dataDir));
    // launchHost runs exactly that: node and the built host, from the build's folder.
    const host = await startHost({ appDir: world.appDir, dataDir });
    cleanup.add(() => host.stop());
    const command = (await fs.readFile(`/proc/${host.pid}/cmdline`, "utf8"))
      .split("\0")
      .filter(Boolean);
    const inode = await listeningSocketInode(host.port);
    const servesItself = inode !== null && (await holdsSocket(host.pid, inode));
    const postgresBefore = await postgresProcessesOn(dataDir);

    host.child.kill("SIGTERM");
    const signalledAt = Date.now();
    const exit = await host.exitWithin(15_000);
    const exitMs = Date.now() - signalledAt;
    const postgresAfter = await postgresProcessesOn(dataDir);
    const portAfter = await statusOf(host.baseUrl, "/readyz");
    printFigures("supervisor's SIGTERM", {
      command: command.slice(1).join(" "),
      "listening socket held by the signalled process": servesItself,
      "seconds to exit": exitMs / 1000,
      "exit code": exit?.code ?? "still running",
      "postgres processes before": postgresBefore.length,
      "postgres processes after": postgresAfter.length,
    });

    expect(command.slice(1)).toEqual(
      ["build/host/index.js"].map((file) => path.join(world.appDir, file)),
    );
    expect(servesItself, "the signalled process is not the one listening").toBe(true);
    expect(postgresBefore.length).toBeGreaterThan(0);
    expect(exit, "the host did not exit within 15 s of SIGTERM").toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(5_000);
    await host.waitForLog((record) => record.msg === "stopped", 1_000);
    expect(postgresAfter, "PostgreSQL processes left on the data directory").toEqual([]);
    expect(portAfter).toMatch(/ECONNREFUSED/);
  });
});
