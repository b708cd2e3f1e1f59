import type { SharingState } from "../../policies";

/**
 * Whether a current decision to share covers an agency's access to a case: the `sharing` fact the
 * policies consult on every read and write of case content.
 *
 * Decisions to share are not recorded yet (docs/decisions/007-referrals.md). Until they are, an
 * agency's involvement in a referral is what covers it: the referrer's agency and every agency the
 * referral was routed to are `covered`, any other agency `not_covered`. Every policy decision and
 * every caller already goes through this one function, so recording decisions changes this
 * function and its callers' facts, not the rules or the pages.
 */
export function sharingStateFor(
  agencyId: string,
  involvedAgencyIds: readonly string[],
): SharingState {
  return involvedAgencyIds.includes(agencyId) ? "covered" : "not_covered";
}
