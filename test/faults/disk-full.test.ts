import { randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, inject, test } from "vitest";
import { verifyAccessLog } from "./support/audit";
import { Cleanup } from "./support/cleanup";
import { run, startHost } from "./support/host";
import {
  isAcknowledged,
  pageStatus,
  printFigures,
  startWriters,
  tallyNotes,
  type NoteTarget,
} from "./support/notes";
import {
  endQuietly,
  postmasterOf,
  startSeparatePostgres,
  stopPostgresOn,
  superuserClient,
  waitFor,
} from "./support/postgres";
import { readyz, timeUntil } from "./support/readiness";
import { findFreePort } from "../e2e/support/server";

const world = inject("faults");
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

/** A filesystem just larger than the seeded data directory (about 50 MB), so it fills quickly. */
const FILESYSTEM_SIZE = "128m";
const WRITERS = 8;
const FULL_FOR_MS = 5_000;
const RECOVERY_LIMIT_MS = 60_000;

/** Why mount was refused, when it was. */
let refusal = "";

/**
 * Mount a tmpfs of `size` on a new directory, unmounted and removed when the file's scenarios are
 * done; null when this machine refuses (not root, say).
 */
async function mountSmallFilesystem(size: string): Promise<string | null> {
  const mountPoint = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-faults-disk-"));
  await fs.chmod(mountPoint, 0o711);
  try {
    await run("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0711`, "tmpfs", mountPoint]);
  } catch (error) {
    await fs.rm(mountPoint, { recursive: true, force: true });
    refusal = String(error).split("\n")[0] ?? "";
    return null;
  }
  cleanup.add(async () => {
    await run("umount", [mountPoint]);
    await fs.rm(mountPoint, { recursive: true, force: true });
  });
  return mountPoint;
}

/** Whether this machine lets the suite mount a tmpfs: tried once, and unmounted at once. */
async function canMount(): Promise<boolean> {
  const probe = await mountSmallFilesystem("1m");
  if (probe === null) {
    process.stdout.write(
      `Skipping the disk-full scenario: a tmpfs could not be mounted (${refusal})\n`,
    );
    return false;
  }
  await cleanup.run();
  return true;
}

/** Fill a filesystem to the last byte with one file; returns how many bytes it took. */
async function fill(file: string): Promise<number> {
  const handle = await fs.open(file, "w");
  let written = 0;
  try {
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          written += (await handle.write(chunk)).bytesWritten;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOSPC") break;
          throw error;
        }
      }
    }
  } finally {
    await handle.close();
  }
  return written;
}

const mountable = await canMount();

describe.skipIf(!mountable)("the disk holding the database fills while notes are written", () => {
  test("writes are refused with 503 and nothing half-written; once space is freed the same host serves again by itself", async () => {
    const root = await mountSmallFilesystem(FILESYSTEM_SIZE);
    if (root === null) throw new Error(`A tmpfs could not be mounted: ${refusal}`);
    const dataDir = path.join(root, "data");
    await run("cp", ["-a", world.templateDir, dataDir]);
    const host = await startHost({ appDir: world.appDir, dataDir });
    cleanup.add(() => host.stop());
    const target: NoteTarget = {
      baseUrl: host.baseUrl,
      cookie: world.cookie,
      referralId: world.referralId,
    };
    const tag = `disk-full-${randomUUID()}`;
    const writers = startWriters(target, { workers: WRITERS, tag });
    await waitFor(() => writers.acknowledged() >= 20, 30_000);

    const filler = path.join(root, "filler");
    const filledBytes = await fill(filler);
    const fullAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, FULL_FOR_MS));
    const whileFull = writers.writes.filter(
      (write) => write.endedAt > fullAt + 1_000 && write.endedAt <= Date.now(),
    );
    const readyWhileFull = await readyz(host.baseUrl, 5_000);

    await fs.rm(filler);
    const freedAt = Date.now();
    const recoveryMs = await timeUntil(
      async () =>
        (await readyz(host.baseUrl, 1_000)).status === 200 &&
        (await pageStatus(target, `/referrals/${target.referralId}`)) === 200,
      RECOVERY_LIMIT_MS,
    );
    if (recoveryMs !== null)
      await waitFor(
        () =>
          writers.writes.some(
            (write) => write.endedAt > freedAt + recoveryMs && isAcknowledged(write, target),
          ),
        10_000,
      );
    const writes = await writers.stop();
    const hostStillRunning = host.isRunning();

    // Whatever the host made of it, look at what was saved (starting the database if need be).
    const ownServer = (await postmasterOf(dataDir)) === null;
    if (ownServer) await startSeparatePostgres(dataDir, await findFreePort());
    const postmaster = await postmasterOf(dataDir);
    const client = await superuserClient(dataDir, postmaster?.port ?? 0);
    const tally = await tallyNotes(client, writes, target, tag).finally(() => endQuietly(client));
    const verification = await verifyAccessLog({ DATA_DIR: dataDir });
    if (ownServer) await stopPostgresOn(dataDir);

    const answersWhileFull: Record<string, number> = {};
    for (const write of whileFull) {
      const key = write.status === null ? "failed" : String(write.status);
      answersWhileFull[key] = (answersWhileFull[key] ?? 0) + 1;
    }
    printFigures("disk full", {
      ...tally,
      "MB of filler": Math.round(filledBytes / 1024 / 1024),
      "answers while full": answersWhileFull,
      "/readyz while full": readyWhileFull.status,
      "seconds to serve again after space was freed":
        recoveryMs === null ? "never" : recoveryMs / 1000,
      "audit:verify": verification.code === 0 ? "passed" : "failed",
    });

    expect(tally.lost, "acknowledged notes missing from the database").toBe(0);
    expect(tally.duplicates).toBe(0);
    expect(tally.orphans).toBe(0);
    expect(verification.code, verification.output).toBe(0);
    expect(whileFull.length, "no note was sent while the disk was full").toBeGreaterThan(0);
    expect(
      whileFull
        .filter((write) => write.status !== 503 && !isAcknowledged(write, target))
        .map((write) => write.status ?? write.error),
      "writes refused otherwise than with 503 while the disk was full",
    ).toEqual([]);
    expect(
      whileFull.filter((write) => write.status === 503).length,
      "no write was refused while the disk was full",
    ).toBeGreaterThan(0);
    expect(hostStillRunning, `the host exited:\n${host.recentOutput()}`).toBe(true);
    expect(
      recoveryMs,
      `the host did not serve again within 60 s:\n${host.recentOutput()}`,
    ).not.toBeNull();
  });
});
