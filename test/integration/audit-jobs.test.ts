import { createPublicKey } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateSigningKeyPair, readCheckpoints } from "../../db/audit/checkpoint";
import { startAuditJobs } from "../../server/audit-jobs";
import type { AuditJobSettings } from "../../server/config";
import { setTenant } from "../../db/tenant";
import { chainEvents, recordEvents, seal, verifyAs } from "../support/audit";
import { collectingLogger, ManualClock } from "../support/clock";
import { useTestDatabase } from "../support/database";
import { createAgency, createPartnership, createUser } from "../support/factories";

const db = useTestDatabase();
let dir: string;
let keyFile: string;
let publicKeyPem: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-jobs-"));
  const pair = generateSigningKeyPair();
  keyFile = path.join(dir, "audit-signing-key.pem");
  publicKeyPem = pair.publicKeyPem;
  await fs.writeFile(keyFile, pair.privateKeyPem, { mode: 0o600 });
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const MINUTE = 60_000;

/** The jobs' settings, with checkpoints into `notes` (a folder under the test's) or none. */
function settings(notes: string | null): AuditJobSettings {
  return {
    sealIntervalMs: 250,
    partitionMonthsAhead: 4,
    checkpoints: notes
      ? {
          dir: path.join(dir, notes),
          signingKeyFile: keyFile,
          createKey: false,
          keyName: "crosswalk-jobs-test",
          intervalMs: 60 * MINUTE,
          witnessDir: null,
        }
      : null,
  };
}

async function unsealed(chainId: string): Promise<number> {
  return (await chainEvents(db, chainId)).filter((event) => event.chain_seq === null).length;
}

describe("the server's access-log jobs", () => {
  it("seal what commits, keep partitions ahead, and sign checkpoints on schedule", async () => {
    const clock = new ManualClock();
    const { logger, lines } = collectingLogger();
    const partnership = await createPartnership(db.owner);
    await recordEvents(db.app, partnership.id, 3);
    // One-time submission ids: a week-old one goes with the daily upkeep, a new one stays.
    const person = await createUser(db.owner, await createAgency(db.owner, partnership.id));
    const submissionIds = [
      "0d6f1a52-6c3e-4a53-9b0e-6f4c1e0a1b01",
      "0d6f1a52-6c3e-4a53-9b0e-6f4c1e0a1b02",
    ];
    await db.owner.transaction().execute(async (trx) => {
      await setTenant(trx, partnership.id);
      await trx
        .insertInto("form_submissions")
        .values([
          {
            partnership_id: partnership.id,
            user_id: person.id,
            submission_id: submissionIds[0]!,
            created_at: sql<Date>`now() - interval '8 days'`,
          },
          { partnership_id: partnership.id, user_id: person.id, submission_id: submissionIds[1]! },
        ])
        .execute();
    });
    const jobs = await startAuditJobs({
      db: db.app,
      ownerUrl: db.ownerUrl,
      settings: settings("notes"),
      logger,
      clock,
    });
    try {
      // At start: a seal, the partitions, and (with no note signed yet) a checkpoint.
      expect(clock.pending()).toEqual([0, 0, 0]);
      await clock.advance(0, jobs.jobs);
      expect(await unsealed(partnership.id)).toBe(0);
      const created = lines().find((line) => line.msg === "access log partitions created");
      expect(created).toMatchObject({ created: 1 });
      const kept = await db.owner.transaction().execute(async (trx) => {
        await setTenant(trx, partnership.id);
        return trx.selectFrom("form_submissions").select("submission_id").execute();
      });
      expect(kept.map((row) => row.submission_id)).toEqual([submissionIds[1]]);
      const publicKey = createPublicKey(publicKeyPem);
      const signed = await readCheckpoints(path.join(dir, "notes"), publicKey);
      expect(signed.problems).toEqual([]);
      expect(signed.checkpoints).toContainEqual(
        expect.objectContaining({ chainId: partnership.id, seq: 3 }),
      );

      // Events written later are sealed at the next tick, 250 ms on.
      await recordEvents(db.app, partnership.id, 2);
      expect(await unsealed(partnership.id)).toBe(2);
      await clock.advance(250, jobs.jobs);
      expect(await unsealed(partnership.id)).toBe(0);

      // An hour on, the next checkpoint covers them; the partitions wait for their day.
      await clock.advance(60 * MINUTE, jobs.jobs);
      const later = await readCheckpoints(path.join(dir, "notes"), publicKey);
      expect(later.checkpoints.filter((note) => note.chainId === partnership.id)).toEqual([
        expect.objectContaining({ seq: 3 }),
        expect.objectContaining({ seq: 5 }),
      ]);
      const report = await verifyAs(db.ownerUrl, {
        chains: [partnership.id],
        checkpoints: { dir: path.join(dir, "notes"), publicKey },
      });
      expect(report.failure).toBeNull();
      expect(report.checkpoints).toBe(2);
      expect(
        lines().filter((line) => line.msg === "access log verified and checkpoints signed"),
      ).toHaveLength(2);
    } finally {
      await jobs.stop();
    }
    expect(clock.pending()).toEqual([]);
  });

  it("seal the last requests' events when the server stops", async () => {
    const clock = new ManualClock();
    const { logger } = collectingLogger();
    const partnership = await createPartnership(db.owner);
    const jobs = await startAuditJobs({
      db: db.app,
      ownerUrl: undefined,
      settings: settings(null),
      logger,
      clock,
    });
    await clock.advance(0, jobs.jobs);
    await recordEvents(db.app, partnership.id, 2);
    await jobs.stop();
    expect(await unsealed(partnership.id)).toBe(0);
  });

  it("schedule no checkpoints without the owner's connection, and say so", async () => {
    const clock = new ManualClock();
    const { logger, lines } = collectingLogger();
    const jobs = await startAuditJobs({
      db: db.app,
      ownerUrl: undefined,
      settings: settings("notes"),
      logger,
      clock,
    });
    try {
      expect(jobs.jobs).toHaveLength(2);
      expect(lines()).toContainEqual(
        expect.objectContaining({
          level: 40,
          msg: expect.stringMatching(
            /scheduled access-log checkpoints need DATABASE_OWNER_URL/,
          ) as unknown,
        }),
      );
    } finally {
      await jobs.stop();
    }
  });

  it("log a log that does not verify, and sign nothing", async () => {
    const clock = new ManualClock();
    const { logger, lines } = collectingLogger();
    const partnership = await createPartnership(db.owner);
    await recordEvents(db.app, partnership.id, 2);
    await seal(db);
    const jobs = await startAuditJobs({
      db: db.app,
      ownerUrl: db.ownerUrl,
      settings: settings("tampered-notes"),
      logger,
      clock,
    });
    try {
      // Someone with full control changes a sealed event; then the jobs run.
      await db.superuser.transaction().execute(async (trx) => {
        await sql`set local session_replication_role = replica`.execute(trx);
        await sql`update audit_events set reason = 'changed' where partnership_id = ${partnership.id}`.execute(
          trx,
        );
      });
      await clock.advance(0, jobs.jobs);
      expect(lines()).toContainEqual(
        expect.objectContaining({
          level: 50,
          msg: "the access log does not verify: no checkpoint signed",
        }),
      );
      const signed = await readCheckpoints(
        path.join(dir, "tampered-notes"),
        createPublicKey(publicKeyPem),
      );
      expect(signed.checkpoints.filter((note) => note.chainId === partnership.id)).toEqual([]);
    } finally {
      await jobs.stop();
      // Leave a log that verifies for the tests after.
      await db.superuser.transaction().execute(async (trx) => {
        await sql`set local session_replication_role = replica`.execute(trx);
        await sql`delete from audit_events where partnership_id = ${partnership.id}`.execute(trx);
        await sql`delete from audit_chain_heads where chain_id = ${partnership.id}`.execute(trx);
      });
    }
  });
});
