import { randomUUID } from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { withCredentials } from "../../db/bootstrap";
import { send, type Outcome } from "../e2e/support/http";
import type { LogRecord } from "../e2e/support/server";
import { findFreePort } from "../e2e/support/server";
import { Cleanup } from "./support/cleanup";
import { copyDataDir, launchHost, removeDataDir, startHost, type FaultHost } from "./support/host";
import {
  formHeaders,
  noteForm,
  notePath,
  pageStatus,
  postNote,
  printFigures,
  type NoteTarget,
} from "./support/notes";
import { formToSendAgain, unavailablePageProblems } from "./support/pages";
import {
  credentialsOf,
  endQuietly,
  postgresProcessesOn,
  postmasterOf,
  startSeparatePostgres,
  stopPostgresOn,
  superuserClient,
  waitFor,
} from "./support/postgres";
import { readyz, timeUntil, type ReadinessSample } from "./support/readiness";

const world = inject("faults");
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

async function freshDataDir(): Promise<string> {
  const dataDir = await copyDataDir(world.templateDir);
  cleanup.add(() => removeDataDir(dataDir));
  return dataDir;
}

/** Log lines that carry a stack trace. */
function withStacks(records: readonly LogRecord[]): string[] {
  return records
    .map((record) => JSON.stringify(record))
    .filter((line) => line.includes('"stack"') || /\\n\s+at /.test(line));
}

const STATEMENT_TIMEOUT_MS = 2_000;

describe("the database is too slow", () => {
  let dataDir: string;
  let host: FaultHost;
  let target: NoteTarget;

  beforeAll(async () => {
    dataDir = await freshDataDir();
    host = await startHost({
      appDir: world.appDir,
      dataDir,
      env: { DB_STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS), DB_LOCK_TIMEOUT_MS: "500" },
    });
    cleanup.add(() => host.stop());
    target = { baseUrl: host.baseUrl, cookie: world.cookie, referralId: world.referralId };
  });

  describe("a lock on case_notes outlasting the lock timeout", () => {
    const unrelatedPage = "/account/sessions";
    const body = `Rang the family about the youth club ${randomUUID()}`;
    const submissionId = randomUUID();
    let outcome: Outcome;
    let readiness: ReadinessSample;
    let unrelated: number | string;
    let failureLines: LogRecord[];
    let logsSince: LogRecord[];
    let resent: Outcome | null;
    let saved: number;

    // The scenario once; the tests below each judge one part of what happened.
    beforeAll(async () => {
      expect(await pageStatus(target, unrelatedPage)).toBe(200);
      const postmaster = await postmasterOf(dataDir);
      const locker = await superuserClient(dataDir, postmaster?.port ?? 0);
      cleanup.add(() => endQuietly(locker));
      await locker.query("begin");
      await locker.query("lock table case_notes in access exclusive mode");
      const logsBefore = host.logs.length;

      const startedAt = Date.now();
      outcome = await postNote(target, body, submissionId).outcome;
      const answeredMs = Date.now() - startedAt;
      readiness = await readyz(host.baseUrl, 5_000);
      unrelated = await pageStatus(target, unrelatedPage);
      await locker.query("rollback");

      const requestId =
        outcome.kind === "response" ? String(outcome.headers["x-request-id"] ?? "") : "";
      // Written once the answer is sent: wait for the request's own line before reading the log.
      await host.waitForLog((record) => record.requestId === requestId && record.msg === "request");
      failureLines = host.logs.filter(
        (record) => record.requestId === requestId && record.level >= 40,
      );
      logsSince = host.logs.slice(logsBefore);

      // The kept form, sent again once the lock has gone.
      const again =
        outcome.kind === "response" ? formToSendAgain(outcome.body, notePath(target)) : null;
      resent = again
        ? await send(target.baseUrl, {
            method: "POST",
            path: notePath(target),
            form: Object.fromEntries(again),
            headers: formHeaders(target),
          }).outcome
        : null;
      const client = await superuserClient(dataDir, postmaster?.port ?? 0);
      saved =
        (
          await client
            .query("select id from case_notes where body = $1", [body])
            .finally(() => endQuietly(client))
        ).rowCount ?? 0;

      printFigures("case_notes locked past the lock timeout", {
        "note answer": outcome.kind === "response" ? outcome.status : outcome.error,
        "answered in ms": answeredMs,
        "/readyz": readiness.status,
        "/readyz ms": readiness.ms,
        [`${unrelatedPage} while locked`]: unrelated,
        "warn or error lines for the failed note": failureLines.length,
        "log lines with a stack": withStacks(logsSince).length,
        "sent again": resent?.kind === "response" ? resent.status : "no form",
        "notes saved": saved,
      });
    });

    test("the note is answered 503 with Retry-After and every typed answer in a form that, sent again, saves it once", () => {
      expect(
        unavailablePageProblems(outcome, {
          action: notePath(target),
          fields: noteForm(body, submissionId),
        }),
      ).toEqual([]);
      const location =
        resent?.kind === "response" && typeof resent.headers.location === "string"
          ? resent.headers.location
          : null;
      expect(resent?.kind === "response" ? resent.status : "no form sent again").toBeOneOf([
        302, 303,
      ]);
      expect(location ?? "").toMatch(new RegExp(`^/referrals/${target.referralId}(?:[?#]|$)`));
      expect(saved).toBe(1);
    });

    test("/readyz answers 200 within a second and a page that does not touch the table answers 200", () => {
      expect(readiness.ms).toBeLessThan(1_000);
      expect(readiness.status).toBe(200);
      expect(unrelated).toBe(200);
    });

    test('the failure is one warn line, "database unavailable"', () => {
      expect(failureLines.map((record) => [record.level, record.msg])).toEqual([
        [40, "database unavailable"],
      ]);
    });

    test("the log holds no stack trace", () => {
      expect(withStacks(logsSince)).toEqual([]);
    });
  });

  test("a database that stops answering (its processes frozen): the note is answered 503 with its answers kept within the statement timeout, /readyz says so within a second, and pages work again once it thaws", async () => {
    const frozen = await postgresProcessesOn(dataDir);
    expect(frozen.length).toBeGreaterThan(0);
    const thaw = () => {
      for (const pid of frozen) {
        try {
          process.kill(pid, "SIGCONT");
        } catch {
          // A process that has ended since needs no thawing.
        }
      }
      return Promise.resolve();
    };
    cleanup.add(thaw);
    const body = `Dropped in at the youth club ${randomUUID()}`;
    const submissionId = randomUUID();
    for (const pid of frozen) process.kill(pid, "SIGSTOP");
    const startedAt = Date.now();
    // A host that waits for ever is a finding, not a hung test: give up on the answer in time.
    const outcome = await Promise.race([
      postNote(target, body, submissionId).outcome,
      new Promise<Outcome>((resolve) =>
        setTimeout(
          () => resolve({ kind: "failed", error: "no answer while the database was frozen" }),
          STATEMENT_TIMEOUT_MS + 10_000,
        ),
      ),
    ]);
    const answeredMs = Date.now() - startedAt;
    const readiness = await readyz(host.baseUrl, 5_000);
    await thaw();
    const thawedAt = Date.now();
    const recoveryMs = await timeUntil(
      async () =>
        (await readyz(host.baseUrl, 1_000)).status === 200 &&
        (await pageStatus(target, `/referrals/${target.referralId}`)) === 200,
      30_000,
    );
    const problems = unavailablePageProblems(outcome, {
      action: notePath(target),
      fields: noteForm(body, submissionId),
    });
    printFigures("database frozen (SIGSTOP)", {
      "note answer": outcome.kind === "response" ? outcome.status : outcome.error,
      "answered in ms": answeredMs,
      "/readyz": readiness.status,
      "/readyz ms": readiness.ms,
      "seconds to serve again after it thawed":
        recoveryMs === null ? "never" : (Date.now() - thawedAt) / 1000,
    });

    expect(answeredMs).toBeLessThan(STATEMENT_TIMEOUT_MS + 3_000);
    expect(problems).toEqual([]);
    expect(readiness.ms).toBeLessThan(1_000);
    expect(readiness.status).toBe(503);
    expect(recoveryMs).not.toBeNull();
  });
});

describe("the database cannot be reached when the host starts", () => {
  test("the host says once what it cannot reach, tries again with growing waits, shows no banner, and comes up by itself when the database does", async () => {
    const dataDir = await freshDataDir();
    const databasePort = await findFreePort();
    // Something answers on the database's address but resets each connection at once, counting
    // the attempts: every one fails the same way, as an address with nothing behind it would.
    const attempts: number[] = [];
    const refuser = net.createServer((socket) => {
      attempts.push(Date.now());
      socket.resetAndDestroy();
    });
    await new Promise<void>((resolve) => refuser.listen(databasePort, "127.0.0.1", resolve));
    let refusing = true;
    const stopRefusing = () =>
      refusing
        ? new Promise<void>((resolve) => {
            refusing = false;
            refuser.close(() => resolve());
          })
        : Promise.resolve();
    cleanup.add(stopRefusing);

    const credentials = await credentialsOf(dataDir);
    const base = `postgres://127.0.0.1:${databasePort}/crosswalk`;
    const appUrl = withCredentials(base, { user: "crosswalk_app", password: credentials.app });
    const ownerUrl = withCredentials(base, {
      user: "crosswalk_owner",
      password: credentials.owner,
    });
    const startedAt = Date.now();
    const host = await launchHost({
      appDir: world.appDir,
      dataDir,
      env: { DATABASE_URL: appUrl, DATABASE_OWNER_URL: ownerUrl },
    });
    cleanup.add(() => host.stop());

    // Attempts at about 0, 1, 3 and 7 s if each wait doubles from one second.
    await waitFor(() => distinctAttempts(attempts).length >= 4 || !host.isRunning(), 20_000);
    const runningWhileUnreachable = host.isRunning();
    const bannerWhileUnreachable = host.stderr.some((line) =>
      line.includes("Crosswalk is running"),
    );
    const readyWhileUnreachable = (await readyz(host.baseUrl, 1_000)).status;
    const tries = distinctAttempts(attempts);
    const gaps = tries.slice(1).map((at, index) => at - (tries[index] ?? at));
    const namingLines = host.logs.filter((record) =>
      JSON.stringify(record).includes(`127.0.0.1:${databasePort}`),
    );
    const everything = [...host.logs.map((record) => JSON.stringify(record)), ...host.stderr].join(
      "\n",
    );
    const unreachableFigures = {
      "attempts while unreachable": tries.length,
      "seconds between attempts": gaps.map((gap) => Math.round(gap / 100) / 10).join(", "),
      "log lines naming the address": namingLines.length,
    };
    if (!runningWhileUnreachable)
      printFigures("database unreachable at start-up", unreachableFigures);
    expect(runningWhileUnreachable, `the host gave up:\n${host.recentOutput()}`).toBe(true);

    await stopRefusing();
    await startSeparatePostgres(dataDir, databasePort);
    cleanup.add(() => stopPostgresOn(dataDir));
    const databaseBackAt = Date.now();
    const upMs = await timeUntil(
      async () => (await readyz(host.baseUrl, 1_000)).status === 200,
      45_000,
    );
    const bannerAfter = host.stderr.some((line) => line.includes("Crosswalk is running"));

    printFigures("database unreachable at start-up", {
      ...unreachableFigures,
      "seconds from the database starting to ready":
        upMs === null ? "never" : (Date.now() - databaseBackAt) / 1000,
      "seconds from launch to ready": upMs === null ? "never" : (Date.now() - startedAt) / 1000,
    });

    expect(bannerWhileUnreachable, "the banner was shown before the database was reached").toBe(
      false,
    );
    expect(readyWhileUnreachable).not.toBe(200);
    expect(
      namingLines.length,
      `log lines naming the database's address while it could not be reached:\n${namingLines.map((record) => JSON.stringify(record)).join("\n")}`,
    ).toBe(1);
    expect(everything).not.toContain(credentials.app);
    expect(everything).not.toContain(credentials.owner);
    expect(tries.length).toBeGreaterThanOrEqual(3);
    // Each wait is longer than the one before (backoff), not a fixed retry loop.
    for (let index = 1; index < gaps.length; index += 1)
      expect(gaps[index] ?? 0).toBeGreaterThan((gaps[index - 1] ?? 0) * 1.3);
    expect(upMs, `the host did not come up by itself:\n${host.recentOutput()}`).not.toBeNull();
    expect(bannerAfter, "no banner once the database was reached").toBe(true);
  });
});

/** Connection times grouped into attempts: connections within 300 ms of each other are one. */
function distinctAttempts(connections: readonly number[]): number[] {
  const tries: number[] = [];
  for (const at of connections) {
    const last = tries[tries.length - 1];
    if (last === undefined || at - last > 300) tries.push(at);
  }
  return tries;
}
