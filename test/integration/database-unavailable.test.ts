import type { Server } from "node:http";
import path from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createKysely, createPool } from "../../db/connection";
import { todayInLondon } from "../../app/ui/dates";
import { dateAnswerOf } from "../../app/ui/date-input";
import { createApp } from "../../server/app";
import { readinessProbe } from "../../server/database";
import { createLogger } from "../../server/logger";
import { TEST_POOL, useTestDatabase } from "../support/database";
import { createReferralWorld, referralAt } from "../support/factories";
import { signInCookie } from "../support/session";

const db = useTestDatabase();

// Short waits, so a locked table or a full pool is given up on quickly: the app's own settings are
// the same shape (DB_LOCK_TIMEOUT_MS shorter than DB_STATEMENT_TIMEOUT_MS, a bounded queue).
const POOL = {
  ...TEST_POOL,
  max: 3,
  connectTimeoutMs: 1_000,
  statementTimeoutMs: 2_000,
  lockTimeoutMs: 300,
  queueMax: 4,
};

interface LogRecord {
  level: number;
  msg: string;
  requestId?: string;
  path?: string;
  code?: string;
  [field: string]: unknown;
}

const logs: LogRecord[] = [];
let server: Server;
let base: string;
let pool: pg.Pool;
let readiness: ReturnType<typeof readinessProbe>;

beforeAll(async () => {
  const build = (await import(
    pathToFileURL(path.resolve("build/server/index.js")).href
  )) as ServerBuild;
  const logger = createLogger(
    "info",
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n").filter(Boolean))
          logs.push(JSON.parse(line) as LogRecord);
        done();
      },
    }),
  );
  pool = createPool(db.appUrl, POOL, () => undefined);
  readiness = readinessProbe(db.appUrl);
  const app = createApp({
    db: createKysely(pool),
    logger,
    sessions: {
      idleTimeoutMs: 30 * 60_000,
      absoluteLifetimeMs: 12 * 3_600_000,
      stepUpWindowMs: 15 * 60_000,
    },
    build,
    mode: "production",
    readiness: readiness.check,
  });
  await new Promise<void>((resolve) => {
    server = app.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await pool?.end();
  await readiness?.close();
});

/** Another session holding `table` in access exclusive mode until released. */
async function lockTable(table: string): Promise<{ release: () => Promise<void> }> {
  const holder = new pg.Client({ connectionString: db.superuserUrl });
  await holder.connect();
  await holder.query("begin");
  await holder.query(`lock table ${pg.escapeIdentifier(table)} in access exclusive mode`);
  return {
    release: async () => {
      await holder.query("rollback");
      await holder.end();
    },
  };
}

let locks: { release: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(locks.map((lock) => lock.release()));
  locks = [];
});

/** A case in work and its key worker's session cookie. */
async function caseInWork(): Promise<{ referralId: string; cookie: string }> {
  const world = await createReferralWorld(db.owner);
  const { id } = await referralAt(db, world, "active");
  return {
    referralId: id,
    cookie: await signInCookie(db.app, world.people.advocacyPractitioner.email),
  };
}

function noteForm(body: string): Record<string, string> {
  const { day, month, year } = dateAnswerOf(todayInLondon());
  return {
    submissionId: "6f1c2b9e-3d4a-4b5c-8d7e-9f0a1b2c3d4e",
    kind: "contact_phone",
    body,
    visibility: "shared",
    "occurredOn-day": day,
    "occurredOn-month": month,
    "occurredOn-year": year,
  };
}

function post(pathname: string, fields: Record<string, string>, cookie: string) {
  return fetch(`${base}${pathname}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "Sec-Fetch-Site": "same-origin",
      Cookie: cookie,
    },
    body: new URLSearchParams(fields).toString(),
  });
}

async function notesAndEventsFor(referralId: string): Promise<{ notes: number; events: number }> {
  const notes = await sql<{ count: string }>`
    select count(*) as count from case_notes where referral_id = ${referralId}`.execute(
    db.superuser,
  );
  const events = await sql<{ count: string }>`
    select count(*) as count from audit_events
    where action = 'note.add' and details->>'referralId' = ${referralId}`.execute(db.superuser);
  return { notes: Number(notes.rows[0]?.count), events: Number(events.rows[0]?.count) };
}

/** The time `work` takes, in milliseconds, with its result. */
async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

describe("a form sent while the table it writes is locked", () => {
  it("answers 503 with Retry-After, gives the typed answers back with nothing saved, and logs one warn line without a stack", async () => {
    const { referralId, cookie } = await caseInWork();
    const typed = "Met him at the youth centre\nAgreed to meet again on Friday 7c1e";
    locks.push(await lockTable("case_notes"));

    const response = await post(`/referrals/${referralId}/notes/new`, noteForm(typed), cookie);
    const page = await response.text();

    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(page).toContain('<h1 class="govuk-heading-l">Sorry, the service is unavailable</h1>');
    expect(page).toContain("Nothing was saved.");
    expect(page).toContain(`<form method="post" action="/referrals/${referralId}/notes/new"`);
    expect(page).toMatch(
      /<textarea[^>]*name="body"[^>]*>\s*Met him at the youth centre\nAgreed to meet again on Friday 7c1e<\/textarea>/,
    );
    expect(page).toContain(
      '<input type="hidden" name="submissionId" value="6f1c2b9e-3d4a-4b5c-8d7e-9f0a1b2c3d4e"/>',
    );
    expect(page).not.toMatch(/at .*\.(ts|js):\d+/);

    const requestId = response.headers.get("x-request-id");
    const itsLines = logs.filter((line) => line.requestId === requestId);
    const unavailable = itsLines.filter((line) => line.msg === "database unavailable");
    expect(unavailable).toHaveLength(1);
    expect(unavailable[0]).toMatchObject({
      level: 40,
      code: "55P03",
      path: `/referrals/${referralId}/notes/new`,
    });
    expect(itsLines.filter((line) => line.level >= 50)).toEqual([]);
    expect(JSON.stringify(itsLines)).not.toContain("stack");
    expect(JSON.stringify(itsLines)).not.toContain("7c1e");

    await locks.pop()?.release();
    expect(await notesAndEventsFor(referralId)).toEqual({ notes: 0, events: 0 });
  });

  it("answers the app's script (a `.data` request) 503 with Retry-After too", async () => {
    const { referralId, cookie } = await caseInWork();
    locks.push(await lockTable("case_notes"));

    const response = await post(
      `/referrals/${referralId}/notes/new.data`,
      noteForm("Sent by the script 91ab"),
      cookie,
    );
    await response.arrayBuffer();

    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("30");
  });

  it("leaves pages that do not touch the locked table working, and /readyz answers within a second", async () => {
    const { cookie } = await caseInWork();
    locks.push(await lockTable("case_notes"));

    const home = await fetch(`${base}/notifications`, { headers: { Cookie: cookie } });
    await home.text();
    const ready = await timed(() => fetch(`${base}/readyz`).then((reply) => reply.status));

    expect(home.status).toBe(200);
    expect(ready.result).toBe(200);
    expect(ready.ms).toBeLessThan(1_000);
  });
});

describe("when every connection of the pool is taken", () => {
  it("a page answers 503 once its wait for a connection ends, and /readyz still answers within a second", async () => {
    const { cookie } = await caseInWork();
    const taken = await Promise.all(Array.from({ length: POOL.max }, () => pool.connect()));
    try {
      const ready = await timed(() => fetch(`${base}/readyz`).then((reply) => reply.status));
      const page = await timed(async () => {
        const reply = await fetch(`${base}/notifications`, { headers: { Cookie: cookie } });
        return {
          status: reply.status,
          retryAfter: reply.headers.get("retry-after"),
          body: await reply.text(),
        };
      });

      expect(ready.result).toBe(200);
      expect(ready.ms).toBeLessThan(1_000);
      expect(page.result.status).toBe(503);
      expect(page.result.retryAfter).toBe("30");
      expect(page.result.body).toContain("Sorry, the service is unavailable");
      expect(page.ms).toBeLessThan(POOL.connectTimeoutMs + 1_000);
    } finally {
      for (const client of taken) client.release();
    }
  });

  it("beyond the bounded queue a request is answered 503 at once", async () => {
    const { cookie } = await caseInWork();
    const taken = await Promise.all(Array.from({ length: POOL.max }, () => pool.connect()));
    const releaseTaken = () => {
      for (const client of taken.splice(0)) client.release();
    };
    try {
      // Fill the queue, then one more: it is not queued but refused straight away.
      const queued = Array.from({ length: POOL.queueMax }, () =>
        pool.connect().then(
          (client) => client.release(),
          () => undefined,
        ),
      );
      const beyond = await timed(async () => {
        const reply = await fetch(`${base}/notifications`, { headers: { Cookie: cookie } });
        await reply.text();
        return { status: reply.status, requestId: reply.headers.get("x-request-id") };
      });
      releaseTaken();
      await Promise.all(queued);

      expect(beyond.result.status).toBe(503);
      expect(beyond.ms).toBeLessThan(POOL.connectTimeoutMs / 2);
      const itsLines = logs.filter(
        (line) => line.msg === "database unavailable" && line.requestId === beyond.result.requestId,
      );
      expect(itsLines).toMatchObject([{ code: "POOL_QUEUE_FULL" }]);
    } finally {
      releaseTaken();
    }
  });
});
