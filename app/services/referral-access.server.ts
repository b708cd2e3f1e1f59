import { sql, type Selectable, type Transaction } from "kysely";
import type { Database, ReferralAgenciesTable, ReferralsTable } from "../../db/types";
import type { AgencySharing, Facts, RecordedDecision, ReferralState } from "../../policies";
import { authorize, concealedByRowSecurity, refusedAsMissing } from "./authorize.server";
import type { ServiceContext } from "./context.server";
import { ConflictError } from "./errors";
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
  /**
   * True when row-level security hid the referral: `referral` then holds only the facts a refusal
   * is decided and recorded on (its content fields are empty), and it must never be shown.
   */
  concealed: boolean;
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
  if (!referral) return concealedReferral(trx, id);
  const agencies = await trx
    .selectFrom("referral_agencies")
    .selectAll()
    .where("referral_id", "=", id)
    .execute();
  const decisions = (await loadDecisions(trx, [id])).get(id) ?? [];
  const emergencyAccesses = referral.young_person_id
    ? await loadEmergencyAccesses(trx, [referral.young_person_id])
    : [];
  return { concealed: false, referral, agencies, decisions, emergencyAccesses };
}

interface ReferralFacts {
  id: string;
  partnership_id: string;
  state: ReferralState;
  young_person_id: string | null;
  referrer_user_id: string;
  referrer_agency_id: string;
  version: number;
  agencies: Pick<ReferralAgencyRow, "agency_id" | "involvement" | "status" | "allocated_user_id">[];
  decisions: {
    id: string;
    supersedes_id: string | null;
    decision: RecordedDecision["decision"];
    recipient_agency_ids: string[];
    data_items: RecordedDecision["dataItems"][number][];
    consent_relied_on: boolean;
    consent_scope_agency_ids: string[];
    consent_expires_on: string | null;
    withdrawn_at: string | null;
  }[];
}

/**
 * A referral row-level security hid from the person, as facts only (app_referral_facts: its
 * lifecycle, involvement and the decisions' coverage, never what it says), so the policies decide
 * the refusal on the truth and the access log records it against the referral. No such referral
 * at all is refused the same way, and recorded.
 */
async function concealedReferral(trx: Transaction<Database>, id: string): Promise<LoadedReferral> {
  const { rows } = await sql<{ facts: ReferralFacts | null }>`
    select app_referral_facts(${id}::uuid) as facts
  `.execute(trx);
  const facts = rows[0]?.facts;
  if (!facts) throw refusedAsMissing("referral.view", "referral", id);
  return {
    concealed: true,
    referral: {
      ...EMPTY_CONTENT,
      id: facts.id,
      partnership_id: facts.partnership_id,
      state: facts.state,
      young_person_id: facts.young_person_id,
      referrer_user_id: facts.referrer_user_id,
      referrer_agency_id: facts.referrer_agency_id,
      version: facts.version,
    },
    agencies: facts.agencies.map((agency) => ({
      partnership_id: facts.partnership_id,
      referral_id: facts.id,
      routed_at: null,
      routed_by: null,
      response_due_at: null,
      responded_at: null,
      responded_by: null,
      decline_reason: null,
      ...agency,
    })),
    decisions: facts.decisions.map((decision) => ({
      id: decision.id,
      supersedesId: decision.supersedes_id,
      decision: decision.decision,
      recipientAgencyIds: decision.recipient_agency_ids,
      dataItems: decision.data_items,
      consentReliedOn: decision.consent_relied_on,
      consentScopeAgencyIds: decision.consent_scope_agency_ids,
      consentExpiresOn: decision.consent_expires_on,
      withdrawnAt: decision.withdrawn_at ? new Date(decision.withdrawn_at).toISOString() : null,
    })),
    // The person's own emergency accesses are always theirs to read.
    emergencyAccesses: facts.young_person_id
      ? await loadEmergencyAccesses(trx, [facts.young_person_id])
      : [],
  };
}

/** The content of a referral row, absent from a concealed referral. */
const EMPTY_CONTENT: Omit<
  ReferralRow,
  | "id"
  | "partnership_id"
  | "state"
  | "young_person_id"
  | "referrer_user_id"
  | "referrer_agency_id"
  | "version"
> = {
  destination: null,
  destination_agency_id: null,
  concern_roles: [],
  themes: [],
  risk_indicators: [],
  concern: null,
  young_person_knows: null,
  family_knows: null,
  immediate_danger: null,
  immediate_action: null,
  urgency: null,
  rag: null,
  rag_rationale: null,
  submitted_at: null,
  screening_due_at: null,
  screened_at: null,
  screened_by: null,
  escalated_to: null,
  escalated_at: null,
  closed_at: null,
  outcome: null,
  outcome_summary: null,
  created_at: new Date(0),
  updated_at: new Date(0),
};

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
  if (loaded.concealed) {
    throw concealedByRowSecurity(
      "referral.view",
      "referral",
      id,
      loaded.referral.young_person_id ?? undefined,
    );
  }
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
