import { z } from "zod";
import {
  ESCALATION_CODES,
  ESCALATIONS,
  OPEN_ACTION_FATE_CODES,
  OPEN_ACTION_FATES,
  OUTCOME_CODES,
  OUTCOMES,
  RAG_CODES,
  RAG_RATINGS,
  type Action,
  type Escalation,
  type OpenActionFate,
  type Outcome,
  type RagRating,
} from "../../policies";
import type { OpenActionClosure, OpenActionView } from "../services/referral-steps.server";
import type { ReferralView } from "../services/referrals.server";
import { Checkboxes } from "./checkboxes";
import { formatDate } from "./dates";
import { errorFor, type FieldError } from "./form";
import { asTyped, plainText } from "./plain-text";
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
  /** Closing: what the person said happens to each open action, by the action's id. */
  actions?: Record<string, { fate: string; note: string; agencyId: string }>;
}

export type StepInput =
  | { transition: "screen"; version: number; rag: RagRating; rationale: string }
  | { transition: "route"; version: number; agencyIds: string[] }
  | { transition: "accept"; version: number; allocatedUserId: string }
  | { transition: "decline" | "refer_to_panel" | "withdraw"; version: number; reason: string }
  | {
      transition: "close";
      version: number;
      /** Null when not chosen: the service says so, with whatever the open actions still need. */
      outcome: Outcome | null;
      summary: string;
      actions: OpenActionClosure[];
    }
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
  // Whether anything is missing is the service's to say, which knows the case's open actions, so
  // that every problem shows at once.
  close: z.object({
    outcome: z.enum(OUTCOME_CODES, { error: "Select the outcome" }).optional(),
    summary: plainText("The summary")
      .trim()
      .max(5000, "This must be 5,000 characters or fewer")
      .default(""),
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
  const closing = transition === "close" ? readOpenActions(raw) : null;
  if (closing && raw.outcome === "") delete raw.outcome;
  if (closing?.kind === "malformed") return { kind: "malformed" };
  // Kept to show again, never past a field's limit.
  const answers: StepAnswers = {
    rag: stringOf(raw.rag, 50),
    rationale: stringOf(raw.rationale, 5000),
    agencyIds: Array.isArray(raw.agencyIds)
      ? (raw.agencyIds as string[]).map((id) => asTyped(id, 50))
      : undefined,
    allocatedUserId: stringOf(raw.allocatedUserId, 50),
    reason: stringOf(raw.reason, 2000),
    outcome: stringOf(raw.outcome, 50),
    summary: stringOf(raw.summary, 5000),
    to: stringOf(raw.to, 50),
    actions: closing?.answers,
  };
  const parsed = SCHEMAS[transition].safeParse(
    Object.fromEntries(Object.entries(raw).filter(([key]) => !key.startsWith("action-"))),
  );
  if (!parsed.success || (closing && closing.errors.length > 0)) {
    const errors = parsed.success
      ? []
      : FIELD_ORDER[transition].flatMap((field) => {
          const issue = parsed.error.issues.find((candidate) => candidate.path[0] === field);
          return issue ? [{ field, message: issue.message }] : [];
        });
    return { kind: "invalid", answers, errors: [...(closing?.errors ?? []), ...errors] };
  }
  const input = closing ? { outcome: null, ...parsed.data, actions: closing.actions } : parsed.data;
  return {
    kind: "ok",
    input: { transition, version, ...input } as StepInput,
    answers,
  };
}

const ACTION_FIELD =
  /^action-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(-note|-agency)?$/;
const ActionNoteSchema = plainText("The note")
  .trim()
  .max(2000, "The note must be 2,000 characters or fewer");

/**
 * The closing page's answers about each open action: `action-<id>` (what happens to it),
 * `action-<id>-note` and `action-<id>-agency`. A choice no page offers is malformed.
 */
function readOpenActions(raw: Record<string, unknown>):
  | { kind: "malformed" }
  | {
      kind: "ok";
      actions: OpenActionClosure[];
      answers: NonNullable<StepAnswers["actions"]>;
      errors: FieldError[];
    } {
  const ids = new Set<string>();
  for (const key of Object.keys(raw)) {
    const match = ACTION_FIELD.exec(key);
    if (match?.[1]) ids.add(match[1]);
    else if (key.startsWith("action-")) return { kind: "malformed" };
  }
  const actions: OpenActionClosure[] = [];
  const answers: NonNullable<StepAnswers["actions"]> = {};
  const errors: FieldError[] = [];
  for (const id of ids) {
    const text = (key: string) => {
      const value = raw[key];
      return typeof value === "string" ? value : "";
    };
    const fate = text(`action-${id}`);
    const agencyId = text(`action-${id}-agency`);
    if (fate !== "" && !(OPEN_ACTION_FATE_CODES as string[]).includes(fate)) {
      return { kind: "malformed" };
    }
    if (agencyId !== "" && !z.uuid().safeParse(agencyId).success) return { kind: "malformed" };
    answers[id] = { fate, note: text(`action-${id}-note`).slice(0, 2000), agencyId };
    const note = ActionNoteSchema.safeParse(text(`action-${id}-note`));
    if (!note.success) {
      errors.push({ field: `action-${id}-note`, message: note.error.issues[0]?.message ?? "" });
    }
    actions.push({
      actionId: id,
      fate: fate === "" ? null : (fate as OpenActionFate),
      note: note.success ? note.data || null : null,
      handedToAgencyId: fate === "handed_over" && agencyId !== "" ? agencyId : null,
    });
  }
  return { kind: "ok", actions, answers, errors };
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
  openActions = [],
  answers,
  errors,
}: {
  transition: StepPage;
  referral: ReferralView;
  choices: readonly { id: string; name: string }[];
  openActions?: readonly OpenActionView[];
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
          <OpenActionFields
            openActions={openActions}
            agencies={choices}
            answers={answers?.actions ?? {}}
            errors={errors}
          />
          {openActions.length > 0 ? <h2 className="govuk-heading-m">The outcome</h2> : null}
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

/**
 * Closing a case with actions still open: for each, whether it was done, is cancelled (and why),
 * or is handed over to another agency involved in the case, which carries it on. Every question
 * shows without JavaScript; the note and the agency are asked beside the choice they belong to.
 */
function OpenActionFields({
  openActions,
  agencies,
  answers,
  errors,
}: {
  openActions: readonly OpenActionView[];
  agencies: readonly { id: string; name: string }[];
  answers: NonNullable<StepAnswers["actions"]>;
  errors: readonly FieldError[];
}) {
  if (openActions.length === 0) return null;
  return (
    <>
      <h2 className="govuk-heading-m">Open actions</h2>
      <p className="govuk-body">
        {openActions.length === 1
          ? "One action is still open. Say what happens to it before the case closes."
          : `${openActions.length} actions are still open. Say what happens to each before the case closes.`}{" "}
        A closed case has no open actions: an agency that carries one on keeps it as its own.
      </p>
      {openActions.map((action) => {
        const answer = answers[action.id];
        const others = agencies.filter((agency) => agency.id !== action.assignedAgencyId);
        const fates = OPEN_ACTION_FATE_CODES.filter(
          (fate) => fate !== "handed_over" || others.length > 0,
        );
        return (
          <div key={action.id} className="govuk-!-margin-bottom-6">
            <h3 className="govuk-heading-s govuk-!-margin-bottom-1">{action.description}</h3>
            <p className="govuk-body-s">
              {action.assignedAgencyName}, due {formatDate(action.dueOn)}
            </p>
            <Radios
              name={`action-${action.id}`}
              legend={
                <>
                  What happens to this action?
                  <span className="govuk-visually-hidden"> “{action.description}”</span>
                </>
              }
              legendSize="s"
              value={answer?.fate}
              error={errorFor(errors, `action-${action.id}`)}
              choices={fates.map((fate) => ({ value: fate, label: OPEN_ACTION_FATES[fate] }))}
            />
            <Textarea
              id={`action-${action.id}-note`}
              label="If it is cancelled, why? (a note is optional otherwise)"
              hint="This is kept in the action's history."
              rows={2}
              value={answer?.note}
              error={errorFor(errors, `action-${action.id}-note`)}
            />
            {others.length > 0 ? (
              <Select
                id={`action-${action.id}-agency`}
                label="If it is handed over, which agency carries it on?"
                value={answer?.agencyId}
                error={errorFor(errors, `action-${action.id}-agency`)}
                placeholder="Select an agency"
                choices={others.map((agency) => ({ value: agency.id, label: agency.name }))}
              />
            ) : null}
          </div>
        );
      })}
    </>
  );
}
