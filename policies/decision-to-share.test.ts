import { describe, expect, it } from "vitest";
import type { AgencyKind } from "./agency-kinds";
import {
  agencySharing,
  currentDecisions,
  decisionProblems,
  type DecisionContext,
  type DecisionToShareInput,
  type RecordedDecision,
} from "./decision-to-share";

const ADVOCACY = "agency-advocacy";
const POLICE = "agency-police";
const SCHOOL = "agency-school";

const CONTEXT: DecisionContext = {
  sourceKind: "school",
  recipientKinds: { [ADVOCACY]: "advocacy", [POLICE]: "police" },
  youngPersonAge: 15,
  agreementPermits: (from: AgencyKind, to: AgencyKind) => !(from === "school" && to === "police"),
  today: "2026-11-24",
};

const WITHOUT_CONSENT: DecisionToShareInput = {
  decision: "share",
  recipientAgencyIds: [ADVOCACY],
  purposes: ["safeguarding"],
  dataItems: [],
  adviceFrom: null,
  article6: "public_task",
  article9: "safeguarding",
  gateway: "none",
  consentReliedOn: false,
  consentGivenBy: null,
  competenceAssessment: null,
  consentScopeAgencyIds: [],
  consentScopePurposes: [],
  consentForm: null,
  consentExpiresOn: null,
  consentNotSoughtReason: "would_increase_risk",
  youngPersonViews: null,
  rationale: "Asking would alert the people exploiting him.",
};

const WITH_CONSENT: DecisionToShareInput = {
  ...WITHOUT_CONSENT,
  consentReliedOn: true,
  consentGivenBy: "young_person",
  competenceAssessment: "Understood who would see it and why; able to weigh it up (Gillick).",
  consentScopeAgencyIds: [ADVOCACY],
  consentScopePurposes: ["safeguarding"],
  consentForm: "written",
  consentExpiresOn: "2027-05-24",
  consentNotSoughtReason: null,
};

/** A decision not to share, asked only what it needs: no purposes, consent or law. */
const NOT_SHARING: Partial<DecisionToShareInput> = {
  decision: "not_share",
  recipientAgencyIds: [POLICE],
  purposes: [],
  dataItems: ["concern", "case_notes"],
  article6: null,
  article9: null,
  gateway: null,
  consentNotSoughtReason: null,
  reviewOn: "2027-02-24",
  rationale: "Telling the police now would put his sister at risk.",
};

function problemsOf(input: Partial<DecisionToShareInput>, context: Partial<DecisionContext> = {}) {
  return decisionProblems({ ...WITHOUT_CONSENT, ...input }, { ...CONTEXT, ...context });
}

describe("a decision to share", () => {
  it("can be recorded without consent when the reason consent was not sought is given", () => {
    expect(problemsOf({})).toEqual([]);
  });

  it("can be recorded on consent from a competent 15-year-old, within the consent's scope", () => {
    expect(decisionProblems(WITH_CONSENT, CONTEXT)).toEqual([]);
  });

  it("is refused when consent is relied on but no one gave it", () => {
    expect(problemsOf({ ...WITH_CONSENT, consentGivenBy: null })).toContainEqual({
      field: "consentGivenBy",
      message: "Say who gave consent",
    });
  });

  it.each(["health", "childrens_social_care"] as const)(
    "is refused when information from a %s body is shared under section 16 of the PCSC Act 2022",
    (sourceKind) => {
      const problems = problemsOf({ gateway: "pcsc_act_2022_s16" }, { sourceKind });
      expect(problems.map((problem) => problem.field)).toEqual(["gateway"]);
      expect(problems[0]?.message).toMatch(/Section 16 of the PCSC Act 2022 cannot be used/);
    },
  );

  it("may use section 16 for information from the police", () => {
    expect(problemsOf({ gateway: "pcsc_act_2022_s16" }, { sourceKind: "police" })).toEqual([]);
  });

  it("is refused when the sharing agreement does not permit the share", () => {
    const problems = problemsOf({ recipientAgencyIds: [POLICE] });
    expect(problems.map((problem) => problem.field)).toEqual(["recipientAgencyIds"]);
    expect(problems[0]?.message).toMatch(/agreement does not permit this share: school to police/);
  });

  it("records a decision not to share outside the agreement (not sharing is always allowed)", () => {
    expect(problemsOf({ ...NOT_SHARING, recipientAgencyIds: [POLICE] })).toEqual([]);
  });

  it("is refused on consent from a child under 16 with no competence assessment", () => {
    const problems = decisionProblems({ ...WITH_CONSENT, competenceAssessment: null }, CONTEXT);
    expect(problems).toEqual([
      {
        field: "competenceAssessment",
        message:
          "The young person is under 16: record how you assessed their competence to consent",
      },
    ]);
  });

  it("presumes a 16-year-old competent", () => {
    expect(
      decisionProblems(
        { ...WITH_CONSENT, competenceAssessment: null },
        { ...CONTEXT, youngPersonAge: 16 },
      ),
    ).toEqual([]);
  });

  it("is refused without a reason when consent is not relied on", () => {
    expect(problemsOf({ consentNotSoughtReason: null }).map((problem) => problem.field)).toEqual([
      "consentNotSoughtReason",
    ]);
  });

  it("is refused when consent does not cover every agency shared with", () => {
    const problems = decisionProblems(
      { ...WITH_CONSENT, recipientAgencyIds: [ADVOCACY, POLICE] },
      { ...CONTEXT, agreementPermits: () => true },
    );
    expect(problems.map((problem) => problem.field)).toEqual(["consentScopeAgencyIds"]);
  });

  it("is refused on the consent basis or explicit consent without relying on consent", () => {
    expect(
      problemsOf({ article6: "consent", article9: "explicit_consent" }).map((p) => p.field),
    ).toEqual(["article6", "article9"]);
  });

  it("is refused on consent that has already expired, or with no rationale", () => {
    expect(
      decisionProblems(
        { ...WITH_CONSENT, consentExpiresOn: "2026-11-23", rationale: "  " },
        CONTEXT,
      ).map((problem) => problem.field),
    ).toEqual(["consentExpiresOn", "rationale"]);
  });
});

function recorded(overrides: Partial<RecordedDecision>): RecordedDecision {
  return {
    id: "decision-1",
    supersedesId: null,
    decision: "share",
    recipientAgencyIds: [ADVOCACY],
    dataItems: [],
    consentReliedOn: false,
    consentScopeAgencyIds: [],
    consentExpiresOn: null,
    withdrawnAt: null,
    ...overrides,
  };
}

describe("an agency's sharing state", () => {
  const today = "2026-11-24";
  // prettier-ignore
  const cases: [string, RecordedDecision[], string, ReturnType<typeof agencySharing>["state"]][] = [
    ["the referring agency, with no decision at all",   [],                                                       SCHOOL,   "covered"],
    ["a recipient of a share",                          [recorded({})],                                            ADVOCACY, "covered"],
    ["an agency no decision names",                     [recorded({})],                                            POLICE,   "not_covered"],
    ["a recipient of a decision not to share",          [recorded({ decision: "not_share" })],                     ADVOCACY, "not_covered"],
    ["a recipient of a partial share",                  [recorded({ decision: "share_partial", dataItems: ["identity"] })], ADVOCACY, "partial"],
    ["a recipient on consent in scope",                 [recorded({ consentReliedOn: true, consentScopeAgencyIds: [ADVOCACY] })], ADVOCACY, "covered"],
    ["a recipient on consent outside its scope",        [recorded({ consentReliedOn: true, consentScopeAgencyIds: [POLICE] })], ADVOCACY, "not_covered"],
    ["a recipient on consent that expired yesterday",   [recorded({ consentReliedOn: true, consentScopeAgencyIds: [ADVOCACY], consentExpiresOn: "2026-11-23" })], ADVOCACY, "expired"],
    ["a recipient on consent that ends today",          [recorded({ consentReliedOn: true, consentScopeAgencyIds: [ADVOCACY], consentExpiresOn: today })], ADVOCACY, "covered"],
    ["a recipient on consent since withdrawn",          [recorded({ consentReliedOn: true, consentScopeAgencyIds: [ADVOCACY], withdrawnAt: "2026-11-20T10:00:00.000Z" })], ADVOCACY, "withdrawn"],
    ["a recipient after withdrawal and a new decision on another basis", [
      recorded({ consentReliedOn: true, consentScopeAgencyIds: [ADVOCACY], withdrawnAt: "2026-11-20T10:00:00.000Z" }),
      recorded({ id: "decision-2" }),
    ], ADVOCACY, "covered"],
    ["a recipient of a share since replaced by a decision not to share", [
      recorded({}),
      recorded({ id: "decision-2", supersedesId: "decision-1", decision: "not_share" }),
    ], ADVOCACY, "not_covered"],
  ];

  it.each(cases)("is right for %s", (_what, decisions, agency, expected) => {
    expect(agencySharing(agency, SCHOOL, decisions, today).state).toBe(expected);
  });

  it("limits a partial share to the items chosen, and a withdrawal to the moment it happened", () => {
    expect(
      agencySharing(
        ADVOCACY,
        SCHOOL,
        [recorded({ decision: "share_partial", dataItems: ["identity", "concern"] })],
        today,
      ).dataItems,
    ).toEqual(["identity", "concern"]);
    expect(
      agencySharing(
        ADVOCACY,
        SCHOOL,
        [
          recorded({
            consentReliedOn: true,
            consentScopeAgencyIds: [ADVOCACY],
            withdrawnAt: "2026-11-20T10:00:00.000Z",
          }),
        ],
        today,
      ).withdrawnAt,
    ).toBe("2026-11-20T10:00:00.000Z");
  });

  it("counts only decisions no later decision replaced", () => {
    const decisions = [recorded({}), recorded({ id: "decision-2", supersedesId: "decision-1" })];
    expect(currentDecisions(decisions).map((decision) => decision.id)).toEqual(["decision-2"]);
  });
});

describe("a decision not to share", () => {
  it("needs no purpose, consent, lawful basis or gateway", () => {
    expect(problemsOf(NOT_SHARING)).toEqual([]);
  });

  it("asks with whom, what was not shared, why and when to review it, and nothing else", () => {
    const problems = problemsOf({
      ...NOT_SHARING,
      recipientAgencyIds: [],
      dataItems: [],
      rationale: " ",
      reviewOn: null,
    });
    expect(problems.map((problem) => problem.field)).toEqual([
      "recipientAgencyIds",
      "dataItems",
      "rationale",
      "reviewOn",
    ]);
  });

  it("is refused a review date in the past", () => {
    expect(problemsOf({ ...NOT_SHARING, reviewOn: "2026-11-23" })).toEqual([
      { field: "reviewOn", message: "The review date must be today or later" },
    ]);
  });

  it("still needs the lawful basis when information is shared", () => {
    const problems = problemsOf({ article6: null, article9: null, gateway: null });
    expect(problems.map((problem) => problem.field)).toEqual(["article6", "article9", "gateway"]);
  });
});
