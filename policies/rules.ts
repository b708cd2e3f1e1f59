import type { Action } from "./actions";
import {
  agencyInvolved,
  allocatedToThem,
  awaitingTheirAgency,
  emergencyAccessOpen,
  isDraft,
  notInvolved,
  notThemselves,
  noteInTheirAgency,
  ownRecord,
  scopedToTheirAgency,
  sharingCovers,
  sharingWithdrawn,
  submittedOrOwn,
  withinAgreement,
  type Condition,
} from "./conditions";
import type { Role } from "./roles";

/**
 * One rule: the roles it applies to, the action it allows, and the conditions that must all hold.
 * An action is allowed when any one of its rules for the actor's role holds. Every rule also
 * requires the record to be in the actor's own partnership.
 */
export interface Rule {
  id: string;
  action: Action;
  roles: readonly Role[];
  when: readonly Condition[];
}

const CASE_WORKERS = ["practitioner", "agency_lead"] as const satisfies readonly Role[];
const CASE_ROLES = [
  "practitioner",
  "agency_lead",
  "partnership_lead",
] as const satisfies readonly Role[];

/** Every rule of access in Crosswalk. The access matrix page and the tests are generated from this list. */
export const RULES: readonly Rule[] = [
  // Young people: search and signpost, then need-to-know.
  {
    id: "case-roles-search-young-people",
    action: "young_person.search",
    roles: CASE_ROLES,
    when: [],
  },
  {
    id: "case-roles-record-young-people",
    action: "young_person.create",
    roles: CASE_ROLES,
    when: [],
  },
  {
    id: "lead-views-any-young-person",
    action: "young_person.view",
    roles: ["partnership_lead"],
    when: [],
  },
  {
    id: "involved-and-covered-views-young-person",
    action: "young_person.view",
    roles: CASE_WORKERS,
    when: [agencyInvolved, sharingCovers],
  },
  {
    id: "involved-views-young-person-as-at-withdrawal",
    action: "young_person.view",
    roles: CASE_WORKERS,
    when: [agencyInvolved, sharingWithdrawn],
  },
  {
    id: "emergency-views-young-person",
    action: "young_person.view",
    roles: CASE_WORKERS,
    when: [emergencyAccessOpen],
  },
  {
    id: "lead-corrects-young-person",
    action: "young_person.edit",
    roles: ["partnership_lead"],
    when: [],
  },
  {
    id: "involved-and-covered-corrects-young-person",
    action: "young_person.edit",
    roles: CASE_WORKERS,
    when: [agencyInvolved, sharingCovers],
  },

  // Referrals.
  { id: "case-roles-start-referrals", action: "referral.create", roles: CASE_ROLES, when: [] },
  {
    id: "author-edits-draft",
    action: "referral.edit_draft",
    roles: CASE_ROLES,
    when: [ownRecord, isDraft],
  },
  {
    id: "author-submits-draft",
    action: "referral.submit",
    roles: CASE_ROLES,
    when: [ownRecord, isDraft],
  },
  {
    id: "lead-views-any-referral",
    action: "referral.view",
    roles: ["partnership_lead"],
    when: [submittedOrOwn],
  },
  {
    id: "involved-and-covered-views-referral",
    action: "referral.view",
    roles: CASE_WORKERS,
    when: [agencyInvolved, sharingCovers, submittedOrOwn],
  },
  {
    id: "involved-views-referral-as-at-withdrawal",
    action: "referral.view",
    roles: CASE_WORKERS,
    when: [agencyInvolved, sharingWithdrawn, submittedOrOwn],
  },
  {
    id: "emergency-views-referral",
    action: "referral.view",
    roles: CASE_WORKERS,
    when: [emergencyAccessOpen],
  },
  {
    id: "involved-withdraws-referral",
    action: "referral.withdraw",
    roles: CASE_WORKERS,
    when: [agencyInvolved],
  },
  {
    id: "lead-withdraws-referral",
    action: "referral.withdraw",
    roles: ["partnership_lead"],
    when: [],
  },
  { id: "lead-screens", action: "referral.screen", roles: ["partnership_lead"], when: [] },
  { id: "lead-routes", action: "referral.route", roles: ["partnership_lead"], when: [] },
  {
    id: "agency-lead-accepts-routed-referral",
    action: "referral.accept",
    roles: ["agency_lead"],
    when: [awaitingTheirAgency],
  },
  {
    id: "agency-lead-declines-routed-referral",
    action: "referral.decline",
    roles: ["agency_lead"],
    when: [awaitingTheirAgency],
  },
  {
    id: "lead-refers-to-panel",
    action: "referral.refer_to_panel",
    roles: ["partnership_lead"],
    when: [],
  },
  { id: "lead-closes", action: "referral.close", roles: ["partnership_lead"], when: [] },
  {
    id: "allocated-practitioner-closes",
    action: "referral.close",
    roles: ["practitioner"],
    when: [allocatedToThem, sharingCovers],
  },
  {
    id: "involved-agency-lead-closes",
    action: "referral.close",
    roles: ["agency_lead"],
    when: [agencyInvolved, sharingCovers],
  },
  { id: "lead-escalates", action: "referral.escalate", roles: ["partnership_lead"], when: [] },
  {
    id: "involved-escalates",
    action: "referral.escalate",
    roles: CASE_WORKERS,
    when: [agencyInvolved, sharingCovers],
  },

  // Case work.
  { id: "lead-adds-notes", action: "note.add", roles: ["partnership_lead"], when: [] },
  {
    id: "involved-and-covered-adds-notes",
    action: "note.add",
    roles: CASE_WORKERS,
    when: [agencyInvolved, sharingCovers],
  },
  {
    id: "own-agency-reads-agency-only-notes",
    action: "note.view_agency_only",
    roles: CASE_ROLES,
    when: [noteInTheirAgency],
  },

  {
    id: "author-corrects-note",
    action: "note.correct",
    roles: CASE_ROLES,
    when: [ownRecord],
  },
  { id: "lead-adds-actions", action: "case_action.add", roles: ["partnership_lead"], when: [] },
  {
    id: "involved-and-covered-adds-actions",
    action: "case_action.add",
    roles: CASE_WORKERS,
    when: [agencyInvolved, sharingCovers],
  },
  {
    id: "lead-updates-actions",
    action: "case_action.update",
    roles: ["partnership_lead"],
    when: [],
  },
  {
    id: "involved-and-covered-updates-actions",
    action: "case_action.update",
    roles: CASE_WORKERS,
    when: [agencyInvolved, sharingCovers],
  },

  // Caseloads: the lists themselves; each row still passes referral.view's rules.
  { id: "case-roles-list-own-cases", action: "caseload.view_own", roles: CASE_ROLES, when: [] },
  {
    id: "agency-lead-lists-agency-caseload",
    action: "caseload.view_agency",
    roles: ["agency_lead"],
    when: [scopedToTheirAgency],
  },
  {
    id: "lead-lists-any-agency-caseload",
    action: "caseload.view_agency",
    roles: ["partnership_lead"],
    when: [],
  },
  {
    id: "lead-lists-partnership-caseload",
    action: "caseload.view_partnership",
    roles: ["partnership_lead"],
    when: [],
  },

  // Sharing.
  {
    id: "involved-records-decision-to-share",
    action: "sharing.record_decision",
    roles: CASE_WORKERS,
    // An agency whose own access has lapsed cannot decide to share the case with itself again.
    when: [agencyInvolved, sharingCovers, withinAgreement],
  },
  {
    id: "lead-records-decision-to-share",
    action: "sharing.record_decision",
    roles: ["partnership_lead"],
    when: [withinAgreement],
  },
  {
    id: "involved-records-withdrawal",
    action: "consent.withdraw",
    roles: CASE_WORKERS,
    when: [agencyInvolved],
  },
  {
    id: "lead-records-withdrawal",
    action: "consent.withdraw",
    roles: ["partnership_lead"],
    when: [],
  },
  {
    id: "uninvolved-opens-emergency-access",
    action: "emergency_access.open",
    roles: CASE_WORKERS,
    when: [notInvolved],
  },
  {
    id: "lead-reviews-emergency-access",
    action: "emergency_access.review",
    roles: ["partnership_lead"],
    when: [],
  },

  // Oversight.
  {
    id: "lead-oversees-partnership",
    action: "oversight.view",
    roles: ["partnership_lead"],
    when: [],
  },
  {
    id: "agency-lead-oversees-agency",
    action: "oversight.view",
    roles: ["agency_lead"],
    when: [scopedToTheirAgency],
  },
  {
    id: "lead-exports-identifiable",
    action: "export.identifiable",
    roles: ["partnership_lead"],
    when: [],
  },

  // The access log: read by auditors, changed by no one.
  { id: "auditor-reads-log", action: "audit.read", roles: ["auditor"], when: [] },
  { id: "auditor-exports-log", action: "audit.export", roles: ["auditor"], when: [] },

  // Administration: no case data.
  {
    id: "administrator-manages-agencies",
    action: "agency.manage",
    roles: ["administrator"],
    when: [],
  },
  {
    id: "administrator-manages-users",
    action: "user.manage",
    roles: ["administrator"],
    when: [notThemselves],
  },
  {
    id: "administrator-configures-partnership",
    action: "partnership.configure",
    roles: ["administrator"],
    when: [],
  },
  {
    id: "administrator-manages-agreement",
    action: "agreement.manage",
    roles: ["administrator"],
    when: [],
  },

  // Transparency: everyone may see the rules that bind them.
  {
    id: "everyone-views-access-matrix",
    action: "access_matrix.view",
    roles: ["practitioner", "agency_lead", "partnership_lead", "auditor", "administrator"],
    when: [],
  },
];
