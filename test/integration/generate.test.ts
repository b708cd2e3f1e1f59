import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import { seedDemoPartnership } from "../../app/demo/demo-seed.server";
import { listCaseload } from "../../app/services/caseloads.server";
import type { ServiceContext } from "../../app/services/context.server";
import { sealAll, sealThrough } from "../../db/audit/seal";
import { verifyAuditLog } from "../../db/audit/verify";
import { AlreadyGenerated, generateData, type GenerateReport } from "../../db/generate/generate";
import { SCALES } from "../../db/generate/scales";
import { DEMO_PARTNERSHIP_ID } from "../../db/seed/demo";
import type { Database } from "../../db/types";
import { useTestDatabase, type TestDatabase } from "../support/database";

/**
 * `npm run db:generate` at scale small, run twice with the same seed into two fresh databases:
 * the numbers of each record, the same rows both times, whole referrals, a verifying access log,
 * realistic caseloads for the demo accounts, and a refusal to generate into a database twice.
 * The history ends at a fixed time in a past month, so every month of it is built and every row,
 * access-log events included, is the same on both runs.
 */

const first = useTestDatabase();
const second = useTestDatabase();
const SEED = "test";
const UNTIL = new Date("2026-10-30T17:00:00Z");
const SMALL = SCALES.small;

/** Counts of the demo partnership's records, read past row-level security. */
async function demoCounts(db: Kysely<Database>) {
  const count = async (table: "referrals" | "young_people" | "case_notes" | "audit_events") => {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  return {
    referrals: await count("referrals"),
    youngPeople: await count("young_people"),
    notes: await count("case_notes"),
    events: await count("audit_events"),
  };
}

async function withOwner<T>(db: TestDatabase, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: db.ownerUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** generateData on three connections as the owner, as the command runs it. */
function generate(db: TestDatabase): Promise<GenerateReport> {
  return withOwner(db, (main) =>
    withOwner(db, (second) =>
      withOwner(db, (third) =>
        generateData({ main, second, third }, { scale: "small", seed: SEED, until: UNTIL }),
      ),
    ),
  );
}

async function generateInto(db: TestDatabase) {
  await seedDemoPartnership(db.owner);
  await sealAll(sealThrough(db.owner));
  const before = await demoCounts(db.superuser);
  const report = await generate(db);
  return { report, before, after: await demoCounts(db.superuser) };
}

let run: Awaited<ReturnType<typeof generateInto>>;
let again: GenerateReport;

beforeAll(async () => {
  run = await generateInto(first);
  again = (await generateInto(second)).report;
}, 600_000);

const countOf = (report: GenerateReport, table: string) =>
  report.counts.find((row) => row.table === table)?.generated;

/** A checksum query's result, read past row-level security. */
async function checksum(db: TestDatabase, query: string): Promise<string> {
  const result = await sql.raw<{ sum: string }>(query).execute(db.superuser);
  return result.rows[0]?.sum ?? "";
}

describe("npm run db:generate at scale small", () => {
  it("makes the small scale's number of each record in the generated partnership", () => {
    expect(countOf(run.report, "agencies")).toBe(10);
    expect(countOf(run.report, "users")).toBe(SMALL.users);
    expect(countOf(run.report, "young_people")).toBe(SMALL.generated.youngPeople);
    expect(countOf(run.report, "referrals")).toBe(SMALL.generated.referrals);
    expect(countOf(run.report, "case_notes")).toBe(SMALL.generated.notes);
    expect(countOf(run.report, "audit_events")).toBe(SMALL.generated.events);
    expect(run.report.events.builtMonths).toBe(run.report.events.months);
    expect(run.report.events.live).toBe(0);
  });

  it("adds the demo scale's records to the demo partnership", () => {
    expect(run.after.referrals - run.before.referrals).toBe(SMALL.demo.referrals);
    expect(run.after.youngPeople - run.before.youngPeople).toBe(SMALL.demo.youngPeople);
    expect(run.after.notes - run.before.notes).toBe(SMALL.demo.notes);
    expect(run.after.events - run.before.events).toBe(SMALL.demo.events);
  });

  it("gives the same rows for the same seed", async () => {
    const id = run.report.partnershipId;
    expect(again.partnershipId).toBe(id);
    const queries = [
      `select md5(string_agg(r::text, ',' order by r.id)) as sum from referrals r where partnership_id = '${id}'`,
      `select md5(string_agg(y::text, ',' order by y.id)) as sum from young_people y where partnership_id = '${id}'`,
      `select md5(string_agg(n::text, ',' order by n.id)) as sum from case_notes n where partnership_id = '${id}'`,
      `select md5(string_agg(t::text, ',' order by t.id)) as sum from referral_transitions t where partnership_id = '${id}'`,
      `select md5(string_agg(d::text, ',' order by d.id)) as sum from decisions_to_share d where partnership_id = '${id}'`,
      `select md5(string_agg(concat_ws('|', id, occurred_at, actor_user_id, action, record_id,
         young_person_id, outcome, reason, request_id, client_address, details, chain_seq,
         encode(hash, 'hex')), ',' order by chain_seq)) as sum
       from audit_events where partnership_id = '${id}'`,
    ];
    for (const query of queries) {
      const left = await checksum(first, query);
      expect(left).toMatch(/^[0-9a-f]{32}$/);
      expect(await checksum(second, query)).toBe(left);
    }
  });

  it("gives every referral its young person", async () => {
    const orphans = await sql<{ n: string }>`
      select count(*)::text as n from referrals r
      where r.partnership_id = ${run.report.partnershipId}
        and not exists (select 1 from young_people y where y.id = r.young_person_id)`.execute(
      first.superuser,
    );
    expect(orphans.rows[0]?.n).toBe("0");
  });

  it("chains every access-log event of the generated partnership, and the whole log verifies", async () => {
    const unsealed = await sql<{ n: string }>`
      select count(*)::text as n from audit_events
      where partnership_id = ${run.report.partnershipId} and chain_seq is null`.execute(
      first.superuser,
    );
    expect(unsealed.rows[0]?.n).toBe("0");
    const report = await withOwner(first, async (client) => {
      await client.query("set role crosswalk_owner");
      return verifyAuditLog(client);
    });
    expect(report.failure).toBeNull();
    expect(report.ok).toBe(true);
    const chain = report.chains.find((entry) => entry.chainId === run.report.partnershipId);
    expect(chain?.events).toBe(SMALL.generated.events);
  });

  it("gives the demo accounts a realistic caseload, through the caseload service", async () => {
    const contextOf = async (email: string): Promise<ServiceContext> => {
      const person = await first.superuser
        .selectFrom("users as u")
        .innerJoin("agencies as a", "a.id", "u.agency_id")
        .innerJoin("partnerships as p", "p.id", "u.partnership_id")
        .select([
          "u.id",
          "u.partnership_id",
          "p.name as partnership",
          "u.agency_id",
          "a.name as agency",
          "u.role",
          "u.display_name",
          "u.email",
        ])
        .where("u.email", "=", email)
        .executeTakeFirstOrThrow();
      return {
        db: first.app,
        actor: {
          userId: person.id,
          partnershipId: person.partnership_id,
          partnershipName: person.partnership,
          agencyId: person.agency_id,
          agencyName: person.agency,
          role: person.role,
          displayName: person.display_name,
          email: person.email,
        },
        requestId: randomUUID(),
        clientAddress: "198.51.100.7",
      };
    };
    const advocate = await contextOf("advocate@advocacy.northbridge.example");
    const active = await listCaseload(advocate, "mine", { sort: "due", page: 1, state: "active" });
    expect(active.total).toBeGreaterThanOrEqual(10);
    expect(active.total).toBeLessThanOrEqual(300);
    expect(active.rows.length).toBe(Math.min(25, active.total));
    const officer = await contextOf("officer@police.northbridge.example");
    const officerCases = await listCaseload(officer, "mine", {
      sort: "due",
      page: 1,
      state: "active",
    });
    expect(officerCases.total).toBeGreaterThanOrEqual(10);
    expect(officerCases.total).toBeLessThanOrEqual(300);
    // Years of closed cases lie behind the open ones.
    const closed = await listCaseload(advocate, "mine", { sort: "due", page: 1, state: "closed" });
    expect(closed.total).toBeGreaterThan(active.total);
    const lead = await contextOf("lead@northbridge.example");
    const all = await listCaseload(lead, "all", { sort: "due", page: 1 });
    expect(all.total).toBeGreaterThan(SMALL.demo.referrals * 0.9);
  });

  it("refuses to generate into a database that already holds generated data", async () => {
    await expect(generate(first)).rejects.toBeInstanceOf(AlreadyGenerated);
  });
});
