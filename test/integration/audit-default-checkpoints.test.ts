import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import {
  checkpointTextHash,
  readCheckpoints,
  readPublicKey,
  readSigningKey,
  signCheckpoint,
} from "../../db/audit/checkpoint";
import { createDatabase, withCredentials } from "../../db/bootstrap";
import { createKysely, createPool } from "../../db/connection";
import type { Database } from "../../db/types";
import { startAuditJobs } from "../../server/audit-jobs";
import { loadServerConfig } from "../../server/config";
import { asAttacker, rechainFrom, recordEvents, seal, verifyAs } from "../support/audit";
import { collectingLogger, ManualClock } from "../support/clock";
import { dropDatabase, failOnPoolError, TEST_POOL, type TestDatabase } from "../support/database";
import { createPartnership } from "../support/factories";

/**
 * A default install catches truncation (docs/decisions/014-default-signed-checkpoints.md): with
 * nothing configured but the data folder and the database, the server makes its signing key at
 * its first start and signs every chain's head on a schedule, and `npm run audit:verify` (the
 * command itself, with the same nothing configured) checks the chains against the checkpoints in
 * the folder and the database's copy, and each chain's newest checkpoint against its age. Each
 * scenario gets a database and a data folder of its own, as a fresh install would.
 */

const ROOT = path.resolve(import.meta.dirname, "../..");
const MINUTE = 60_000;
const installs: { name: string; dataDir: string; close: () => Promise<void> }[] = [];

interface Install {
  test: TestDatabase;
  dataDir: string;
  chainId: string;
  clock: ManualClock;
  /** Run the server's checkpoint job once, as it runs every AUDIT_CHECKPOINT_MINUTES. */
  checkpointNow(): Promise<void>;
  /** Stop the server's jobs and start them again, their clock now. */
  restart(): Promise<void>;
  /** Record events as the application does, sealed. */
  record(count: number): Promise<void>;
  lines: () => Record<string, unknown>[];
}

/**
 * A fresh install: a database migrated to the latest, a partnership with six events, and the
 * server's access-log jobs started with the configuration an empty environment gives (but for the
 * data folder and the database, and `extra`), their clock `startedAgo` in the past. At start the
 * jobs seal, keep partitions and sign the first checkpoints.
 */
async function freshInstall(
  options: { startedAgo?: number; extra?: Record<string, string> } = {},
): Promise<Install> {
  const cluster = inject("testCluster");
  const name = `crosswalk_defaults_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: cluster.superuserUrl });
  await admin.connect();
  try {
    await createDatabase(admin, name, cluster.template);
  } finally {
    await admin.end();
  }
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-install-"));
  const urls = {
    appUrl: withCredentials(cluster.appUrl, { database: name }),
    ownerUrl: withCredentials(cluster.ownerUrl, { database: name }),
    superuserUrl: withCredentials(cluster.superuserUrl, { database: name }),
  };
  const pool = (url: string, max = 2): Kysely<Database> =>
    createKysely(createPool(url, { ...TEST_POOL, max }, failOnPoolError));
  const test: TestDatabase = {
    name,
    ...urls,
    app: pool(urls.appUrl),
    owner: pool(urls.ownerUrl),
    superuser: pool(urls.superuserUrl),
  };
  const config = loadServerConfig({
    DATA_DIR: dataDir,
    DATABASE_URL: urls.appUrl,
    DATABASE_OWNER_URL: urls.ownerUrl,
    // The tests seal when they record; a sealer every 250 ms would run thousands of times as the
    // clock moves on by checkpoint intervals.
    AUDIT_SEAL_INTERVAL_MS: "60000",
    ...options.extra,
  });
  const { logger, lines } = collectingLogger();
  const partnership = await createPartnership(test.owner);
  await recordEvents(test.app, partnership.id, 6);
  const start = async (time: number) => {
    const clock = new ManualClock();
    clock.time = time;
    const jobs = await startAuditJobs({
      db: test.app,
      ownerUrl: urls.ownerUrl,
      settings: config.audit,
      logger,
      clock,
    });
    await clock.advance(0, jobs.jobs);
    return { clock, jobs };
  };
  let server = await start(Date.now() - (options.startedAgo ?? 0));
  const close = async () => {
    await server.jobs.stop();
    await Promise.all([test.app.destroy(), test.owner.destroy(), test.superuser.destroy()]);
  };
  installs.push({ name, dataDir, close });
  const intervalMs = config.audit.checkpoints?.intervalMs ?? 0;
  return {
    test,
    dataDir,
    chainId: partnership.id,
    get clock() {
      return server.clock;
    },
    lines,
    checkpointNow: () => server.clock.advance(intervalMs, server.jobs.jobs),
    restart: async () => {
      await server.jobs.stop();
      server = await start(Date.now());
    },
    record: async (count) => {
      await recordEvents(test.app, partnership.id, count);
      await seal(test);
    },
  };
}

afterAll(async () => {
  for (const install of installs) {
    await install.close();
    if (install.name) await dropDatabase(install.name);
    await fs.rm(install.dataDir, { recursive: true, force: true });
  }
});

/**
 * `npm run audit:verify`'s command against an install, with no AUDIT_ setting in its environment
 * (but those in `extra`): only the data folder and the database's URLs.
 */
function auditVerify(
  install: Install,
  extra: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
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
        env: {
          ...env,
          DATA_DIR: install.dataDir,
          DATABASE_URL: install.test.appUrl,
          DATABASE_OWNER_URL: install.test.ownerUrl,
          ...extra,
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

/** As an operator with full control of the database would: remove the newest events, rewind the head. */
async function truncate(install: Install, keep: number): Promise<void> {
  await asAttacker(install.test, async (trx) => {
    await sql`delete from audit_events where partnership_id = ${install.chainId} and chain_seq > ${keep}`.execute(
      trx,
    );
    await sql`
      update audit_chain_heads set seq = ${keep},
        hash = (select hash from audit_events where partnership_id = ${install.chainId} and chain_seq = ${keep})
      where chain_id = ${install.chainId}`.execute(trx);
  });
}

async function storedCheckpoints(db: Kysely<Database>, chainId: string): Promise<string[]> {
  const rows = await sql<{ number: string; chain_seq: string }>`
    select number::text, chain_seq::text from audit_checkpoints where chain_id = ${chainId}
    order by number`.execute(db);
  return rows.rows.map((row) => `${row.number}@${row.chain_seq}`);
}

const keyDir = (install: Install) => path.join(install.dataDir, "audit-keys");
const notesOf = (install: Install) => path.join(install.dataDir, "checkpoints", install.chainId);

describe("a default install", () => {
  it("makes its signing key at first start, signs each chain's head, and verifies", async () => {
    const install = await freshInstall();
    const privateKey = path.join(keyDir(install), "audit-signing-key.pem");
    expect((await fs.stat(keyDir(install))).mode & 0o777).toBe(0o700);
    expect((await fs.stat(privateKey)).mode & 0o777).toBe(0o600);
    const publicKey = await readPublicKey(path.join(keyDir(install), "audit-signing-key.pub.pem"));
    expect(install.lines()).toContainEqual(
      expect.objectContaining({
        msg: "access log signing key created: keep it away from the database and its operators",
        verifierKey: expect.stringMatching(/^crosswalk-audit\+[0-9a-f]{8}\+/) as unknown,
      }),
    );

    // The first checkpoint: in the folder and in the database's copy, numbered 1.
    expect(await fs.readdir(notesOf(install))).toEqual(["1-6.note"]);
    expect(await storedCheckpoints(install.test.owner, install.chainId)).toEqual(["1@6"]);
    const { checkpoints } = await readCheckpoints(
      path.join(install.dataDir, "checkpoints"),
      publicKey,
    );
    expect(checkpoints.find((note) => note.chainId === install.chainId)?.sequence?.number).toBe(1);
    // Only the owner reaches the database's copy.
    await expect(sql`select * from audit_checkpoints`.execute(install.test.app)).rejects.toThrow(
      /permission denied/,
    );

    const result = await auditVerify(install);
    expect(result.stderr).not.toMatch(/FAILED/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /signed checkpoints? matched, the checkpoint folder and the database's copy agreeing; every chain's newest checkpoint younger than 30 min/,
    );

    // A partnership with no events yet, and one whose first events came after the checkpoint, pass.
    await createPartnership(install.test.owner);
    const newcomer = await createPartnership(install.test.owner);
    await recordEvents(install.test.app, newcomer.id, 2);
    await seal(install.test);
    expect((await auditVerify(install)).code).toBe(0);
  });

  it("catches the newest events removed and the head rewound", async () => {
    const install = await freshInstall();
    await install.record(3);
    await install.checkpointNow();
    expect(await storedCheckpoints(install.test.owner, install.chainId)).toEqual(["1@6", "2@9"]);
    await truncate(install, 7);

    // The database alone is consistent again: only a checkpoint shows what is gone.
    const alone = await verifyAs(install.test.ownerUrl, { chains: [install.chainId] });
    expect(alone.failure).toBeNull();
    const result = await auditVerify(install);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `FAILED at chain ${install.chainId}, seq 8: a signed checkpoint covers seq 9, but the chain ends at seq 7: events were removed`,
    );
  });

  it("catches the newest checkpoint file removed, with or without the events it covered", async () => {
    const install = await freshInstall();
    await install.record(3);
    await install.checkpointNow();
    await fs.rm(path.join(notesOf(install), "2-9.note"));
    const removed = await auditVerify(install);
    expect(removed.code).toBe(1);
    expect(removed.stderr).toMatch(
      new RegExp(
        `FAILED at chain ${install.chainId}: checkpoint 2 \\(seq 9, signed [^)]+\\) is in the database's copy \\(audit_checkpoints\\) but not in the checkpoint folder [^:]+: it was removed from the checkpoint folder`,
      ),
    );
    await truncate(install, 6);
    expect((await auditVerify(install)).stderr).toContain(
      `FAILED at chain ${install.chainId}: checkpoint 2`,
    );

    // The next scheduled run puts the checkpoint back from the database's copy, says so, and
    // signs nothing, since the chain no longer reaches it.
    await install.checkpointNow();
    expect(await fs.readdir(notesOf(install))).toEqual(["1-6.note", "2-9.note"]);
    expect(install.lines()).toContainEqual(
      expect.objectContaining({
        msg: "a checkpoint was missing from a copy: put back",
        number: 2,
        missingFrom: "folder",
      }),
    );
    expect(install.lines()).toContainEqual(
      expect.objectContaining({ msg: "the access log does not verify: no checkpoint signed" }),
    );
    expect((await auditVerify(install)).stderr).toContain(
      "a signed checkpoint covers seq 9, but the chain ends at seq 6: events were removed",
    );
  });

  it("catches a checkpoint removed from the database's copy, the triggers switched off", async () => {
    const install = await freshInstall();
    await install.record(1);
    await install.checkpointNow();
    await install.record(1);
    await install.checkpointNow();
    // Append-only, even for the owner.
    await expect(
      sql`delete from audit_checkpoints where chain_id = ${install.chainId}`.execute(
        install.test.superuser,
      ),
    ).rejects.toThrow(/stored checkpoints are append-only: DELETE is refused/);
    await asAttacker(install.test, async (trx) => {
      await sql`delete from audit_checkpoints where chain_id = ${install.chainId} and number = 2`.execute(
        trx,
      );
    });
    const result = await auditVerify(install);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /checkpoint 2 \(seq 7, .*\) is in the checkpoint folder .* but not in the database's copy \(audit_checkpoints\): it was removed from the database/,
    );
  });

  it("fails a chain whose newest checkpoint is older than three checkpoint intervals", async () => {
    const install = await freshInstall({ startedAgo: 2 * 60 * MINUTE });
    const stale = await auditVerify(install);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(
      `FAILED at chain ${install.chainId}: its newest checkpoint (1, at seq 6) was signed 2 h ago, more than 30 min: checkpoints have stopped`,
    );
    // Set to 0, the age is not checked (verifying a copy of an old database, say).
    const unchecked = await auditVerify(install, { AUDIT_MAX_CHECKPOINT_AGE_MINUTES: "0" });
    expect(unchecked.code).toBe(0);
    expect(unchecked.stdout).toContain("checkpoint ages not checked");

    // The server started again signs again (the idle chain's head has not moved), and it passes.
    await install.restart();
    await install.checkpointNow();
    expect(await fs.readdir(notesOf(install))).toEqual(["1-6.note", "2-6.note"]);
    expect((await auditVerify(install)).code).toBe(0);
  });

  it("fails a chain that has never been signed once its first event is older than that", async () => {
    const install = await freshInstall();
    const unsigned = await createPartnership(install.test.owner);
    await recordEvents(install.test.app, unsigned.id, 1);
    await seal(install.test);
    await asAttacker(install.test, async (trx) => {
      await sql`update audit_events set occurred_at = occurred_at - interval '2 hours' where partnership_id = ${unsigned.id}`.execute(
        trx,
      );
      await rechainFrom(trx, unsigned.id, 1);
    });
    const result = await auditVerify(install);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `FAILED at chain ${unsigned.id}: the chain has no checkpoint, and its first event is 2 h old, more than 30 min`,
    );
  });
});

describe("a witness", () => {
  async function witnessed(options: { startedAgo?: number } = {}) {
    const witnessDir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-witness-"));
    const install = await freshInstall({ ...options, extra: { AUDIT_WITNESS_DIR: witnessDir } });
    installs.push({ name: "", dataDir: witnessDir, close: () => Promise.resolve() });
    return { install, witnessDir, env: { AUDIT_WITNESS_DIR: witnessDir } };
  }

  it("is given every checkpoint, and verification compares it", async () => {
    const { install, witnessDir, env } = await witnessed();
    await install.record(2);
    await install.checkpointNow();
    expect(await fs.readdir(path.join(witnessDir, install.chainId))).toEqual([
      "1-6.note",
      "2-8.note",
    ]);
    const result = await auditVerify(install, env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `the checkpoint folder, the database's copy and the witness ${witnessDir} agreeing`,
    );
  });

  it("shows what the folder and the database together no longer do", async () => {
    const { install, env } = await witnessed();
    await install.record(2);
    await install.checkpointNow();
    // Someone who controls the database and this host removes the events, the newest checkpoint
    // from the folder and from the database's copy: the two agree again.
    await truncate(install, 6);
    await fs.rm(path.join(notesOf(install), "2-8.note"));
    await asAttacker(install.test, async (trx) => {
      await sql`delete from audit_checkpoints where chain_id = ${install.chainId} and number = 2`.execute(
        trx,
      );
    });
    expect((await auditVerify(install)).code).toBe(0);
    const result = await auditVerify(install, env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `FAILED at chain ${install.chainId}: checkpoint 2 \\(seq 8, [^)]+\\) is in the witness .* but not in the checkpoint folder .*: it was removed from the checkpoint folder`,
      ),
    );
  });

  it("fails verification when it holds a checkpoint the folder and the database no longer match", async () => {
    const { install, witnessDir, env } = await witnessed();
    await install.record(2);
    await install.checkpointNow();
    // Even with the key: the tail rewritten and re-signed, in the folder and the database.
    const key = await readSigningKey(
      path.join(keyDir(install), "audit-signing-key.pem"),
      "crosswalk-audit",
    );
    const previous = await fs.readFile(path.join(notesOf(install), "1-6.note"), "utf8");
    const signedAt = Date.now();
    let forged = "";
    await asAttacker(install.test, async (trx) => {
      await sql`update audit_events set reason = 'rewritten' where partnership_id = ${install.chainId} and chain_seq = 7`.execute(
        trx,
      );
      await rechainFrom(trx, install.chainId, 7);
      const head = await sql<{ hash: Buffer }>`
        select hash from audit_chain_heads where chain_id = ${install.chainId}`.execute(trx);
      forged = signCheckpoint(
        { chainId: install.chainId, seq: 8, hash: head.rows[0]?.hash ?? Buffer.alloc(32) },
        key,
        {
          number: 2,
          signedAt,
          previous: checkpointTextHash(previous.slice(0, previous.lastIndexOf("\n\n") + 1)),
        },
      );
      await sql`update audit_checkpoints set note = ${forged}, signed_at = ${new Date(signedAt)}
        where chain_id = ${install.chainId} and number = 2`.execute(trx);
    });
    await fs.writeFile(path.join(notesOf(install), "2-8.note"), forged);
    // The folder and the database agree with the rewritten chain: only the witness remembers.
    expect((await auditVerify(install)).code).toBe(0);
    const result = await auditVerify(install, env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `FAILED at chain ${install.chainId}: .* hold different checkpoints numbered 2 .*${path.join(witnessDir, install.chainId, "2-8.note").replace(/[/.]/g, "\\$&")}.*: two histories were signed`,
      ),
    );
  });

  it("fails verification when checkpoints stop reaching it", async () => {
    const { install, witnessDir, env } = await witnessed({ startedAgo: 2 * 60 * MINUTE });
    // The witness goes away (unmounted); the server signs on, into the folder and the database.
    const parked = `${witnessDir}-parked`;
    await fs.rename(witnessDir, parked);
    await install.restart();
    await install.checkpointNow();
    expect(install.lines()).toContainEqual(
      expect.objectContaining({
        msg: "the witness could not be given the checkpoints; it will be caught up",
      }),
    );
    expect((await auditVerify(install, env)).stderr).toMatch(
      /the witness folder .* \(AUDIT_WITNESS_DIR\) does not exist/,
    );
    await fs.rename(parked, witnessDir);
    const lagging = await auditVerify(install, env);
    expect(lagging.code).toBe(1);
    expect(lagging.stderr).toContain(
      `FAILED at chain ${install.chainId}: the witness ${witnessDir} holds no checkpoint of the chain signed in the last 30 min (its newest is checkpoint 1, signed 2 h ago; the newest is checkpoint 2): checkpoints are not reaching the witness`,
    );
    // The next run catches it up.
    await install.checkpointNow();
    expect(await fs.readdir(path.join(witnessDir, install.chainId))).toEqual([
      "1-6.note",
      "2-6.note",
      "3-6.note",
    ]);
    expect((await auditVerify(install, env)).code).toBe(0);
  });
});
