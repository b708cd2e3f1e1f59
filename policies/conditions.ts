import type { Facts, PolicyActor } from "./facts";

/**
 * A named test a rule can require, with the words the access matrix prints for it and the reason a
 * person is given when it fails.
 */
export interface Condition {
  id: string;
  /** Completes "…allowed when": e.g. "their agency is involved in the case". */
  describe: string;
  /** Said to a person refused because this does not hold. */
  refusal: string;
  holds(actor: PolicyActor, facts: Facts): boolean;
}

/** Every rule implicitly requires this first: nothing ever crosses between partnerships. */
export const samePartnership: Condition = {
  id: "same_partnership",
  describe: "the record is in their own partnership",
  refusal: "This record is not in your partnership",
  holds: (actor, facts) => actor.partnershipId === facts.partnershipId,
};

export const agencyInvolved: Condition = {
  id: "agency_involved",
  describe: "their agency is involved in the case",
  refusal: "Your agency is not involved in this referral",
  holds: (actor, facts) => facts.involvedAgencyIds?.includes(actor.agencyId) ?? false,
};

export const sharingCovers: Condition = {
  id: "sharing_covers",
  describe: "a current decision to share covers their agency",
  refusal: "No current decision to share covers your agency",
  holds: (_actor, facts) => facts.sharing === "covered" || facts.sharing === "partial",
};

export const sharingWithdrawn: Condition = {
  id: "sharing_withdrawn",
  describe:
    "consent their access rested on was withdrawn (they see the case only as it was then, never anything newer)",
  refusal: "No current decision to share covers your agency",
  holds: (_actor, facts) => facts.sharing === "withdrawn",
};

export const emergencyAccessOpen: Condition = {
  id: "emergency_access_open",
  describe: "they have opened emergency access to the case, which has not expired",
  refusal: "You do not have emergency access to this case",
  holds: (_actor, facts) => facts.emergencyAccess === true,
};

export const notInvolved: Condition = {
  id: "not_involved",
  describe:
    "their agency is not already involved (emergency access is for cases they cannot otherwise see)",
  refusal: "Your agency is already involved in this case",
  holds: (actor, facts) => !(facts.involvedAgencyIds?.includes(actor.agencyId) ?? false),
};

export const awaitingTheirAgency: Condition = {
  id: "awaiting_their_agency",
  describe: "the referral has been routed to their agency and is waiting for its answer",
  refusal: "This referral is not waiting for your agency's answer",
  holds: (actor, facts) => facts.awaitingAgencyIds?.includes(actor.agencyId) ?? false,
};

export const ownRecord: Condition = {
  id: "own_record",
  describe: "they started it (the referral) or wrote it (the note)",
  refusal: "Only the person who wrote this can change it",
  holds: (actor, facts) => facts.createdByUserId === actor.userId,
};

export const isDraft: Condition = {
  id: "is_draft",
  describe: "it is still a draft",
  refusal: "This referral has already been submitted",
  holds: (_actor, facts) => facts.state === "draft",
};

export const submittedOrOwn: Condition = {
  id: "submitted_or_own",
  describe: "it has been submitted, or it is their own draft",
  refusal: "This referral is someone else's draft",
  holds: (actor, facts) => facts.state !== "draft" || facts.createdByUserId === actor.userId,
};

export const allocatedToThem: Condition = {
  id: "allocated_to_them",
  describe: "the case is allocated to them",
  refusal: "This case is not allocated to you",
  holds: (actor, facts) => facts.allocatedUserIds?.includes(actor.userId) ?? false,
};

export const noteInTheirAgency: Condition = {
  id: "note_in_their_agency",
  describe: "the note was written in their own agency",
  refusal: "This note is kept within another agency",
  holds: (actor, facts) => facts.noteAgencyId === actor.agencyId,
};

export const scopedToTheirAgency: Condition = {
  id: "scoped_to_their_agency",
  describe: "the view is limited to their own agency",
  refusal: "You can only see your own agency's caseload",
  holds: (actor, facts) => facts.scopeAgencyId === actor.agencyId,
};

export const notThemselves: Condition = {
  id: "not_themselves",
  describe:
    "the account is not their own (no one can change their own role or deactivate themselves)",
  refusal: "You cannot change your own account this way; ask another administrator",
  holds: (actor, facts) => facts.subjectUserId !== actor.userId,
};

export const withinAgreement: Condition = {
  id: "within_agreement",
  describe: "the partnership's information sharing agreement permits the share",
  refusal: "The partnership's information sharing agreement does not permit this share",
  holds: (_actor, facts) => facts.agreementPermits === true,
};
