import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireActorFor, requireStepUp } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import {
  getEmergencyAccessTerms,
  openEmergencyAccess,
  searchForEmergencyAccess,
  type EmergencyAccessTerms,
  type EmergencyMatch,
} from "~/services/emergency-access.server";
import { EMERGENCY_REASON_CODES, REASON_DETAIL_MAX } from "~/services/emergency-access-vocabulary";
import { formatDateTime, todayInLondon } from "~/ui/dates";
import { ActionButton, Button, ErrorSummary, type FieldError } from "~/ui/form";
import { asTyped, plainText } from "~/ui/plain-text";
import { Radios } from "~/ui/radios";
import { Textarea } from "~/ui/textarea";
import { WarningText } from "~/ui/warning-text";
import {
  EMPTY_YOUNG_PERSON,
  parseYoungPerson,
  SearchFields,
  youngPersonAnswers,
  type YoungPersonAnswers,
} from "~/ui/young-person-form";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Emergency access – Crosswalk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "emergency_access.open");
  return serviceCall(() => getEmergencyAccessTerms(ctx));
}

/** What the page shows after a search, or after an open form that needs correcting. */
interface ActionResult {
  answers: YoungPersonAnswers;
  errors: FieldError[];
  /** The matches the search found (possibly none); null when no search ran. */
  matches: EmergencyMatch[] | null;
  /** The open form being corrected: which match it was for and what was typed. */
  opening: { handle: string; reason: string; reasonDetail: string } | null;
}

const IntentSchema = z.enum(["search", "open"]);

// Each match's form names its fields by the match's place in the list, so ids stay unique.
const OpenSchema = z.object({
  reason: z.enum(EMERGENCY_REASON_CODES, { error: "Select why you need emergency access" }),
  reasonDetail: plainText("Your explanation")
    .trim()
    .min(1, "Explain what is happening and why it cannot wait")
    .max(
      REASON_DETAIL_MAX,
      `Your explanation must be ${REASON_DETAIL_MAX.toLocaleString("en-GB")} characters or fewer`,
    ),
});

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "emergency_access.open");
  const form = await readForm(request);
  const intent = IntentSchema.safeParse(form.get("intent"));
  if (!intent.success) throw data("Unknown request.", { status: 400 });
  const answers = youngPersonAnswers(form);
  const search = parseYoungPerson(answers, todayInLondon(), "search");

  if (intent.data === "search") {
    if ("errors" in search) {
      return data<ActionResult>(
        { answers, errors: search.errors, matches: null, opening: null },
        { status: 400 },
      );
    }
    const matches = await serviceCall(() => searchForEmergencyAccess(ctx, search.value));
    return data<ActionResult>({ answers, errors: [], matches, opening: null });
  }

  const handle = z.uuid().safeParse(form.get("handle"));
  const place = z.coerce.number().int().min(1).max(10).safeParse(form.get("match"));
  if (!handle.success || !place.success) throw data("Unknown young person.", { status: 400 });
  const fields = { reason: `reason-${place.data}`, reasonDetail: `reasonDetail-${place.data}` };
  const parsed = OpenSchema.safeParse({
    reason: text(form, fields.reason),
    reasonDetail: text(form, fields.reasonDetail),
  });
  if (parsed.success) {
    // Opening a case outside the rules needs a fresh second factor (the form is held meanwhile).
    await requireStepUp(request, context, ctx, form);
    const opened = await serviceCall(() =>
      openEmergencyAccess(ctx, handle.data, {
        reason: parsed.data.reason,
        detail: parsed.data.reasonDetail,
      }),
    );
    throw redirect(`/young-people/${opened.youngPersonId}`);
  }
  // The search the open form came from, shown again with the form's errors.
  if ("errors" in search) throw data("The form could not be read.", { status: 400 });
  const matches = await serviceCall(() => searchForEmergencyAccess(ctx, search.value));
  const at = matches.findIndex(
    (match) => match.kind === "restricted" && match.handle === handle.data,
  );
  if (at === -1) throw data("Unknown young person.", { status: 400 });
  const opening = {
    handle: handle.data,
    reason: asTyped(form.get(fields.reason), 50),
    reasonDetail: asTyped(form.get(fields.reasonDetail), REASON_DETAIL_MAX),
  };
  const errors = (["reason", "reasonDetail"] as const).flatMap((field) => {
    const issue = parsed.error.issues.find((candidate) => candidate.path[0] === field);
    return issue ? [{ field: `${field}-${at + 1}`, message: issue.message }] : [];
  });
  return data<ActionResult>({ answers, errors, matches, opening }, { status: 400 });
}

/** "4 hours", "30 minutes", "1 hour and 30 minutes". */
function durationOf(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const part = (count: number, unit: string) => `${count} ${unit}${count === 1 ? "" : "s"}`;
  if (hours === 0) return part(rest, "minute");
  return rest === 0 ? part(hours, "hour") : `${part(hours, "hour")} and ${part(rest, "minute")}`;
}

export default function EmergencyAccess() {
  const terms = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const answers = result?.answers ?? EMPTY_YOUNG_PERSON;
  const errors = result?.errors ?? [];
  const matches = result?.matches ?? null;
  const searchErrors = result?.opening ? [] : errors;
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <ErrorSummary errors={errors} />
        <h1 className="govuk-heading-l">Emergency access</h1>
        <WarningText>
          Emergency access is only for a child at risk right now, when you cannot wait for an agency
          that is involved to share their record with you. If a child is in immediate danger, call
          999.
        </WarningText>
        <p className="govuk-body">If you open a young person&apos;s record in an emergency:</p>
        <ul className="govuk-list govuk-list--bullet">
          <li>you can see it for {durationOf(terms.minutes)}, then your access ends</li>
          <li>the reason you give and every page you open are recorded</li>
          <li>the partnership lead and the auditors are told straight away</li>
          <li>the partnership lead reviews whether your access was appropriate</li>
        </ul>
        <h2 className="govuk-heading-m">Find the young person</h2>
        <PostForm action="/emergency-access" noValidate>
          <SearchFields answers={answers} errors={searchErrors} />
          <Button name="intent" value="search">
            Search
          </Button>
        </PostForm>
        {matches !== null ? (
          <Matches
            matches={matches}
            answers={answers}
            reasons={terms.reasons}
            errors={errors}
            opening={result?.opening ?? null}
          />
        ) : null}
      </div>
    </div>
  );
}

type Reasons = EmergencyAccessTerms["reasons"];

function Matches({
  matches,
  answers,
  reasons,
  errors,
  opening,
}: {
  matches: EmergencyMatch[];
  answers: YoungPersonAnswers;
  reasons: Reasons;
  errors: FieldError[];
  opening: ActionResult["opening"];
}) {
  return (
    <>
      <h2 className="govuk-heading-m" id="matches">
        {matches.length === 0
          ? "No possible matches"
          : `${matches.length} possible match${matches.length === 1 ? "" : "es"}`}
      </h2>
      {matches.length === 0 ? (
        <p className="govuk-body">
          No one with a similar name, date of birth and postcode district is known to the
          partnership. Check the details and search again, or contact the partnership hub.
        </p>
      ) : (
        <ul className="govuk-list">
          {matches.map((match, index) => (
            <li key={index}>
              <MatchCard
                match={match}
                place={index + 1}
                answers={answers}
                reasons={reasons}
                errors={errors}
                opening={
                  match.kind === "restricted" && opening?.handle === match.handle ? opening : null
                }
              />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function MatchCard({
  match,
  place,
  answers,
  reasons,
  errors,
  opening,
}: {
  match: EmergencyMatch;
  place: number;
  answers: YoungPersonAnswers;
  reasons: Reasons;
  errors: FieldError[];
  opening: ActionResult["opening"];
}) {
  if (match.kind === "visible") {
    return (
      <div className="govuk-inset-text">
        <p className="govuk-body">
          You can already see{" "}
          <Link className="govuk-link" to={`/young-people/${match.youngPersonId}`}>
            {match.name}&apos;s record
          </Link>
          {match.emergencyAccessUntil
            ? `, under emergency access until ${formatDateTime(new Date(match.emergencyAccessUntil))}`
            : ""}
          .
        </p>
      </div>
    );
  }
  const knownTo = match.knownToAgencies.join(", ") || "the partnership";
  if (match.kind === "involved") {
    return (
      <div className="govuk-inset-text">
        <p className="govuk-body">
          Possible match {place}: known to {knownTo}.
        </p>
        <p className="govuk-body">
          Your agency is already involved with this young person, so emergency access is not for
          them. Ask your agency lead or the referrer to record a decision to share with your agency.
        </p>
      </div>
    );
  }
  const errorFor = (field: string) =>
    errors.find((error) => error.field === `${field}-${place}`)?.message;
  return (
    <div className="govuk-summary-card">
      <div className="govuk-summary-card__title-wrapper">
        <h3 className="govuk-summary-card__title">Possible match {place}</h3>
      </div>
      <div className="govuk-summary-card__content">
        <p className="govuk-body">
          Known to {knownTo}. You cannot see their record unless you open emergency access.
        </p>
        <PostForm action="/emergency-access" noValidate>
          <input type="hidden" name="intent" value="open" />
          <input type="hidden" name="handle" value={match.handle} />
          <input type="hidden" name="match" value={place} />
          <input type="hidden" name="givenName" value={answers.givenName} />
          <input type="hidden" name="familyName" value={answers.familyName} />
          <input type="hidden" name="dateOfBirth-day" value={answers.dateOfBirth.day} />
          <input type="hidden" name="dateOfBirth-month" value={answers.dateOfBirth.month} />
          <input type="hidden" name="dateOfBirth-year" value={answers.dateOfBirth.year} />
          <input type="hidden" name="postcodeDistrict" value={answers.postcodeDistrict} />
          <Radios
            name={`reason-${place}`}
            legend="Why do you need emergency access?"
            legendSize="s"
            value={opening?.reason}
            error={errorFor("reason")}
            choices={reasons}
          />
          <Textarea
            id={`reasonDetail-${place}`}
            label="Explain what is happening and why it cannot wait"
            hint="The partnership lead reads this when they review your access."
            value={opening?.reasonDetail}
            error={errorFor("reasonDetail")}
          />
          <ActionButton variant="warning" hiddenContext={` to possible match ${place}`}>
            Open emergency access
          </ActionButton>
        </PostForm>
      </div>
    </div>
  );
}
