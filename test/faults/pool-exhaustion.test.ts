import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { send, type Outcome } from "../e2e/support/http";
import { Cleanup } from "./support/cleanup";
import { copyDataDir, removeDataDir, startHost } from "./support/host";
import { printFigures, type NoteTarget } from "./support/notes";
import { endQuietly, postmasterOf, superuserClient } from "./support/postgres";
import { readyz, type ReadinessSample } from "./support/readiness";

const world = inject("faults");
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

const CLIENTS = 100;
const POOL_MAX = 10;
const QUEUE_MAX = 10;
const LOCK_TIMEOUT_MS = 3_000;
const RSS_LIMIT_BYTES = 300 * 1024 * 1024;

describe("a hundred clients at once while a lock holds the table their page reads", () => {
  const unrelatedPage = "/account/sessions";
  let answers: { outcome: Outcome; ms: number }[];
  let refusalCodes: string[];
  let readiness: ReadinessSample[];
  let unrelated: { status: number | string; ms: number }[];
  let unrelatedAfter: number | string;
  let caseAfter: number | string;
  let peakResident: number;
  let hostRunning: boolean;

  // The storm once; the tests below each judge one part of what happened.
  beforeAll(async () => {
    const dataDir = await copyDataDir(world.templateDir);
    cleanup.add(() => removeDataDir(dataDir));
    const host = await startHost({
      appDir: world.appDir,
      dataDir,
      env: {
        DB_POOL_MAX: String(POOL_MAX),
        DB_POOL_QUEUE_MAX: String(QUEUE_MAX),
        DB_STATEMENT_TIMEOUT_MS: "8000",
        DB_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS),
      },
    });
    cleanup.add(() => host.stop());
    const target: NoteTarget = {
      baseUrl: host.baseUrl,
      cookie: world.cookie,
      referralId: world.referralId,
    };
    const headers = { Cookie: `crosswalk_session=${world.cookie}` };
    const casePage = `/referrals/${world.referralId}`;
    expect(
      (await send(target.baseUrl, { method: "GET", path: casePage, headers }).outcome).kind,
    ).toBe("response");

    const postmaster = await postmasterOf(dataDir);
    const locker = await superuserClient(dataDir, postmaster?.port ?? 0);
    cleanup.add(() => endQuietly(locker));
    await locker.query("begin");
    await locker.query("lock table case_notes in access exclusive mode");

    peakResident = (await host.residentBytes()) ?? 0;
    let storming = true;
    const sampler = (async () => {
      while (storming) {
        peakResident = Math.max(peakResident, (await host.residentBytes()) ?? 0);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    readiness = [];
    unrelated = [];
    const readinessProbes = (async () => {
      while (storming) {
        readiness.push(await readyz(host.baseUrl, 5_000));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const pageProbes = (async () => {
      while (storming) {
        const at = Date.now();
        const outcome = await send(target.baseUrl, { method: "GET", path: unrelatedPage, headers })
          .outcome;
        unrelated.push({ status: statusOf(outcome), ms: Date.now() - at });
      }
    })();

    const stormStartedAt = Date.now();
    const storm = Array.from({ length: CLIENTS }, () => {
      const at = Date.now();
      return send(target.baseUrl, { method: "GET", path: casePage, headers }).outcome.then(
        (outcome) => ({ outcome, ms: Date.now() - at }),
      );
    });
    answers = await Promise.all(storm);
    const stormMs = Date.now() - stormStartedAt;
    storming = false;
    await Promise.all([sampler, readinessProbes, pageProbes]);
    // The lock still held: a page that does not read the table answers at once.
    unrelatedAfter = statusOf(
      await send(target.baseUrl, { method: "GET", path: unrelatedPage, headers }).outcome,
    );
    await locker.query("rollback");
    caseAfter = statusOf(
      await send(target.baseUrl, { method: "GET", path: casePage, headers }).outcome,
    );

    const statuses = count(answers.map((answer) => statusOf(answer.outcome)));
    // Why each was refused, as the host's one warn line for it says: turned away by the queue's
    // bound, or given a connection and then timed out waiting for the lock.
    refusalCodes = answers.map((answer) => {
      const requestId =
        answer.outcome.kind === "response" ? answer.outcome.headers["x-request-id"] : undefined;
      const line = host.logs.find(
        (record) => record.requestId === requestId && record.msg === "database unavailable",
      );
      return line ? String(line.code) : "no warn line";
    });
    printFigures("pool exhaustion: 100 clients, case_notes locked", {
      answers: statuses,
      "why refused": count(refusalCodes),
      "answer ms (fastest, median, slowest)": spread(answers.map((answer) => answer.ms)),
      "seconds for all 100": stormMs / 1000,
      "slowest /readyz ms": Math.max(...readiness.map((sample) => sample.ms)),
      "slowest /readyz ms as the host timed it": Math.max(
        ...host.logs
          .filter((record) => record.msg === "request" && record.path === "/readyz")
          .map((record) => Number(record.durationMs)),
      ),
      "/readyz answers": count(readiness.map((sample) => sample.status)),
      [`${unrelatedPage} during`]: count(unrelated.map((probe) => probe.status)),
      [`${unrelatedPage} after`]: unrelatedAfter,
      "peak RSS MB": Math.round(peakResident / 1024 / 1024),
    });

    hostRunning = host.isRunning();
  });

  test("every request for the locked page is answered 503 with Retry-After and one warn line, and the queue's bound turns some away at once", () => {
    expect(
      answers.filter((answer) => statusOf(answer.outcome) !== 503).length,
      "requests for the locked page answered otherwise than 503",
    ).toBe(0);
    expect(
      answers.filter(
        (answer) => answer.outcome.kind === "response" && !answer.outcome.headers["retry-after"],
      ).length,
      "answers without Retry-After",
    ).toBe(0);
    expect(
      refusalCodes.filter((code) => code === "no warn line").length,
      "503s with no warn line of their own",
    ).toBe(0);
    expect(
      refusalCodes.filter((code) => code === "POOL_QUEUE_FULL").length,
      "no request was turned away by the queue's bound",
    ).toBeGreaterThan(0);
  });

  test("a page that does not read the locked table keeps working during the storm and after it", () => {
    expect(
      unrelated.filter((probe) => probe.status !== 200 && probe.status !== 503),
      `${unrelatedPage} failed otherwise than 503 during the storm`,
    ).toEqual([]);
    expect(
      unrelated.some((probe) => probe.status === 200),
      `${unrelatedPage} never answered during the storm`,
    ).toBe(true);
    expect(unrelatedAfter).toBe(200);
    expect(caseAfter).toBe(200);
  });

  test("/readyz answers within a second during the storm", () => {
    expect(
      Math.max(...readiness.map((sample) => sample.ms)),
      "the slowest /readyz during the storm, in ms",
    ).toBeLessThan(1_000);
  });

  test("the process stays under 300 MB resident and keeps running", () => {
    expect(peakResident).toBeGreaterThan(0);
    expect(peakResident).toBeLessThan(RSS_LIMIT_BYTES);
    expect(hostRunning).toBe(true);
  });
});

function statusOf(outcome: Outcome): number | string {
  return outcome.kind === "response" ? outcome.status : outcome.error;
}

function count(values: readonly (number | string)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}

function spread(values: readonly number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.floor((sorted.length - 1) * fraction)] ?? 0;
  return `${at(0)}, ${at(0.5)}, ${at(1)}`;
}
