import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql, type Kysely, type Transaction } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, withCredentials } from "../../db/bootstrap";
import { createKysely, createPool } from "../../db/connection";
import { seedDemoPartnership } from "../../app/demo/demo-seed.server";
import { DEMO_PARTNERSHIP_ID } from "../../db/seed/demo";
import type { Database } from "../../db/types";
import { startAuditJobs } from "../../server/audit-jobs";
import { loadServerConfig } from "../../server/config";
import { rechainFrom, verifyAs } from "../support/audit";
import { collectingLogger, ManualClock } from "../support/clock";
import { dropDatabase, failOnPoolError, TEST_POOL, waitUntilUnused } from "../support/database";

/**
 * `npm run audit:verify` itself, run as a command on the demo partnership's database as `npm start`
 * leaves it (seeded, then the server's first checkpoint signed with the key it made at its first
 * start), with nothing configured but the data folder and the database: it passes, and it fails
 * naming the event after each of four tamperings by a database superuser (editing, deleting and
 * inserting an event, and rewriting the tail of the chain consistently, which only a checkpoint
 * signed before it can show). Each tampering is made on a copy of the seeded database.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const CHAIN = DEMO_PARTNERSHIP_ID;

let source = "";
let dataDir = "";
let headSeq = 0;
let beforeFirstCheckpoint: { code: number; stdout: string; stderr: string } | null = null;
const copies: string[] = [];

interface Urls {
  app: string;
  owner: string;
  superuser: string;
}

function urlsOf(database: string): Urls {
  const cluster = inject("testCluster");
  return {
    app: withCredentials(cluster.appUrl, { database }),
    owner: withCredentials(cluster.ownerUrl, { database }),
    superuser: withCredentials(cluster.superuserUrl, { database }),
  };
}

async function withAdmin<T>(work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: inject("testCluster").superuserUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

async function withPool<T>(url: string, work: (db: Kysely<Database>) => Promise<T>): Promise<T> {
  const db = createKysely(createPool(url, TEST_POOL, failOnPoolError));
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

/**
 * Run `npm run audit:verify`'s command against a database, as on a default install: no AUDIT_
 * setting, the key and the checkpoints where the server made them in the data folder.
 */
function auditVerify(urls: Urls): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("AUDIT_")),
  ) as NodeJS.ProcessEnv;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "db/cli/audit-verify.ts", "--workers", "1"],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...env, DATA_DIR: dataDir, DATABASE_URL: urls.app, DATABASE_OWNER_URL: urls.owner },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A copy of the sealed, checkpointed demo database, tampered with by a superuser. */
async function tamperedCopy(
  tamper: (
    trx: Transaction<Database>,
    events: { id: string; seq: number; hash: Buffer }[],
  ) => Promise<void>,
): Promise<Urls> {
  const name = `crosswalk_demo_copy_${randomBytes(6).toString("hex")}`;
  await withAdmin(async (admin) => {
    await waitUntilUnused(admin, source);
    await createDatabase(admin, name, source);
  });
  copies.push(name);
  const urls = urlsOf(name);
  await withPool(urls.superuser, async (db) => {
    const events = (
      await sql<{ id: string; seq: string; hash: Buffer }>`
        select id, chain_seq::text as seq, hash from audit_events
        where partnership_id = ${CHAIN} and chain_seq is not null order by chain_seq`.execute(db)
    ).rows.map((row) => ({ id: row.id, seq: Number(row.seq), hash: row.hash }));
    await db.transaction().execute(async (trx) => {
      await sql`set local session_replication_role = replica`.execute(trx);
      await tamper(trx, events);
    });
  });
  return urls;
}

beforeAll(async () => {
  const cluster = inject("testCluster");
  source = `crosswalk_demo_${randomBytes(6).toString("hex")}`;
  await withAdmin((admin) => createDatabase(admin, source, cluster.template));
  const urls = urlsOf(source);
  await withPool(urls.owner, (owner) => seedDemoPartnership(owner));
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-demo-verify-"));
  // Between the seed and the server's first checkpoint (a moment at `npm start`).
  beforeFirstCheckpoint = await auditVerify(urls);

  // The server's access-log jobs as `npm start` runs them: at start they make the key, seal the
  // seed's events and sign the first checkpoints.
  await withPool(urls.app, async (app) => {
    const clock = new ManualClock();
    clock.time = Date.now();
    const config = loadServerConfig({
      DATA_DIR: dataDir,
      DATABASE_URL: urls.app,
      DATABASE_OWNER_URL: urls.owner,
    });
    const jobs = await startAuditJobs({
      db: app,
      ownerUrl: urls.owner,
      settings: config.audit,
      logger: collectingLogger().logger,
      clock,
    });
    await clock.advance(0, jobs.jobs);
    await jobs.stop();
  });
  const report = await verifyAs(urls.owner, { chains: [CHAIN] });
  const head = report.chains[0]?.head;
  if (!report.ok || !head) throw new Error("the seeded demo log does not verify");
  headSeq = head.seq;
}, 120_000);

afterAll(async () => {
  for (const name of [...copies, source]) if (name) await dropDatabase(name);
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
});

describe("npm run audit:verify on the demo partnership's database", () => {
  it("passes right after seeding, before the server has signed its first checkpoint", () => {
    expect(beforeFirstCheckpoint?.stderr).not.toMatch(/FAILED/);
    expect(beforeFirstCheckpoint?.code).toBe(0);
  });

  it("passes, checking every event against the signed checkpoint", async () => {
    expect(headSeq).toBeGreaterThan(20);
    const result = await auditVerify(urlsOf(source));
    expect(result.stderr).not.toMatch(/FAILED/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^OK: \d+ events/);
    expect(result.stdout).toMatch(
      /1 signed checkpoint matched, the checkpoint folder and the database's copy agreeing/,
    );
  });

  it("fails, naming the chain, after a superuser removes the newest events and rewinds the head", async () => {
    const urls = await tamperedCopy(async (trx, events) => {
      const kept = events[events.length - 4];
      await sql`delete from audit_events where partnership_id = ${CHAIN} and chain_seq > ${kept?.seq}`.execute(
        trx,
      );
      await sql`update audit_chain_heads set seq = ${kept?.seq}, hash = ${kept?.hash} where chain_id = ${CHAIN}`.execute(
        trx,
      );
    });
    const result = await auditVerify(urls);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `FAILED at chain ${CHAIN}, seq ${headSeq - 2}: a signed checkpoint covers seq ${headSeq}, but the chain ends at seq ${headSeq - 3}: events were removed`,
    );
  });

  it("fails, naming the event, after a superuser edits one", async () => {
    let target = "";
    const urls = await tamperedCopy(async (trx, events) => {
      target = events[9]?.id ?? "";
      await sql`update audit_events set reason = 'nothing to see' where id = ${target}`.execute(
        trx,
      );
    });
    const result = await auditVerify(urls);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`FAILED at chain ${CHAIN}, seq 10, event ${target}`);
    expect(result.stderr).toMatch(/the event was changed/);
  });

  it("fails, naming where, after a superuser deletes one", async () => {
    let next = "";
    const urls = await tamperedCopy(async (trx, events) => {
      next = events[5]?.id ?? "";
      await sql`delete from audit_events where id = ${events[4]?.id}`.execute(trx);
    });
    const result = await auditVerify(urls);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`FAILED at chain ${CHAIN}, seq 5, event ${next}`);
    expect(result.stderr).toMatch(/event 5 is missing/);
  });

  it("fails, naming the event, after a superuser inserts one", async () => {
    const forged = randomUUID();
    const urls = await tamperedCopy(async (trx, events) => {
      const last = events.at(-1);
      await sql`
        insert into audit_events (id, partnership_id, action, outcome, chain_seq, prev_hash, hash)
        values (${forged}, ${CHAIN}, 'referral.view', 'allowed', ${(last?.seq ?? 0) + 1},
          ${last?.hash}, ${Buffer.alloc(32, 9)})`.execute(trx);
    });
    const result = await auditVerify(urls);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `FAILED at chain ${CHAIN}, seq ${headSeq + 1}, event ${forged}`,
    );
  });

  it("fails, naming the checkpointed event, after a superuser rewrites the tail consistently", async () => {
    let checkpointed = "";
    const urls = await tamperedCopy(async (trx, events) => {
      checkpointed = events.at(-1)?.id ?? "";
      const from = events[events.length - 4];
      await sql`update audit_events set outcome = 'allowed', reason = 'rewritten' where id = ${from?.id}`.execute(
        trx,
      );
      await rechainFrom(trx, CHAIN, from?.seq ?? 0);
    });
    const result = await auditVerify(urls);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `FAILED at chain ${CHAIN}, seq ${headSeq}, event ${checkpointed}`,
    );
    expect(result.stderr).toMatch(/history was rewritten after the checkpoint/);
  });
});
