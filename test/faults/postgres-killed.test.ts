import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, test } from "vitest";
import { verifyAccessLog } from "./support/audit";
import { Cleanup } from "./support/cleanup";
import { copyDataDir, removeDataDir, startHost, type FaultHost } from "./support/host";
import {
  pageStatus,
  printFigures,
  isAcknowledged,
  startWriters,
  tallyNotes,
  type NoteTarget,
} from "./support/notes";
import {
  endQuietly,
  killPostmaster,
  postmasterOf,
  startSeparatePostgres,
  stopPostgresOn,
  superuserClient,
  waitFor,
} from "./support/postgres";
import { readyz, timeUntil, watchReadiness } from "./support/readiness";
import { findFreePort } from "../e2e/support/server";

const world = inject("faults");
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

const WRITERS = 8;
/** How long notes are written before PostgreSQL is killed, and after it is back. */
const WRITE_BEFORE_MS = 4_000;
const WRITE_AFTER_MS = 3_000;
const RECOVERY_LIMIT_MS = 30_000;

async function freshDataDir(): Promise<string> {
  const dataDir = await copyDataDir(world.templateDir);
  cleanup.add(() => removeDataDir(dataDir));
  return dataDir;
}

function targetOf(host: FaultHost): NoteTarget {
  return { baseUrl: host.baseUrl, cookie: world.cookie, referralId: world.referralId };
}

/** Milliseconds from now until /readyz answers 200 and the case page opens, or null. */
function timeToServe(target: NoteTarget, withinMs: number): Promise<number | null> {
  return timeUntil(
    async () =>
      (await readyz(target.baseUrl, 1_000)).status === 200 &&
      (await pageStatus(target, `/referrals/${target.referralId}`)) === 200,
    withinMs,
  );
}

describe("PostgreSQL is killed while notes are being written", () => {
  test("with the embedded database, every acknowledged note is saved once with its event, the chain verifies, and the same host serves again within 30 s", async () => {
    const dataDir = await freshDataDir();
    const host = await startHost({ appDir: world.appDir, dataDir });
    cleanup.add(() => host.stop());
    const target = targetOf(host);
    const tag = `pg-killed-${randomUUID()}`;

    const readiness = watchReadiness(host.baseUrl);
    const writers = startWriters(target, { workers: WRITERS, tag });
    await waitFor(() => writers.acknowledged() >= 20, WRITE_BEFORE_MS * 5);
    await new Promise((resolve) => setTimeout(resolve, WRITE_BEFORE_MS));
    const acknowledgedBeforeKill = writers.acknowledged();
    const killedPid = await killPostmaster(dataDir);
    const killedAt = Date.now();

    const recoveryMs = await timeToServe(target, RECOVERY_LIMIT_MS);
    if (recoveryMs !== null) await new Promise((resolve) => setTimeout(resolve, WRITE_AFTER_MS));
    const writes = await writers.stop();
    const samples = await readiness.stop();
    const hostStillRunning = host.isRunning();

    // The figures are gathered whatever the outcome: if the host never brought its database back,
    // the test starts it itself to look at what was saved.
    const restartedByTest = (await postmasterOf(dataDir)) === null;
    if (restartedByTest) await startSeparatePostgres(dataDir, await findFreePort());
    const postmaster = await postmasterOf(dataDir);
    const client = await superuserClient(dataDir, postmaster?.port ?? 0);
    const tally = await tallyNotes(client, writes, target, tag).finally(() => endQuietly(client));
    const verification = await verifyAccessLog({ DATA_DIR: dataDir });
    if (restartedByTest) await stopPostgresOn(dataDir);

    const afterKill = samples.filter((sample) => sample.at >= killedAt);
    printFigures("PostgreSQL killed (embedded)", {
      ...tally,
      "acknowledged before the kill": acknowledgedBeforeKill,
      "seconds to serve again": recoveryMs === null ? "never" : recoveryMs / 1000,
      "slowest /readyz ms": Math.max(...samples.map((sample) => sample.ms)),
      "audit:verify": verification.code === 0 ? "passed" : "failed",
    });

    expect(acknowledgedBeforeKill, "no note was saved before the kill").toBeGreaterThan(0);
    expect(tally.lost, "acknowledged notes missing from the database").toBe(0);
    expect(tally.duplicates).toBe(0);
    expect(tally.orphans).toBe(0);
    expect(verification.code, verification.output).toBe(0);
    expect(hostStillRunning, `the host exited:\n${host.recentOutput()}`).toBe(true);
    expect(
      afterKill.some((sample) => sample.status !== 200),
      "/readyz never failed after PostgreSQL was killed",
    ).toBe(true);
    expect(
      recoveryMs,
      `the host did not serve again within ${RECOVERY_LIMIT_MS / 1000} s of killing PostgreSQL (pid ${killedPid}):\n${host.recentOutput()}`,
    ).not.toBeNull();
    const servedAgainAt = killedAt + (recoveryMs ?? 0);
    expect(
      writes.filter((write) => write.endedAt > servedAgainAt && isAcknowledged(write, target)),
      "no note was saved after the host served again",
    ).not.toEqual([]);
  });

  test("with a separate database server, the pool reconnects when the server is started again", async () => {
    const dataDir = await freshDataDir();
    const databasePort = await findFreePort();
    // The template's cluster, run by the test as an operator's own PostgreSQL would be.
    let database = await startSeparatePostgres(dataDir, databasePort);
    cleanup.add(() => stopPostgresOn(dataDir));
    const host = await startHost({
      appDir: world.appDir,
      dataDir,
      env: { DATABASE_URL: database.appUrl, DATABASE_OWNER_URL: database.ownerUrl },
    });
    cleanup.add(() => host.stop());
    const target = targetOf(host);
    const tag = `separate-killed-${randomUUID()}`;

    const writers = startWriters(target, { workers: WRITERS, tag });
    await waitFor(() => writers.acknowledged() >= 20, WRITE_BEFORE_MS * 5);
    await new Promise((resolve) => setTimeout(resolve, WRITE_BEFORE_MS / 2));
    await killPostmaster(dataDir);
    const downAt = Date.now();
    // Down for long enough that the host notices, then back on the same address.
    const noticed = await timeUntil(
      async () => (await readyz(host.baseUrl, 1_000)).status !== 200,
      10_000,
    );
    database = await startSeparatePostgres(dataDir, databasePort);
    const backAt = Date.now();
    const recoveryMs = await timeToServe(target, RECOVERY_LIMIT_MS);
    if (recoveryMs !== null) await new Promise((resolve) => setTimeout(resolve, WRITE_AFTER_MS));
    const writes = await writers.stop();

    const client = await superuserClient(dataDir, databasePort);
    const tally = await tallyNotes(client, writes, target, tag).finally(() => endQuietly(client));
    const verification = await verifyAccessLog({
      DATA_DIR: dataDir,
      DATABASE_URL: database.appUrl,
      DATABASE_OWNER_URL: database.ownerUrl,
    });
    printFigures("PostgreSQL killed (separate server)", {
      ...tally,
      "seconds down": (backAt - downAt) / 1000,
      "seconds to serve again after it was back": recoveryMs === null ? "never" : recoveryMs / 1000,
      "audit:verify": verification.code === 0 ? "passed" : "failed",
    });

    expect(noticed, "/readyz still answered 200 with the database down").not.toBeNull();
    expect(tally.lost, "acknowledged notes missing from the database").toBe(0);
    expect(tally.duplicates).toBe(0);
    expect(tally.orphans).toBe(0);
    expect(verification.code, verification.output).toBe(0);
    expect(host.isRunning(), `the host exited:\n${host.recentOutput()}`).toBe(true);
    expect(recoveryMs, `the pool did not reconnect:\n${host.recentOutput()}`).not.toBeNull();
  });
});
