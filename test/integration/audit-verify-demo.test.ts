import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql, type Kysely, type Transaction } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { signCheckpoint, writeCheckpoint } from "../../db/audit/checkpoint";
import { createDatabase, withCredentials } from "../../db/bootstrap";
import { createKysely, createPool } from "../../db/connection";
import { DEMO_PARTNERSHIP_ID, seedDemoPartnership } from "../../db/seed/demo";
import type { Database } from "../../db/types";
import { rechainFrom, seal, verifyAs } from "../support/audit";
import { dropDatabase, failOnPoolError, TEST_POOL, waitUntilUnused } from "../support/database";

/**
 * `npm run audit:verify` itself, run as a command on the demo partnership's database: it passes,
 * and it fails naming the event after each of four tamperings by a database superuser (editing,
 * deleting and inserting an event, and rewriting the tail of the chain consistently, which only a
 * checkpoint signed before it can show). Each tampering is made on a copy of the seeded database.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const CHAIN = DEMO_PARTNERSHIP_ID;

let source = "";
let keyDir = "";
let checkpointDir = "";
let publicKeyFile = "";
let headSeq = 0;
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

/** Run `npm run audit:verify`'s command against a database, with the checkpoints signed for it. */
function auditVerify(urls: Urls): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "db/cli/audit-verify.ts", "--workers", "1"],
      {
        cwd: ROOT,
        encoding: "utf8",
        env: {
          ...process.env,
          DATABASE_URL: urls.app,
          DATABASE_OWNER_URL: urls.owner,
          AUDIT_PUBLIC_KEY_FILE: publicKeyFile,
          AUDIT_CHECKPOINT_DIR: checkpointDir,
        },
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
  await withPool(urls.app, (app) => seal({ app }));

  keyDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-demo-verify-"));
  checkpointDir = path.join(keyDir, "checkpoints");
  await fs.mkdir(checkpointDir);
  const pair = generateKeyPairSync("ed25519");
  publicKeyFile = path.join(keyDir, "audit-public.pem");
  await fs.writeFile(publicKeyFile, pair.publicKey.export({ type: "spki", format: "pem" }));
  const report = await verifyAs(urls.owner, { chains: [CHAIN] });
  const head = report.chains[0]?.head;
  if (!report.ok || !head) throw new Error("the seeded demo log does not verify");
  headSeq = head.seq;
  await writeCheckpoint(
    checkpointDir,
    head,
    signCheckpoint(head, { name: "crosswalk-audit", privateKey: pair.privateKey }),
  );
}, 120_000);

afterAll(async () => {
  for (const name of [...copies, source]) if (name) await dropDatabase(name);
  if (keyDir) await fs.rm(keyDir, { recursive: true, force: true });
});

describe("npm run audit:verify on the demo partnership's database", () => {
  it("passes, checking every event against the signed checkpoint", async () => {
    expect(headSeq).toBeGreaterThan(20);
    const result = await auditVerify(urlsOf(source));
    expect(result.stderr).not.toMatch(/FAILED/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^OK: \d+ events/);
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
