import { sql, type Transaction } from "kysely";
import type { Database } from "../../db/types";
import {
  agencySharing,
  type AgencySharing,
  type RecordedDecision,
  type SharingState,
} from "../../policies";
import { nowOf, todayOf, type ServiceContext } from "./context.server";

/**
 * Where an agency stands under the decisions to share: the `sharing` fact every policy decision
 * about case content consults, and what the agency may read (docs/decisions/008).
 */

/** Every decision to share recorded on these referrals, with any consent withdrawal, by referral. */
export async function loadDecisions(
  trx: Transaction<Database>,
  referralIds: readonly string[],
): Promise<Map<string, RecordedDecision[]>> {
  const byReferral = new Map<string, RecordedDecision[]>();
  if (referralIds.length === 0) return byReferral;
  const rows = await trx
    .selectFrom("decisions_to_share as d")
    .leftJoin("consent_withdrawals as w", "w.decision_id", "d.id")
    .select([
      "d.id",
      "d.referral_id",
      "d.supersedes_id",
      "d.decision",
      "d.recipient_agency_ids",
      "d.data_items",
      "d.consent_relied_on",
      "d.consent_scope_agency_ids",
      "d.consent_expires_on",
      "w.withdrawn_at",
    ])
    // One array parameter, not one per id: an identifiable export may name tens of thousands.
    .where(sql<boolean>`d.referral_id = any(${[...referralIds]}::uuid[])`)
    .orderBy("d.decided_at")
    .execute();
  for (const row of rows) {
    const decisions = byReferral.get(row.referral_id) ?? [];
    decisions.push({
      id: row.id,
      supersedesId: row.supersedes_id,
      decision: row.decision,
      recipientAgencyIds: row.recipient_agency_ids,
      dataItems: row.data_items,
      consentReliedOn: row.consent_relied_on,
      consentScopeAgencyIds: row.consent_scope_agency_ids,
      consentExpiresOn: row.consent_expires_on,
      withdrawnAt: row.withdrawn_at ? row.withdrawn_at.toISOString() : null,
    });
    byReferral.set(row.referral_id, decisions);
  }
  return byReferral;
}

/** Where the asking person's agency stands under one referral's decisions. */
export function sharingFor(
  ctx: ServiceContext,
  referrerAgencyId: string,
  decisions: readonly RecordedDecision[],
): AgencySharing {
  return agencySharing(ctx.actor.agencyId, referrerAgencyId, decisions, todayOf(ctx));
}

/** An emergency access as the policies need it. */
export interface EmergencyAccessWindow {
  id: string;
  userId: string;
  youngPersonId: string;
  openedAt: Date;
  expiresAt: Date;
}

/** Every emergency access ever opened to these young people (there are few), by young person. */
export async function loadEmergencyAccesses(
  trx: Transaction<Database>,
  youngPersonIds: readonly string[],
): Promise<EmergencyAccessWindow[]> {
  if (youngPersonIds.length === 0) return [];
  const rows = await trx
    .selectFrom("emergency_accesses")
    .select(["id", "user_id", "young_person_id", "opened_at", "expires_at"])
    .where("young_person_id", "in", [...youngPersonIds])
    .execute();
  return rows.map((row) => ({
    id: row.id,
    userId: row.user_id,
    youngPersonId: row.young_person_id,
    openedAt: row.opened_at,
    expiresAt: row.expires_at,
  }));
}

/** The asking person's emergency access to a young person open right now, by the context's clock. */
export function openEmergencyAccess(
  ctx: ServiceContext,
  windows: readonly EmergencyAccessWindow[],
  youngPersonId: string | null,
): EmergencyAccessWindow | null {
  if (!youngPersonId) return null;
  const now = nowOf(ctx).getTime();
  return (
    windows.find(
      (window) =>
        window.userId === ctx.actor.userId &&
        window.youngPersonId === youngPersonId &&
        window.openedAt.getTime() <= now &&
        now < window.expiresAt.getTime(),
    ) ?? null
  );
}

const RANK: Record<SharingState, number> = {
  covered: 4,
  partial: 3,
  withdrawn: 2,
  expired: 1,
  not_covered: 0,
};

/** The better of two sharing states for reading a young person's record. */
export function bestSharing(a: SharingState, b: SharingState): SharingState {
  return RANK[a] >= RANK[b] ? a : b;
}
