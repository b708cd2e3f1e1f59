import type { AgencyKind } from "./agency-kinds";
import type { SharingPurpose } from "./sharing-agreement";

/**
 * The decision to share (DOMAIN.md section 4): the words it is recorded in, and the combinations
 * the law or the partnership's agreement rule out. Pure data and functions: the form, the service
 * and the tests all use them.
 */

export const SHARE_DECISIONS = {
  share: "Share",
  share_partial: "Share some of it",
  not_share: "Do not share",
} as const;
export type ShareDecision = keyof typeof SHARE_DECISIONS;
export const SHARE_DECISION_CODES = Object.keys(SHARE_DECISIONS) as ShareDecision[];

/** The parts of a case a decision may share (share_partial limits a recipient to those chosen). */
export const DATA_ITEMS = {
  identity: "Who the young person is (name, date of birth, postcode district, school)",
  concern: "The concern and the referrer's account",
  risk_indicators: "Risk indicators",
  family_knowledge: "What the young person and their family know",
  case_notes: "Contacts and case notes marked as shared",
  actions: "Actions and their progress",
  outcome: "The outcome",
} as const;
export type DataItem = keyof typeof DATA_ITEMS;
export const DATA_ITEM_CODES = Object.keys(DATA_ITEMS) as DataItem[];

/** UK GDPR Article 6 lawful bases used in safeguarding. */
export const ARTICLE_6_BASES = {
  public_task: "6(1)(e) public task (the usual basis for public bodies)",
  legal_obligation: "6(1)(c) legal obligation",
  vital_interests: "6(1)(d) vital interests (someone's life is at risk)",
  consent: "6(1)(a) consent",
  legitimate_interests: "6(1)(f) legitimate interests (voluntary organisations only)",
} as const;
export type Article6Basis = keyof typeof ARTICLE_6_BASES;
export const ARTICLE_6_CODES = Object.keys(ARTICLE_6_BASES) as Article6Basis[];

/** Article 9 conditions for special-category data (health, sex life, ethnicity and so on). */
export const ARTICLE_9_CONDITIONS = {
  none: "No special-category data is shared",
  safeguarding: "DPA 2018 Schedule 1 paragraph 18: safeguarding of children",
  preventing_crime: "DPA 2018 Schedule 1 paragraph 10: preventing or detecting unlawful acts",
  health_social_care: "DPA 2018 Schedule 1 Part 1 paragraph 2: health or social care purposes",
  explicit_consent: "Article 9(2)(a): explicit consent",
} as const;
export type Article9Condition = keyof typeof ARTICLE_9_CONDITIONS;
export const ARTICLE_9_CODES = Object.keys(ARTICLE_9_CONDITIONS) as Article9Condition[];

export const STATUTORY_GATEWAYS = {
  none: "None",
  crime_and_disorder_act_s115: "Crime and Disorder Act 1998, section 115",
  pcsc_act_2022_s16: "Police, Crime, Sentencing and Courts Act 2022, section 16",
  children_act_s17: "Children Act 1989, section 17 (child in need)",
  children_act_s47: "Children Act 1989, section 47 (significant harm)",
} as const;
export type StatutoryGateway = keyof typeof STATUTORY_GATEWAYS;
export const GATEWAY_CODES = Object.keys(STATUTORY_GATEWAYS) as StatutoryGateway[];

export const CONSENT_GIVERS = {
  young_person: "The young person",
  parental_responsibility: "A person with parental responsibility",
} as const;
export type ConsentGiver = keyof typeof CONSENT_GIVERS;
export const CONSENT_GIVER_CODES = Object.keys(CONSENT_GIVERS) as ConsentGiver[];

export const CONSENT_FORMS = { verbal: "Verbally", written: "In writing" } as const;
export type ConsentForm = keyof typeof CONSENT_FORMS;
export const CONSENT_FORM_CODES = Object.keys(CONSENT_FORMS) as ConsentForm[];

/** Why consent was not sought: mandatory whenever consent is not relied on. */
export const CONSENT_NOT_SOUGHT_REASONS = {
  would_increase_risk: "Asking would increase the risk to the young person or someone else",
  would_prejudice_investigation: "Asking would prejudice a criminal investigation",
  cannot_be_given: "Consent cannot be given (for example, the young person lacks capacity)",
  cannot_reasonably_be_obtained: "Consent cannot reasonably be obtained",
  required_by_law: "Sharing is required by law",
  emergency: "An emergency: there is no time to ask",
} as const;
export type ConsentNotSoughtReason = keyof typeof CONSENT_NOT_SOUGHT_REASONS;
export const CONSENT_NOT_SOUGHT_CODES = Object.keys(
  CONSENT_NOT_SOUGHT_REASONS,
) as ConsentNotSoughtReason[];

/**
 * A decision to share as the person records it, before any check. A decision not to share is
 * asked only what it needs: with whom (`recipientAgencyIds`), what was not shared (`dataItems`),
 * why (`rationale`), who else took part (`adviceFrom`) and when to review it (`reviewOn`); the
 * purposes, the consent and the law are questions about sharing, and are left empty.
 */
export interface DecisionToShareInput {
  decision: ShareDecision;
  recipientAgencyIds: string[];
  purposes: SharingPurpose[];
  /** Under `share_partial`, what is shared; under `not_share`, what was not shared. */
  dataItems: DataItem[];
  adviceFrom: string | null;
  /** Required to share; null for a decision not to share. */
  article6: Article6Basis | null;
  article9: Article9Condition | null;
  gateway: StatutoryGateway | null;
  consentReliedOn: boolean;
  consentGivenBy: ConsentGiver | null;
  /** For a young person under 16 giving consent: how their competence was assessed. */
  competenceAssessment: string | null;
  consentScopeAgencyIds: string[];
  consentScopePurposes: SharingPurpose[];
  consentForm: ConsentForm | null;
  /** ISO date the consent ends, if it does. */
  consentExpiresOn: string | null;
  consentNotSoughtReason: ConsentNotSoughtReason | null;
  youngPersonViews: string | null;
  rationale: string;
  /** For a decision not to share: the ISO date it should be looked at again. */
  reviewOn?: string | null;
}

/** What the rules need to know besides the form: who the recipients are, the source, the child. */
export interface DecisionContext {
  /** The kind of agency the information came from (the referrer's). */
  sourceKind: AgencyKind;
  /** Each recipient agency's kind, by id. */
  recipientKinds: Readonly<Record<string, AgencyKind>>;
  /** The young person's age in whole years on the day of the decision, if known. */
  youngPersonAge: number | null;
  /** Whether the partnership's agreement permits sharing from one kind to another for a purpose. */
  agreementPermits: (from: AgencyKind, to: AgencyKind, purpose: SharingPurpose) => boolean;
  /** Today, as an ISO date. */
  today: string;
}

/** One reason a decision cannot be recorded, against the field it is about. */
export interface DecisionProblem {
  field: string;
  message: string;
}

/**
 * What a decision not to share must say (issue 18): with whom, what was not shared, why, and when
 * to look at it again. Who decided is the person recording it, with anyone they name as advising.
 */
function notShareProblems(
  input: DecisionToShareInput,
  context: DecisionContext,
): DecisionProblem[] {
  const problems: DecisionProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  if (input.recipientAgencyIds.length === 0) {
    add("recipientAgencyIds", "Select the agencies you decided not to share with");
  }
  if (input.dataItems.length === 0)
    add("dataItems", "Select the information you decided not to share");
  if (!input.rationale.trim()) add("rationale", "Say why you decided not to share");
  if (!input.reviewOn) add("reviewOn", "Give the date the decision should be reviewed");
  else if (input.reviewOn < context.today) {
    add("reviewOn", "The review date must be today or later");
  }
  return problems;
}

/**
 * The combinations a decision to share may not take (DOMAIN.md section 4), each with a message
 * naming the problem, in the order of the form's fields. An empty list means it can be recorded.
 */
export function decisionProblems(
  input: DecisionToShareInput,
  context: DecisionContext,
): DecisionProblem[] {
  if (input.decision === "not_share") return notShareProblems(input, context);
  const problems: DecisionProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });

  if (input.recipientAgencyIds.length === 0) {
    add("recipientAgencyIds", "Select the agencies this decision is about");
  }
  if (input.purposes.length === 0) add("purposes", "Select the purpose of sharing");
  if (input.decision === "share_partial" && input.dataItems.length === 0) {
    add("dataItems", "Select the information to share when sharing only some of it");
  }
  for (const agencyId of input.recipientAgencyIds) {
    const toKind = context.recipientKinds[agencyId];
    if (!toKind) continue;
    const outside = input.purposes.filter(
      (purpose) => !context.agreementPermits(context.sourceKind, toKind, purpose),
    );
    if (outside.length > 0) {
      add(
        "recipientAgencyIds",
        "The partnership's information sharing agreement does not permit this share: " +
          `${context.sourceKind.replace(/_/g, " ")} to ${toKind.replace(/_/g, " ")} for ${outside.join(", ").replace(/_/g, " ")}`,
      );
      break;
    }
  }
  if (
    input.gateway === "pcsc_act_2022_s16" &&
    (context.sourceKind === "health" || context.sourceKind === "childrens_social_care")
  ) {
    add(
      "gateway",
      "Section 16 of the PCSC Act 2022 cannot be used for information from a health or social care body: choose another gateway",
    );
  }
  if (input.article6 === "consent" && !input.consentReliedOn) {
    add("article6", "Article 6(1)(a) consent needs consent to be relied on: choose another basis");
  }
  if (input.article9 === "explicit_consent" && !input.consentReliedOn) {
    add("article9", "Explicit consent under Article 9 needs consent to be relied on");
  }
  if (input.consentReliedOn) {
    if (!input.consentGivenBy) add("consentGivenBy", "Say who gave consent");
    if (
      input.consentGivenBy === "young_person" &&
      context.youngPersonAge !== null &&
      context.youngPersonAge < 16 &&
      !input.competenceAssessment
    ) {
      add(
        "competenceAssessment",
        "The young person is under 16: record how you assessed their competence to consent",
      );
    }
    if (!input.consentForm) add("consentForm", "Say how consent was given");
    if (input.consentScopeAgencyIds.length === 0) {
      add("consentScopeAgencyIds", "Select the agencies the consent covers");
    }
    const beyondScope = input.recipientAgencyIds.filter(
      (agencyId) => !input.consentScopeAgencyIds.includes(agencyId),
    );
    if (input.consentScopeAgencyIds.length > 0 && beyondScope.length > 0) {
      add(
        "consentScopeAgencyIds",
        "The consent does not cover every agency you are sharing with: share only within its scope, or rely on another basis",
      );
    }
    if (input.consentExpiresOn !== null && input.consentExpiresOn < context.today) {
      add(
        "consentExpiresOn",
        "The consent has already expired: the expiry date must be today or later",
      );
    }
  } else if (!input.consentNotSoughtReason) {
    add("consentNotSoughtReason", "Say why consent was not sought");
  }
  if (!input.article6) add("article6", "Select the lawful basis under Article 6");
  if (!input.article9) {
    add(
      "article9",
      "Select the Article 9 condition, or that no special-category information is shared",
    );
  }
  if (!input.gateway) add("gateway", "Select the law that gives a power to share, or None");
  if (!input.rationale.trim()) add("rationale", "Give the rationale for the decision");
  return problems;
}

/** A recorded decision, as the sharing state needs it. */
export interface RecordedDecision {
  id: string;
  supersedesId: string | null;
  decision: ShareDecision;
  recipientAgencyIds: readonly string[];
  dataItems: readonly DataItem[];
  consentReliedOn: boolean;
  consentScopeAgencyIds: readonly string[];
  /** ISO date. */
  consentExpiresOn: string | null;
  /** When consent was withdrawn (ISO timestamp), if it was. */
  withdrawnAt: string | null;
}

/** Where an agency stands under a case's decisions to share, and what that lets it read. */
export interface AgencySharing {
  state: "covered" | "partial" | "not_covered" | "expired" | "withdrawn";
  /** For `partial`: the only parts of the case the agency may read. */
  dataItems: DataItem[];
  /** For `withdrawn`: the agency reads the case only as it was at this moment. */
  withdrawnAt: string | null;
}

/** The decisions no later decision has replaced. */
export function currentDecisions<D extends Pick<RecordedDecision, "id" | "supersedesId">>(
  decisions: readonly D[],
): D[] {
  const superseded = new Set(decisions.map((decision) => decision.supersedesId));
  return decisions.filter((decision) => !superseded.has(decision.id));
}

/**
 * Whether a case's current decisions to share cover an agency (DOMAIN.md section 4). The referring
 * agency always reads what it referred. Otherwise a current `share` covers it, or a `share_partial`
 * for the items chosen; a share resting on consent covers only the agencies in the consent's scope,
 * only until the consent expires, and after a withdrawal only as the case was then (withdrawal is
 * not retrospective). Anything else does not cover it.
 */
export function agencySharing(
  agencyId: string,
  referrerAgencyId: string,
  decisions: readonly RecordedDecision[],
  today: string,
): AgencySharing {
  if (agencyId === referrerAgencyId) return { state: "covered", dataItems: [], withdrawnAt: null };
  let partial: DataItem[] | null = null;
  let withdrawnAt: string | null = null;
  let expired = false;
  for (const decision of currentDecisions(decisions)) {
    if (decision.decision === "not_share" || !decision.recipientAgencyIds.includes(agencyId)) {
      continue;
    }
    if (decision.consentReliedOn) {
      if (!decision.consentScopeAgencyIds.includes(agencyId)) continue;
      if (decision.withdrawnAt) {
        if (!withdrawnAt || decision.withdrawnAt > withdrawnAt) withdrawnAt = decision.withdrawnAt;
        continue;
      }
      if (decision.consentExpiresOn !== null && decision.consentExpiresOn < today) {
        expired = true;
        continue;
      }
    }
    if (decision.decision === "share")
      return { state: "covered", dataItems: [], withdrawnAt: null };
    partial = [...new Set([...(partial ?? []), ...decision.dataItems])];
  }
  if (partial) return { state: "partial", dataItems: partial, withdrawnAt: null };
  if (withdrawnAt) return { state: "withdrawn", dataItems: [], withdrawnAt };
  return { state: expired ? "expired" : "not_covered", dataItems: [], withdrawnAt: null };
}
