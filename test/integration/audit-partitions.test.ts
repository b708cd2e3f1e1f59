import { generateKeyPairSync, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, withCredentials } from "../../db/bootstrap";
import { sealVerifyAndSign } from "../../db/audit/checkpoint-run";
import type { VerifyOptions } from "../../db/audit/verify";
import { createKysely, createPool } from "../../db/connection";
import type { Database } from "../../db/types";
import {
  asAttacker,
  chainEvents,
  chainOf,
  recordEvents,
  seal,
  verifyAs,
  verifyInStretches,
} from "../support/audit";
import { dropDatabase, failOnPoolError, TEST_POOL, useTestDatabase } from "../support/database";
import { createPartnership } from "../support/factories";

const db = useTestDatabase();

const POOL = { ...TEST_POOL, max: 2 };

/** The first day of the month `offset` months from now (UTC), as YYYY-MM-DD. */
async function month(offset: number): Promise<string> {
  const result = await sql<{ day: string }>`
    select to_char(date_trunc('month', now() at time zone 'UTC') + make_interval(months => ${offset}), 'YYYY-MM-DD') as day
  `.execute(db.superuser);
  return result.rows[0]?.day ?? "";
}

const partitionName = (day: string) => `audit_events_${day.slice(0, 7).replace("-", "_")}`;

async function partitions(target: Kysely<Database>): Promise<string[]> {
  const result = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'audit_events'::regclass order by 1
  `.execute(target);
  return result.rows.map((row) => row.name);
}

/** Where each of a chain's events is stored, by seq. */
async function placement(chainId: string): Promise<Record<string, string>> {
  const result = await sql<{ seq: string; partition: string }>`
    select chain_seq::text as seq, tableoid::regclass::text as partition
    from audit_events where partnership_id = ${chainId} order by chain_seq
  `.execute(db.superuser);
  return Object.fromEntries(result.rows.map((row) => [row.seq, row.partition]));
}

/**
 * Events of an earlier month. The stamp trigger gives every event the time of its transaction, so
 * only someone who can switch triggers off can write one: these are written as a superuser with
 * triggers off (as a test of the chain's tamper evidence does), with no chain fields. The sealer
 * then chains them like any other event: the chain covers the time as stored.
 */
async function eventsInMonth(chainId: string, firstDay: string, count: number): Promise<void> {
  await asAttacker(db, async (trx) => {
    for (let index = 1; index <= count; index += 1) {
      await sql`
        insert into audit_events (partnership_id, occurred_at, action, outcome, reason)
        values (${chainId}, ${firstDay}::date + interval '14 days' + make_interval(mins => ${index}),
          'test.earlier', 'allowed', ${`earlier ${index}`})
      `.execute(trx);
    }
  });
}

describe("the monthly partitions", () => {
  it("hold this month and the next three, named by month, and a default partition", async () => {
    const names = await partitions(db.superuser);
    for (const offset of [0, 1, 2, 3]) expect(names).toContain(partitionName(await month(offset)));
    expect(names).toContain("audit_events_default");
  });

  it("are added ahead by the application role through audit_ensure_partitions, each once", async () => {
    const ensure = async (months: number) =>
      (
        await sql<{
          created: number;
        }>`select audit_ensure_partitions(${months}) as created`.execute(db.app)
      ).rows[0]?.created;
    expect(await ensure(5)).toBe(2);
    expect(await ensure(5)).toBe(0);
    expect(await partitions(db.superuser)).toContain(partitionName(await month(5)));
    await expect(ensure(25)).rejects.toThrow(/months_ahead must be between 0 and 24/);
    await expect(
      sql`select * from ${sql.table(partitionName(await month(0)))}`.execute(db.app),
    ).rejects.toThrow(/permission denied/);
  });

  it("store an event of another month in that month's partition, and the chain verifies across partitions", async () => {
    const earlier = await month(-3);
    await sql`select audit_events_create_month(${earlier}::date)`.execute(db.owner);
    const partnership = await chainOf(db, 3);
    await eventsInMonth(partnership.id, earlier, 1);
    await recordEvents(db.app, partnership.id, 2);
    await seal(db);
    const thisMonth = partitionName(await month(0));
    expect(await placement(partnership.id)).toEqual({
      "1": thisMonth,
      "2": thisMonth,
      "3": thisMonth,
      "4": partitionName(earlier),
      "5": thisMonth,
      "6": thisMonth,
    });
    for (const verify of [verifyAs, verifyInStretches]) {
      const report = await verify(db.ownerUrl, { chains: [partnership.id] });
      expect(report.failure).toBeNull();
      expect(report.events).toBe(6);
    }

    // The event in the older partition is as tamper-evident as the others.
    const [moved] = (await chainEvents(db, partnership.id)).filter(
      (event) => event.chain_seq === "4",
    );
    await asAttacker(db, async (trx) => {
      await sql`update ${sql.table(partitionName(earlier))} set reason = 'nothing happened' where id = ${moved?.id}`.execute(
        trx,
      );
    });
    for (const verify of [verifyAs, verifyInStretches]) {
      const report = await verify(db.ownerUrl, { chains: [partnership.id] });
      expect(report.failure).toMatchObject({ seq: 4, eventId: moved?.id });
      expect(report.failure?.problem).toMatch(/the event was changed/);
    }
  });

  it("can be archived: detach a month a checkpoint covers, and verify the chain from that checkpoint", async () => {
    const archived = await month(-5);
    await sql`select audit_events_create_month(${archived}::date)`.execute(db.owner);
    const partnership = await createPartnership(db.owner);
    await eventsInMonth(partnership.id, archived, 3);
    await seal(db);
    await recordEvents(db.app, partnership.id, 3);
    await seal(db);
    expect(Object.values(await placement(partnership.id))).toEqual([
      ...Array<string>(3).fill(partitionName(archived)),
      ...Array<string>(3).fill(partitionName(await month(0))),
    ]);

    // A checkpoint at the month's last event, seq 3, as `npm run audit:checkpoint -- --at` signs.
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "crosswalk-archive-"));
    try {
      const client = new pg.Client({ connectionString: db.ownerUrl });
      await client.connect();
      try {
        const run = await sealVerifyAndSign(client, {
          key: { name: "archive-test", privateKey },
          dir,
          chains: [partnership.id],
          at: [{ chainId: partnership.id, seq: 3 }],
        });
        expect(run.report.failure).toBeNull();
        expect(run.notes.map((note) => [note.head.seq, note.written])).toEqual([[3, true]]);
        const [third] = (await chainEvents(db, partnership.id)).filter(
          (event) => event.chain_seq === "3",
        );
        expect(run.notes[0]?.head.hash).toEqual(third?.hash);
        await expect(
          sealVerifyAndSign(client, {
            key: { name: "archive-test", privateKey },
            dir,
            chains: [partnership.id],
            at: [{ chainId: partnership.id, seq: 7 }],
          }),
        ).rejects.toThrow(/has no sealed event at seq 7/);
      } finally {
        await client.end();
      }

      // Archived (exported elsewhere), then detached and dropped by the owner.
      await sql`alter table audit_events detach partition ${sql.table(partitionName(archived))}`.execute(
        db.owner,
      );
      await sql`drop table ${sql.table(partitionName(archived))}`.execute(db.owner);

      const checkpoints = { dir, publicKey };
      const modes: ((options: VerifyOptions) => ReturnType<typeof verifyAs>)[] = [
        (options) => verifyAs(db.ownerUrl, options),
        (options) => verifyInStretches(db.ownerUrl, options, { rangeSize: 2 }),
      ];
      for (const verify of modes) {
        const fromTheStart = await verify({ chains: [partnership.id], checkpoints });
        expect(fromTheStart.failure?.problem).toMatch(
          /expected seq 1 but found seq 4: events 1..3 are missing/,
        );
        const fromCheckpoint = await verify({
          chains: [partnership.id],
          checkpoints,
          starts: [{ chainId: partnership.id, seq: 3 }],
        });
        expect(fromCheckpoint.failure).toBeNull();
        expect(fromCheckpoint.events).toBe(3);
        expect(fromCheckpoint.chains[0]).toMatchObject({ startedAt: 3, head: { seq: 6 } });
      }
      // A start must be a signed checkpoint: anything else would let a cut go unnoticed.
      await expect(
        verifyAs(db.ownerUrl, {
          chains: [partnership.id],
          checkpoints,
          starts: [{ chainId: partnership.id, seq: 4 }],
        }),
      ).rejects.toThrow(/no checkpoint signed by the audit public key at that seq/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the default partition", () => {
  let name = "";
  let owner: Kysely<Database>;
  let app: Kysely<Database>;
  let ownerUrl = "";

  beforeAll(async () => {
    // A database of its own: the test removes this month's partition.
    const cluster = inject("testCluster");
    name = `crosswalk_default_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: cluster.superuserUrl });
    await admin.connect();
    try {
      await createDatabase(admin, name, cluster.template);
    } finally {
      await admin.end();
    }
    ownerUrl = withCredentials(cluster.ownerUrl, { database: name });
    owner = createKysely(createPool(ownerUrl, POOL, failOnPoolError));
    app = createKysely(
      createPool(withCredentials(cluster.appUrl, { database: name }), POOL, failOnPoolError),
    );
  });

  afterAll(async () => {
    await Promise.all([owner?.destroy(), app?.destroy()]);
    await dropDatabase(name);
  });

  it("catches events of a month with no partition, and audit_ensure_partitions then leaves that month alone", async () => {
    const thisMonth = partitionName(await month(0));
    await sql`alter table audit_events detach partition ${sql.table(thisMonth)}`.execute(owner);
    await sql`drop table ${sql.table(thisMonth)}`.execute(owner);

    const partnership = await createPartnership(owner);
    await recordEvents(app, partnership.id, 3);
    const stored = await sql<{ partition: string }>`
      select distinct tableoid::regclass::text as partition from audit_events
    `.execute(owner);
    expect(stored.rows).toEqual([{ partition: "audit_events_default" }]);

    // Creating the month now would clash with the events in the default partition: it is left
    // out, with a warning, and nothing fails.
    const client = new pg.Client({ connectionString: ownerUrl });
    const warnings: string[] = [];
    client.on("notice", (notice) => warnings.push(notice.message ?? ""));
    await client.connect();
    try {
      const ensured = await client.query<{ created: number }>(
        "select audit_ensure_partitions(3) as created",
      );
      expect(ensured.rows[0]?.created).toBe(0);
    } finally {
      await client.end();
    }
    expect(warnings).toEqual([
      `audit_events_default holds events of ${(await month(0)).slice(0, 7)}: the partition ${thisMonth} was not created`,
    ]);
    expect(await partitions(owner)).not.toContain(thisMonth);

    await recordEvents(app, partnership.id, 1);
    await seal({ app });
    const report = await verifyAs(ownerUrl, { chains: [partnership.id] });
    expect(report.failure).toBeNull();
    expect(report.events).toBe(4);
  });
});
