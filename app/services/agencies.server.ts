import { sql } from "kysely";
import type { AgencyKind } from "../../policies";
import { record } from "./audit.server";
import { authorizeInPartnership } from "./authorize.server";
import { inActorTransaction, type ServiceContext } from "./context.server";
import { InvalidInput, RecordNotFound } from "./errors";

export interface AgencyInput {
  name: string;
  kind: AgencyKind;
  contactName: string | null;
  contactEmail: string | null;
}

export interface AgencySummary extends AgencyInput {
  id: string;
  isActive: boolean;
  activeUsers: number;
}

const AGENCY_COLUMNS = [
  "id",
  "name",
  "kind",
  "contact_name",
  "contact_email",
  "is_active",
] as const;

function toAgencyInput(row: {
  name: string;
  kind: AgencyKind;
  contact_name: string | null;
  contact_email: string | null;
}): AgencyInput {
  return {
    name: row.name,
    kind: row.kind,
    contactName: row.contact_name,
    contactEmail: row.contact_email,
  };
}

/** Every agency of the actor's partnership, with how many active users each has. Administrators only. */
export function listAgencies(ctx: ServiceContext): Promise<AgencySummary[]> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "agency.manage");
    const rows = await trx
      .selectFrom("agencies")
      .select([...AGENCY_COLUMNS])
      .select((eb) =>
        eb
          .selectFrom("users")
          .whereRef("users.agency_id", "=", "agencies.id")
          .where("users.is_active", "=", true)
          .select(sql<number>`count(*)::int`.as("n"))
          .as("active_users"),
      )
      .orderBy("is_active", "desc")
      .orderBy("name")
      .execute();
    return rows.map((row) => ({
      id: row.id,
      ...toAgencyInput(row),
      isActive: row.is_active,
      activeUsers: Number(row.active_users ?? 0),
    }));
  });
}

/** One agency, for its edit page. Administrators only. */
export function getAgency(ctx: ServiceContext, agencyId: string): Promise<AgencySummary> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "agency.manage");
    const row = await trx
      .selectFrom("agencies")
      .select([...AGENCY_COLUMNS])
      .where("id", "=", agencyId)
      .executeTakeFirst();
    if (!row) throw new RecordNotFound("agency");
    const users = await trx
      .selectFrom("users")
      .select(sql<number>`count(*)::int`.as("n"))
      .where("agency_id", "=", agencyId)
      .where("is_active", "=", true)
      .executeTakeFirstOrThrow();
    return { id: row.id, ...toAgencyInput(row), isActive: row.is_active, activeUsers: users.n };
  });
}

/** Add an agency to the partnership; recorded with its values. */
export function createAgency(ctx: ServiceContext, input: AgencyInput): Promise<{ id: string }> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "agency.manage");
    await refuseDuplicateName(trx, input.name, null);
    const { id } = await trx
      .insertInto("agencies")
      .values({
        partnership_id: ctx.actor.partnershipId,
        name: input.name,
        kind: input.kind,
        contact_name: input.contactName,
        contact_email: input.contactEmail,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "agency.create",
      outcome: "allowed",
      recordType: "agency",
      recordId: id,
      details: { after: input },
    });
    return { id };
  });
}

/** Change an agency's name, kind or contact; recorded with before and after values. */
export function updateAgency(
  ctx: ServiceContext,
  agencyId: string,
  input: AgencyInput,
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "agency.manage");
    const before = await trx
      .selectFrom("agencies")
      .select([...AGENCY_COLUMNS])
      .where("id", "=", agencyId)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw new RecordNotFound("agency");
    await refuseDuplicateName(trx, input.name, agencyId);
    await trx
      .updateTable("agencies")
      .set({
        name: input.name,
        kind: input.kind,
        contact_name: input.contactName,
        contact_email: input.contactEmail,
        updated_at: new Date(),
      })
      .where("id", "=", agencyId)
      .execute();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "agency.update",
      outcome: "allowed",
      recordType: "agency",
      recordId: agencyId,
      details: { before: toAgencyInput(before), after: input },
    });
  });
}

/** Deactivate or reactivate an agency. Its people keep their accounts; an administrator manages those. */
export function setAgencyActive(
  ctx: ServiceContext,
  agencyId: string,
  active: boolean,
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "agency.manage");
    const before = await trx
      .selectFrom("agencies")
      .select(["is_active"])
      .where("id", "=", agencyId)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw new RecordNotFound("agency");
    await trx
      .updateTable("agencies")
      .set({ is_active: active, updated_at: new Date() })
      .where("id", "=", agencyId)
      .execute();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: active ? "agency.reactivate" : "agency.deactivate",
      outcome: "allowed",
      recordType: "agency",
      recordId: agencyId,
      details: { before: { isActive: before.is_active }, after: { isActive: active } },
    });
  });
}

async function refuseDuplicateName(
  trx: Parameters<Parameters<typeof inActorTransaction>[1]>[0],
  name: string,
  exceptId: string | null,
): Promise<void> {
  let query = trx
    .selectFrom("agencies")
    .select("id")
    .where(sql<boolean>`lower(name) = lower(${name})`);
  if (exceptId) query = query.where("id", "<>", exceptId);
  if (await query.executeTakeFirst()) {
    throw new InvalidInput([
      { field: "name", message: "An agency with this name already exists in the partnership" },
    ]);
  }
}
