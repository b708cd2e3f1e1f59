import { sql, type Kysely } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { seedDemoPartnership } from "../../app/demo/demo-seed.server";
import { DEMO_PARTNERSHIP_ID } from "../../db/seed/demo";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import { useTestDatabase } from "../support/database";

/**
 * The second lock tried as an attacker holding the application role's own connection would, on
 * the seeded demo partnership: with only the tenant set, and with the tenant and a demo person's
 * user id set, what can plain SELECTs reach?
 */

const db = useTestDatabase();

const CASE_TABLES = [
  "young_people",
  "young_person_revisions",
  "referrals",
  "referral_agencies",
  "referral_transitions",
  "case_notes",
  "case_note_revisions",
  "case_actions",
  "case_action_updates",
  "decisions_to_share",
  "consent_withdrawals",
  "emergency_accesses",
] as const;

async function userId(email: string): Promise<{ id: string; agencyId: string }> {
  const row = await db.superuser
    .selectFrom("users")
    .select(["id", "agency_id"])
    .where("email", "=", email)
    .executeTakeFirstOrThrow();
  return { id: row.id, agencyId: row.agency_id };
}

/** Run one query as crosswalk_app with the given settings, as any request's transaction does. */
function asApp<T>(
  settings: { userId?: string },
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.app.transaction().execute(async (trx) => {
    await setTenant(trx, DEMO_PARTNERSHIP_ID);
    if (settings.userId) await setLocal(trx, "app.user_id", settings.userId);
    return work(trx);
  });
}

async function countOf(trx: Kysely<Database>, table: string): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(
    trx,
  );
  return Number(rows[0]?.n);
}

describe("the second lock on the demo partnership", () => {
  beforeAll(async () => {
    expect(await seedDemoPartnership(db.owner)).toBe(true);
  });

  it("shows a connection that sets only the tenant no case row at all", async () => {
    let held = 0;
    for (const table of CASE_TABLES) {
      held += await countOf(db.superuser, table);
      expect(await asApp({}, (trx) => countOf(trx, table)), table).toBe(0);
    }
    expect(held).toBeGreaterThan(100);
  });

  it("shows the police practitioner only referrals their agency is part of, or opened in an emergency", async () => {
    const officer = await userId("officer@police.northbridge.example");
    const visible = await asApp({ userId: officer.id }, (trx) =>
      trx.selectFrom("referrals").select(["id", "young_person_id"]).execute(),
    );
    const all = await countOf(db.superuser, "referrals");
    expect(visible.length).toBeGreaterThan(0);
    expect(visible.length).toBeLessThan(all);
    for (const referral of visible) {
      const involved = await db.superuser
        .selectFrom("referral_agencies")
        .select("agency_id")
        .where("referral_id", "=", referral.id)
        .where("agency_id", "=", officer.agencyId)
        .where("status", "is distinct from", "declined")
        .executeTakeFirst();
      // A draft has no young person yet, so no emergency access can reach it.
      const emergency = referral.young_person_id
        ? await db.superuser
            .selectFrom("emergency_accesses")
            .select("id")
            .where("user_id", "=", officer.id)
            .where("young_person_id", "=", referral.young_person_id)
            .where("expires_at", ">", new Date())
            .executeTakeFirst()
        : undefined;
      expect(involved ?? emergency, `referral ${referral.id}`).toBeDefined();
    }
  });

  it("never shows one agency's agency-only notes to another agency, though they exist", async () => {
    for (const email of [
      "officer@police.northbridge.example",
      "dsl@school.northbridge.example",
      "advocate@advocacy.northbridge.example",
      "lead@northbridge.example",
    ]) {
      const person = await userId(email);
      const othersAgencyOnly = await db.superuser
        .selectFrom("case_notes")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("visibility", "=", "agency_only")
        .where("agency_id", "<>", person.agencyId)
        .executeTakeFirstOrThrow();
      expect(Number(othersAgencyOnly.n), email).toBeGreaterThan(0);
      const reached = await asApp({ userId: person.id }, (trx) =>
        trx
          .selectFrom("case_notes")
          .select("id")
          .where("visibility", "=", "agency_only")
          .where("agency_id", "<>", person.agencyId)
          .execute(),
      );
      expect(reached, email).toEqual([]);
    }
  });

  it("shows the auditor and the administrator no case content", async () => {
    for (const email of ["auditor@northbridge.example", "admin@northbridge.example"]) {
      const person = await userId(email);
      for (const table of CASE_TABLES.filter(
        (name) => !(email.startsWith("auditor") && name === "emergency_accesses"),
      )) {
        expect(await asApp({ userId: person.id }, (trx) => countOf(trx, table)), table).toBe(0);
      }
    }
  });

  it("gives a deactivated person's id nothing", async () => {
    const advocate = await userId("advocate@advocacy.northbridge.example");
    const before = await asApp({ userId: advocate.id }, (trx) => countOf(trx, "referrals"));
    expect(before).toBeGreaterThan(0);
    await db.owner.transaction().execute(async (trx) => {
      await setTenant(trx, DEMO_PARTNERSHIP_ID);
      await trx
        .updateTable("users")
        .set({ is_active: false, deactivated_at: new Date() })
        .where("id", "=", advocate.id)
        .execute();
    });
    expect(await asApp({ userId: advocate.id }, (trx) => countOf(trx, "referrals"))).toBe(0);
  });

  it("lets the auditor read names for the access log through its own view, and nobody else", async () => {
    const auditor = await userId("auditor@northbridge.example");
    const lead = await userId("lead@northbridge.example");
    const names = (person: { id: string }) =>
      asApp({ userId: person.id }, (trx) => countOf(trx, "audit_young_people"));
    expect(await names(auditor)).toBe(await countOf(db.superuser, "young_people"));
    expect(await names(lead)).toBe(0);
  });
});
