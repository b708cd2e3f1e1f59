import { z } from "zod";
import {
  ESCALATION_CODES,
  ESCALATIONS,
  OUTCOME_CODES,
  OUTCOMES,
  RAG_CODES,
  RAG_RATINGS,
  type Action,
  type Escalation,
  type Outcome,
  type RagRating,
} from "../../policies";
import type { ReferralView } from "../services/referrals.server";
import { Checkboxes } from "./checkboxes";
import { errorFor, type FieldError } from "./form";
import { plainText } from "./plain-text";
import { Radios } from "./radios";
import { Select } from "./select";
import { Textarea } from "./textarea";

/** The lifecycle steps that have a page of their own (re-rating shares the screening page). */
export const STEP_PAGES = {
  screen: { action: "referral.screen", title: "Screen the referral", button: "Save the rating" },
  route: { action: "referral.route", title: "Route the referral", button: "Route the referral" },
  accept: {
    action: "referral.accept",
    title: "Accept the referral",
    button: "Accept and allocate",
  },
  decline: { action: "referral.decline", title: "Decline the referral", button: "Decline" },
  refer_to_panel: {
    action: "referral.refer_to_panel",
    title: "Refer to the multi-agency panel",
    button: "Refer to the panel",
  },
  close: { action: "referral.close", title: "Close the referral", button: "Close the referral" },
  escalate: {
    action: "referral.escalate",
    title: "Escalate the case",
    button: "Record escalation",
  },
  withdraw: {
    action: "referral.withdraw",
    title: "Withdraw the referral",
    button: "Withdraw the referral",
  },
} as const satisfies Record<string, { action: Action; title: string; button: string }>;

export type StepPage = keyof typeof STEP_PAGES;

export function isStepPage(value: unknown): value is StepPage {
  return typeof value === "string" && Object.hasOwn(STEP_PAGES, value);
}

/** What the person typed, kept for re-display. */
export interface StepAnswers {
  rag?: string;
  rationale?: string;
  agencyIds?: string[];
  allocatedUserId?: string;
  reason?: string;
  outcome?: string;
  summary?: string;
  to?: string;
}

export type StepInput =
  | { transition: "screen"; version: number; rag: RagRating; rationale: string }
  | { transition: "route"; version: number; agencyIds: string[] }
  | { transition: "accept"; version: number; allocatedUserId: string }
  | { transition: "decline" | "refer_to_panel" | "withdraw"; version: number; reason: string }
  | { transition: "close"; version: number; outcome: Outcome; summary: string }
  | { transition: "escalate"; version: number; to: Escalation; reason: string };

const Text = (what: string, required: string, max: number) =>
  plainText(what)
    .trim()
    .min(1, required)
    .max(max, `This must be ${max.toLocaleString("en-GB")} characters or fewer`);

const SCHEMAS = {
  screen: z.object({
    rag: z.enum(RAG_CODES, { error: "Select a RAG rating" }),
    rationale: Text("The rationale", "Give the rationale for the rating", 5000),
  }),
  route: z.object({
    agencyIds: z
      .array(z.uuid({ error: "Select agencies from the list" }))
      .min(1, "Select at least one agency to route the referral to"),
  }),
  accept: z.object({
    allocatedUserId: z.uuid({ error: "Select who the case is allocated to" }),
  }),
  decline: z.object({
    reason: Text("The reason", "Say why your agency is declining the referral", 2000),
  }),
  refer_to_panel: z.object({
    reason: Text("The reason", "Say why the panel should consider it", 2000),
  }),
  withdraw: z.object({
    reason: Text("The reason", "Say why the referral is being withdrawn", 2000),
  }),
  close: z.object({
    outcome: z.enum(OUTCOME_CODES, { error: "Select the outcome" }),
    summary: Text("The summary", "Write a summary of the outcome for the referrer", 5000),
  }),
  escalate: z.object({
    to: z.enum(ESCALATION_CODES, { error: "Select where the case is escalated to" }),
    reason: Text("The reason", "Say why the case is being escalated", 2000),
  }),
} satisfies Record<StepPage, z.ZodType>;

/** The input ids of each step's fields, in form order, for the error summary. */
const FIELD_ORDER: Record<StepPage, string[]> = {
  screen: ["rag", "rationale"],
  route: ["agencyIds"],
  accept: ["allocatedUserId"],
  decline: ["reason"],
  refer_to_panel: ["reason"],
  withdraw: ["reason"],
  close: ["outcome", "summary"],
  escalate: ["to", "reason"],
};

/** Read a step's form: the input for the service, or every error with the answers kept. */
export function parseStepForm(
  transition: StepPage,
  form: FormData,
):
  | { kind: "ok"; input: StepInput; answers: StepAnswers }
  | { kind: "invalid"; answers: StepAnswers; errors: FieldError[] }
  | { kind: "malformed" } {
  const version = Number(form.get("version"));
  if (!Number.isInteger(version) || version < 1) return { kind: "malformed" };
  const raw: Record<string, unknown> = {};
  for (const key of new Set(form.keys())) {
    const values = form.getAll(key);
    if (values.some((value) => typeof value !== "string")) return { kind: "malformed" };
    raw[key] = key === "agencyIds" ? values : values[0];
  }
  if (transition === "route") raw.agencyIds ??= [];
  // Kept to show again, never past a field's limit.
  const answers: StepAnswers = {
    rag: stringOf(raw.rag, 50),
    rationale: stringOf(raw.rationale, 5000),
    agencyIds: Array.isArray(raw.agencyIds) ? (raw.agencyIds as string[]) : undefined,
    allocatedUserId: stringOf(raw.allocatedUserId, 50),
    reason: stringOf(raw.reason, 2000),
    outcome: stringOf(raw.outcome, 50),
    summary: stringOf(raw.summary, 5000),
    to: stringOf(raw.to, 50),
  };
  const parsed = SCHEMAS[transition].safeParse(raw);
  if (!parsed.success) {
    const errors = FIELD_ORDER[transition].flatMap((field) => {
      const issue = parsed.error.issues.find((candidate) => candidate.path[0] === field);
      return issue ? [{ field, message: issue.message }] : [];
    });
    return { kind: "invalid", answers, errors };
  }
  return {
    kind: "ok",
    input: { transition, version, ...parsed.data } as StepInput,
    answers,
  };
}

function stringOf(value: unknown, max: number): string | undefined {
  return typeof value === "string" ? value.slice(0, max) : undefined;
}

const RAG_HINTS: Record<RagRating, string> = {
  red: "Serious harm is happening or likely soon",
  amber: "Significant risk that needs a coordinated response",
  green: "Emerging risk that early support can address",
};

/** The fields of one step's page. */
export function StepFields({
  transition,
  referral,
  choices,
  answers,
  errors,
}: {
  transition: StepPage;
  referral: ReferralView;
  choices: readonly { id: string; name: string }[];
  answers: StepAnswers | null;
  errors: readonly FieldError[];
}) {
  switch (transition) {
    case "screen":
      return (
        <>
          {referral.rag ? (
            <div className="govuk-inset-text">
              Currently rated {RAG_RATINGS[referral.rag.rating as RagRating].toLowerCase()}. A new
              rating needs a new rationale; the earlier one stays in the referral&apos;s history.
            </div>
          ) : null}
          <Radios
            name="rag"
            legend="What is the RAG rating?"
            value={answers?.rag ?? referral.rag?.rating}
            error={errorFor(errors, "rag")}
            choices={RAG_CODES.map((code) => ({
              value: code,
              label: RAG_RATINGS[code],
              hint: RAG_HINTS[code],
            }))}
          />
          <Textarea
            id="rationale"
            label="Rationale"
            hint="What the rating rests on. The agencies it is routed to will read it."
            value={answers?.rationale}
            error={errorFor(errors, "rationale")}
          />
        </>
      );
    case "route":
      return choices.length === 0 ? (
        <p className="govuk-body">Every active agency is already involved in this referral.</p>
      ) : (
        <Checkboxes
          name="agencyIds"
          legend="Which agencies should be asked to accept it?"
          hint={
            referral.destination.agencyName
              ? `The referrer asked for ${referral.destination.agencyName}.`
              : "Each agency's lead will accept it, allocating a practitioner, or decline it."
          }
          values={answers?.agencyIds ?? []}
          error={errorFor(errors, "agencyIds")}
          choices={choices.map((choice) => ({ value: choice.id, label: choice.name }))}
        />
      );
    case "accept":
      return (
        <Select
          id="allocatedUserId"
          label="Who will work the case?"
          hint="They will see it under My cases."
          value={answers?.allocatedUserId}
          error={errorFor(errors, "allocatedUserId")}
          placeholder="Select a person"
          choices={choices.map((choice) => ({ value: choice.id, label: choice.name }))}
        />
      );
    case "decline":
    case "refer_to_panel":
    case "withdraw":
      return (
        <Textarea
          id="reason"
          label={
            transition === "decline"
              ? "Why is your agency declining it?"
              : transition === "withdraw"
                ? "Why is it being withdrawn?"
                : "Why should the panel consider it?"
          }
          hint={
            transition === "decline"
              ? "The partnership lead reads this when they route it again."
              : undefined
          }
          value={answers?.reason}
          error={errorFor(errors, "reason")}
        />
      );
    case "close":
      return (
        <>
          <Radios
            name="outcome"
            legend="What was the outcome?"
            value={answers?.outcome}
            error={errorFor(errors, "outcome")}
            choices={OUTCOME_CODES.map((code) => ({ value: code, label: OUTCOMES[code] }))}
          />
          <Textarea
            id="summary"
            label="Summary for the referrer"
            hint="The person who made the referral reads this. Say what was done and what happens now."
            value={answers?.summary}
            error={errorFor(errors, "summary")}
          />
        </>
      );
    case "escalate":
      return (
        <>
          <Radios
            name="to"
            legend="Where is the case escalated to?"
            value={answers?.to}
            error={errorFor(errors, "to")}
            choices={ESCALATION_CODES.map((code) => ({ value: code, label: ESCALATIONS[code] }))}
          />
          <Textarea
            id="reason"
            label="Why?"
            value={answers?.reason}
            error={errorFor(errors, "reason")}
          />
        </>
      );
  }
}
