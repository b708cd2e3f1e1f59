import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { DEPLOYMENT_CHAIN_ID } from "../../db/audit/canonical";
import { createKysely, createPool } from "../../db/connection";
import { setTenant } from "../../db/tenant";
import {
  asAttacker,
  chainEvents,
  chainOf,
  recordEvents,
  seal,
  verifyAs,
  verifyInStretches,
} from "../support/audit";
import { useTestDatabase } from "../support/database";
import { createPartnership } from "../support/factories";

const db = useTestDatabase();

const POOL = {
  max: 8,
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
  idleInTransactionTimeoutMs: 30_000,
};
const failOnPoolError = (message: string, error: Error) => {
  throw new Error(`${message}: ${error.message}`);
};

async function waiting(chainId: string): Promise<number> {
  const events = await chainEvents(db, chainId);
  return events.filter((event) => event.chain_seq === null).length;
}

describe("the sealer", () => {
  it("leaves new events unsealed until it runs, then chains them", async () => {
    const partnership = await createPartnership(db.owner);
    await recordEvents(db.app, partnership.id, 3);
    expect(await waiting(partnership.id)).toBe(3);
    const report = await verifyAs(db.ownerUrl, { chains: [partnership.id] });
    expect(report).toMatchObject({ ok: true, events: 0, unsealed: { events: 3 } });

    expect(await seal(db)).toBeGreaterThanOrEqual(3);
    const events = await chainEvents(db, partnership.id);
    expect(events.map((event) => event.chain_seq)).toEqual(["1", "2", "3"]);
    expect(await verifyAs(db.ownerUrl, { chains: [partnership.id] })).toMatchObject({
      ok: true,
      events: 3,
      unsealed: { events: 0, oldestAgeMs: null },
    });
  });

  it("seals about max_events at a time, oldest transactions first, never splitting one", async () => {
    const partnership = await createPartnership(db.owner);
    await seal(db);
    // Four transactions of three events each.
    for (let transaction = 0; transaction < 4; transaction += 1) {
      await db.app.transaction().execute(async (trx) => {
        await setTenant(trx, partnership.id);
        await trx
          .insertInto("audit_events")
          .values(
            [0, 1, 2].map((index) => ({
              partnership_id: partnership.id,
              action: "test.event",
              outcome: "allowed" as const,
              reason: `${transaction}:${index}`,
            })),
          )
          .execute();
      });
    }
    const sealOnce = async (max: number) =>
      (await sql<{ sealed: number }>`select audit_seal(${max}) as sealed`.execute(db.app)).rows[0]
        ?.sealed;
    // Four events reach into the second transaction, which is taken whole.
    expect(await sealOnce(4)).toBe(6);
    expect(await waiting(partnership.id)).toBe(6);
    expect(await sealOnce(100)).toBe(6);
    const events = await chainEvents(db, partnership.id);
    expect(events.map((event) => [event.chain_seq, event.reason])).toEqual(
      [0, 1, 2, 3].flatMap((transaction) =>
        [0, 1, 2].map((index) => [String(transaction * 3 + index + 1), `${transaction}:${index}`]),
      ),
    );
  });

  it("chains events of no partnership in the deployment chain", async () => {
    await seal(db);
    const before = (await chainEvents(db, DEPLOYMENT_CHAIN_ID)).length;
    await db.app
      .insertInto("audit_events")
      .values({ partnership_id: null, action: "auth.sign_in", outcome: "refused" })
      .execute();
    await seal(db);
    const after = await chainEvents(db, DEPLOYMENT_CHAIN_ID);
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toMatchObject({
      partnership_id: null,
      action: "auth.sign_in",
      chain_seq: String(before + 1),
    });
    expect((await verifyAs(db.ownerUrl, { chains: [DEPLOYMENT_CHAIN_ID] })).ok).toBe(true);
  });

  it("runs one at a time: a second sealer gets 0 at once while the first holds the lock", async () => {
    const partnership = await createPartnership(db.owner);
    await recordEvents(db.app, partnership.id, 2);
    const first = new pg.Client({ connectionString: db.appUrl });
    const second = new pg.Client({ connectionString: db.appUrl });
    await Promise.all([first.connect(), second.connect()]);
    try {
      await first.query("begin");
      const sealedByFirst = await first.query<{ sealed: number }>(
        "select audit_seal(5000) as sealed",
      );
      expect(sealedByFirst.rows[0]?.sealed).toBeGreaterThanOrEqual(2);
      await second.query("set lock_timeout = '2s'");
      const sealedBySecond = await second.query<{ sealed: number }>(
        "select audit_seal(5000) as sealed",
      );
      expect(sealedBySecond.rows[0]?.sealed).toBe(0);
      await first.query("commit");
    } finally {
      await Promise.all([first.end(), second.end()]);
    }
    expect(await waiting(partnership.id)).toBe(0);
  });

  it("never forks a chain when two sealers race each other and eight writers", async () => {
    const [a, b] = [await createPartnership(db.owner), await createPartnership(db.owner)];
    const writers = createKysely(createPool(db.appUrl, POOL, failOnPoolError));
    const sealers = createKysely(createPool(db.appUrl, POOL, failOnPoolError));
    let writing = true;
    const sealing = [0, 1].map(async () => {
      let calls = 0;
      while (writing) {
        await sql`select audit_seal(7)`.execute(sealers);
        calls += 1;
      }
      return calls;
    });
    try {
      await Promise.all(
        Array.from({ length: 8 }, (_, writer) =>
          recordEvents(writers, writer % 2 ? a.id : b.id, 25),
        ),
      );
    } finally {
      writing = false;
      await Promise.all(sealing);
      await writers.destroy();
      await sealers.destroy();
    }
    await seal(db);
    for (const partnership of [a, b]) {
      const events = await chainEvents(db, partnership.id);
      expect(events.map((event) => Number(event.chain_seq))).toEqual(
        Array.from({ length: 100 }, (_, index) => index + 1),
      );
      const report = await verifyAs(db.ownerUrl, { chains: [partnership.id] });
      expect(report.failure).toBeNull();
      expect(report.events).toBe(100);
    }
  });
});

describe("the append-only guard, now that the sealer updates events", () => {
  it.each([
    [
      "set chain fields on an unsealed event",
      "update audit_events set chain_seq = 1, prev_hash = $1, hash = $1 where chain_seq is null",
    ],
    [
      "change a sealed event's chain fields",
      "update audit_events set hash = $1 where chain_seq = 1",
    ],
    ["change a field", "update audit_events set reason = 'changed' where $1::bytea is not null"],
    ["delete an event", "delete from audit_events where $1::bytea is not null"],
  ])("refuses the application role to %s", async (_what, statement) => {
    const partnership = await chainOf(db, 1);
    await recordEvents(db.app, partnership.id, 1);
    const client = new pg.Client({ connectionString: db.appUrl });
    await client.connect();
    try {
      await client.query("begin");
      await client.query("select set_config('app.partnership_id', $1, true)", [partnership.id]);
      await expect(client.query(statement, [randomBytes(32)])).rejects.toThrow(/permission denied/);
      await client.query("rollback");
    } finally {
      await client.end();
    }
    await seal(db);
  });

  it("refuses even a superuser's update of chain fields: only the owner, through the sealer, may", async () => {
    const partnership = await createPartnership(db.owner);
    await recordEvents(db.app, partnership.id, 1);
    await expect(
      sql`update audit_events set chain_seq = 1, prev_hash = ${randomBytes(32)}, hash = ${randomBytes(32)}
          where partnership_id = ${partnership.id}`.execute(db.superuser),
    ).rejects.toThrow(/the access log is append-only: UPDATE is refused/);
    await seal(db);
  });

  it("refuses the owner any change but sealing, and any change at all to a sealed event", async () => {
    const partnership = await chainOf(db, 1);
    await recordEvents(db.app, partnership.id, 1);
    const asOwner = (statement: ReturnType<typeof sql>) =>
      db.owner.transaction().execute(async (trx) => {
        await setTenant(trx, partnership.id);
        return statement.execute(trx);
      });
    // An unsealed event: the chain fields together with anything else is refused.
    await expect(
      asOwner(sql`update audit_events set chain_seq = 2, prev_hash = ${randomBytes(32)},
        hash = ${randomBytes(32)}, reason = 'changed' where chain_seq is null and partnership_id = ${partnership.id}`),
    ).rejects.toThrow(/append-only/);
    await expect(
      asOwner(sql`update audit_events set reason = 'changed'
        where chain_seq is null and partnership_id = ${partnership.id}`),
    ).rejects.toThrow(/append-only/);
    // Row-level security gives the owner no sealed event to update, and no event to delete.
    const updated = await asOwner(sql`update audit_events set reason = 'changed'
      where chain_seq = 1 and partnership_id = ${partnership.id}`);
    expect(updated.numAffectedRows).toBe(0n);
    const deleted = await asOwner(
      sql`delete from audit_events where partnership_id = ${partnership.id}`,
    );
    expect(deleted.numAffectedRows).toBe(0n);
    await expect(asOwner(sql`truncate audit_events`)).rejects.toThrow(/append-only/);
    await seal(db);
    expect((await verifyAs(db.ownerUrl, { chains: [partnership.id] })).ok).toBe(true);
  });
});

describe("verification of unsealed events", () => {
  it("counts them and their age without failing while they are young", async () => {
    const partnership = await createPartnership(db.owner);
    await recordEvents(db.app, partnership.id, 2);
    const report = await verifyAs(db.ownerUrl, { chains: [partnership.id] });
    expect(report.ok).toBe(true);
    expect(report.unsealed.events).toBe(2);
    expect(report.unsealed.oldestAgeMs).toBeGreaterThanOrEqual(0);
    expect(report.unsealed.oldestAgeMs).toBeLessThan(5 * 60_000);
    await seal(db);
  });

  it("fails, naming the oldest, when one has waited longer than the limit: the sealer has stalled", async () => {
    const partnership = await chainOf(db, 2);
    // An event written ten minutes ago that nobody sealed (written past the stamp trigger, which
    // would give it the current time).
    await asAttacker(db, async (trx) => {
      await sql`
        insert into audit_events (partnership_id, occurred_at, action, outcome)
        values (${partnership.id}, now() - interval '10 minutes', 'test.stalled', 'allowed')
      `.execute(trx);
    });
    const [stalled] = (await chainEvents(db, partnership.id)).filter(
      (event) => event.chain_seq === null,
    );
    for (const verify of [verifyAs, verifyInStretches]) {
      const report = await verify(db.ownerUrl, { chains: [partnership.id] });
      expect(report.ok).toBe(false);
      expect(report.events).toBe(2);
      expect(report.failure).toMatchObject({
        chainId: partnership.id,
        seq: null,
        eventId: stalled?.id,
      });
      expect(report.failure?.problem).toMatch(
        /^1 event is not sealed yet, the oldest for 10 min \(more than 5 min\): the sealer has stalled$/,
      );
      const lenient = await verify(db.ownerUrl, {
        chains: [partnership.id],
        maxUnsealedAgeMs: 60 * 60_000,
      });
      expect(lenient.ok).toBe(true);
    }
    await seal(db);
    expect((await verifyAs(db.ownerUrl, { chains: [partnership.id] })).ok).toBe(true);
  });
});

describe("verification in worker threads", () => {
  it("verifies stretches in threads that join the snapshot, and catches an edit in any of them", async () => {
    const partnership = await chainOf(db, 40);
    const parallel = { workers: 2, rangeSize: 7, threads: true };
    const report = await verifyInStretches(db.ownerUrl, { chains: [partnership.id] }, parallel);
    expect(report.failure).toBeNull();
    expect(report).toMatchObject({ ok: true, events: 40, workers: 2 });
    expect(report.chains[0]?.head?.seq).toBe(40);

    const events = await chainEvents(db, partnership.id);
    await asAttacker(db, async (trx) => {
      await sql`update audit_events set action = 'referral.view' where id = ${events[29]?.id}`.execute(
        trx,
      );
    });
    const tampered = await verifyInStretches(db.ownerUrl, { chains: [partnership.id] }, parallel);
    expect(tampered.failure).toMatchObject({ seq: 30, eventId: events[29]?.id });
    expect(tampered.failure?.problem).toMatch(/the event was changed/);
  });
});
