import type { Role } from "./roles";
import type { ReferralState } from "./referral-states";

/** Who is asking, as the policies see them. */
export interface PolicyActor {
  userId: string;
  partnershipId: string;
  agencyId: string;
  role: Role;
}

/**
 * Whether a current decision to share covers the asking agency: `covered` and `partial` allow
 * reading (partial limits what is shown); the others do not.
 */
export const SHARING_STATES = [
  "covered",
  "partial",
  "not_covered",
  "expired",
  "withdrawn",
] as const;
export type SharingState = (typeof SHARING_STATES)[number];

/**
 * What the service layer knows about the record an action touches, as plain data. Only
 * `partnershipId` is always needed; each rule reads the facts its conditions name.
 */
export interface Facts {
  /** The partnership the record belongs to. */
  partnershipId: string;
  /** Agencies involved in the case: the referrer's and every receiving agency. */
  involvedAgencyIds?: readonly string[];
  /** Agencies a referral has been routed to and that have not yet accepted or declined. */
  awaitingAgencyIds?: readonly string[];
  /** Practitioners a case is allocated to, in any receiving agency. */
  allocatedUserIds?: readonly string[];
  /** The person who started the record (a referral's author, a note's writer). */
  createdByUserId?: string;
  /** Where a referral is in its lifecycle. */
  state?: ReferralState;
  /** Whether a current decision to share covers the asking agency. */
  sharing?: SharingState;
  /** The asking person holds an open emergency access to this case. */
  emergencyAccess?: boolean;
  /** The agency that wrote a note kept within one agency. */
  noteAgencyId?: string;
  /** The one agency a view is limited to (an agency's dashboard); absent means the whole partnership. */
  scopeAgencyId?: string;
  /** The account an administrative action changes. */
  subjectUserId?: string;
  /** The information sharing agreement permits this share (see agreementPermits). */
  agreementPermits?: boolean;
}
