import { decide } from "./decide";
import type { AgencySharing, DataItem } from "./decision-to-share";
import type { Facts, PolicyActor } from "./facts";

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
