import { decide, describeRule } from "./decide";
import {
  agencySharing,
  type AgencySharing,
  type DataItem,
  type RecordedDecision,
} from "./decision-to-share";
import type { Facts, PolicyActor } from "./facts";
import { RULES } from "./rules";

/**
 * Which rows of case content a person may read. These are the rules of `decide`, applied to each
 * kind of row the database holds; PostgreSQL's row-level security (migration 0011) states them a
 * second time in SQL, and a differential test holds the two equal.
 */

/**
 * What a person may read of one referral: whether they see it at all, and the limits a partial
 * share (`dataItems`: only these parts) or a consent withdrawal (`withdrawnAt`: nothing newer)
 * puts on the rest. Null limits mean none.
 */
export interface CaseAccess {
  visible: boolean;
  dataItems: readonly DataItem[] | null;
  withdrawnAt: string | null;
}

const HIDDEN: CaseAccess = { visible: false, dataItems: null, withdrawnAt: null };
const IN_FULL: CaseAccess = { visible: true, dataItems: null, withdrawnAt: null };

/**
 * A referral is read by whoever `referral.view` allows, and by its author while it is a draft
 * (`referral.edit_draft`). A partnership lead, and someone under emergency access to a case no
 * decision covers them for, read it in full; anyone else reads what their sharing state allows.
 */
export function referralAccess(
  actor: PolicyActor,
  facts: Facts,
  sharing: Pick<AgencySharing, "state" | "dataItems" | "withdrawnAt">,
): CaseAccess {
  const readable =
    decide(actor, "referral.view", facts).allowed ||
    decide(actor, "referral.edit_draft", facts).allowed;
  if (!readable) return HIDDEN;
  if (actor.role === "partnership_lead" || facts.state === "draft") return IN_FULL;
  if (sharing.state === "partial") {
    return { visible: true, dataItems: sharing.dataItems, withdrawnAt: null };
  }
  if (sharing.state === "withdrawn") {
    return { visible: true, dataItems: null, withdrawnAt: sharing.withdrawnAt };
  }
  return IN_FULL;
}

/**
 * One part of a readable referral, written at `at`: within a partial share's items (`item` null
 * for parts no item limits, such as its history) and, after a withdrawal, no newer than it.
 */
export function caseItemReadable(access: CaseAccess, item: DataItem | null, at: string): boolean {
  if (!access.visible) return false;
  if (access.dataItems && item && !access.dataItems.includes(item)) return false;
  if (access.withdrawnAt && at > access.withdrawnAt) return false;
  return true;
}

/** A note: a part of the case (`case_notes`), and one kept within an agency only in that agency. */
export function noteReadable(
  actor: PolicyActor,
  facts: Facts,
  access: CaseAccess,
  note: { visibility: "shared" | "agency_only"; agencyId: string; createdAt: string },
): boolean {
  if (
    note.visibility === "agency_only" &&
    !decide(actor, "note.view_agency_only", { ...facts, noteAgencyId: note.agencyId }).allowed
  ) {
    return false;
  }
  return actor.role === "partnership_lead"
    ? access.visible
    : caseItemReadable(access, "case_notes", note.createdAt);
}

/** An action on a case: a part of the case (`actions`). */
export function caseActionReadable(
  actor: PolicyActor,
  access: CaseAccess,
  action: { createdAt: string },
): boolean {
  return actor.role === "partnership_lead"
    ? access.visible
    : caseItemReadable(access, "actions", action.createdAt);
}

/**
 * A decision to share: with its referral; a decision not to share only for the referrer's agency
 * and partnership leads, so that it never tells an agency it was left out.
 */
export function decisionReadable(
  actor: PolicyActor,
  access: CaseAccess,
  referrerAgencyId: string,
  decision: { decision: string },
): boolean {
  if (!access.visible) return false;
  return (
    decision.decision !== "not_share" ||
    actor.role === "partnership_lead" ||
    actor.agencyId === referrerAgencyId
  );
}

/**
 * An emergency access: read by the person who opened it, by those who review emergency access,
 * and by those who read the access log.
 */
export function emergencyAccessReadable(
  actor: PolicyActor,
  access: { partnershipId: string; userId: string },
): boolean {
  if (access.partnershipId !== actor.partnershipId) return false;
  const facts = { partnershipId: access.partnershipId };
  return (
    access.userId === actor.userId ||
    decide(actor, "emergency_access.review", facts).allowed ||
    decide(actor, "audit.read", facts).allowed
  );
}

/** What a withdrawal of consent leaves one agency able to read, in the access matrix's words. */
export interface WithdrawalEffect {
  agencyId: string;
  /** The agency's sharing state once the withdrawal is recorded. */
  sharing: AgencySharing["state"];
  /**
   * `as_at_withdrawal`: the case as it was when consent was withdrawn, nothing newer;
   * `still_covered`: another current decision still covers it; `nothing`: it cannot read the case.
   */
  reads: "as_at_withdrawal" | "still_covered" | "nothing";
  /** The access-matrix rule that lets its practitioners read the case, in plain English. */
  rule: string | null;
}

/**
 * What recording that consent was withdrawn does (DOMAIN.md section 4), for each agency the
 * decision shared with on that consent: nothing further is shared with it on that consent, and it
 * reads only what the rules of `referral.view` still allow, asked here as the access matrix asks
 * them, for a practitioner of that agency.
 */
export function withdrawalEffects(
  decisionId: string,
  decisions: readonly RecordedDecision[],
  facts: Facts & { involvedAgencyIds: readonly string[] },
  referrerAgencyId: string,
  withdrawnAt: string,
  today: string,
): WithdrawalEffect[] {
  const decision = decisions.find((candidate) => candidate.id === decisionId);
  if (!decision?.consentReliedOn) return [];
  const after = decisions.map((candidate) =>
    candidate.id === decisionId ? { ...candidate, withdrawnAt } : candidate,
  );
  return decision.recipientAgencyIds
    .filter((agencyId) => decision.consentScopeAgencyIds.includes(agencyId))
    .map((agencyId) => {
      const sharing = agencySharing(agencyId, referrerAgencyId, after, today).state;
      const practitioner: PolicyActor = {
        userId: "",
        partnershipId: facts.partnershipId,
        agencyId,
        role: "practitioner",
      };
      const decided = decide(practitioner, "referral.view", { ...facts, sharing });
      const rule = decided.allowed
        ? RULES.find((candidate) => candidate.id === decided.rule)
        : null;
      return {
        agencyId,
        sharing,
        reads: !decided.allowed
          ? "nothing"
          : sharing === "withdrawn"
            ? "as_at_withdrawal"
            : "still_covered",
        rule: rule ? describeRule(rule) : null,
      };
    });
}
