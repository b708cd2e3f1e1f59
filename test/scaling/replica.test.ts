import fs from "node:fs/promises";
import { sql, type Kysely } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withCredentials } from "../../db/bootstrap";
import { createKysely, createPool } from "../../db/connection";
import type { Database } from "../../db/types";
import { snapshotBuild } from "../e2e/support/server";
import { request, type Reply } from "../security/support/http";
import { signIn } from "../security/support/actors";
import {
  TEST_PASSWORD,
  TEST_TOTP_KEY,
  createReferralWorld,
  createUser,
  referralAt,
  type ReferralWorld,
} from "../support/factories";
import { TEST_POOL, failOnPoolError, type TestDatabase } from "../support/database";
import { startCrosswalkProcess, sharedDataDir, type CrosswalkProcess } from "./support/crosswalk";
import { prepareCrosswalkDatabase, until } from "./support/database";
import { postgres15Available, startPostgres15, type Postgres15Cluster } from "./support/postgres15";

/**
 * A streaming read replica (DATABASE_REPLICA_URL) on Debian's PostgreSQL 15: a primary and a hot
 * standby made by pg_basebackup -R, Crosswalk's built server reading its dashboards and audit
 * searches from the standby, and everything else, including every access-log event, on the
 * primary. Replay is paused to hold the standby behind, so what the pages show can only have come
 * from it.
 */

let cluster: Postgres15Cluster | null = null;
let database: (TestDatabase & { close(): Promise<void> }) | null = null;
let standbySuperuser: pg.Client | null = null;
let replicaApp: Kysely<Database> | null = null;
let server: CrosswalkProcess | null = null;
let appDir: string | null = null;
let dataDir: { remove(): Promise<void> } | null = null;
let world: ReferralWorld;
let leadCookie: string;
let auditorCookie: string;

beforeAll(async () => {
  if (!postgres15Available()) {
    throw new Error(
      "Debian's PostgreSQL 15 is needed (apt-get install postgresql-15): /usr/lib/postgresql/15/bin",
    );
  }
  cluster = await startPostgres15();
  database = await prepareCrosswalkDatabase(cluster.primary.superuserUrl);
  world = await createReferralWorld(database.owner);
  await referralAt(database, world, "submitted");

  const standby = await cluster.startStandby();
  standbySuperuser = new pg.Client({
    connectionString: withCredentials(standby.superuserUrl, { database: "crosswalk" }),
  });
  await standbySuperuser.connect();
  // The application role on the standby: the roles and their passwords are the primary's copy.
  const replica = new URL(database.appUrl);
  replica.port = String(standby.port);
  const replicaUrl = replica.toString();
  replicaApp = createKysely(createPool(replicaUrl, TEST_POOL, failOnPoolError));

  appDir = await snapshotBuild();
  const shared = await sharedDataDir();
  dataDir = shared;
  server = await startCrosswalkProcess({
    name: "crosswalk",
    appDir,
    databaseUrl: database.appUrl,
    ownerUrl: database.ownerUrl,
    dataDir: shared.dir,
    env: { DATABASE_REPLICA_URL: replicaUrl },
  });
  await server.waitForLog(
    (record) => record.msg === "dashboards and audit searches read from DATABASE_REPLICA_URL",
  );
  const auditor = await createUser(database.owner, world.agencies.hub, { role: "auditor" });
  leadCookie = await signIn(server.baseUrl, world.people.lead.email, TEST_PASSWORD, TEST_TOTP_KEY);
  auditorCookie = await signIn(server.baseUrl, auditor.email, TEST_PASSWORD, TEST_TOTP_KEY);
}, 240_000);

afterAll(async () => {
  // Everything stops, whatever failed: the server, the pools, both PostgreSQL servers.
  await server?.stop();
  await standbySuperuser?.end().catch(() => undefined);
  await replicaApp?.destroy();
  await database?.close();
  await cluster?.stop();
  if (appDir) await fs.rm(appDir, { recursive: true, force: true });
  await dataDir?.remove();
}, 120_000);

/** "N referrals made in the period", as the partnership dashboard's key figure shows it. */
function referralsMade(page: Reply): number {
  const match =
    /app-key-figure__value">([\d,]+)<\/span> <span class="app-key-figure__label">referrals made in the period/.exec(
      page.body,
    );
  if (!match?.[1]) throw new Error(`No key figure on the page (${page.status})`);
  return Number(match[1].replace(/,/g, ""));
}

const LAG_NOTICE = /These figures may be up to \d+ (seconds|minutes?) out of date/;

async function dashboard(): Promise<Reply> {
  const page = await request(server!.baseUrl, { path: "/oversight", cookie: leadCookie });
  expect(page.status, page.body.slice(0, 300)).toBe(200);
  return page;
}

/** The access-log events a request wrote on the primary. */
async function eventsOnPrimary(requestId: string | null): Promise<{ action: string }[]> {
  return database!.superuser
    .selectFrom("audit_events")
    .select("action")
    .where("request_id", "=", requestId)
    .execute();
}

async function replay(action: "pause" | "resume"): Promise<void> {
  await standbySuperuser!.query(`select pg_wal_replay_${action}()`);
  await until(`replay ${action}d`, async () => {
    const { rows } = await standbySuperuser!.query<{ state: string }>(
      "select pg_get_wal_replay_pause_state() as state",
    );
    return action === "pause" ? rows[0]?.state === "paused" : rows[0]?.state === "not paused";
  });
}

describe("a streaming read replica", () => {
  it("serves the dashboard, which does not count what the replica has not replayed and says how far behind it is", async () => {
    const before = await dashboard();
    expect(referralsMade(before)).toBe(1);
    expect(before.body).not.toMatch(LAG_NOTICE);
    // The view is recorded, on the primary.
    expect(await eventsOnPrimary(before.requestId)).toContainEqual({ action: "oversight.view" });

    await replay("pause");
    await referralAt(database!, world, "submitted");
    const counted = await database!.superuser
      .selectFrom("oversight_referrals")
      .select((eb) => eb.fn.countAll<string>().as("count"))
      .executeTakeFirstOrThrow();
    expect(Number(counted.count)).toBe(2);

    // Replay stays paused: once the replica's last replayed commit is more than 5 s old, the page
    // says so, and still counts one referral: the figures came from the replica.
    const behind = await until("the dashboard says it is behind", async () => {
      const page = await dashboard();
      return LAG_NOTICE.test(page.body) ? page : null;
    });
    expect(referralsMade(behind)).toBe(1);
    expect(await eventsOnPrimary(behind.requestId)).toContainEqual({ action: "oversight.view" });

    await replay("resume");
    const caughtUp = await until("the dashboard counts the new referral", async () => {
      const page = await dashboard();
      return referralsMade(page) === 2 ? page : null;
    });
    expect(caughtUp.body).not.toMatch(LAG_NOTICE);
  });

  it("serves the auditor's search and reports while replay is paused, recording each on the primary", async () => {
    await replay("pause");
    try {
      for (const path of ["/audit", "/audit/reports"]) {
        const page = await request(server!.baseUrl, { path, cookie: auditorCookie });
        expect(page.status, `${path}: ${page.body.slice(0, 300)}`).toBe(200);
        expect(await eventsOnPrimary(page.requestId)).toContainEqual({ action: "audit.read" });
      }
      const lookup = await request(server!.baseUrl, {
        path: "/audit/young-people",
        cookie: auditorCookie,
        form: [["name", "Jayden"]],
      });
      expect(lookup.status, lookup.body.slice(0, 300)).toBe(200);
      expect(lookup.body).toContain("Jayden Okafor");
      expect(await eventsOnPrimary(lookup.requestId)).toContainEqual({ action: "audit.read" });
    } finally {
      await replay("resume");
    }
    // The server's replica pool is connected to the standby: the reads went there.
    const { rows } = await standbySuperuser!.query<{ connections: number }>(
      "select count(*)::int as connections from pg_stat_activity where application_name = 'crosswalk-replica-reads'",
    );
    expect(rows[0]?.connections).toBeGreaterThan(0);
  });

  it("refuses a write through the replica's pool with read_only_sql_transaction (25006)", async () => {
    const write = sql`update partnerships set name = name`.execute(replicaApp!);
    await expect(write).rejects.toMatchObject({ code: "25006" });
  });
});
