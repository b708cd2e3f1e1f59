import {
  CONCERN_ROLE_CODES,
  CONCERN_ROLES,
  RISK_INDICATOR_CODES,
  RISK_INDICATOR_GROUPS,
  SEVERITIES,
  SEVERITY_CODES,
  THEME_CODES,
  THEMES,
  URGENCIES,
  URGENCY_CODES,
  type ConcernRole,
  type RiskIndicator,
  type Severity,
  type Theme,
  type Urgency,
} from "../../policies";
import type { DraftAnswers, DraftStep } from "../services/referral-draft";
import { Checkboxes } from "./checkboxes";
import { errorFor, type FieldError } from "./form";
import { isPlainText, untypableMessage } from "./plain-text";
import { Radios } from "./radios";
import { Select } from "./select";
import { Textarea } from "./textarea";
import { WarningText } from "./warning-text";

/** The question pages after "who is it about", each reading its own answers. */
export const QUESTION_STEPS = ["concern", "risks", "knowledge", "safety", "destination"] as const;
export type QuestionStep = (typeof QUESTION_STEPS)[number];

/** The page after each question page. */
export const NEXT_STEP: Record<DraftStep, DraftStep | "check"> = {
  "young-person": "concern",
  concern: "risks",
  risks: "knowledge",
  knowledge: "safety",
  safety: "destination",
  destination: "check",
};

/** What a step's answers look like once read from its form. */
export type StepAnswers = Partial<Omit<DraftAnswers, "youngPersonId">>;

/** A request no form of ours sends (a value outside a list): the client's mistake, a 400. */
export class MalformedAnswer extends Error {
  override name = "MalformedAnswer";
}

/** Each free-text answer's limit, what the person is told beyond it, and what it is called. */
export const DRAFT_TEXT_LIMITS: Partial<Record<keyof DraftAnswers, [number, string, string]>> = {
  concern: [10_000, "Your concern must be 10,000 characters or fewer", "Your concern"],
  youngPersonKnows: [
    5_000,
    "What the young person knows must be 5,000 characters or fewer",
    "What the young person knows",
  ],
  familyKnows: [
    5_000,
    "What their family knows must be 5,000 characters or fewer",
    "What their family knows",
  ],
  immediateAction: [
    2_000,
    "What you have done must be 2,000 characters or fewer",
    "What you have done",
  ],
};

function text(form: FormData, name: keyof DraftAnswers): string | null {
  const value = form.get(name);
  if (value !== null && typeof value !== "string") throw new MalformedAnswer(name);
  const trimmed = value?.trim() ?? "";
  return trimmed === "" ? null : trimmed.replace(/\r\n/g, "\n");
}

function oneOf<Code extends string>(
  form: FormData,
  name: string,
  codes: readonly Code[],
): Code | null {
  const value = form.get(name);
  if (value === null || value === "") return null;
  if (typeof value !== "string" || !(codes as readonly string[]).includes(value)) {
    throw new MalformedAnswer(name);
  }
  return value as Code;
}

function allOf<Code extends string>(form: FormData, name: string, codes: readonly Code[]): Code[] {
  const values = form.getAll(name);
  if (
    values.some(
      (value) => typeof value !== "string" || !(codes as readonly string[]).includes(value),
    )
  ) {
    throw new MalformedAnswer(name);
  }
  return [...new Set(values as Code[])];
}

/**
 * Read one question page's answers as typed. Answers that cannot be kept (too long, or holding a
 * character no one types) are reported and left out of what is saved (the page shows them again
 * as typed, up to their limit); a value outside a list is malformed.
 */
export function readStep(
  step: QuestionStep,
  form: FormData,
): { answers: StepAnswers; unsaved: FieldError[] } {
  const answers: StepAnswers = {};
  switch (step) {
    case "concern":
      answers.concernRoles = allOf<ConcernRole>(form, "concernRoles", CONCERN_ROLE_CODES);
      answers.themes = allOf<Theme>(form, "themes", THEME_CODES);
      answers.concern = text(form, "concern");
      break;
    case "risks":
      answers.riskIndicators = RISK_INDICATOR_CODES.flatMap((code: RiskIndicator) => {
        const severity = oneOf<Severity>(form, `risk-${code}`, SEVERITY_CODES);
        return severity ? [{ code, severity }] : [];
      });
      break;
    case "knowledge":
      answers.youngPersonKnows = text(form, "youngPersonKnows");
      answers.familyKnows = text(form, "familyKnows");
      break;
    case "safety":
      answers.immediateDanger = oneOf(form, "immediateDanger", ["yes", "no"] as const);
      answers.immediateAction = text(form, "immediateAction");
      answers.urgency = oneOf<Urgency>(form, "urgency", URGENCY_CODES);
      break;
    case "destination": {
      answers.destination = oneOf(form, "destination", ["hub", "agency"] as const);
      const agency = form.get("destinationAgencyId");
      if (
        agency !== null &&
        agency !== "" &&
        (typeof agency !== "string" || !/^[0-9a-f-]{36}$/i.test(agency))
      ) {
        throw new MalformedAnswer("destinationAgencyId");
      }
      answers.destinationAgencyId =
        answers.destination === "agency" && typeof agency === "string" && agency !== ""
          ? agency
          : null;
      break;
    }
  }
  const unsaved: FieldError[] = [];
  for (const [field, [limit, tooLong, what]] of Object.entries(DRAFT_TEXT_LIMITS) as [
    keyof DraftAnswers,
    [number, string, string],
  ][]) {
    const value = answers[field as keyof StepAnswers];
    if (typeof value !== "string") continue;
    const problem =
      value.length > limit ? tooLong : isPlainText(value) ? null : untypableMessage(what);
    if (problem) {
      unsaved.push({ field, message: problem });
      delete answers[field as keyof StepAnswers];
    }
  }
  return { answers, unsaved };
}

export const STEP_TITLES: Record<QuestionStep, string> = {
  concern: "Your concern",
  risks: "Risk indicators",
  knowledge: "What the young person and their family know",
  safety: "Immediate safety and urgency",
  destination: "Where to send the referral",
};

/** The questions of one page, showing `answers` (as saved, or as just typed). */
export function StepQuestions({
  step,
  answers,
  errors,
  agencies,
}: {
  step: QuestionStep;
  answers: DraftAnswers;
  errors: readonly FieldError[];
  agencies: readonly { id: string; name: string }[];
}) {
  switch (step) {
    case "concern":
      return (
        <>
          <Checkboxes
            name="concernRoles"
            legend="What is the young person's role in the concern?"
            hint="Select all that apply. Each is recorded separately, never merged into one label."
            values={answers.concernRoles}
            error={errorFor(errors, "concernRoles")}
            choices={CONCERN_ROLE_CODES.map((code) => ({
              value: code,
              label: CONCERN_ROLES[code],
            }))}
          />
          <Checkboxes
            name="themes"
            legend="Which Serious Violence Strategy themes does this concern?"
            hint="Select all that apply"
            values={answers.themes}
            error={errorFor(errors, "themes")}
            choices={THEME_CODES.map((code) => ({ value: code, label: THEMES[code] }))}
          />
          <Textarea
            id="concern"
            label="Describe your concern"
            labelSize="m"
            hint="In your own words: what you have seen or been told, when, and by whom. Keep facts and opinions apart."
            value={answers.concern}
            error={errorFor(errors, "concern")}
            rows={10}
          />
        </>
      );
    case "risks":
      return (
        <>
          <p className="govuk-body">
            For each indicator you have seen, say how far it has gone. Leave the others as
            &ldquo;Not seen&rdquo;.
          </p>
          {errorFor(errors, "risk-missing_episode") ? (
            <p className="govuk-error-message">
              <span className="govuk-visually-hidden">Error:</span>{" "}
              {errorFor(errors, "risk-missing_episode")}
            </p>
          ) : null}
          {RISK_INDICATOR_GROUPS.map((group) => (
            <fieldset className="govuk-fieldset govuk-!-margin-bottom-6" key={group.name}>
              <legend className="govuk-fieldset__legend govuk-fieldset__legend--m">
                {group.name}
              </legend>
              {(Object.entries(group.indicators) as [RiskIndicator, string][]).map(
                ([code, label]) => (
                  <Select
                    key={code}
                    id={`risk-${code}`}
                    label={label}
                    value={answers.riskIndicators.find((entry) => entry.code === code)?.severity}
                    placeholder="Not seen"
                    choices={SEVERITY_CODES.map((severity) => ({
                      value: severity,
                      label: SEVERITIES[severity],
                    }))}
                  />
                ),
              )}
            </fieldset>
          ))}
        </>
      );
    case "knowledge":
      return (
        <>
          <Textarea
            id="youngPersonKnows"
            label="What does the young person know about this referral?"
            hint="Whether they know you are referring them, and what they think about it. If telling them would put them at risk, say so."
            value={answers.youngPersonKnows}
            error={errorFor(errors, "youngPersonKnows")}
          />
          <Textarea
            id="familyKnows"
            label="What do their parents or carers know?"
            hint="If telling them would put the young person at risk, say so and why."
            value={answers.familyKnows}
            error={errorFor(errors, "familyKnows")}
          />
        </>
      );
    case "safety":
      return (
        <>
          <WarningText>
            If a child is in immediate danger, call 999 now. If a child is at risk of significant
            harm, contact children&apos;s social care now. Then come back and record the referral:
            nothing you have entered will be lost.
          </WarningText>
          <Radios
            name="immediateDanger"
            legend="Is the young person in immediate danger?"
            value={answers.immediateDanger ?? undefined}
            error={errorFor(errors, "immediateDanger")}
            choices={[
              { value: "yes", label: "Yes" },
              { value: "no", label: "No" },
            ]}
          />
          <Textarea
            id="immediateAction"
            label="If yes: who have you told, and when?"
            hint="For example, the police on 999 at 2:10pm, and the children's social care front door."
            value={answers.immediateAction}
            error={errorFor(errors, "immediateAction")}
            rows={3}
          />
          <Radios
            name="urgency"
            legend="How urgent is the referral?"
            value={answers.urgency ?? undefined}
            error={errorFor(errors, "urgency")}
            choices={URGENCY_CODES.map((code) => ({ value: code, label: URGENCIES[code] }))}
          />
        </>
      );
    case "destination":
      return (
        <>
          <Radios
            name="destination"
            legend="Where should the referral go?"
            hint="The partnership hub screens every referral; it will send this one on to the agencies best placed to help."
            value={answers.destination ?? undefined}
            error={errorFor(errors, "destination")}
            choices={[
              { value: "hub", label: "The partnership hub (recommended)" },
              {
                value: "agency",
                label: "A named agency or programme",
                hint: "The hub still screens it and routes it there if it agrees.",
              },
            ]}
          />
          <Select
            id="destinationAgencyId"
            label="If a named agency or programme: which one?"
            value={answers.destinationAgencyId ?? undefined}
            error={errorFor(errors, "destinationAgencyId")}
            placeholder="Select an agency"
            choices={agencies.map((agency) => ({ value: agency.id, label: agency.name }))}
          />
        </>
      );
  }
}
