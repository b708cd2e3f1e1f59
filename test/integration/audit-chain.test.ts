import { randomBytes, randomUUID } from "node:crypto";
import { sql } from "kysely";
import { Migrator } from "kysely/migration";
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { auditedTransaction, record } from "../../app/services/audit.server";
import { createDatabase, withCredentials } from "../../db/bootstrap";
import {
  CANONICAL_BINARY_SELECT_SQL,
  CANONICAL_FIELDS,
  CANONICAL_TEXT_SELECT_SQL,
  CanonicalEncoder,
  DEPLOYMENT_CHAIN_ID,
  canonicalBytes,
  eventHash,
} from "../../db/audit/canonical";
import { BinaryCopyReader, copyOut } from "../../db/audit/copy-out";
import { createKysely, createPool } from "../../db/connection";
import { migrations } from "../../db/migrations";
import { setTenant } from "../../db/tenant";
import { chainEvents, chainOf, recordEvents, seal, TEST_META, verifyAs } from "../support/audit";
import { dropDatabase, failOnPoolError, TEST_POOL, useTestDatabase } from "../support/database";
import { createPartnership } from "../support/factories";

const db = useTestDatabase();

const POOL = { ...TEST_POOL, max: 8 };

describe("the access log's hash chain", () => {
  it("numbers events 1..400 without a gap when 8 writers append at once, some of them rolled back, while the sealer runs", async () => {
    const partnership = await createPartnership(db.owner);
    const writers = createKysely(createPool(db.appUrl, POOL, failOnPoolError));
    let writing = true;
    let sealedMeanwhile = 0;
    const sealer = (async () => {
      while (writing) sealedMeanwhile += await seal(db);
    })();
    try {
      await Promise.all(
        Array.from({ length: 8 }, async (_, writer) => {
          for (let index = 0; index < 60; index += 1) {
            // Every sixth transaction writes its event and then fails: it must leave no trace.
            const rollBack = index % 6 === 5;
            await auditedTransaction(writers, async (trx) => {
              await setTenant(trx, partnership.id);
              await record(trx, { actor: null, partnershipId: partnership.id }, TEST_META, {
                action: rollBack ? "test.rolled_back" : "test.event",
                outcome: "allowed",
                reason: `${writer}:${index}`,
              });
              if (rollBack) {
                await trx
                  .insertInto("audit_events")
                  .values({
                    partnership_id: partnership.id,
                    action: "test.rolled_back",
                    outcome: "allowed",
                  })
                  .execute();
                throw new Error("the work failed");
              }
            }).catch((error: unknown) => {
              if (!(error instanceof Error && error.message === "the work failed")) throw error;
            });
          }
        }),
      );
    } finally {
      writing = false;
      await sealer;
      await writers.destroy();
    }
    const sealedAfter = await seal(db);
    const events = await chainEvents(db, partnership.id);
    expect(sealedMeanwhile + sealedAfter).toBeGreaterThanOrEqual(400);
    expect(events.map((event) => event.action)).not.toContain("test.rolled_back");
    expect(events.map((event) => Number(event.chain_seq))).toEqual(
      Array.from({ length: 400 }, (_, index) => index + 1),
    );
    const report = await verifyAs(db.ownerUrl, { chains: [partnership.id] });
    expect(report.failure).toBeNull();
    expect(report).toMatchObject({ ok: true, events: 400, headsChecked: true });
  });

  it("keeps one transaction's events together and in the order they were recorded", async () => {
    const partnership = await createPartnership(db.owner);
    const writers = createKysely(createPool(db.appUrl, POOL, failOnPoolError));
    try {
      await Promise.all(
        Array.from({ length: 8 }, (_, writer) =>
          auditedTransaction(writers, async (trx) => {
            await setTenant(trx, partnership.id);
            for (let index = 0; index < 50; index += 1) {
              await record(trx, { actor: null, partnershipId: partnership.id }, TEST_META, {
                action: "test.batch",
                outcome: "allowed",
                reason: `${writer}:${index}`,
              });
            }
          }),
        ),
      );
    } finally {
      await writers.destroy();
    }
    await seal(db);
    const events = await chainEvents(db, partnership.id);
    expect(events).toHaveLength(400);
    for (let start = 0; start < 400; start += 50) {
      const [writer] = (events[start]?.reason ?? "").split(":");
      expect(events.slice(start, start + 50).map((event) => event.reason)).toEqual(
        Array.from({ length: 50 }, (_, index) => `${writer}:${index}`),
      );
    }
    expect((await verifyAs(db.ownerUrl, { chains: [partnership.id] })).ok).toBe(true);
  });

  it("starts each chain from 32 zero bytes and links every event to the one before", async () => {
    const partnership = await chainOf(db, 3);
    const events = await chainEvents(db, partnership.id);
    expect(events[0]?.prev_hash).toEqual(Buffer.alloc(32));
    expect(events[1]?.prev_hash).toEqual(events[0]?.hash);
    expect(events[2]?.prev_hash).toEqual(events[1]?.hash);
    const head = await db.superuser
      .selectFrom("audit_chain_heads")
      .selectAll()
      .where("chain_id", "=", partnership.id)
      .executeTakeFirstOrThrow();
    expect(head).toEqual({ chain_id: partnership.id, seq: "3", hash: events[2]?.hash });
  });

  it("chains events of no partnership in the deployment chain", async () => {
    const before = await chainEvents(db, DEPLOYMENT_CHAIN_ID);
    await auditedTransaction(db.app, (trx) =>
      record(trx, { actor: null, partnershipId: null }, TEST_META, {
        action: "auth.sign_in",
        outcome: "refused",
        reason: "No account has this email",
      }),
    );
    await seal(db);
    const after = await chainEvents(db, DEPLOYMENT_CHAIN_ID);
    expect(after).toHaveLength(before.length + 1);
    expect(after.at(-1)).toMatchObject({
      partnership_id: null,
      chain_seq: String(before.length + 1),
    });
    expect((await verifyAs(db.ownerUrl, { chains: [DEPLOYMENT_CHAIN_ID] })).ok).toBe(true);
  });

  it("clears the chain fields and overwrites a time the application role supplies", async () => {
    const partnership = await chainOf(db, 2);
    const forged = { prev_hash: randomBytes(32), hash: randomBytes(32) };
    await db.app.transaction().execute(async (trx) => {
      await setTenant(trx, partnership.id);
      // The start of this month (UTC): in the partition now() is in, so the row is routed there.
      await sql`
        insert into audit_events (partnership_id, action, outcome, occurred_at, chain_seq, prev_hash, hash, entry_seq)
        values (${partnership.id}, 'test.forged', 'allowed',
          date_trunc('month', now() at time zone 'UTC') at time zone 'UTC', 999, ${forged.prev_hash}, ${forged.hash}, 1)
      `.execute(trx);
    });
    const [unsealed] = (await chainEvents(db, partnership.id)).slice(-1);
    expect(unsealed).toMatchObject({
      action: "test.forged",
      chain_seq: null,
      prev_hash: null,
      hash: null,
    });
    expect(Number(unsealed?.entry_seq)).toBeGreaterThan(1);
    expect(unsealed?.occurred_at.getTime()).toBeGreaterThan(Date.now() - 60_000);

    await seal(db);
    const events = await chainEvents(db, partnership.id);
    const stored = events.at(-1);
    expect(stored).toMatchObject({ action: "test.forged", chain_seq: "3" });
    expect(stored?.prev_hash).toEqual(events[1]?.hash);
    expect(stored?.hash).not.toEqual(forged.hash);
    expect((await verifyAs(db.ownerUrl, { chains: [partnership.id] })).ok).toBe(true);
  });

  it("refuses a time in another month: the event cannot be backdated", async () => {
    const partnership = await createPartnership(db.owner);
    await expect(
      db.app.transaction().execute(async (trx) => {
        await setTenant(trx, partnership.id);
        await sql`
          insert into audit_events (partnership_id, action, outcome, occurred_at)
          values (${partnership.id}, 'test.backdated', 'allowed', '2001-01-01T00:00:00Z')
        `.execute(trx);
      }),
    ).rejects.toThrow(/moving row to another partition/);
    expect(await chainEvents(db, partnership.id)).toHaveLength(0);
  });

  it("leaves no event and no gap behind a rolled-back transaction", async () => {
    const partnership = await chainOf(db, 1);
    await expect(
      auditedTransaction(db.app, async (trx) => {
        await setTenant(trx, partnership.id);
        await record(trx, { actor: null, partnershipId: partnership.id }, TEST_META, {
          action: "test.rolled_back",
          outcome: "allowed",
        });
        // Written now, as the last statement: the event is chained, then the work fails.
        await trx
          .insertInto("audit_events")
          .values({
            partnership_id: partnership.id,
            action: "test.rolled_back",
            outcome: "allowed",
          })
          .execute();
        throw new Error("the work failed");
      }),
    ).rejects.toThrow("the work failed");
    await recordEvents(db.app, partnership.id, 1, "test.after");
    await seal(db);
    const events = await chainEvents(db, partnership.id);
    expect(events.map((event) => [event.chain_seq, event.action])).toEqual([
      ["1", "test.event"],
      ["2", "test.after"],
    ]);
    expect((await verifyAs(db.ownerUrl, { chains: [partnership.id] })).ok).toBe(true);
  });
});

describe("verification as the application role", () => {
  it("checks its own partnership's chain, without the heads it cannot read", async () => {
    const partnership = await chainOf(db, 4);
    const report = await verifyAs(db.appUrl, { chains: [partnership.id] });
    expect(report.failure).toBeNull();
    expect(report).toMatchObject({ ok: true, events: 4, headsChecked: false });
  });
});

describe("the chain heads", () => {
  it.each([
    ["read", sql`select * from audit_chain_heads`],
    ["update", sql`update audit_chain_heads set seq = 0`],
    [
      "insert",
      sql`insert into audit_chain_heads (chain_id, seq, hash) values (gen_random_uuid(), 0, '\\x00')`,
    ],
    ["delete", sql`delete from audit_chain_heads`],
    ["truncate", sql`truncate audit_chain_heads`],
  ])("cannot be %s by the application role", async (_verb, statement) => {
    const partnership = await chainOf(db, 1);
    await expect(
      db.app.transaction().execute(async (trx) => {
        await setTenant(trx, partnership.id);
        await statement.execute(trx);
      }),
    ).rejects.toThrow(/permission denied/);
  });

  it("are moved by the application role only through audit_seal, which it cannot bend", async () => {
    await expect(sql`select audit_seal(0)`.execute(db.app)).rejects.toThrow(
      /max_events must be between 1 and 100000/,
    );
    // Sealing the caller's own uncommitted events would chain what may yet roll back.
    const partnership = await createPartnership(db.owner);
    await expect(
      db.app.transaction().execute(async (trx) => {
        await setTenant(trx, partnership.id);
        await trx
          .insertInto("audit_events")
          .values({ partnership_id: partnership.id, action: "test.event", outcome: "allowed" })
          .execute();
        await sql`select audit_seal(10)`.execute(trx);
      }),
    ).rejects.toThrow(/audit_seal runs in a transaction of its own/);
    await expect(
      db.app
        .transaction()
        .setIsolationLevel("repeatable read")
        .execute((trx) => sql`select audit_seal(10)`.execute(trx)),
    ).rejects.toThrow(/audit_seal runs at READ COMMITTED/);
    await expect(
      sql`select audit_events_create_month('2020-01-01')`.execute(db.app),
    ).rejects.toThrow(/permission denied/);
  });

  it("are enabled and forced under row-level security, with a policy for the owner only", async () => {
    const table = await sql<{ relrowsecurity: boolean; relforcerowsecurity: boolean }>`
      select relrowsecurity, relforcerowsecurity from pg_class where oid = 'audit_chain_heads'::regclass
    `.execute(db.superuser);
    expect(table.rows[0]).toEqual({ relrowsecurity: true, relforcerowsecurity: true });
    const policies = await sql<{ roles: string[] }>`
      select roles::text[] as roles from pg_policies where tablename = 'audit_chain_heads'
    `.execute(db.superuser);
    expect(policies.rows).toEqual([{ roles: ["crosswalk_owner"] }]);
  });
});

describe("the canonical encoding", () => {
  it("is the same bytes in TypeScript as in the database, for awkward values", async () => {
    const partnership = await createPartnership(db.owner);
    await db.app.transaction().execute(async (trx) => {
      await setTenant(trx, partnership.id);
      await trx
        .insertInto("audit_events")
        .values({
          partnership_id: partnership.id,
          actor_user_id: randomUUID(),
          action: "test.awkward",
          outcome: "refused",
          reason: 'Zoë\'s "reason"\twith\ttabs,\nnewlines, \\backslashes\\, 🚸 and 12:34',
          request_id: "-",
          client_address: "2001:db8::ff00:42:8329",
          details: JSON.stringify({ b: [1, 2.5, null], a: "ä\u0000".slice(0, 1), z: { "": true } }),
        })
        .execute();
    });
    await seal(db);
    const row = await sql<{
      canonical: Buffer;
      fields: (string | null)[];
      prev: Buffer;
      hash: Buffer;
    }>`
      select audit_event_canonical(audit_events) as canonical,
             array[${sql.raw(CANONICAL_TEXT_SELECT_SQL)}] as fields, prev_hash as prev, hash
      from audit_events where partnership_id = ${partnership.id}
    `.execute(db.superuser);
    const [event] = row.rows;
    expect(event).toBeDefined();
    if (!event) return;
    expect(canonicalBytes(event.fields)).toEqual(event.canonical);
    expect(eventHash(event.prev, event.fields)).toEqual(event.hash);
  });

  it("reads binary COPY values into the same bytes as their text forms", async () => {
    // Constants of each fetched type, including what the chain never writes itself: times
    // before 1970 and far ahead, and numbers past 2^53.
    const cases = [
      ["1969-07-20T20:17:40.000001Z", "1", "192.0.2.1"],
      ["2038-01-19T03:14:08Z", "9007199254740993", "::ffff:192.0.2.1"],
      ["1700-01-01T00:00:00Z", "42", null],
      ["2262-04-11T23:47:16.854775Z", "0", "10.0.0.0/8"],
    ] as const;
    const client = new pg.Client({ connectionString: db.superuserUrl });
    await client.connect();
    try {
      for (const [time, seq, address] of cases) {
        const values = `(select '0c8e3f4a-1b2c-4d5e-8f90-a1b2c3d4e5f6'::uuid as id,
            null::uuid as partnership_id, '${time}'::timestamptz as occurred_at,
            'ffffffff-0000-4000-8000-00000000000a'::uuid as actor_user_id,
            null::uuid as actor_agency_id, 'auditor' as actor_role, 'x.y' as action,
            'r' as record_type, null::uuid as record_id,
            '12345678-9abc-4def-8123-456789abcdef'::uuid as young_person_id,
            'allowed' as outcome, 'naïve ☃' as reason, '' as request_id,
            ${address === null ? "null" : `'${address}'`}::inet as client_address,
            '{"k": [1, "v"]}'::jsonb as details, ${seq}::bigint as chain_seq) as audit_events`;
        const text = await client.query<{ fields: (string | null)[] }>(
          `select array[${CANONICAL_TEXT_SELECT_SQL}] as fields from ${values}`,
        );
        const fields = text.rows[0]?.fields ?? [];
        const hashes: Buffer[] = [];
        const reader = new BinaryCopyReader(CANONICAL_FIELDS.length, (tuple, starts, lengths) => {
          hashes.push(
            new CanonicalEncoder().hashTuple(Buffer.alloc(32), tuple, starts, lengths, 0),
          );
        });
        await copyOut(
          client,
          `copy (select ${CANONICAL_BINARY_SELECT_SQL} from ${values}) to stdout (format binary)`,
          (chunk) => reader.push(chunk),
        );
        expect(reader.ended).toBe(true);
        expect(hashes, `${time} ${seq}`).toEqual([eventHash(Buffer.alloc(32), fields)]);
      }
    } finally {
      await client.end();
    }
  });
});

describe("the chain and partition migrations", () => {
  it("chain the events that were already in the log, per partnership, in time order, and move them into monthly partitions unchanged", async () => {
    const cluster = inject("testCluster");
    const name = `crosswalk_backfill_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: cluster.superuserUrl });
    await admin.connect();
    await createDatabase(admin, name);
    const ownerUrl = withCredentials(cluster.ownerUrl, { database: name });
    const owner = createKysely(createPool(ownerUrl, POOL, failOnPoolError));
    const superuser = createKysely(
      createPool(withCredentials(cluster.superuserUrl, { database: name }), POOL, failOnPoolError),
    );
    try {
      const migrator = new Migrator({
        db: owner,
        provider: { getMigrations: () => Promise.resolve(migrations) },
      });
      const toAdministration = await migrator.migrateTo("2026_11_24_0002_administration");
      expect(toAdministration.error).toBeUndefined();

      const [a, b] = [randomUUID(), randomUUID()];
      await owner.transaction().execute(async (trx) => {
        for (const id of [a, b]) {
          await setTenant(trx, id);
          await trx.insertInto("partnerships").values({ id, name: id }).execute();
        }
        const events = [
          [a, "2026-11-20T10:00:00Z", "a.second"],
          [a, "1969-12-31T23:59:59.999999Z", "a.first"],
          [b, "2026-11-21T10:00:00Z", "b.first"],
          [null, "2026-11-22T10:00:00Z", "none.first"],
          [a, "2026-11-23T10:00:00.5Z", "a.third"],
        ] as const;
        for (const [partnershipId, occurredAt, action] of events) {
          await sql`select set_config('app.partnership_id', ${partnershipId ?? ""}, true)`.execute(
            trx,
          );
          await sql`
            insert into audit_events (partnership_id, occurred_at, action, outcome, reason, details)
            values (${partnershipId}, ${occurredAt}, ${action}, 'allowed', 'Zoë\nsaid', '{"n": 1}')
          `.execute(trx);
        }
      });

      const toLatest = await migrator.migrateToLatest();
      expect(toLatest.error).toBeUndefined();

      const chained = await sql<{ chain: string; seq: string; action: string }>`
        select coalesce(partnership_id::text, 'none') as chain, chain_seq::text as seq, action
        from audit_events order by 1, chain_seq
      `.execute(superuser);
      expect(chained.rows).toEqual(
        [
          { chain: a, seq: "1", action: "a.first" },
          { chain: a, seq: "2", action: "a.second" },
          { chain: a, seq: "3", action: "a.third" },
          { chain: b, seq: "1", action: "b.first" },
          { chain: "none", seq: "1", action: "none.first" },
        ].sort((x, y) => x.chain.localeCompare(y.chain) || Number(x.seq) - Number(y.seq)),
      );
      const report = await verifyAs(ownerUrl);
      expect(report.failure).toBeNull();
      expect(report.events).toBe(5);

      // Each event sits in its month's partition (UTC), created for it by the migration.
      const placed = await sql<{ action: string; partition: string }>`
        select action, tableoid::regclass::text as partition from audit_events order by action
      `.execute(superuser);
      expect(placed.rows).toEqual([
        { action: "a.first", partition: "audit_events_1969_12" },
        { action: "a.second", partition: "audit_events_2026_11" },
        { action: "a.third", partition: "audit_events_2026_11" },
        { action: "b.first", partition: "audit_events_2026_11" },
        { action: "none.first", partition: "audit_events_2026_11" },
      ]);

      // New events wait for the sealer, then carry on from the backfilled heads.
      await owner.transaction().execute(async (trx) => {
        await setTenant(trx, a);
        await trx
          .insertInto("audit_events")
          .values({ partnership_id: a, action: "a.fourth", outcome: "allowed" })
          .execute();
      });
      const fourth = () =>
        sql<{ seq: string | null }>`
        select chain_seq::text as seq from audit_events where action = 'a.fourth'
      `.execute(superuser);
      expect((await fourth()).rows).toEqual([{ seq: null }]);
      await sql`select audit_seal(100)`.execute(owner);
      expect((await fourth()).rows).toEqual([{ seq: "4" }]);
      expect((await verifyAs(ownerUrl)).ok).toBe(true);
    } finally {
      await owner.destroy();
      await superuser.destroy();
      await admin.end();
      await dropDatabase(name);
    }
  });
});
