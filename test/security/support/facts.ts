import type { Kysely } from "kysely";
import type { Database } from "../../../db/types";
import {
  agencySharing,
  type Facts,
  type RecordedDecision,
  type ReferralState,
  type SharingState,
} from "../../../policies";
import type { Actor } from "./actors";

/**
 * The facts the policies decide on, read by the tests themselves as a superuser (past row-level
 * security), from the tables and DOMAIN.md's definitions, never through the application's
 * services: the expectations must not share the code they judge.
 */

const LONDON = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" });
const todayInLondon = () => LONDON.format(new Date());

export interface ReferralRecord {
  id: string;
  partnershipId: string;
  state: ReferralState;
  youngPersonId: string | null;
  referrerUserId: string;
  referrerAgencyId: string;
}

/** A referral's row, or null when there is none with this id anywhere. */
export async function referralRecord(
  db: Kysely<Database>,
  id: string,
): Promise<ReferralRecord | null> {
  const row = await db
    .selectFrom("referrals")
    .select([
      "id",
      "partnership_id",
      "state",
      "young_person_id",
      "referrer_user_id",
      "referrer_agency_id",
    ])
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return null;
  return {
    id: row.id,
    partnershipId: row.partnership_id,
    state: row.state,
    youngPersonId: row.young_person_id,
    referrerUserId: row.referrer_user_id,
    referrerAgencyId: row.referrer_agency_id,
  };
}

async function decisionsOf(db: Kysely<Database>, referralId: string): Promise<RecordedDecision[]> {
  const rows = await db
    .selectFrom("decisions_to_share as d")
    .leftJoin("consent_withdrawals as w", "w.decision_id", "d.id")
    .select([
      "d.id",
      "d.supersedes_id",
      "d.decision",
      "d.recipient_agency_ids",
      "d.data_items",
      "d.consent_relied_on",
      "d.consent_scope_agency_ids",
      "d.consent_expires_on",
      "w.withdrawn_at",
    ])
    .where("d.referral_id", "=", referralId)
    .orderBy("d.decided_at")
    .execute();
  return rows.map((row) => ({
    id: row.id,
    supersedesId: row.supersedes_id,
    decision: row.decision,
    recipientAgencyIds: row.recipient_agency_ids,
    dataItems: row.data_items,
    consentReliedOn: row.consent_relied_on,
    consentScopeAgencyIds: row.consent_scope_agency_ids,
    consentExpiresOn: row.consent_expires_on,
    withdrawnAt: row.withdrawn_at ? row.withdrawn_at.toISOString() : null,
  }));
}

/** Whether the actor holds an emergency access to this young person open right now. */
async function emergencyAccessOpen(
  db: Kysely<Database>,
  actor: Actor,
  youngPersonId: string | null,
): Promise<boolean> {
  if (!youngPersonId || !actor.userId) return false;
  const now = new Date();
  const open = await db
    .selectFrom("emergency_accesses")
    .select("id")
    .where("user_id", "=", actor.userId)
    .where("young_person_id", "=", youngPersonId)
    .where("opened_at", "<=", now)
    .where("expires_at", ">", now)
    .executeTakeFirst();
  return open !== undefined;
}

/** The facts about a referral for this actor (DOMAIN.md sections 3 and 4). */
export async function referralFacts(
  db: Kysely<Database>,
  referral: ReferralRecord,
  actor: Actor,
): Promise<Facts & { state: ReferralState }> {
  const agencies = await db
    .selectFrom("referral_agencies")
    .select(["agency_id", "status", "allocated_user_id"])
    .where("referral_id", "=", referral.id)
    .execute();
  const sharing = actor.agencyId
    ? agencySharing(
        actor.agencyId,
        referral.referrerAgencyId,
        await decisionsOf(db, referral.id),
        todayInLondon(),
      ).state
    : "not_covered";
  return {
    partnershipId: referral.partnershipId,
    // The referrer's agency, and every receiving agency that has not declined.
    involvedAgencyIds: agencies
      .filter((agency) => agency.status !== "declined")
      .map((agency) => agency.agency_id),
    awaitingAgencyIds: agencies
      .filter((agency) => agency.status === "awaiting")
      .map((agency) => agency.agency_id),
    allocatedUserIds: agencies
      .filter((agency) => agency.status === "accepted" && agency.allocated_user_id)
      .map((agency) => agency.allocated_user_id as string),
    createdByUserId: referral.referrerUserId,
    state: referral.state,
    sharing,
    emergencyAccess: await emergencyAccessOpen(db, actor, referral.youngPersonId),
  };
}

const SHARING_RANK: Record<SharingState, number> = {
  covered: 4,
  partial: 3,
  withdrawn: 2,
  expired: 1,
  not_covered: 0,
};

/**
 * The facts about a young person for this actor: the agencies that know them (the agency that
 * recorded them, and every agency involved in a referral about them that was sent), and the best
 * standing the actor's agency has under any of those referrals' decisions to share.
 */
export async function youngPersonFacts(
  db: Kysely<Database>,
  youngPersonId: string,
  actor: Actor,
): Promise<Facts | null> {
  const person = await db
    .selectFrom("young_people")
    .select(["partnership_id", "created_by_agency_id"])
    .where("id", "=", youngPersonId)
    .executeTakeFirst();
  if (!person) return null;
  const referrals = await db
    .selectFrom("referrals")
    .innerJoin("referral_agencies", "referral_agencies.referral_id", "referrals.id")
    .select(["referrals.id", "referrals.referrer_agency_id", "referral_agencies.agency_id"])
    .where("referrals.young_person_id", "=", youngPersonId)
    .where("referrals.state", "not in", ["draft", "discarded"])
    .where("referral_agencies.status", "is distinct from", "declined")
    .execute();
  const involved = new Set([person.created_by_agency_id, ...referrals.map((row) => row.agency_id)]);
  let sharing: SharingState =
    person.created_by_agency_id === actor.agencyId ? "covered" : "not_covered";
  for (const row of referrals.filter((candidate) => candidate.agency_id === actor.agencyId)) {
    const state = agencySharing(
      actor.agencyId as string,
      row.referrer_agency_id,
      await decisionsOf(db, row.id),
      todayInLondon(),
    ).state;
    if (SHARING_RANK[state] > SHARING_RANK[sharing]) sharing = state;
  }
  return {
    partnershipId: person.partnership_id,
    involvedAgencyIds: [...involved],
    sharing,
    emergencyAccess: await emergencyAccessOpen(db, actor, youngPersonId),
  };
}
