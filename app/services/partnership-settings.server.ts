import type { ResponseTargets } from "../../db/types";
import { record } from "./audit.server";
import { authorizeInPartnership } from "./authorize.server";
import { inActorTransaction, type ServiceContext } from "./context.server";
import { readResponseTargets } from "./response-targets";

/** The partnership's response targets, for the administrator's page. */
export function getResponseTargets(ctx: ServiceContext): Promise<ResponseTargets> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "partnership.configure");
    const row = await trx
      .selectFrom("partnerships")
      .select("response_targets")
      .where("id", "=", ctx.actor.partnershipId)
      .executeTakeFirstOrThrow();
    return readResponseTargets(row.response_targets);
  });
}

/**
 * Set the partnership's response targets. They apply to referrals submitted or routed from now on;
 * due times already set stay as they were. The access log keeps the targets before and after.
 */
export function setResponseTargets(ctx: ServiceContext, targets: ResponseTargets): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "partnership.configure");
    const row = await trx
      .selectFrom("partnerships")
      .select("response_targets")
      .where("id", "=", ctx.actor.partnershipId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const before = readResponseTargets(row.response_targets);
    await trx
      .updateTable("partnerships")
      .set({ response_targets: JSON.stringify(targets) })
      .where("id", "=", ctx.actor.partnershipId)
      .execute();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "partnership.configure",
      outcome: "allowed",
      recordType: "partnership",
      recordId: ctx.actor.partnershipId,
      details: { before: { responseTargets: before }, after: { responseTargets: targets } },
    });
  });
}

/** How long an emergency access lasts in this partnership, in minutes. */
export function getEmergencyAccessMinutes(ctx: ServiceContext): Promise<number> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "partnership.configure");
    const row = await trx
      .selectFrom("partnerships")
      .select("emergency_access_minutes")
      .where("id", "=", ctx.actor.partnershipId)
      .executeTakeFirstOrThrow();
    return row.emergency_access_minutes;
  });
}

/** A number a partnership sets for itself, by column, with the name the access log gives it. */
type PartnershipNumber = "emergency_access_minutes" | "oversight_suppression_threshold";

/**
 * Change one of the partnership's numeric settings, as an administrator: the row is locked, and
 * the access log keeps the value before and after under `name`.
 */
export function setPartnershipNumber(
  ctx: ServiceContext,
  column: PartnershipNumber,
  name: string,
  value: number,
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "partnership.configure");
    const row = await trx
      .selectFrom("partnerships")
      .select(column)
      .where("id", "=", ctx.actor.partnershipId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable("partnerships")
      .set(column, value)
      .where("id", "=", ctx.actor.partnershipId)
      .execute();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "partnership.configure",
      outcome: "allowed",
      recordType: "partnership",
      recordId: ctx.actor.partnershipId,
      details: { before: { [name]: row[column] }, after: { [name]: value } },
    });
  });
}

/**
 * Set how long emergency access lasts (5 minutes to 24 hours). Accesses already open keep the end
 * they were given. The access log keeps the value before and after.
 */
export function setEmergencyAccessMinutes(ctx: ServiceContext, minutes: number): Promise<void> {
  return setPartnershipNumber(ctx, "emergency_access_minutes", "emergencyAccessMinutes", minutes);
}
