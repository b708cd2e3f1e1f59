import type { Selectable, Transaction } from "kysely";
import type { Database, ReferralAgenciesTable, ReferralsTable } from "../../db/types";
import type { AgencySharing, Facts, RecordedDecision, ReferralState } from "../../policies";
import { authorize } from "./authorize.server";
import type { ServiceContext } from "./context.server";
import { ConflictError, RecordNotFound } from "./errors";
import {
  loadDecisions,
  loadEmergencyAccesses,
  openEmergencyAccess,
  sharingFor,
  type EmergencyAccessWindow,
} from "./sharing-state.server";

export type ReferralRow = Selectable<ReferralsTable>;
export type ReferralAgencyRow = Selectable<ReferralAgenciesTable>;

/** A referral and the agencies involved in it, as loaded for one decision. */
export interface LoadedReferral {
  referral: ReferralRow;
  agencies: ReferralAgencyRow[];
  /** Every decision to share recorded on it, oldest first, with consent withdrawals. */
  decisions: RecordedDecision[];
  /** Emergency accesses anyone opened to its young person. */
  emergencyAccesses: EmergencyAccessWindow[];
}

/**
 * Load a referral and its agencies. `forUpdate` locks the referral's row until the transaction
 * ends, so a change decides on facts no one else can change meanwhile.
 */
export async function loadReferral(
  trx: Transaction<Database>,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<LoadedReferral> {
  const query = trx.selectFrom("referrals").selectAll().where("id", "=", id);
  const referral = await (options.forUpdate ? query.forUpdate() : query).executeTakeFirst();
  if (!referral) throw new RecordNotFound("referral");
  const agencies = await trx
    .selectFrom("referral_agencies")
    .selectAll()
    .where("referral_id", "=", id)
    .execute();
  const decisions = (await loadDecisions(trx, [id])).get(id) ?? [];
  const emergencyAccesses = referral.young_person_id
    ? await loadEmergencyAccesses(trx, [referral.young_person_id])
    : [];
  return { referral, agencies, decisions, emergencyAccesses };
}

/** Agencies involved in a referral: the referrer's, and every receiving agency that has not declined. */
export function involvedAgencyIds(
  agencies: readonly Pick<ReferralAgencyRow, "agency_id" | "status">[],
): string[] {
  return agencies
    .filter((agency) => agency.status !== "declined")
    .map((agency) => agency.agency_id);
}

/** The facts the policies decide on for this referral and the asking person. */
export function referralFacts(
  ctx: ServiceContext,
  loaded: LoadedReferral,
): Facts & { state: ReferralState } {
  const { referral, agencies } = loaded;
  const involved = involvedAgencyIds(agencies);
  return {
    partnershipId: referral.partnership_id,
    involvedAgencyIds: involved,
    awaitingAgencyIds: agencies
      .filter((agency) => agency.status === "awaiting")
      .map((agency) => agency.agency_id),
    allocatedUserIds: agencies
      .filter((agency) => agency.status === "accepted" && agency.allocated_user_id)
      .map((agency) => agency.allocated_user_id as string),
    createdByUserId: referral.referrer_user_id,
    state: referral.state,
    sharing: actorSharing(ctx, loaded).state,
    emergencyAccess:
      openEmergencyAccess(ctx, loaded.emergencyAccesses, referral.young_person_id) !== null,
  };
}

/** Where the asking person's agency stands under the referral's decisions to share. */
export function actorSharing(ctx: ServiceContext, loaded: LoadedReferral): AgencySharing {
  return sharingFor(ctx, loaded.referral.referrer_agency_id, loaded.decisions);
}

/** What the access log names for a referral. */
export function referralAuditRecord(referral: ReferralRow) {
  return {
    recordType: "referral",
    recordId: referral.id,
    youngPersonId: referral.young_person_id ?? undefined,
  };
}

/**
 * Load a referral the actor may see, or fail exactly as if it did not exist (404, with the refusal
 * recorded). `recordView` records the allowed read too (every read of case data is recorded).
 */
export async function loadVisibleReferral(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  id: string,
  options: { recordView: boolean; forUpdate?: boolean },
): Promise<LoadedReferral> {
  const loaded = await loadReferral(trx, id, { forUpdate: options.forUpdate });
  const emergency = openEmergencyAccess(
    ctx,
    loaded.emergencyAccesses,
    loaded.referral.young_person_id,
  );
  await authorize(trx, ctx, "referral.view", referralFacts(ctx, loaded), {
    refusal: "hide",
    recordAllowed: options.recordView,
    audit: {
      ...referralAuditRecord(loaded.referral),
      // Every view while emergency access is open is marked, whichever rule allowed it.
      ...(emergency ? { details: { emergencyAccessId: emergency.id } } : {}),
    },
  });
  return loaded;
}

/** Refuse a change made on a version of the referral other than the one in the database. */
export function assertVersion(referral: ReferralRow, expected: number): void {
  if (referral.version !== expected) {
    throw new ConflictError(
      "This referral changed since you opened it. Open it again to see what changed, then try again.",
    );
  }
}

/** A short reference a person can read out on the phone, derived from the referral's id. */
export function referralReference(id: string): string {
  return `CW-${id.slice(0, 4)}-${id.slice(4, 8)}`.toUpperCase();
}
