import fs from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium } from "./support/browser";
import { send, statusOf, wrongSignIn, type Outcome, type SentRequest } from "./support/http";
import { arrive, heading, signIn, UUID, visit } from "./support/journey";
import { startCrosswalk, type CrosswalkServer, type ProcessExit } from "./support/server";

// These tests damage or stop the server they use, so each starts its own instead of the shared one.
const appDir = inject("appDir");

/** The status of GET path, retried twice: the very first request after connections die may fail. */
async function settledStatusOf(server: CrosswalkServer, path: string): Promise<number | string> {
  let status = await statusOf(server.baseUrl, path);
  for (let retry = 0; retry < 2 && status !== 200; retry++)
    status = await statusOf(server.baseUrl, path);
  return status;
}

function describeOutcomes(requests: SentRequest[], outcomes: Outcome[]): string[] {
  return outcomes.map((outcome, index) => {
    const what = requests[index]?.description ?? `request ${index}`;
    return outcome.kind === "response" ? `${what}: ${outcome.status}` : `${what}: ${outcome.error}`;
  });
}

describe("when PostgreSQL terminates the application's connections", () => {
  let server: CrosswalkServer;
  let superuser: pg.Client;
  let superuserPassword: string;

  beforeAll(async () => {
    // A locked table is given up on after half a second rather than the default three.
    server = await startCrosswalk({ appDir, env: { DB_LOCK_TIMEOUT_MS: "500" } });
    const credentials = JSON.parse(
      await fs.readFile(join(server.dataDir, "credentials.json"), "utf8"),
    ) as {
      superuser: string;
    };
    superuserPassword = credentials.superuser;
    superuser = new pg.Client({
      host: "127.0.0.1",
      port: server.databasePort,
      user: "postgres",
      password: credentials.superuser,
      database: "postgres",
    });
    await superuser.connect();
  });

  afterAll(async () => {
    await superuser?.end();
    await server?.stop();
  });

  /** Hold `table` of Crosswalk's database in access exclusive mode until released. */
  async function lockTable(table: string): Promise<() => Promise<void>> {
    const holder = new pg.Client({
      host: "127.0.0.1",
      port: server.databasePort,
      user: "postgres",
      password: superuserPassword,
      database: "crosswalk",
    });
    await holder.connect();
    await holder.query("begin");
    await holder.query(`lock table ${pg.escapeIdentifier(table)} in access exclusive mode`);
    return async () => {
      await holder.query("rollback");
      await holder.end();
    };
  }

  /** End every backend the application role holds; returns how many were ended. */
  async function terminateApplicationBackends(): Promise<number> {
    const result = await superuser.query<{ terminated: boolean }>(
      "select pg_terminate_backend(pid) as terminated from pg_stat_activity where usename = 'crosswalk_app'",
    );
    return result.rows.filter((row) => row.terminated).length;
  }

  test("the server keeps serving after its idle database connections are terminated", async () => {
    // /readyz queries the database, leaving an idle connection in the pool to be ended.
    expect(await statusOf(server.baseUrl, "/readyz")).toBe(200);

    expect(await terminateApplicationBackends()).toBeGreaterThan(0);
    await server.waitForLog((record) => /database connection failed/.test(record.msg));

    expect(server.isRunning()).toBe(true);
    expect(await settledStatusOf(server, "/readyz")).toBe(200);
    expect(await statusOf(server.baseUrl, "/sign-in")).toBe(200);
    expect(server.isRunning()).toBe(true);
  });

  test("the server recovers after its connections are terminated again and again during a burst of sign-ins", async () => {
    expect(await statusOf(server.baseUrl, "/readyz")).toBe(200);
    const burst = Array.from({ length: 16 }, (_, index) =>
      wrongSignIn(server.baseUrl, `flaky${index}@nowhere.example`),
    );
    let finished = false;
    const outcomes = Promise.all(burst.map((request) => request.outcome)).finally(() => {
      finished = true;
    });

    let terminated = 0;
    while (!finished) terminated += await terminateApplicationBackends();
    const results = await outcomes;

    expect(terminated, "no connection was terminated while the burst ran").toBeGreaterThan(0);
    // Each sign-in either ran (401) or lost its connection part-way and was told the service is
    // unavailable (503); none is left without a complete answer, and none is a fault (500).
    const unexpected = describeOutcomes(burst, results).filter(
      (line) => !/: (401|503)$/.test(line),
    );
    expect(unexpected).toEqual([]);
    expect(server.isRunning()).toBe(true);
    expect(await settledStatusOf(server, "/readyz")).toBe(200);
    expect(await statusOf(server.baseUrl, "/sign-in")).toBe(200);
  });

  describe.each([
    { label: "with JavaScript", javaScript: true },
    { label: "without JavaScript", javaScript: false },
  ])("a note whose save fails because its table is locked, $label", ({ javaScript }) => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
    });

    test("comes back with the typed text and 'Nothing was saved', and sent again once the table is free it is saved once", async () => {
      const session = await signIn(browser, server.baseUrl, "lead@northbridge.example", javaScript);
      const { context, page, scriptErrors } = session;
      let release: (() => Promise<void>) | null = null;
      try {
        await visit(session, "/cases?caseload=all&state=active&sort=newest");
        const casePath = await page
          .getByRole("table")
          .getByRole("link")
          .first()
          .getAttribute("href");
        expect(casePath).toMatch(new RegExp(`^/referrals/${UUID}$`));
        await visit(session, casePath as string);
        const caseTitle = await heading(page);
        await visit(session, `${casePath}/notes/new`);
        const body = `Typed while the database was locked ${javaScript ? "with" : "without"} JavaScript, ${Date.now()}\nSecond line kept`;
        await page.getByLabel("Contact: in person", { exact: true }).check();
        await page.locator("#body").fill(body);
        await page.getByLabel("Shared with every agency involved", { exact: true }).check();

        release = await lockTable("case_notes");
        await page.getByRole("button", { name: "Add note" }).click();
        await page.getByRole("heading", { name: "Sorry, the service is unavailable" }).waitFor();

        await expect(page.locator("main").innerText()).resolves.toContain("Nothing was saved.");
        await expect(page.locator('main textarea[name="body"]').inputValue()).resolves.toBe(body);

        await release();
        release = null;
        await page.getByRole("button", { name: "Send again" }).click();
        await arrive(session, new RegExp(`^${casePath}$`), caseTitle);
        const caseWork = await page.locator("#case-work").innerText();
        expect(caseWork.split(body.split("\n")[0] as string).length - 1).toBe(1);
        expect(scriptErrors).toEqual([]);
      } finally {
        await release?.();
        await context.close();
      }
    });
  });
});

describe("graceful shutdown", () => {
  let server: CrosswalkServer | undefined;

  afterAll(async () => {
    await server?.stop();
  });

  test("SIGTERM during a burst of requests lets every started request finish and the server exits with code 0", async () => {
    server = await startCrosswalk({ appDir });
    const { baseUrl } = server;
    // Half cheap page loads, half sign-ins that each spend ~50 ms hashing, so many are still running.
    const burst = Array.from({ length: 40 }, (_, index) =>
      index % 2 === 0
        ? send(baseUrl, { method: "GET", path: "/sign-in" })
        : wrongSignIn(baseUrl, `burst${index}@nowhere.example`),
    );
    await Promise.all(burst.map((request) => request.written));
    await Promise.race(burst.map((request) => request.answered));

    const stillRunning = burst.filter((request) => !request.isAnswered()).length;
    server.child.kill("SIGTERM");
    const signalledAt = Date.now();
    const exitWithinTenSeconds = Promise.race([
      server.exited,
      new Promise<ProcessExit | "still running">((resolve) =>
        setTimeout(() => resolve("still running"), 10_000).unref(),
      ),
    ]);
    const results = await Promise.all(burst.map((request) => request.outcome));
    const exit = await exitWithinTenSeconds;
    const secondsToExit = (Date.now() - signalledAt) / 1000;

    expect(
      stillRunning,
      "every request had finished before SIGTERM, so the test proves nothing",
    ).toBeGreaterThan(0);
    const expected = burst.map(
      (request) => `${request.description}: ${request.description.startsWith("GET") ? 200 : 401}`,
    );
    expect(describeOutcomes(burst, results)).toEqual(expected);
    for (const result of results)
      if (result.kind === "response") expect(result.body).toContain("</html>");
    expect(exit, `the server had not exited ${secondsToExit} s after SIGTERM`).toEqual({
      code: 0,
      signal: null,
    });
    await server.waitForLog((record) => record.msg === "stopped", 1_000);
  });
});
