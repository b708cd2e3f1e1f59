import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { sql, type Transaction } from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import {
  AuditTransactionRequired,
  auditedTransaction,
  record,
} from "../../app/services/audit.server";
import { setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import { chainEvents, seal, TEST_META } from "../support/audit";
import { useTestDatabase } from "../support/database";
import { createPartnership } from "../support/factories";

const db = useTestDatabase();

const entry = { action: "test.buffered", outcome: "allowed" } as const;

async function visibleEvents(trx: Transaction<Database>): Promise<number> {
  const result = await sql<{ count: string }>`select count(*) as count from audit_events`.execute(
    trx,
  );
  return Number(result.rows[0]?.count);
}

describe("events recorded in a transaction", () => {
  it("are written as its last statement, in the same transaction", async () => {
    const partnership = await createPartnership(db.owner);
    const seenDuringWork = await auditedTransaction(db.app, async (trx) => {
      await setTenant(trx, partnership.id);
      await record(trx, { actor: null, partnershipId: partnership.id }, TEST_META, entry);
      return visibleEvents(trx);
    });
    expect(seenDuringWork).toBe(0);
    expect(await chainEvents(db, partnership.id)).toHaveLength(1);
  });

  it("leave other requests free to append to the same chain while the work runs", async () => {
    const partnership = await createPartnership(db.owner);
    const other = new pg.Client({ connectionString: db.appUrl });
    await other.connect();
    try {
      await auditedTransaction(db.app, async (trx) => {
        await setTenant(trx, partnership.id);
        await record(trx, { actor: null, partnershipId: partnership.id }, TEST_META, entry);
        // Another request appends to the same chain meanwhile; had this transaction taken a
        // lock on the chain, it would wait, and the lock timeout would fail it.
        await other.query("begin");
        await other.query("set local lock_timeout = '2s'");
        await other.query("select set_config('app.partnership_id', $1, true)", [partnership.id]);
        await other.query(
          "insert into audit_events (partnership_id, action, outcome) values ($1, 'test.meanwhile', 'allowed')",
          [partnership.id],
        );
        await other.query("commit");
      });
    } finally {
      await other.end();
    }
    const events = await chainEvents(db, partnership.id);
    expect(events.map((event) => event.action)).toEqual(["test.meanwhile", "test.buffered"]);
  });

  it("keep the order in which they were recorded", async () => {
    const partnership = await createPartnership(db.owner);
    await auditedTransaction(db.app, async (trx) => {
      await setTenant(trx, partnership.id);
      for (const action of ["test.first", "test.second", "test.third"]) {
        await record(trx, { actor: null, partnershipId: partnership.id }, TEST_META, {
          action,
          outcome: "allowed",
        });
      }
    });
    await seal(db);
    const events = await chainEvents(db, partnership.id);
    expect(events.map((event) => [event.chain_seq, event.action])).toEqual([
      ["1", "test.first"],
      ["2", "test.second"],
      ["3", "test.third"],
    ]);
  });

  it("roll the work back with them when they cannot be written", async () => {
    const partnership = await createPartnership(db.owner);
    await expect(
      auditedTransaction(db.app, async (trx) => {
        await setTenant(trx, partnership.id);
        await trx
          .insertInto("agencies")
          .values({
            partnership_id: partnership.id,
            name: "Written before the event fails",
            kind: "school",
            contact_name: null,
            contact_email: null,
          })
          .execute();
        // The database refuses a reason over 2,000 characters.
        await record(trx, { actor: null, partnershipId: partnership.id }, TEST_META, {
          ...entry,
          reason: "x".repeat(2001),
        });
      }),
    ).rejects.toThrow(/check constraint/);
    const agencies = await db.owner.transaction().execute(async (trx) => {
      await setTenant(trx, partnership.id);
      return trx.selectFrom("agencies").select("name").execute();
    });
    expect(agencies).toEqual([]);
    expect(await chainEvents(db, partnership.id)).toHaveLength(0);
  });

  it("are not written when the work fails after recording them", async () => {
    const partnership = await createPartnership(db.owner);
    await expect(
      auditedTransaction(db.app, async (trx) => {
        await setTenant(trx, partnership.id);
        await record(trx, { actor: null, partnershipId: partnership.id }, TEST_META, entry);
        throw new Error("the work failed");
      }),
    ).rejects.toThrow("the work failed");
    expect(await chainEvents(db, partnership.id)).toHaveLength(0);
  });
});

describe("record()", () => {
  it("refuses a transaction not opened by auditedTransaction, and that transaction rolls back", async () => {
    const partnership = await createPartnership(db.owner);
    await expect(
      db.app.transaction().execute(async (trx) => {
        await setTenant(trx, partnership.id);
        await trx
          .insertInto("agencies")
          .values({
            partnership_id: partnership.id,
            name: "Work without its event",
            kind: "school",
            contact_name: null,
            contact_email: null,
          })
          .execute();
        await record(trx, { actor: null, partnershipId: partnership.id }, TEST_META, entry);
      }),
    ).rejects.toBeInstanceOf(AuditTransactionRequired);
    const agencies = await db.owner.transaction().execute(async (trx) => {
      await setTenant(trx, partnership.id);
      return trx.selectFrom("agencies").select("name").execute();
    });
    expect(agencies).toEqual([]);
  });

  it("refuses an event recorded after its transaction's events were written", async () => {
    const partnership = await createPartnership(db.owner);
    let finished: Transaction<Database> | undefined;
    await auditedTransaction(db.app, async (trx) => {
      await setTenant(trx, partnership.id);
      finished = trx;
    });
    if (!finished) throw new Error("the transaction did not run");
    await expect(
      record(finished, { actor: null, partnershipId: partnership.id }, TEST_META, entry),
    ).rejects.toBeInstanceOf(AuditTransactionRequired);
  });

  it("is called only in transactions opened by auditedTransaction: app/ opens no other kind", () => {
    const appFolder = path.resolve(import.meta.dirname, "../../app");
    const offenders = readdirSync(appFolder, { recursive: true, encoding: "utf8" })
      .filter((file) => /\.tsx?$/.test(file) && file !== path.join("services", "audit.server.ts"))
      .filter((file) => /\.transaction\(\)/.test(readFileSync(path.join(appFolder, file), "utf8")));
    expect(offenders).toEqual([]);
  });
});
