import { afterAll, describe, expect, it } from "vitest";
import { ALL_ACTIONS, type Action } from "./actions";
import { decide } from "./decide";
import type { Facts, PolicyActor, SharingState } from "./facts";
import { accessMatrix } from "./matrix";
import type { ReferralState } from "./referral-states";
import { ROLES, type Role } from "./roles";
import { RULES } from "./rules";

/*
 * The expected access of every role to every action, written by hand for a reviewer to read and
 * checked against `decide`. Each entry lists, per role, three outcomes (Y allowed, - refused) for:
 *
 *   1. own   — the actor's agency is involved, a decision to share covers it, the actor started the
 *              record (a draft), it is allocated to them, it waits for their agency's answer, the
 *              note and the view belong to their agency;
 *   2. other — the same partnership, but none of that: another agency's submitted case, not shared
 *              with them and allocated to someone else;
 *   3. away  — exactly like "own", but the record is in another partnership.
 */
// prettier-ignore
const EXPECTED: Record<Action, Record<Role, string>> = {
  //                         practitioner  agency_lead  partnership_lead  auditor  administrator
  "young_person.search":     row("YY-", "YY-", "YY-", "---", "---"),
  "young_person.view":       row("Y--", "Y--", "YY-", "---", "---"),
  "young_person.create":     row("YY-", "YY-", "YY-", "---", "---"),
  "young_person.edit":       row("Y--", "Y--", "YY-", "---", "---"),
  "referral.create":         row("YY-", "YY-", "YY-", "---", "---"),
  "referral.edit_draft":     row("Y--", "Y--", "Y--", "---", "---"),
  "referral.submit":         row("Y--", "Y--", "Y--", "---", "---"),
  "referral.view":           row("Y--", "Y--", "YY-", "---", "---"),
  "referral.withdraw":       row("Y--", "Y--", "YY-", "---", "---"),
  "referral.screen":         row("---", "---", "YY-", "---", "---"),
  "referral.route":          row("---", "---", "YY-", "---", "---"),
  "referral.accept":         row("---", "Y--", "---", "---", "---"),
  "referral.decline":        row("---", "Y--", "---", "---", "---"),
  "referral.refer_to_panel": row("---", "---", "YY-", "---", "---"),
  "referral.close":          row("Y--", "Y--", "YY-", "---", "---"),
  "referral.escalate":       row("Y--", "Y--", "YY-", "---", "---"),
  "note.add":                row("Y--", "Y--", "YY-", "---", "---"),
  "note.view_agency_only":   row("Y--", "Y--", "Y--", "---", "---"),
  "note.correct":            row("Y--", "Y--", "Y--", "---", "---"),
  "case_action.add":         row("Y--", "Y--", "YY-", "---", "---"),
  "case_action.update":      row("Y--", "Y--", "YY-", "---", "---"),
  "caseload.view_own":       row("YY-", "YY-", "YY-", "---", "---"),
  "caseload.view_agency":    row("---", "Y--", "YY-", "---", "---"),
  "caseload.view_partnership": row("---", "---", "YY-", "---", "---"),
  "sharing.record_decision": row("Y--", "Y--", "YY-", "---", "---"),
  "consent.withdraw":        row("Y--", "Y--", "YY-", "---", "---"),
  "emergency_access.open":   row("-Y-", "-Y-", "---", "---", "---"),
  "emergency_access.review": row("---", "---", "YY-", "---", "---"),
  "oversight.view":          row("---", "Y--", "YY-", "---", "---"),
  "export.identifiable":     row("---", "---", "YY-", "---", "---"),
  "audit.read":              row("---", "---", "---", "YY-", "---"),
  "audit.export":            row("---", "---", "---", "YY-", "---"),
  "agency.manage":           row("---", "---", "---", "---", "YY-"),
  "user.manage":             row("---", "---", "---", "---", "YY-"),
  "agreement.manage":        row("---", "---", "---", "---", "YY-"),
  "partnership.configure":   row("---", "---", "---", "---", "YY-"),
  "access_matrix.view":      row("YY-", "YY-", "YY-", "YY-", "YY-"),
};

function row(...outcomes: [string, string, string, string, string]): Record<Role, string> {
  return Object.fromEntries(ROLES.map((role, index) => [role, outcomes[index]])) as Record<
    Role,
    string
  >;
}

const HOME = "partnership-home";
const AWAY = "partnership-away";
const OWN_AGENCY = "agency-own";
const OTHER_AGENCY = "agency-other";

function actorWith(role: Role): PolicyActor {
  return { userId: "user-actor", partnershipId: HOME, agencyId: OWN_AGENCY, role };
}

const RELATIONSHIPS: Record<"own" | "other" | "away", Facts> = {
  own: {
    partnershipId: HOME,
    involvedAgencyIds: [OWN_AGENCY, OTHER_AGENCY],
    awaitingAgencyIds: [OWN_AGENCY],
    allocatedUserIds: ["user-actor"],
    createdByUserId: "user-actor",
    state: "draft",
    sharing: "covered",
    emergencyAccess: false,
    noteAgencyId: OWN_AGENCY,
    scopeAgencyId: OWN_AGENCY,
    subjectUserId: "user-someone-else",
    agreementPermits: true,
  },
  other: {
    partnershipId: HOME,
    involvedAgencyIds: [OTHER_AGENCY],
    awaitingAgencyIds: [OTHER_AGENCY],
    allocatedUserIds: ["user-someone-else"],
    createdByUserId: "user-someone-else",
    state: "submitted",
    sharing: "not_covered",
    emergencyAccess: false,
    noteAgencyId: OTHER_AGENCY,
    scopeAgencyId: OTHER_AGENCY,
    subjectUserId: "user-someone-else",
    agreementPermits: true,
  },
  away: {} as Facts,
};
RELATIONSHIPS.away = { ...RELATIONSHIPS.own, partnershipId: AWAY };

const cells = { checked: 0, allowed: 0 };
const rulesThatAllowed = new Set<string>();

afterAll(() => {
  process.stdout.write(
    `\naccess matrix: ${cells.checked} cells checked (${ROLES.length} roles × ${ALL_ACTIONS.length} actions × 3 relationships, plus state, sharing and self cases); ${cells.allowed} allowed, ${cells.checked - cells.allowed} refused; ${rulesThatAllowed.size} of ${RULES.length} rules exercised\n`,
  );
});

function check(actor: PolicyActor, action: Action, facts: Facts, expected: boolean) {
  const decision = decide(actor, action, facts);
  cells.checked += 1;
  if (decision.allowed) {
    cells.allowed += 1;
    rulesThatAllowed.add(decision.rule);
  }
  expect(decision.allowed, `${actor.role} ${action}: ${decision.rule} — ${decision.reason}`).toBe(
    expected,
  );
  expect(decision.reason.length).toBeGreaterThan(0);
}

describe("the access table", () => {
  it("covers every action the policies know, and no other", () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...ALL_ACTIONS].sort());
  });

  describe.each(ALL_ACTIONS)("%s", (action) => {
    it.each(ROLES)("for a %s matches the table", (role) => {
      const expected = EXPECTED[action][role];
      (["own", "other", "away"] as const).forEach((relationship, index) => {
        check(actorWith(role), action, RELATIONSHIPS[relationship], expected[index] === "Y");
      });
    });
  });
});

describe("the lifecycle state", () => {
  const states: ReferralState[] = [
    "draft",
    "submitted",
    "screened",
    "allocated",
    "active",
    "closed",
  ];
  it.each(["referral.edit_draft", "referral.submit"] as const)(
    "lets the author %s only while it is a draft",
    (action) => {
      for (const role of ["practitioner", "agency_lead", "partnership_lead"] as const) {
        for (const state of states) {
          check(actorWith(role), action, { ...RELATIONSHIPS.own, state }, state === "draft");
        }
      }
    },
  );
});

describe("the decision to share", () => {
  const sharingStates: SharingState[] = [
    "covered",
    "partial",
    "not_covered",
    "expired",
    "withdrawn",
  ];
  /*
   * Every case action for an involved practitioner (P) and agency lead (L), by where their agency
   * stands under the case's decisions to share, and for an uninvolved practitioner holding open
   * emergency access (E). Y allowed, - refused. A withdrawal is not retrospective: the case can still
   * be read as it was at the withdrawal (the service hides anything newer), never worked on.
   */
  // prettier-ignore
  const SHARING_TABLE: Record<string, Record<SharingState | "emergency", string>> = {
    //                        covered partial not_covered expired withdrawn emergency
    "young_person.view":    { covered: "PL", partial: "PL", not_covered: "--", expired: "--", withdrawn: "PL", emergency: "E" },
    "young_person.edit":    { covered: "PL", partial: "PL", not_covered: "--", expired: "--", withdrawn: "--", emergency: "-" },
    "referral.view":        { covered: "PL", partial: "PL", not_covered: "--", expired: "--", withdrawn: "PL", emergency: "E" },
    "referral.close":       { covered: "PL", partial: "PL", not_covered: "--", expired: "--", withdrawn: "--", emergency: "-" },
    "referral.escalate":    { covered: "PL", partial: "PL", not_covered: "--", expired: "--", withdrawn: "--", emergency: "-" },
    "note.add":             { covered: "PL", partial: "PL", not_covered: "--", expired: "--", withdrawn: "--", emergency: "-" },
    "case_action.add":      { covered: "PL", partial: "PL", not_covered: "--", expired: "--", withdrawn: "--", emergency: "-" },
    "case_action.update":   { covered: "PL", partial: "PL", not_covered: "--", expired: "--", withdrawn: "--", emergency: "-" },
    "sharing.record_decision": { covered: "PL", partial: "PL", not_covered: "--", expired: "--", withdrawn: "--", emergency: "-" },
  };

  it.each(Object.keys(SHARING_TABLE) as Action[])(
    "decides %s by the sharing state as the table says",
    (action) => {
      const row = SHARING_TABLE[action] as Record<SharingState | "emergency", string>;
      for (const sharing of sharingStates) {
        const [practitioner, lead] = row[sharing].split("");
        check(
          actorWith("practitioner"),
          action,
          { ...RELATIONSHIPS.own, sharing },
          practitioner === "P",
        );
        check(actorWith("agency_lead"), action, { ...RELATIONSHIPS.own, sharing }, lead === "L");
      }
      check(
        actorWith("practitioner"),
        action,
        { ...RELATIONSHIPS.other, emergencyAccess: true },
        row.emergency === "E",
      );
    },
  );

  it("lets an uninvolved practitioner see a case only under open emergency access", () => {
    for (const action of ["young_person.view", "referral.view"] as const) {
      check(
        actorWith("practitioner"),
        action,
        { ...RELATIONSHIPS.other, emergencyAccess: true },
        true,
      );
      check(
        actorWith("practitioner"),
        action,
        { ...RELATIONSHIPS.other, emergencyAccess: false },
        false,
      );
    }
    // Emergency access is for looking, not for working the case.
    check(
      actorWith("practitioner"),
      "note.add",
      { ...RELATIONSHIPS.other, emergencyAccess: true },
      false,
    );
  });

  it("refuses a share the information sharing agreement does not permit", () => {
    for (const role of ["practitioner", "agency_lead", "partnership_lead"] as const) {
      check(
        actorWith(role),
        "sharing.record_decision",
        { ...RELATIONSHIPS.own, agreementPermits: false },
        false,
      );
    }
  });
});

describe("administrators", () => {
  it("cannot change or deactivate their own account", () => {
    check(
      actorWith("administrator"),
      "user.manage",
      { partnershipId: HOME, subjectUserId: "user-actor" },
      false,
    );
  });
});

describe("refusals", () => {
  it("are explained in words for the person refused", () => {
    expect(decide(actorWith("practitioner"), "referral.view", RELATIONSHIPS.other).reason).toBe(
      "Your agency is not involved in this referral",
    );
    expect(decide(actorWith("administrator"), "referral.view", RELATIONSHIPS.own).reason).toBe(
      "As an administrator, you cannot view a referral",
    );
    expect(decide(actorWith("partnership_lead"), "referral.view", RELATIONSHIPS.away).reason).toBe(
      "This record is not in your partnership",
    );
  });

  it("name the rule and condition that refused, for the access log", () => {
    expect(decide(actorWith("practitioner"), "referral.view", RELATIONSHIPS.other).rule).toBe(
      "involved-and-covered-views-referral:agency_involved",
    );
    expect(decide(actorWith("auditor"), "referral.view", RELATIONSHIPS.own).rule).toBe(
      "default-deny",
    );
  });

  it("are the default for an action no rule mentions", () => {
    const decision = decide(actorWith("partnership_lead"), "referral.view", RELATIONSHIPS.own, []);
    expect(decision).toMatchObject({ allowed: false, rule: "default-deny" });
    expect(
      decide(actorWith("partnership_lead"), "not.an_action" as Action, RELATIONSHIPS.own).allowed,
    ).toBe(false);
  });
});

describe("the rules", () => {
  it("each allow something somewhere in these tables (no dead rules)", () => {
    // Runs after the tables above in this file; a rule no scenario reaches is either dead or untested.
    const unexercised = RULES.map((rule) => rule.id).filter((id) => !rulesThatAllowed.has(id));
    expect(unexercised).toEqual([]);
  });

  it("have unique ids", () => {
    const ids = RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("the access matrix", () => {
  it("shows every action for every role, generated from the rules", () => {
    const matrix = accessMatrix();
    expect(matrix.map((entry) => entry.action)).toEqual(ALL_ACTIONS);
    for (const entry of matrix) {
      for (const role of ROLES) {
        const allowedSomewhere = EXPECTED[entry.action][role].includes("Y");
        expect(entry.cells[role].kind === "never", `${role} ${entry.action}`).toBe(
          !allowedSomewhere,
        );
      }
    }
  });

  it("changes when a rule is removed", () => {
    const without = RULES.filter((rule) => rule.id !== "auditor-reads-log");
    const auditRow = accessMatrix(without).find((entry) => entry.action === "audit.read");
    expect(auditRow?.cells.auditor.kind).toBe("never");
  });
});
