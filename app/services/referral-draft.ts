import type { RiskIndicatorEntry } from "../../db/types";
import type { ConcernRole, Theme, Urgency } from "../../policies";

/** A referral's answers as the referrer gives them, page by page; anything may still be missing. */
export interface DraftAnswers {
  youngPersonId: string | null;
  concernRoles: ConcernRole[];
  themes: Theme[];
  concern: string | null;
  riskIndicators: RiskIndicatorEntry[];
  youngPersonKnows: string | null;
  familyKnows: string | null;
  immediateDanger: "yes" | "no" | null;
  immediateAction: string | null;
  urgency: Urgency | null;
  destination: "hub" | "agency" | null;
  destinationAgencyId: string | null;
}

/** The question pages of the referral form, in order. */
export const DRAFT_STEPS = [
  { step: "young-person", title: "Who is the referral about?" },
  { step: "concern", title: "Your concern" },
  { step: "risks", title: "Risk indicators" },
  { step: "knowledge", title: "What the young person and their family know" },
  { step: "safety", title: "Immediate safety and urgency" },
  { step: "destination", title: "Where to send the referral" },
] as const;

export type DraftStep = (typeof DRAFT_STEPS)[number]["step"];

/**
 * Whether a draft has no answer at all yet: "Make a referral" takes such a draft up again rather
 * than starting another beside it.
 */
export function isUntouched(answers: DraftAnswers): boolean {
  return (
    answers.youngPersonId === null &&
    answers.concernRoles.length === 0 &&
    answers.themes.length === 0 &&
    !answers.concern &&
    answers.riskIndicators.length === 0 &&
    !answers.youngPersonKnows &&
    !answers.familyKnows &&
    answers.immediateDanger === null &&
    !answers.immediateAction &&
    answers.urgency === null &&
    answers.destination === null &&
    answers.destinationAgencyId === null
  );
}

/** One thing still wrong or missing: which page, which field (its input id) and what to do. */
export interface DraftProblem {
  step: DraftStep;
  field: string;
  message: string;
  /** Where to fix it, when that is not one of the question pages (the decision to share). */
  href?: string;
}

/** The id of the first risk indicator's input, where an error about the whole list links to. */
export const FIRST_RISK_FIELD = "risk-missing_episode";

/**
 * Everything that stops a draft being submitted, in form order. Each page checks its own part as
 * the person goes; submitting checks all of it again.
 */
export function draftProblems(answers: DraftAnswers): DraftProblem[] {
  const problems: DraftProblem[] = [];
  const need = (ok: boolean, step: DraftStep, field: string, message: string) => {
    if (!ok) problems.push({ step, field, message });
  };
  need(
    answers.youngPersonId !== null,
    "young-person",
    "givenName",
    "Find the young person, or record them as someone new",
  );
  need(
    answers.concernRoles.length > 0,
    "concern",
    "concernRoles",
    "Select the young person's role in the concern",
  );
  need(answers.themes.length > 0, "concern", "themes", "Select at least one Strategy theme");
  need(!!answers.concern, "concern", "concern", "Describe your concern in your own words");
  need(
    answers.riskIndicators.length > 0,
    "risks",
    FIRST_RISK_FIELD,
    "Give the severity of at least one risk indicator",
  );
  need(
    !!answers.youngPersonKnows,
    "knowledge",
    "youngPersonKnows",
    "Say what the young person knows about this referral",
  );
  need(
    !!answers.familyKnows,
    "knowledge",
    "familyKnows",
    "Say what their family or carers know about this referral",
  );
  need(
    answers.immediateDanger !== null,
    "safety",
    "immediateDanger",
    "Select yes if the young person is in immediate danger",
  );
  need(
    answers.immediateDanger !== "yes" || !!answers.immediateAction,
    "safety",
    "immediateAction",
    "Say who you have told about the immediate danger, and when",
  );
  need(answers.urgency !== null, "safety", "urgency", "Select how urgent the referral is");
  need(
    answers.destination !== null,
    "destination",
    "destination",
    "Select where to send the referral",
  );
  need(
    answers.destination !== "agency" || answers.destinationAgencyId !== null,
    "destination",
    "destinationAgencyId",
    "Select the agency or programme to send it to",
  );
  return problems;
}
