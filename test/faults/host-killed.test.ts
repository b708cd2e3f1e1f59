import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, test } from "vitest";
import { findFreePort } from "../e2e/support/server";
import { verifyAccessLog } from "./support/audit";
import { Cleanup } from "./support/cleanup";
import { copyDataDir, removeDataDir, startHost, type FaultHost } from "./support/host";
import {
  isAcknowledged,
  pageStatus,
  printFigures,
  startWriters,
  tallyNotes,
  type NoteTarget,
  type NoteTally,
  type NoteWrite,
} from "./support/notes";
import {
  endQuietly,
  killPostmaster,
  postgresProcessesOn,
  postmasterOf,
  startSeparatePostgres,
  stopPostgresOn,
  superuserClient,
  waitFor,
} from "./support/postgres";
import { readyz, timeUntil } from "./support/readiness";

const world = inject("faults");
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

const WRITERS = 8;
const SHUTDOWN_LIMIT_MS = 5_000;

// The scenarios follow one data directory: written to, its host killed, restarted on it, stopped
// under load, started again and stopped after its database crashed.
let dataDir = "";
let port = 0;
let host: FaultHost | undefined;

function targetOf(server: FaultHost): NoteTarget {
  return { baseUrl: server.baseUrl, cookie: world.cookie, referralId: world.referralId };
}

async function startOnDataDir(): Promise<FaultHost> {
  if (!dataDir) {
    dataDir = await copyDataDir(world.templateDir);
    const made = dataDir;
    cleanup.add(() => removeDataDir(made));
  }
  // Restarts listen where the first start did, as a supervisor's would.
  port ||= await findFreePort();
  const started = await startHost({ appDir: world.appDir, dataDir, port });
  cleanup.add(() => started.stop());
  return started;
}

/** What the data directory holds for a burst, and whether its access log verifies. */
async function inspect(
  writes: readonly NoteWrite[],
  target: NoteTarget,
  tag: string,
): Promise<{ tally: NoteTally; verified: { code: number | null; output: string } }> {
  // With no host running, the test runs the cluster itself to look.
  const ownServer = (await postmasterOf(dataDir)) === null;
  if (ownServer) await startSeparatePostgres(dataDir, await findFreePort());
  try {
    const postmaster = await postmasterOf(dataDir);
    const client = await superuserClient(dataDir, postmaster?.port ?? 0);
    const tally = await tallyNotes(client, writes, target, tag).finally(() => endQuietly(client));
    const verified = await verifyAccessLog({ DATA_DIR: dataDir });
    return { tally, verified };
  } finally {
    if (ownServer) await stopPostgresOn(dataDir);
  }
}

describe("the host process is killed or stopped while notes are being written", () => {
  test("killed with SIGKILL mid-write and started again on the same data, every acknowledged note is saved once with its event and the chain verifies", async () => {
    const first = await startOnDataDir();
    const target = targetOf(first);
    const tag = `host-killed-${randomUUID()}`;
    const writers = startWriters(target, { workers: WRITERS, tag });
    await waitFor(() => writers.acknowledged() >= 40, 30_000);
    first.child.kill("SIGKILL");
    const killedAt = Date.now();
    await first.exited;

    host = await startOnDataDir();
    const restartMs = Date.now() - killedAt;
    const servedAgainAt = Date.now();
    await waitFor(
      () =>
        writers.writes.some(
          (write) => write.endedAt > servedAgainAt && isAcknowledged(write, target),
        ),
      20_000,
    );
    const writes = await writers.stop();
    const { tally, verified } = await inspect(writes, target, tag);
    printFigures("host killed with SIGKILL, restarted on its data", {
      ...tally,
      "seconds from the kill to serving again (restart included)": restartMs / 1000,
      "audit:verify": verified.code === 0 ? "passed" : "failed",
    });

    expect(tally.lost, "acknowledged notes missing from the database").toBe(0);
    expect(tally.duplicates).toBe(0);
    expect(tally.orphans).toBe(0);
    expect(verified.code, verified.output).toBe(0);
    expect(
      writes.filter((write) => write.endedAt > servedAgainAt && isAcknowledged(write, target)),
      "no note was saved after the restart",
    ).not.toEqual([]);
  });

  test("SIGTERM under load: every request already sent is answered in full, and the host exits with code 0 within 5 s", async () => {
    host ??= await startOnDataDir();
    const server = host;
    const target = targetOf(server);
    const tag = `host-sigterm-${randomUUID()}`;
    const writers = startWriters(target, { workers: WRITERS, tag });
    // Readers of the case page beside the writers, one after another each, until the signal.
    let reading = true;
    const pageAnswers: (number | string)[] = [];
    const readers = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (reading)
          pageAnswers.push(await pageStatus(target, `/referrals/${target.referralId}`));
      }),
    );
    await waitFor(() => writers.acknowledged() >= 20, 30_000);

    server.child.kill("SIGTERM");
    const signalledAt = Date.now();
    // Nothing new is sent from here on: what is still running was in flight at the signal.
    reading = false;
    const stopping = writers.stop();
    const exit = await server.exitWithin(SHUTDOWN_LIMIT_MS + 10_000);
    const exitMs = Date.now() - signalledAt;
    const writes = await stopping;
    await readers;
    const { tally, verified } = await inspect(writes, target, tag);
    const failedWrites = writes.filter((write) => !isAcknowledged(write, target));
    const failedPages = pageAnswers.filter((status) => status !== 200);
    printFigures("SIGTERM under load", {
      ...tally,
      "pages read": pageAnswers.length,
      "requests failed": failedWrites.length + failedPages.length,
      "seconds to exit": exitMs / 1000,
      "exit code": exit?.code ?? "still running",
      "audit:verify": verified.code === 0 ? "passed" : "failed",
    });

    expect(
      failedWrites.map((write) => write.status ?? write.error),
      "note writes in flight at SIGTERM that failed",
    ).toEqual([]);
    expect(failedPages, "page reads in flight at SIGTERM that failed").toEqual([]);
    expect(exit, `the host had not exited ${exitMs / 1000} s after SIGTERM`).toEqual({
      code: 0,
      signal: null,
    });
    expect(exitMs).toBeLessThan(SHUTDOWN_LIMIT_MS);
    await server.waitForLog((record) => record.msg === "stopped", 1_000);
    expect(tally.lost).toBe(0);
    expect(tally.duplicates).toBe(0);
    expect(tally.orphans).toBe(0);
    expect(verified.code, verified.output).toBe(0);
  });

  test("after its database crashed, the host still stops within 5 s and leaves no PostgreSQL running", async () => {
    const server = await startOnDataDir();
    expect(await pageStatus(targetOf(server), `/referrals/${world.referralId}`)).toBe(200);
    await killPostmaster(dataDir);
    // The host has noticed: its readiness check fails (or it is already restarting the database).
    await timeUntil(async () => (await readyz(server.baseUrl, 1_000)).status !== 200, 5_000);

    server.child.kill("SIGTERM");
    const signalledAt = Date.now();
    const exit = await server.exitWithin(SHUTDOWN_LIMIT_MS + 10_000);
    const exitMs = Date.now() - signalledAt;
    const leftRunning = await postgresProcessesOn(dataDir);
    printFigures("SIGTERM after a database crash", {
      "seconds to exit": exitMs / 1000,
      "exit code": exit?.code ?? "still running",
      "postgres processes left": leftRunning.length,
    });

    expect(exit, `the host had not exited ${exitMs / 1000} s after SIGTERM`).not.toBeNull();
    expect(exitMs).toBeLessThan(SHUTDOWN_LIMIT_MS);
    expect(leftRunning, "PostgreSQL processes left on the data directory").toEqual([]);
  });
});
