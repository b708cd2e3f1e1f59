/**
 * Everything a person can do in Crosswalk that touches a partnership's data, by name. A page or
 * service that does something not listed here cannot be allowed: `decide` refuses any action
 * without a rule.
 */
export const ACTIONS = {
  "young_person.search": { label: "search for a young person", area: "Young people" },
  "young_person.view": { label: "view a young person's record", area: "Young people" },
  "young_person.create": { label: "record a new young person", area: "Young people" },
  "young_person.edit": { label: "correct a young person's details", area: "Young people" },
  "referral.create": { label: "start a referral", area: "Referrals" },
  "referral.edit_draft": { label: "edit a draft referral", area: "Referrals" },
  "referral.submit": { label: "submit a referral", area: "Referrals" },
  "referral.view": { label: "view a referral", area: "Referrals" },
  "referral.withdraw": { label: "withdraw a submitted referral", area: "Referrals" },
  "referral.screen": { label: "screen a referral (RAG rating)", area: "Referrals" },
  "referral.route": { label: "route a referral to agencies", area: "Referrals" },
  "referral.accept": { label: "accept a referral and allocate a practitioner", area: "Referrals" },
  "referral.decline": { label: "decline a referral", area: "Referrals" },
  "referral.refer_to_panel": {
    label: "refer a referral to the multi-agency panel",
    area: "Referrals",
  },
  "referral.close": { label: "close a referral with an outcome", area: "Referrals" },
  "referral.escalate": { label: "escalate a referral", area: "Referrals" },
  "note.add": { label: "add a contact or note to a case", area: "Case work" },
  "note.view_agency_only": { label: "read a note kept within one agency", area: "Case work" },
  "note.correct": { label: "correct a note (the earlier version is kept)", area: "Case work" },
  "case_action.add": { label: "add an action for an agency", area: "Case work" },
  "case_action.update": { label: "update an action's status", area: "Case work" },
  "caseload.view_own": {
    label: "list their own cases and the referrals they made",
    area: "Caseloads",
  },
  "caseload.view_agency": { label: "list an agency's whole caseload", area: "Caseloads" },
  "caseload.view_partnership": {
    label: "list every referral in the partnership, and those waiting for screening",
    area: "Caseloads",
  },
  "sharing.record_decision": { label: "record a decision to share", area: "Sharing" },
  "consent.withdraw": { label: "record that consent was withdrawn", area: "Sharing" },
  "emergency_access.open": { label: "open a case under emergency access", area: "Sharing" },
  "emergency_access.review": { label: "review an emergency access", area: "Sharing" },
  "oversight.view": { label: "view caseload dashboards", area: "Oversight" },
  "export.identifiable": { label: "export identifiable case lists", area: "Oversight" },
  "audit.read": { label: "read the access log", area: "Access log" },
  "audit.export": { label: "export the access log", area: "Access log" },
  "agency.manage": { label: "create, edit and deactivate agencies", area: "Administration" },
  "user.manage": { label: "create, change and deactivate user accounts", area: "Administration" },
  "agreement.manage": { label: "change the information sharing agreement", area: "Administration" },
  "partnership.configure": {
    label: "set the partnership's response targets and how long emergency access lasts",
    area: "Administration",
  },
  "access_matrix.view": { label: "view the access matrix", area: "Transparency" },
} as const satisfies Record<string, { label: string; area: string }>;

export type Action = keyof typeof ACTIONS;

/** Every action, in the order the access matrix shows them. */
export const ALL_ACTIONS = Object.keys(ACTIONS) as Action[];

/** Whether a value names an action. */
export function isAction(value: unknown): value is Action {
  return typeof value === "string" && Object.hasOwn(ACTIONS, value);
}
