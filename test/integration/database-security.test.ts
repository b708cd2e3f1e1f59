import { readdirSync } from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { APP_ROLE } from "../../db/bootstrap";
import { migrations } from "../../db/migrations";
import { setTenant } from "../../db/tenant";
import { useTestDatabase } from "../support/database";
import { createWorld } from "../support/factories";

const db = useTestDatabase();

async function twoPartnerships() {
  const a = await createWorld(db.owner);
  const b = await createWorld(db.owner);
  await db.owner.transaction().execute(async (trx) => {
    for (const world of [a, b]) {
      await setTenant(trx, world.partnership.id);
      await trx
        .insertInto("audit_events")
        .values({ partnership_id: world.partnership.id, action: "test.event", outcome: "allowed" })
        .execute();
    }
  });
  return { a, b };
}

describe("the database roles", () => {
  it("give the application role ownership of nothing", async () => {
    const owned = await sql<{ count: string }>`
      select count(*) as count from pg_class c join pg_roles r on r.oid = c.relowner where r.rolname = ${APP_ROLE}
    `.execute(db.superuser);
    expect(owned.rows[0]?.count).toBe("0");
  });

  it("do not let the application role bypass row-level security", async () => {
    const role = await sql<{ rolsuper: boolean; rolbypassrls: boolean; rolcreaterole: boolean }>`
      select rolsuper, rolbypassrls, rolcreaterole from pg_roles where rolname = current_user
    `.execute(db.app);
    expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false, rolcreaterole: false });
  });

  it("enable and force row-level security on every table that carries partnership_id", async () => {
    const tables = await sql<{
      table_name: string;
      relrowsecurity: boolean;
      relforcerowsecurity: boolean;
    }>`
      select c.relname as table_name, c.relrowsecurity, c.relforcerowsecurity
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
        and (exists (select 1 from information_schema.columns col
                     where col.table_schema = 'public' and col.table_name = c.relname and col.column_name = 'partnership_id')
             or c.relname = 'partnerships')
    `.execute(db.superuser);
    expect(tables.rows.map((row) => row.table_name).sort()).toEqual(
      [
        "agencies",
        "agency_sign_in",
        "audit_events",
        "case_action_updates",
        "case_actions",
        "case_note_revisions",
        "case_notes",
        "consent_withdrawals",
        "decisions_to_share",
        "emergency_accesses",
        "form_submissions",
        "held_submissions",
        "notifications",
        "oversight_involvements",
        "oversight_referrals",
        "partnerships",
        "passkeys",
        "recovery_codes",
        "referral_agencies",
        "referral_transitions",
        "referrals",
        "sessions",
        "set_password_links",
        "sharing_agreement_permissions",
        "sharing_agreements",
        "totp_authenticators",
        "users",
        "young_people",
        "young_person_revisions",
      ].sort(),
    );
    for (const table of tables.rows) {
      expect(table, table.table_name).toMatchObject({
        relrowsecurity: true,
        relforcerowsecurity: true,
      });
    }
  });

  it("enable and force row-level security on every partition, which only the owner can reach", async () => {
    const partitions = await sql<{
      table_name: string;
      relrowsecurity: boolean;
      relforcerowsecurity: boolean;
      app_can_read: boolean;
      app_can_insert: boolean;
    }>`
      select c.relname as table_name, c.relrowsecurity, c.relforcerowsecurity,
        has_table_privilege(${APP_ROLE}, c.oid, 'select') as app_can_read,
        has_table_privilege(${APP_ROLE}, c.oid, 'insert') as app_can_insert
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'audit_events'::regclass
    `.execute(db.superuser);
    expect(partitions.rows.map((row) => row.table_name)).toContain("audit_events_default");
    expect(partitions.rows.length).toBeGreaterThanOrEqual(5);
    for (const partition of partitions.rows) {
      expect(partition, partition.table_name).toMatchObject({
        relrowsecurity: true,
        relforcerowsecurity: true,
        app_can_read: false,
        app_can_insert: false,
      });
    }
  });
});

describe("tenant isolation for the application role", () => {
  it("shows nothing at all when no partnership is set", async () => {
    await twoPartnerships();
    for (const table of [
      "partnerships",
      "agencies",
      "users",
      "sessions",
      "audit_events",
    ] as const) {
      const rows = await db.app.selectFrom(table).selectAll().execute();
      expect(rows, table).toHaveLength(0);
    }
  });

  it("cannot read another partnership's rows even with a hand-written query", async () => {
    const { a, b } = await twoPartnerships();
    await db.app.transaction().execute(async (trx) => {
      await setTenant(trx, a.partnership.id);
      const stolenUsers =
        await sql`select * from users where partnership_id = ${b.partnership.id}`.execute(trx);
      const stolenAgencies = await sql`select * from agencies where id = ${b.agency.id}`.execute(
        trx,
      );
      const stolenEvents =
        await sql`select * from audit_events where partnership_id = ${b.partnership.id}`.execute(
          trx,
        );
      const everyUser = await sql<{
        partnership_id: string;
      }>`select partnership_id from users`.execute(trx);
      expect(stolenUsers.rows).toHaveLength(0);
      expect(stolenAgencies.rows).toHaveLength(0);
      expect(stolenEvents.rows).toHaveLength(0);
      expect(everyUser.rows.length).toBeGreaterThan(0);
      expect(new Set(everyUser.rows.map((row) => row.partnership_id))).toEqual(
        new Set([a.partnership.id]),
      );
    });
  });

  it("cannot write rows into another partnership", async () => {
    const { a, b } = await twoPartnerships();
    await expect(
      db.app.transaction().execute(async (trx) => {
        await setTenant(trx, a.partnership.id);
        await trx
          .insertInto("agencies")
          .values({
            partnership_id: b.partnership.id,
            name: "Planted agency",
            kind: "police",
            contact_name: null,
            contact_email: null,
          })
          .execute();
      }),
    ).rejects.toThrow(/row-level security/);
  });

  it("cannot move its own rows into another partnership", async () => {
    const { a, b } = await twoPartnerships();
    await expect(
      db.app.transaction().execute(async (trx) => {
        await setTenant(trx, a.partnership.id);
        await trx
          .updateTable("agencies")
          .set({ partnership_id: b.partnership.id })
          .where("id", "=", a.agency.id)
          .execute();
      }),
    ).rejects.toThrow(/row-level security/);
  });

  it("does not carry one transaction's partnership into the next on the same connection", async () => {
    const { a } = await twoPartnerships();
    await db.app.connection().execute(async (connection) => {
      const inside = await connection.transaction().execute(async (trx) => {
        await setTenant(trx, a.partnership.id);
        return trx.selectFrom("users").selectAll().execute();
      });
      expect(inside.length).toBeGreaterThan(0);
      const after = await connection.selectFrom("users").selectAll().execute();
      expect(after).toHaveLength(0);
    });
  });

  it("cannot keep a user's agency in another partnership", async () => {
    const { a, b } = await twoPartnerships();
    await expect(
      db.owner.transaction().execute(async (trx) => {
        await setTenant(trx, a.partnership.id);
        await trx
          .updateTable("users")
          .set({ agency_id: b.agency.id })
          .where("id", "=", a.user.id)
          .execute();
      }),
    ).rejects.toThrow(/foreign key/);
  });
});

describe("the access log", () => {
  it("refuses UPDATE and DELETE from the application role", async () => {
    const { a } = await twoPartnerships();
    for (const statement of [
      sql`update audit_events set outcome = 'refused'`,
      sql`delete from audit_events`,
      sql`truncate audit_events`,
    ]) {
      await expect(
        db.app.transaction().execute(async (trx) => {
          await setTenant(trx, a.partnership.id);
          await statement.execute(trx);
        }),
      ).rejects.toThrow(/permission denied/);
    }
  });

  it("refuses UPDATE, DELETE and TRUNCATE even from a superuser", async () => {
    await twoPartnerships();
    await expect(
      sql`update audit_events set outcome = 'refused'`.execute(db.superuser),
    ).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_events`.execute(db.superuser)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`truncate audit_events`.execute(db.superuser)).rejects.toThrow(/append-only/);
    const count = await sql<{ count: string }>`select count(*) as count from audit_events`.execute(
      db.superuser,
    );
    expect(Number(count.rows[0]?.count)).toBeGreaterThanOrEqual(2);
  });

  it("refuses an event filed under another partnership", async () => {
    const { a, b } = await twoPartnerships();
    await expect(
      db.app.transaction().execute(async (trx) => {
        await setTenant(trx, a.partnership.id);
        await trx
          .insertInto("audit_events")
          .values({ partnership_id: b.partnership.id, action: "test.forged", outcome: "allowed" })
          .execute();
      }),
    ).rejects.toThrow(/row-level security/);
  });
});

describe("migrations", () => {
  it("list every migration file in the folder", () => {
    const folder = path.resolve(import.meta.dirname, "../../db/migrations");
    const files = readdirSync(folder)
      .filter((file) => file !== "index.ts" && file.endsWith(".ts"))
      .map((file) => file.replace(/\.ts$/, ""));
    expect(Object.keys(migrations).sort()).toEqual(files.sort());
  });
});
