import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withCredentials } from "../../db/bootstrap";
import { createKysely, createPool } from "../../db/connection";
import { startEmbeddedPostgres, type EmbeddedDatabase } from "../../db/embedded";
import { migrateToLatest } from "../../db/migrate";
import type { Database } from "../../db/types";
import { snapshotBuild } from "../e2e/support/server";
import { signIn } from "../security/support/actors";
import { request, type Reply } from "../security/support/http";
import { TEST_POOL, failOnPoolError } from "../support/database";
import {
  TEST_PASSWORD,
  TEST_TOTP_KEY,
  createReferralWorld,
  type ReferralWorld,
} from "../support/factories";
import { startCrosswalkProcess, sharedDataDir, type CrosswalkProcess } from "./support/crosswalk";
import { until } from "./support/database";
import { startNginx, type Nginx } from "./support/nginx";

/**
 * Two Crosswalk processes behind Debian's nginx on loopback, sharing one PostgreSQL (an embedded
 * one the test starts, so that either process can be killed without taking the database with it).
 * Sessions live in the database, so a person stays signed in whichever process answers; the
 * background work runs on the one process holding the leader lease, and moves when it is killed.
 */

const TOOK = "took the leader lease: running the background work";

let embedded: EmbeddedDatabase | null = null;
let embeddedDir: string | null = null;
let superuser: Kysely<Database> | null = null;
let appDir: string | null = null;
let dataDir: { dir: string; remove(): Promise<void> } | null = null;
const processes: CrosswalkProcess[] = [];
let nginx: Nginx | null = null;
let world: ReferralWorld;
let cookie: string;

beforeAll(async () => {
  embeddedDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-scaling-db-"));
  embedded = await startEmbeddedPostgres({ dataDir: embeddedDir, port: 0 });
  await migrateToLatest(embedded.ownerUrl, TEST_POOL, failOnPoolError);
  superuser = createKysely(
    createPool(
      withCredentials(embedded.superuserUrl, { database: "crosswalk" }),
      { ...TEST_POOL, max: 2 },
      failOnPoolError,
    ),
  );
  const owner = createKysely(createPool(embedded.ownerUrl, TEST_POOL, failOnPoolError));
  try {
    world = await createReferralWorld(owner);
  } finally {
    await owner.destroy();
  }

  appDir = await snapshotBuild();
  dataDir = await sharedDataDir();
  // One after the other: the first makes the keys in the shared data directory, the second reads them.
  for (const name of ["first", "second"]) {
    processes.push(
      await startCrosswalkProcess({
        name,
        appDir,
        databaseUrl: embedded.appUrl,
        ownerUrl: embedded.ownerUrl,
        dataDir: dataDir.dir,
        env: { TRUST_PROXY: "loopback" },
      }),
    );
  }
  nginx = await startNginx(processes.map((process) => process.port));
  cookie = await signIn(nginx.baseUrl, world.people.lead.email, TEST_PASSWORD, TEST_TOTP_KEY);
}, 240_000);

afterAll(async () => {
  // Everything stops, whatever failed: nginx, both processes, the database.
  await nginx?.stop();
  await Promise.all(processes.map((process) => process.stop()));
  await superuser?.destroy();
  await embedded?.stop();
  if (embeddedDir) await fs.rm(embeddedDir, { recursive: true, force: true });
  if (appDir) await fs.rm(appDir, { recursive: true, force: true });
  await dataDir?.remove();
}, 120_000);

/** The process that answered a request, by its X-Request-Id in the processes' request logs. */
async function answeredBy(reply: Reply): Promise<CrosswalkProcess> {
  const requestId = reply.requestId;
  if (!requestId) throw new Error("The response has no X-Request-Id");
  // The request's log line is written as the response finishes: it may trail the response.
  return until(`a process logged request ${requestId}`, () =>
    Promise.resolve(processes.find((process) => process.served(requestId))),
  );
}

async function signedInPage(headers: Record<string, string> = {}): Promise<Reply> {
  const page = await request(nginx!.baseUrl, { path: "/oversight", cookie, headers });
  expect(page.status, page.body.slice(0, 300)).toBe(200);
  return page;
}

function leaders(): CrosswalkProcess[] {
  return processes.filter((process) => process.logs.some((record) => record.msg === TOOK));
}

describe("two Crosswalk processes behind nginx", () => {
  it("keep a person signed in whichever process answers", async () => {
    const served = new Set<string>();
    for (let attempt = 0; attempt < 6; attempt += 1) {
      served.add((await answeredBy(await signedInPage())).name);
    }
    expect([...served].sort()).toEqual(["first", "second"]);
  });

  it("see the person's own address through nginx, as the access log records it", async () => {
    const page = await signedInPage({ "X-Forwarded-For": "203.0.113.7" });
    const event = await superuser!
      .selectFrom("audit_events")
      .select(["action", "client_address"])
      .where("request_id", "=", page.requestId)
      .executeTakeFirstOrThrow();
    expect(event).toEqual({ action: "oversight.view", client_address: "203.0.113.7" });
  });

  it("run the background work on exactly one of them", async () => {
    // Both have asked for the lease: two lease connections are open.
    await until("both processes hold a lease connection", async () => {
      const { rows } = await sql<{ count: number }>`
        select count(*)::int as count from pg_stat_activity
        where application_name = 'crosswalk-leader-lease'
      `.execute(superuser!);
      return rows[0]?.count === 2;
    });
    expect(leaders()).toHaveLength(1);
  });

  it("move the background work to the survivor within seconds when the leader is killed, and nginx serves through it", async () => {
    const [leader] = leaders();
    const survivor = processes.find((process) => process !== leader);
    if (!leader || !survivor) throw new Error("no leader to kill");

    const killedAt = Date.now();
    const exit = await leader.kill();
    expect(exit.signal).toBe("SIGKILL");
    await survivor.waitForLog((record) => record.msg === TOOK, 15_000);
    const seconds = (Date.now() - killedAt) / 1000;
    expect(seconds).toBeLessThan(10);

    // nginx keeps serving, through the survivor, and a person is still signed in.
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const page = await signedInPage();
      expect((await answeredBy(page)).name).toBe(survivor.name);
    }

    // The survivor's sealer chains what is written now.
    const page = await signedInPage();
    const sealed = await until("the new event is sealed", async () => {
      const event = await superuser!
        .selectFrom("audit_events")
        .select(["action", "chain_seq"])
        .where("request_id", "=", page.requestId)
        .executeTakeFirst();
      return event?.chain_seq ? event : null;
    });
    expect(sealed.action).toBe("oversight.view");
  });
});
