import { z } from "zod";
import {
  ARTICLE_6_BASES,
  ARTICLE_6_CODES,
  ARTICLE_9_CODES,
  ARTICLE_9_CONDITIONS,
  CONSENT_FORM_CODES,
  CONSENT_FORMS,
  CONSENT_GIVER_CODES,
  CONSENT_GIVERS,
  CONSENT_NOT_SOUGHT_CODES,
  CONSENT_NOT_SOUGHT_REASONS,
  DATA_ITEM_CODES,
  DATA_ITEMS,
  decisionProblems,
  GATEWAY_CODES,
  SHARE_DECISION_CODES,
  SHARE_DECISIONS,
  SHARING_PURPOSE_LABELS,
  SHARING_PURPOSES,
  STATUTORY_GATEWAYS,
  type ConsentGiver,
  type DecisionToShareInput,
  type ShareDecision,
} from "../../policies";
import { Checkboxes } from "./checkboxes";
import {
  DATE_PARTS,
  DateInput,
  dateAnswerOf,
  readDateInput,
  type DateAnswer,
  type DatePart,
} from "./date-input";
import { todayInLondon } from "./dates";
import { TextInput, type FieldError } from "./form";
import { asTyped, isPlainText, untypableMessage } from "./plain-text";
import { Radios, type Choice } from "./radios";
import { Textarea } from "./textarea";

/**
 * The decision-to-share form (DOMAIN.md section 4), written for a practitioner who is not a
 * lawyer, and the form that records a withdrawal of consent. The rules a decision must keep live
 * in policies/decision-to-share.ts; this module reads the form, says what is missing, and lays the
 * questions out.
 */

const EXPIRES_ON = "consentExpiresOn";
const EXPIRES_ON_LABEL = "date the consent ends";
const REVIEW_ON = "reviewOn";
const REVIEW_ON_LABEL = "date the decision should be reviewed";

/** The inputs of the decision form, in the order the page asks them (the error summary's order). */
export const DECISION_FIELD_ORDER = [
  "decision",
  "recipientAgencyIds",
  "purposes",
  "dataItems",
  "adviceFrom",
  "wouldStillShare",
  "consentReliedOn",
  "consentGivenBy",
  "competenceAssessment",
  "consentScopeAgencyIds",
  "consentScopePurposes",
  "consentForm",
  ...DATE_PARTS.map((part) => `${EXPIRES_ON}-${part}`),
  "consentNotSoughtReason",
  "article6",
  "article9",
  "gateway",
  "youngPersonViews",
  "rationale",
  ...DATE_PARTS.map((part) => `${REVIEW_ON}-${part}`),
  "supersedesId",
] as const;

const ARRAY_FIELDS = [
  "recipientAgencyIds",
  "purposes",
  "dataItems",
  "consentScopeAgencyIds",
  "consentScopePurposes",
] as const;

/** Questions that mean nothing until the person says whether they rely on consent. */
const CONSENT_DEPENDENT = new Set([
  "consentGivenBy",
  "competenceAssessment",
  "consentScopeAgencyIds",
  "consentScopePurposes",
  "consentForm",
  EXPIRES_ON,
  "consentNotSoughtReason",
  "article6",
  "article9",
]);

const YES_NO = ["yes", "no"] as const;

/**
 * The shape of a submitted decision form. Every answer may be missing here (the person is told
 * what to add); a value no page offers (an unknown code, an id that is not a UUID) is malformed,
 * and the form is refused as a whole.
 */
export const DecisionFormSchema = z.object({
  decision: z.enum(SHARE_DECISION_CODES).optional(),
  recipientAgencyIds: z.array(z.uuid()),
  purposes: z.array(z.enum(SHARING_PURPOSES)),
  dataItems: z.array(z.enum(DATA_ITEM_CODES)),
  adviceFrom: z.string(),
  wouldStillShare: z.enum(YES_NO).optional(),
  consentReliedOn: z.enum(YES_NO).optional(),
  consentGivenBy: z.enum(CONSENT_GIVER_CODES).optional(),
  competenceAssessment: z.string(),
  consentScopeAgencyIds: z.array(z.uuid()),
  consentScopePurposes: z.array(z.enum(SHARING_PURPOSES)),
  consentForm: z.enum(CONSENT_FORM_CODES).optional(),
  "consentExpiresOn-day": z.string(),
  "consentExpiresOn-month": z.string(),
  "consentExpiresOn-year": z.string(),
  "reviewOn-day": z.string(),
  "reviewOn-month": z.string(),
  "reviewOn-year": z.string(),
  consentNotSoughtReason: z.enum(CONSENT_NOT_SOUGHT_CODES).optional(),
  article6: z.enum(ARTICLE_6_CODES).optional(),
  article9: z.enum(ARTICLE_9_CODES).optional(),
  gateway: z.enum(GATEWAY_CODES).optional(),
  youngPersonViews: z.string(),
  rationale: z.string(),
  supersedesId: z.union([z.literal("none"), z.uuid()]).optional(),
  returnTo: z.literal("check").optional(),
});

type DecisionForm = z.output<typeof DecisionFormSchema>;

/** What the person typed into the decision form, kept when it is shown again with errors. */
export interface DecisionAnswers {
  decision: string;
  recipientAgencyIds: string[];
  purposes: string[];
  dataItems: string[];
  adviceFrom: string;
  wouldStillShare: string;
  consentReliedOn: string;
  consentGivenBy: string;
  competenceAssessment: string;
  consentScopeAgencyIds: string[];
  consentScopePurposes: string[];
  consentForm: string;
  consentExpiresOn: DateAnswer;
  consentNotSoughtReason: string;
  article6: string;
  article9: string;
  gateway: string;
  youngPersonViews: string;
  rationale: string;
  reviewOn: DateAnswer;
  supersedesId: string;
}

/** An empty decision form. */
export function emptyDecisionAnswers(): DecisionAnswers {
  return decisionAnswersOf({});
}

/** What was typed, to show again: never past a field's limit (a choice's value is short). */
function decisionAnswersOf(raw: Record<string, string | string[]>): DecisionAnswers {
  const one = (name: string) => {
    const value = raw[name];
    const limit = name in LIMITS ? LIMITS[name as keyof typeof LIMITS][0] : 50;
    return typeof value === "string" ? value.slice(0, limit) : "";
  };
  const all = (name: string) => {
    const value = raw[name];
    return Array.isArray(value) ? value : [];
  };
  return {
    decision: one("decision"),
    recipientAgencyIds: all("recipientAgencyIds"),
    purposes: all("purposes"),
    dataItems: all("dataItems"),
    adviceFrom: one("adviceFrom"),
    wouldStillShare: one("wouldStillShare"),
    consentReliedOn: one("consentReliedOn"),
    consentGivenBy: one("consentGivenBy"),
    competenceAssessment: one("competenceAssessment"),
    consentScopeAgencyIds: all("consentScopeAgencyIds"),
    consentScopePurposes: all("consentScopePurposes"),
    consentForm: one("consentForm"),
    consentExpiresOn: {
      day: one(`${EXPIRES_ON}-day`),
      month: one(`${EXPIRES_ON}-month`),
      year: one(`${EXPIRES_ON}-year`),
    },
    consentNotSoughtReason: one("consentNotSoughtReason"),
    article6: one("article6"),
    article9: one("article9"),
    gateway: one("gateway"),
    youngPersonViews: one("youngPersonViews"),
    rationale: one("rationale"),
    reviewOn: {
      day: one(`${REVIEW_ON}-day`),
      month: one(`${REVIEW_ON}-month`),
      year: one(`${REVIEW_ON}-year`),
    },
    supersedesId: one("supersedesId"),
  };
}

/** The form's fields as strings (lists for checkboxes); null when a value is not text at all. */
function rawFields(form: FormData): Record<string, string | string[]> | null {
  const raw: Record<string, string | string[]> = {};
  for (const name of ARRAY_FIELDS) raw[name] = [];
  for (const name of new Set(form.keys())) {
    const values = form.getAll(name);
    if (values.some((value) => typeof value !== "string")) return null;
    const strings = values as string[];
    raw[name] = (ARRAY_FIELDS as readonly string[]).includes(name)
      ? [...new Set(strings)]
      : (strings[0] ?? "");
  }
  return raw;
}

/** Empty radios and text are "not answered", which the schema takes as missing. */
function withoutEmptyChoices(raw: Record<string, string | string[]>): Record<string, unknown> {
  const shaped: Record<string, unknown> = {};
  const texts = new Set([
    "adviceFrom",
    "competenceAssessment",
    "youngPersonViews",
    "rationale",
    ...DATE_PARTS.map((part) => `${EXPIRES_ON}-${part}`),
    ...DATE_PARTS.map((part) => `${REVIEW_ON}-${part}`),
  ]);
  for (const name of texts) shaped[name] = "";
  for (const [name, value] of Object.entries(raw)) {
    if (value === "" && !texts.has(name)) continue;
    shaped[name] = value;
  }
  return shaped;
}

const LIMITS = {
  adviceFrom: [
    500,
    "Who you asked for advice must be 500 characters or fewer",
    "Who you asked for advice",
  ],
  competenceAssessment: [
    2000,
    "How you assessed competence must be 2,000 characters or fewer",
    "How you assessed competence",
  ],
  youngPersonViews: [
    5000,
    "The young person's views must be 5,000 characters or fewer",
    "The young person's views",
  ],
  rationale: [5000, "The rationale must be 5,000 characters or fewer", "The rationale"],
} as const;

/** The result of reading a submitted decision form. */
export type DecisionFormReading =
  | { kind: "malformed" }
  | { kind: "invalid"; answers: DecisionAnswers; errors: FieldError[]; dateParts: DatePart[] }
  | {
      kind: "ok";
      answers: DecisionAnswers;
      input: DecisionToShareInput & { supersedesId: string | null };
      returnTo: "check" | null;
    };

/**
 * Read the decision form: refuse a malformed one, tell the person every answer that is missing or
 * contradicts another, or build the decision for the service. When something is missing, the
 * policy's own rules are run too (with the case left out: its source, the child's age and the
 * partnership's agreement are the service's to check), so every problem shows at once.
 */
export function readDecisionForm(form: FormData, today = todayInLondon()): DecisionFormReading {
  const raw = rawFields(form);
  if (!raw) return { kind: "malformed" };
  const parsed = DecisionFormSchema.safeParse(withoutEmptyChoices(raw));
  if (!parsed.success) return { kind: "malformed" };
  const answers = decisionAnswersOf(raw);
  const fields = parsed.data;
  if (fields.decision === "not_share") return readNotShareForm(fields, answers, today);
  const errors: FieldError[] = [];
  const add = (field: string, message: string) => errors.push({ field, message });
  let dateParts: DatePart[] = [];

  if (!fields.decision) add("decision", "Select whether you will share the information");
  for (const [field, [limit, tooLong, what]] of Object.entries(LIMITS)) {
    const value = fields[field as keyof typeof LIMITS];
    if (value.length > limit) add(field, tooLong);
    else if (!isPlainText(value)) add(field, untypableMessage(what));
  }
  if (!fields.wouldStillShare) {
    add("wouldStillShare", "Select whether you would still share if they said no");
  }
  if (!fields.consentReliedOn) add("consentReliedOn", "Select whether you are relying on consent");
  else if (fields.wouldStillShare === "yes" && fields.consentReliedOn === "yes") {
    add(
      "consentReliedOn",
      "If you would share even if they said no, do not rely on consent: choose another basis",
    );
  }
  const expiry = DATE_PARTS.some((part) => fields[`${EXPIRES_ON}-${part}`].trim() !== "")
    ? readDateInput(fields, EXPIRES_ON, EXPIRES_ON_LABEL)
    : null;
  if (expiry && !("isoDate" in expiry)) {
    dateParts = [...expiry.parts];
    add(`${EXPIRES_ON}-${expiry.parts[0] ?? "day"}`, expiry.message);
  }
  if (!fields.article6) add("article6", "Select the lawful basis under Article 6");
  if (!fields.article9) {
    add(
      "article9",
      "Select the Article 9 condition, or that no special-category information is shared",
    );
  }
  if (!fields.gateway) add("gateway", "Select the law that gives a power to share, or None");

  const input = decisionInputOf(fields, expiry && "isoDate" in expiry ? expiry.isoDate : null);
  if (errors.length === 0 && fields.decision) {
    return { kind: "ok", answers, input, returnTo: fields.returnTo ?? null };
  }
  // The rules that need the case (where the information came from, the child's age, what the
  // agreement permits) are the service's: here they are given a case none of them can refuse.
  const checked = decisionProblems(input, {
    sourceKind: "local_authority",
    recipientKinds: {},
    youngPersonAge: null,
    agreementPermits: () => true,
    today,
  }).filter(
    (problem) =>
      !errors.some((error) => fieldOf(error.field) === problem.field) &&
      !(fields.consentReliedOn === undefined && CONSENT_DEPENDENT.has(problem.field)),
  );
  return { kind: "invalid", answers, errors: decisionErrors([...errors, ...checked]), dateParts };
}

/**
 * Read a decision not to share (issue 18): only what it needs is asked, so only that is read:
 * with whom, what was not shared, who else took part, why, and when to review it. The questions
 * about sharing (purposes, consent, the law) are not asked, and are recorded as not asked.
 */
function readNotShareForm(
  fields: DecisionForm,
  answers: DecisionAnswers,
  today: string,
): DecisionFormReading {
  const errors: FieldError[] = [];
  let dateParts: DatePart[] = [];
  for (const field of ["adviceFrom", "rationale"] as const) {
    const [limit, tooLong, what] = LIMITS[field];
    const value = fields[field];
    if (value.length > limit) errors.push({ field, message: tooLong });
    else if (!isPlainText(value)) errors.push({ field, message: untypableMessage(what) });
  }
  const review = readDateInput(fields, REVIEW_ON, REVIEW_ON_LABEL);
  if (!("isoDate" in review)) {
    dateParts = [...review.parts];
    errors.push({ field: `${REVIEW_ON}-${review.parts[0] ?? "day"}`, message: review.message });
  }
  const text = (value: string) => value.trim() || null;
  const input: DecisionToShareInput & { supersedesId: string | null } = {
    decision: "not_share",
    recipientAgencyIds: fields.recipientAgencyIds,
    purposes: [],
    dataItems: fields.dataItems,
    adviceFrom: text(fields.adviceFrom),
    article6: null,
    article9: null,
    gateway: null,
    consentReliedOn: false,
    consentGivenBy: null,
    competenceAssessment: null,
    consentScopeAgencyIds: [],
    consentScopePurposes: [],
    consentForm: null,
    consentExpiresOn: null,
    consentNotSoughtReason: null,
    youngPersonViews: null,
    rationale: fields.rationale.trim(),
    reviewOn: "isoDate" in review ? review.isoDate : null,
    supersedesId:
      fields.supersedesId && fields.supersedesId !== "none" ? fields.supersedesId : null,
  };
  const checked = decisionProblems(input, {
    sourceKind: "local_authority",
    recipientKinds: {},
    youngPersonAge: null,
    agreementPermits: () => true,
    today,
  }).filter((problem) => !errors.some((error) => fieldOf(error.field) === problem.field));
  if (errors.length === 0 && checked.length === 0) {
    return { kind: "ok", answers, input, returnTo: fields.returnTo ?? null };
  }
  return { kind: "invalid", answers, errors: decisionErrors([...errors, ...checked]), dateParts };
}

/** The input id a problem's field is shown against (a date is three inputs). */
function inputIdOf(field: string): string {
  return field === EXPIRES_ON || field === REVIEW_ON ? `${field}-day` : field;
}

function fieldOf(inputId: string): string {
  if (inputId.startsWith(`${EXPIRES_ON}-`)) return EXPIRES_ON;
  if (inputId.startsWith(`${REVIEW_ON}-`)) return REVIEW_ON;
  return inputId;
}

/**
 * Problems with a decision, one for each field, linked to its input and in the order the page asks
 * them (as the GOV.UK error summary asks). Problems about fields not on the page go last.
 */
export function decisionErrors(problems: readonly FieldError[]): FieldError[] {
  const order: readonly string[] = DECISION_FIELD_ORDER;
  const position = (field: string) => {
    const index = order.indexOf(field);
    return index === -1 ? order.length : index;
  };
  const seen = new Set<string>();
  return problems
    .map(({ field, message }) => ({ field: inputIdOf(field), message }))
    .filter((problem) => {
      const key = fieldOf(problem.field);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => position(a.field) - position(b.field));
}

function decisionInputOf(
  fields: DecisionForm,
  consentExpiresOn: string | null,
): DecisionToShareInput & { supersedesId: string | null } {
  const text = (value: string) => value.trim() || null;
  return {
    // Stand-ins for unanswered questions only ever reach the rules, never the service.
    decision: fields.decision ?? "share",
    recipientAgencyIds: fields.recipientAgencyIds,
    purposes: fields.purposes,
    dataItems: fields.dataItems,
    adviceFrom: text(fields.adviceFrom),
    article6: fields.article6 ?? "public_task",
    article9: fields.article9 ?? "none",
    gateway: fields.gateway ?? "none",
    consentReliedOn: fields.consentReliedOn === "yes",
    consentGivenBy: fields.consentGivenBy ?? null,
    competenceAssessment: text(fields.competenceAssessment),
    consentScopeAgencyIds: fields.consentScopeAgencyIds,
    consentScopePurposes: fields.consentScopePurposes,
    consentForm: fields.consentForm ?? null,
    consentExpiresOn,
    consentNotSoughtReason: fields.consentNotSoughtReason ?? null,
    youngPersonViews: text(fields.youngPersonViews),
    rationale: fields.rationale.trim(),
    supersedesId:
      fields.supersedesId && fields.supersedesId !== "none" ? fields.supersedesId : null,
  };
}

const choicesOf = <Code extends string>(
  labels: Readonly<Record<Code, string>>,
  codes: readonly Code[],
  hints: Partial<Record<Code, string>> = {},
): Choice[] => codes.map((code) => ({ value: code, label: labels[code], hint: hints[code] }));

const DECISION_CHOICES = choicesOf(SHARE_DECISIONS, SHARE_DECISION_CODES, {
  share: "The agencies you choose see the whole case.",
  share_partial: "The agencies you choose see only the information you tick below.",
  not_share: "Record that you decided not to share, and why. This is kept too.",
});
const PURPOSE_CHOICES = choicesOf(SHARING_PURPOSE_LABELS, SHARING_PURPOSES);
const DATA_ITEM_CHOICES = choicesOf(DATA_ITEMS, DATA_ITEM_CODES);
const GIVER_CHOICES = choicesOf(CONSENT_GIVERS, CONSENT_GIVER_CODES);
const FORM_CHOICES = choicesOf(CONSENT_FORMS, CONSENT_FORM_CODES);
const NOT_SOUGHT_CHOICES = choicesOf(CONSENT_NOT_SOUGHT_REASONS, CONSENT_NOT_SOUGHT_CODES);
const ARTICLE_6_CHOICES = choicesOf(ARTICLE_6_BASES, ARTICLE_6_CODES);
const ARTICLE_9_CHOICES = choicesOf(ARTICLE_9_CONDITIONS, ARTICLE_9_CODES);
const GATEWAY_CHOICES = choicesOf(STATUTORY_GATEWAYS, GATEWAY_CODES);

/** A decision code from a query string or a form, if it is one. */
export function shareDecisionOf(value: unknown): ShareDecision | null {
  return typeof value === "string" && (SHARE_DECISION_CODES as string[]).includes(value)
    ? (value as ShareDecision)
    : null;
}

/**
 * The first question, on a page of its own: whether the person will share. Each answer asks only
 * its own questions next, so a decision not to share is never asked for a lawful basis to share.
 */
export function DecisionChoice({ value, error }: { value: string; error?: string }) {
  return (
    <Radios
      name="decision"
      legend="Will you share the young person's information?"
      choices={DECISION_CHOICES}
      value={value}
      error={error}
    />
  );
}

/**
 * The questions for the decision the person chose (the first question's answer travels with the
 * form). Without JavaScript every question shows.
 */
export function DecisionFields({
  decision,
  answers,
  errors,
  dateParts,
  agencies,
  youngPersonAge,
  current,
}: {
  decision: ShareDecision;
  answers: DecisionAnswers;
  errors: readonly FieldError[];
  dateParts: readonly DatePart[];
  agencies: readonly { id: string; name: string }[];
  youngPersonAge: number | null;
  current: readonly { id: string; summary: string }[];
}) {
  if (decision === "not_share") {
    return (
      <NotShareFields
        answers={answers}
        errors={errors}
        dateParts={dateParts}
        agencies={agencies}
        current={current}
      />
    );
  }
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;
  const agencyChoices = agencies.map((agency) => ({ value: agency.id, label: agency.name }));
  const dateError = errors.find((error) => error.field.startsWith(`${EXPIRES_ON}-`))?.message;
  return (
    <>
      <input type="hidden" name="decision" value={decision} />
      <h2 className="govuk-heading-m">What you have decided</h2>
      <Checkboxes
        name="recipientAgencyIds"
        legend="Which agencies is this decision about?"
        hint="Select all that apply. Your own agency always sees what it referred."
        choices={agencyChoices}
        values={answers.recipientAgencyIds}
        error={errorFor("recipientAgencyIds")}
      />
      <Checkboxes
        name="purposes"
        legend="Why do they need it?"
        hint="Select all that apply. You can share only for purposes the partnership's information sharing agreement allows between your agency and theirs."
        choices={PURPOSE_CHOICES}
        values={answers.purposes}
        error={errorFor("purposes")}
      />
      {decision === "share_partial" ? (
        <Checkboxes
          name="dataItems"
          legend="Which information will you share?"
          hint="Select all that apply. They see only what you tick."
          choices={DATA_ITEM_CHOICES}
          values={answers.dataItems}
          error={errorFor("dataItems")}
        />
      ) : null}
      <TextInput
        id="adviceFrom"
        label="Who did you ask for advice? (optional)"
        hint="For example, your designated safeguarding lead or your data protection officer"
        autoComplete="off"
        defaultValue={answers.adviceFrom}
        error={errorFor("adviceFrom")}
      />

      <h2 className="govuk-heading-m">Consent</h2>
      <p className="govuk-body">
        Consent is one reason you may share, and often not the right one when a child may be at
        risk. Answer the first question honestly: it tells you whether consent is your basis.
      </p>
      <Radios
        name="wouldStillShare"
        legend="If they said no, would you still share?"
        legendSize="s"
        hint="Think about what you would do if the young person, or their parent, refused. If yes, do not rely on consent: it would not be a real choice. Choose another basis below and say why consent was not sought. If no, consent is your basis."
        choices={[
          { value: "yes", label: "Yes, I would still share" },
          { value: "no", label: "No, I would share only if they agree" },
        ]}
        value={answers.wouldStillShare}
        error={errorFor("wouldStillShare")}
      />
      <Radios
        name="consentReliedOn"
        legend="Are you relying on consent?"
        legendSize="s"
        choices={[
          { value: "yes", label: "Yes" },
          { value: "no", label: "No" },
        ]}
        value={answers.consentReliedOn}
        error={errorFor("consentReliedOn")}
      />

      <h3 className="govuk-heading-s">If you are relying on consent</h3>
      <p className="govuk-body">Answer these only if you are relying on consent.</p>
      <Radios
        name="consentGivenBy"
        legend="Who gave consent?"
        legendSize="s"
        choices={GIVER_CHOICES}
        value={answers.consentGivenBy}
        error={errorFor("consentGivenBy")}
      />
      <Textarea
        id="competenceAssessment"
        label="How did you decide the young person was able to consent?"
        labelSize="s"
        hint={`Required when the young person is under 16${youngPersonAge === null ? "" : ` (they are ${youngPersonAge})`}. Say how you checked they understood what would be shared, with whom, and why. Young people aged 16 or over are presumed able to consent.`}
        rows={4}
        value={answers.competenceAssessment}
        error={errorFor("competenceAssessment")}
      />
      <Checkboxes
        name="consentScopeAgencyIds"
        legend="Which agencies did they agree to share with?"
        legendSize="s"
        hint="Select all that apply. Consent lets you share only with the agencies they agreed to."
        choices={agencyChoices}
        values={answers.consentScopeAgencyIds}
        error={errorFor("consentScopeAgencyIds")}
      />
      <Checkboxes
        name="consentScopePurposes"
        legend="What did they agree it could be used for?"
        legendSize="s"
        hint="Select all that apply."
        choices={PURPOSE_CHOICES}
        values={answers.consentScopePurposes}
        error={errorFor("consentScopePurposes")}
      />
      <Radios
        name="consentForm"
        legend="How did they give consent?"
        legendSize="s"
        choices={FORM_CHOICES}
        value={answers.consentForm}
        error={errorFor("consentForm")}
      />
      <DateInput
        id={EXPIRES_ON}
        legend="When does the consent end? (optional)"
        legendSize="s"
        hint="Leave this blank if they did not give an end date. For example, 27 3 2027"
        value={answers.consentExpiresOn}
        error={dateError}
        errorParts={dateParts}
      />

      <h3 className="govuk-heading-s">If you are not relying on consent</h3>
      <Radios
        name="consentNotSoughtReason"
        legend="Why was consent not sought?"
        legendSize="s"
        hint="You must give a reason whenever you do not rely on consent."
        choices={NOT_SOUGHT_CHOICES}
        value={answers.consentNotSoughtReason}
        error={errorFor("consentNotSoughtReason")}
      />

      <h2 className="govuk-heading-m">The law you are sharing under</h2>
      <Radios
        name="article6"
        legend="What is your lawful basis? (UK GDPR Article 6)"
        legendSize="s"
        hint="The legal reason your organisation may use the information. Schools, councils, the NHS and the police usually use public task. Choose consent only if you are relying on consent."
        choices={ARTICLE_6_CHOICES}
        value={answers.article6}
        error={errorFor("article6")}
      />
      <Radios
        name="article9"
        legend="Are you sharing special-category information? (UK GDPR Article 9)"
        legendSize="s"
        hint="Special-category information includes health, sex life or sexuality, ethnicity and religion. If you share any, choose the condition that applies: for a child at risk, it is usually safeguarding of children."
        choices={ARTICLE_9_CHOICES}
        value={answers.article9}
        error={errorFor("article9")}
      />
      <Radios
        name="gateway"
        legend="Is a particular law giving you the power to share? (statutory gateway)"
        legendSize="s"
        hint="Choose None unless you are using one of these laws. Section 16 of the PCSC Act 2022 cannot be used for information that came from a health or social care body."
        choices={GATEWAY_CHOICES}
        value={answers.gateway}
        error={errorFor("gateway")}
      />

      <h2 className="govuk-heading-m">Why</h2>
      <Textarea
        id="youngPersonViews"
        label="What does the young person think about sharing? (optional)"
        labelSize="s"
        hint="Ask them where it is safe to ask. If you did not ask, you can say why."
        rows={4}
        value={answers.youngPersonViews}
        error={errorFor("youngPersonViews")}
      />
      <Textarea
        id="rationale"
        label="Why have you made this decision?"
        labelSize="s"
        hint="Explain your reasons so that someone reading this later understands why sharing was, or was not, necessary and in proportion to the risk."
        rows={6}
        value={answers.rationale}
        error={errorFor("rationale")}
      />
      <Supersedes current={current} value={answers.supersedesId} error={errorFor("supersedesId")} />
    </>
  );
}

function Supersedes({
  current,
  value,
  error,
}: {
  current: readonly { id: string; summary: string }[];
  value: string;
  error?: string;
}) {
  if (current.length === 0) return null;
  return (
    <Radios
      name="supersedesId"
      legend="Does this decision replace an earlier one?"
      hint="The earlier decision is kept in the sharing history; this one takes its place."
      choices={[
        ...current.map((decision) => ({
          value: decision.id,
          label: `Yes, it replaces: ${decision.summary}`,
        })),
        { value: "none", label: "No, it is an additional decision" },
      ]}
      value={value}
      error={error}
    />
  );
}

/**
 * A decision not to share asks what it needs and no more (issue 18): with whom, what was not
 * shared, who else took part in deciding, why, and when to look at it again. The person recording
 * it is recorded as the one who decided.
 */
function NotShareFields({
  answers,
  errors,
  dateParts,
  agencies,
  current,
}: {
  answers: DecisionAnswers;
  errors: readonly FieldError[];
  dateParts: readonly DatePart[];
  agencies: readonly { id: string; name: string }[];
  current: readonly { id: string; summary: string }[];
}) {
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;
  return (
    <>
      <input type="hidden" name="decision" value="not_share" />
      <Checkboxes
        name="recipientAgencyIds"
        legend="Which agencies did you decide not to share with?"
        hint="Select all that apply. They are not told about this decision."
        choices={agencies.map((agency) => ({ value: agency.id, label: agency.name }))}
        values={answers.recipientAgencyIds}
        error={errorFor("recipientAgencyIds")}
      />
      <Checkboxes
        name="dataItems"
        legend="What did you decide not to share?"
        hint="Select all that apply."
        choices={DATA_ITEM_CHOICES}
        values={answers.dataItems}
        error={errorFor("dataItems")}
      />
      <TextInput
        id="adviceFrom"
        label="Who else took part in the decision? (optional)"
        hint="You are recorded as the person who decided. Name anyone who decided with you or advised you, for example your designated safeguarding lead."
        autoComplete="off"
        defaultValue={answers.adviceFrom}
        error={errorFor("adviceFrom")}
      />
      <Textarea
        id="rationale"
        label="Why did you decide not to share?"
        labelSize="s"
        hint="Explain your reasons so that someone reading this later understands why not sharing was right at the time."
        rows={6}
        value={answers.rationale}
        error={errorFor("rationale")}
      />
      <DateInput
        id={REVIEW_ON}
        legend="When should the decision be reviewed?"
        legendSize="s"
        hint="Things change: look at it again by this date. For example, 27 3 2027"
        value={answers.reviewOn}
        error={errors.find((error) => error.field.startsWith(`${REVIEW_ON}-`))?.message}
        errorParts={dateParts}
      />
      <Supersedes current={current} value={answers.supersedesId} error={errorFor("supersedesId")} />
    </>
  );
}

const WITHDRAWN_ON = "withdrawnOn";
const WITHDRAWAL_NOTE_MAX = 2000;
const WITHDRAWN_ON_LABEL = "date consent was withdrawn";

/** The inputs of the withdrawal form, in page order. */
const WITHDRAWAL_FIELD_ORDER = [
  "withdrawnBy",
  ...DATE_PARTS.map((part) => `${WITHDRAWN_ON}-${part}`),
  "note",
];

/** The shape of a submitted withdrawal form; a value no page offers is malformed. */
export const WithdrawalFormSchema = z.object({
  withdrawnBy: z.enum(CONSENT_GIVER_CODES).optional(),
  "withdrawnOn-day": z.string(),
  "withdrawnOn-month": z.string(),
  "withdrawnOn-year": z.string(),
  note: z.string(),
});

/** What the person typed into the withdrawal form. */
export interface WithdrawalAnswers {
  withdrawnBy: string;
  withdrawnOn: DateAnswer;
  note: string;
}

/** An empty withdrawal form, dated today. */
export function newWithdrawalAnswers(today: string): WithdrawalAnswers {
  return { withdrawnBy: "", withdrawnOn: dateAnswerOf(today), note: "" };
}

/**
 * The moment a withdrawal dated `isoDate` took effect: now when it is today, otherwise the start of
 * that day in the UK (a person seldom knows the hour, and earlier is the safer side).
 */
export function withdrawalMoment(isoDate: string, now = new Date()): Date {
  if (isoDate === todayInLondon(now)) return now;
  const utcMidnight = new Date(`${isoDate}T00:00:00Z`);
  const londonHour = Number(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      hour: "numeric",
      hourCycle: "h23",
    }).format(utcMidnight),
  );
  return new Date(utcMidnight.getTime() - londonHour * 3_600_000);
}

/** The result of reading a submitted withdrawal form. */
export type WithdrawalFormReading =
  | { kind: "malformed" }
  | { kind: "invalid"; answers: WithdrawalAnswers; errors: FieldError[]; dateParts: DatePart[] }
  | {
      kind: "ok";
      answers: WithdrawalAnswers;
      input: { withdrawnBy: ConsentGiver; withdrawnAt: Date; note: string | null };
    };

/** Read the withdrawal form: who withdrew consent, on which day (not in the future), and a note. */
export function readWithdrawalForm(form: FormData, now = new Date()): WithdrawalFormReading {
  const raw = rawFields(form);
  if (!raw) return { kind: "malformed" };
  const text = (name: string) => {
    const value = raw[name];
    return typeof value === "string" ? value : "";
  };
  const answers: WithdrawalAnswers = {
    withdrawnBy: text("withdrawnBy"),
    withdrawnOn: {
      day: text(`${WITHDRAWN_ON}-day`),
      month: text(`${WITHDRAWN_ON}-month`),
      year: text(`${WITHDRAWN_ON}-year`),
    },
    note: text("note"),
  };
  const parsed = WithdrawalFormSchema.safeParse({
    ...answers,
    withdrawnBy: answers.withdrawnBy || undefined,
    ...Object.fromEntries(
      DATE_PARTS.map((part) => [`${WITHDRAWN_ON}-${part}`, answers.withdrawnOn[part]]),
    ),
  });
  if (!parsed.success) return { kind: "malformed" };
  const errors: FieldError[] = [];
  let dateParts: DatePart[] = [];
  if (!parsed.data.withdrawnBy) {
    errors.push({ field: "withdrawnBy", message: "Select who withdrew consent" });
  }
  const date = readDateInput(parsed.data, WITHDRAWN_ON, WITHDRAWN_ON_LABEL);
  if (!("isoDate" in date)) {
    dateParts = [...date.parts];
    errors.push({ field: `${WITHDRAWN_ON}-${date.parts[0] ?? "day"}`, message: date.message });
  } else if (date.isoDate > todayInLondon(now)) {
    dateParts = [...DATE_PARTS];
    errors.push({
      field: `${WITHDRAWN_ON}-day`,
      message: "The date consent was withdrawn must be today or in the past",
    });
  }
  const note = parsed.data.note.trim();
  if (note.length > WITHDRAWAL_NOTE_MAX) {
    errors.push({ field: "note", message: "The note must be 2,000 characters or fewer" });
  } else if (!isPlainText(note)) {
    errors.push({ field: "note", message: untypableMessage("The note") });
  }
  // Shown again no longer than each field may hold (a choice's value and a date's part are short).
  const shown: WithdrawalAnswers = {
    withdrawnBy: asTyped(answers.withdrawnBy, 50),
    withdrawnOn: {
      day: asTyped(answers.withdrawnOn.day, 50),
      month: asTyped(answers.withdrawnOn.month, 50),
      year: asTyped(answers.withdrawnOn.year, 50),
    },
    note: asTyped(answers.note, WITHDRAWAL_NOTE_MAX),
  };
  if (errors.length > 0 || !parsed.data.withdrawnBy || !("isoDate" in date)) {
    return { kind: "invalid", answers: shown, errors: withdrawalErrors(errors), dateParts };
  }
  return {
    kind: "ok",
    answers: shown,
    input: {
      withdrawnBy: parsed.data.withdrawnBy,
      withdrawnAt: withdrawalMoment(date.isoDate, now),
      note: note || null,
    },
  };
}

/** Withdrawal problems in page order (the service's included). */
export function withdrawalErrors(problems: readonly FieldError[]): FieldError[] {
  const position = (field: string) => {
    const index = WITHDRAWAL_FIELD_ORDER.indexOf(field);
    return index === -1 ? WITHDRAWAL_FIELD_ORDER.length : index;
  };
  return [...problems].sort((a, b) => position(a.field) - position(b.field));
}

/** The questions of the withdrawal form. */
export function WithdrawalFields({
  answers,
  errors,
  dateParts,
}: {
  answers: WithdrawalAnswers;
  errors: readonly FieldError[];
  dateParts: readonly DatePart[];
}) {
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;
  return (
    <>
      <Radios
        name="withdrawnBy"
        legend="Who withdrew consent?"
        choices={GIVER_CHOICES}
        value={answers.withdrawnBy}
        error={errorFor("withdrawnBy")}
      />
      <DateInput
        id={WITHDRAWN_ON}
        legend="When did they withdraw it?"
        hint="For example, 27 3 2026. It cannot be in the future."
        value={answers.withdrawnOn}
        error={errors.find((error) => error.field.startsWith(`${WITHDRAWN_ON}-`))?.message}
        errorParts={dateParts}
      />
      <Textarea
        id="note"
        label="Anything else to record (optional)"
        labelSize="m"
        hint="For example, what they said, or whether they agreed to any sharing continuing."
        rows={4}
        value={answers.note}
        error={errorFor("note")}
      />
    </>
  );
}
