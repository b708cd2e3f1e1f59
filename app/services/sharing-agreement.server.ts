import type { Transaction } from "kysely";
import type { Database } from "../../db/types";
import {
  amendAgreement,
  type AgreementChange,
  type AgreementPermission,
  type SharingAgreement,
} from "../../policies";
import { record } from "./audit.server";
import { authorizeInPartnership } from "./authorize.server";
import { inActorTransaction, type ServiceContext } from "./context.server";
import { InvalidInput } from "./errors";

/** Read the partnership's information sharing agreement inside a scoped transaction. */
export async function loadSharingAgreement(trx: Transaction<Database>): Promise<SharingAgreement> {
  const agreement = await trx
    .selectFrom("sharing_agreements")
    .select("review_date")
    .executeTakeFirst();
  const rows = await trx
    .selectFrom("sharing_agreement_permissions")
    .select(["from_kind", "to_kind", "purpose"])
    .orderBy("from_kind")
    .orderBy("to_kind")
    .orderBy("purpose")
    .execute();
  const permissions: AgreementPermission[] = [];
  for (const row of rows) {
    const last = permissions.at(-1);
    if (last && last.fromKind === row.from_kind && last.toKind === row.to_kind) {
      (last.purposes as string[]).push(row.purpose);
    } else {
      permissions.push({ fromKind: row.from_kind, toKind: row.to_kind, purposes: [row.purpose] });
    }
  }
  return { reviewDate: agreement?.review_date ?? null, permissions };
}

/** The agreement, for anyone signed in (it is published on the access matrix page). */
export function getSharingAgreement(ctx: ServiceContext): Promise<SharingAgreement> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "access_matrix.view");
    return loadSharingAgreement(trx);
  });
}

/** The agreement, for the administrator's page that changes it. */
export function getSharingAgreementForEditing(ctx: ServiceContext): Promise<SharingAgreement> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "agreement.manage");
    return loadSharingAgreement(trx);
  });
}

/**
 * Make one change to the agreement. The agreement is locked while it is read, changed and
 * written, so two administrators changing it at once cannot lose each other's change.
 */
export function amendSharingAgreement(ctx: ServiceContext, change: AgreementChange): Promise<void> {
  if (change.kind === "add" && change.permission.fromKind === change.permission.toKind) {
    return Promise.reject(
      new InvalidInput([
        { field: "toKind", message: "Select a different kind of agency to share with" },
      ]),
    );
  }
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "agreement.manage");
    await trx
      .insertInto("sharing_agreements")
      .values({
        partnership_id: ctx.actor.partnershipId,
        review_date: null,
        updated_by: ctx.actor.userId,
      })
      .onConflict((conflict) => conflict.column("partnership_id").doNothing())
      .execute();
    await trx.selectFrom("sharing_agreements").select("partnership_id").forUpdate().execute();
    const current = await loadSharingAgreement(trx);
    await writeAgreement(trx, ctx, current, amendAgreement(current, change));
  });
}

/**
 * Replace the agreement: its review date and every permission. Recorded with the whole agreement
 * before and after, so its history can be rebuilt from the access log.
 */
export function replaceSharingAgreement(
  ctx: ServiceContext,
  next: SharingAgreement,
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "agreement.manage");
    await writeAgreement(trx, ctx, await loadSharingAgreement(trx), next);
  });
}

async function writeAgreement(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  before: SharingAgreement,
  next: SharingAgreement,
): Promise<void> {
  const partnershipId = ctx.actor.partnershipId;
  await trx
    .insertInto("sharing_agreements")
    .values({
      partnership_id: partnershipId,
      review_date: next.reviewDate,
      updated_by: ctx.actor.userId,
    })
    .onConflict((conflict) =>
      conflict.column("partnership_id").doUpdateSet({
        review_date: next.reviewDate,
        updated_by: ctx.actor.userId,
        updated_at: new Date(),
      }),
    )
    .execute();
  await trx.deleteFrom("sharing_agreement_permissions").execute();
  const rows = next.permissions.flatMap((permission) =>
    permission.purposes.map((purpose) => ({
      partnership_id: partnershipId,
      from_kind: permission.fromKind,
      to_kind: permission.toKind,
      purpose,
    })),
  );
  if (rows.length) await trx.insertInto("sharing_agreement_permissions").values(rows).execute();
  await record(trx, { actor: ctx.actor }, ctx, {
    action: "agreement.update",
    outcome: "allowed",
    recordType: "sharing_agreement",
    recordId: partnershipId,
    details: { before, after: next },
  });
}
