import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import type { ReactNode } from "react";
import { z } from "zod";
import { requireActorForRecord } from "~/auth/session.server";
import { readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { InvalidInput } from "~/services/errors";
import {
  chooseYoungPerson,
  getDraft,
  recordYoungPersonForDraft,
} from "~/services/referrals.server";
import { searchYoungPeople, type Candidate } from "~/services/young-people.server";
import { BackLink } from "~/ui/back-link";
import { formatDate, todayInLondon } from "~/ui/dates";
import { ActionButton, Button, ErrorSummary, type FieldError } from "~/ui/form";
import { SummaryList } from "~/ui/summary-list";
import {
  EMPTY_YOUNG_PERSON,
  OtherDetailFields,
  parseYoungPerson,
  SearchFields,
  youngPersonAnswers,
  type YoungPersonAnswers,
} from "~/ui/young-person-form";
import { WarningText } from "~/ui/warning-text";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Who is the referral about? – Crosswalk" }];

const NEXT = "concern";

interface ActionResult {
  answers: YoungPersonAnswers;
  errors: FieldError[];
  /** The possible matches a search just found (possibly none); null when no search ran. */
  candidates: Candidate[] | null;
  /** After a search the page asks for every detail of a new young person. */
  stage: "search" | "details";
  /** The person ticked "none of the possible matches is this young person". */
  confirmed: boolean;
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "referral.edit_draft",
  );
  const id = uuidParam(params, "referralId");
  const draft = await serviceCall(() => getDraft(ctx, id));
  return { id: draft.id, reference: draft.reference, youngPerson: draft.youngPerson };
}

const IntentSchema = z.enum(["search", "choose", "create"]);

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "referral.edit_draft",
  );
  const id = uuidParam(params, "referralId");
  const form = await readForm(request);
  const intent = IntentSchema.safeParse(form.get("intent"));
  if (!intent.success) throw data("Unknown request.", { status: 400 });
  const answers = youngPersonAnswers(form);
  const today = todayInLondon();
  const next = form.get("returnTo") === "check" ? "check" : NEXT;
  const confirmed = form.get("confirmNotAMatch") === "yes";

  if (intent.data === "choose") {
    const chosen = z.uuid().safeParse(form.get("youngPersonId"));
    if (!chosen.success) throw data("Unknown young person.", { status: 400 });
    await serviceCall(() => chooseYoungPerson(ctx, id, chosen.data));
    throw redirect(`/referrals/${id}/draft/${next}`);
  }

  const parsed = parseYoungPerson(answers, today, intent.data === "search" ? "search" : undefined);
  if ("errors" in parsed) {
    const stage = intent.data === "create" ? "details" : "search";
    return data<ActionResult>(
      { answers, errors: parsed.errors, candidates: null, stage, confirmed },
      { status: 400 },
    );
  }
  if (intent.data === "search") {
    const candidates = await serviceCall(() => searchYoungPeople(ctx, parsed.value));
    return data<ActionResult>({ answers, errors: [], candidates, stage: "details", confirmed });
  }
  try {
    const result = await serviceCall(() =>
      recordYoungPersonForDraft(ctx, id, parsed.value, {
        confirmedNotAMatch: confirmed,
      }),
    );
    if ("candidates" in result) {
      const errors = [
        {
          field: "confirmNotAMatch",
          message:
            "Check the possible matches. Refer one of them, or confirm this is a different young person",
        },
      ];
      return data<ActionResult>(
        { answers, errors, candidates: result.candidates, stage: "details", confirmed },
        { status: 400 },
      );
    }
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    return data<ActionResult>(
      { answers, errors: error.errors, candidates: null, stage: "details", confirmed },
      { status: 400 },
    );
  }
  throw redirect(`/referrals/${id}/draft/${next}`);
}

export default function YoungPersonStep() {
  const { id, reference, youngPerson } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [search] = useSearchParams();
  const returnTo = search.get("returnTo") === "check" ? "check" : null;
  const changing = search.get("change") === "yes";
  const path = `/referrals/${id}/draft/young-person${returnTo ? "?returnTo=check" : ""}`;
  const answers = result?.answers ?? EMPTY_YOUNG_PERSON;
  const errors = result?.errors ?? [];
  const candidates = result?.candidates ?? null;
  const details = result?.stage === "details";
  // Only back links that lead somewhere: to the answers when the person came from them, to the
  // young person already chosen when changing them, and otherwise out to "Make a referral".
  const back = returnTo
    ? { to: `/referrals/${id}/draft/check`, label: "Back to your answers" }
    : changing && youngPerson
      ? { to: `/referrals/${id}/draft/young-person`, label: "Back" }
      : { to: "/referrals/new", label: "Back" };

  if (youngPerson && !result && !changing) {
    return (
      <Frame reference={reference} back={back}>
        <h1 className="govuk-heading-l">Who is the referral about?</h1>
        <SummaryList
          rows={[
            { key: "Name", value: youngPerson.name },
            { key: "Known as", value: youngPerson.knownAs ?? "Not given" },
            {
              key: "Date of birth",
              value: youngPerson.dateOfBirth ? formatDate(youngPerson.dateOfBirth) : "Not known",
            },
            { key: "Postcode district", value: youngPerson.postcodeDistrict ?? "Not known" },
          ]}
        />
        <div className="govuk-button-group">
          <Link
            to={`/referrals/${id}/draft/${returnTo ?? NEXT}`}
            className="govuk-button"
            data-module="govuk-button"
          >
            Continue
          </Link>
          <Link
            to={`/referrals/${id}/draft/young-person?change=yes${returnTo ? "&returnTo=check" : ""}`}
            className="govuk-link"
          >
            Refer someone else
          </Link>
        </div>
      </Frame>
    );
  }

  return (
    <Frame reference={reference} back={back}>
      <ErrorSummary errors={errors} />
      <h1 className="govuk-heading-l">Who is the referral about?</h1>
      <p className="govuk-body">
        First check whether the partnership already knows this young person, so their referrals stay
        together.
      </p>
      {candidates !== null ? (
        <>
          <h2 className="govuk-heading-m" id="matches">
            {candidates.length === 0
              ? "No possible matches"
              : `${candidates.length} possible match${candidates.length === 1 ? "" : "es"}`}
          </h2>
          {candidates.length === 0 ? (
            <p className="govuk-body">
              No one with a similar name, date of birth and postcode district is known to the
              partnership. Record them as a new young person below.
            </p>
          ) : (
            <ul className="govuk-list">
              {candidates.map((candidate, index) => (
                <li key={candidate.kind === "visible" ? candidate.id : `known-${index}`}>
                  <CandidateCard candidate={candidate} path={path} returnTo={returnTo} />
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
      {details ? <h2 className="govuk-heading-m">Record a new young person</h2> : null}
      <PostForm action={path} noValidate>
        {returnTo ? <input type="hidden" name="returnTo" value="check" /> : null}
        <SearchFields answers={answers} errors={errors} />
        {!details ? (
          <Button name="intent" value="search">
            Check for a match
          </Button>
        ) : (
          <>
            <OtherDetailFields answers={answers} errors={errors} />
            {candidates?.length || result?.confirmed ? (
              <ConfirmNotAMatch
                checked={result?.confirmed ?? false}
                error={errors.find((error) => error.field === "confirmNotAMatch")?.message}
              />
            ) : null}
            <div className="govuk-button-group">
              <Button name="intent" value="create">
                Record and continue
              </Button>
              <ActionButton variant="secondary" name="intent" value="search">
                Check for a match again
              </ActionButton>
            </div>
          </>
        )}
      </PostForm>
    </Frame>
  );
}

function Frame({
  back,
  reference,
  children,
}: {
  back: { to: string; label: string };
  reference: string;
  children: ReactNode;
}) {
  return (
    <>
      <BackLink to={back.to}>{back.label}</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <span className="govuk-caption-l">Referral {reference}</span>
          {children}
        </div>
      </div>
    </>
  );
}

function CandidateCard({
  candidate,
  path,
  returnTo,
}: {
  candidate: Candidate;
  path: string;
  returnTo: string | null;
}) {
  if (candidate.kind === "known") {
    return (
      <div className="govuk-inset-text">
        <p className="govuk-body govuk-!-font-weight-bold">Known to the partnership</p>
        <p className="govuk-body">
          A young person matching these details is known to:{" "}
          {candidate.knownToAgencies.join(", ") || "the partnership"}. You cannot see their record.
        </p>
        <p className="govuk-body">
          If you think this is the young person you are referring, contact those agencies or the
          partnership hub before you record them again.
        </p>
      </div>
    );
  }
  const name = `${candidate.givenName} ${candidate.familyName}`;
  return (
    <div className="govuk-summary-card">
      <div className="govuk-summary-card__title-wrapper">
        <h3 className="govuk-summary-card__title">{name}</h3>
      </div>
      <div className="govuk-summary-card__content">
        <SummaryList
          rows={[
            { key: "Known as", value: candidate.knownAs ?? "Not given" },
            {
              key: "Date of birth",
              value: candidate.dateOfBirth ? formatDate(candidate.dateOfBirth) : "Not known",
            },
            { key: "Postcode district", value: candidate.postcodeDistrict ?? "Not known" },
            { key: "School", value: candidate.school ?? "Not known" },
            { key: "Matched on", value: candidate.matchedOn.join(", ") || "similar details" },
          ]}
        />
        <PostForm action={path}>
          <input type="hidden" name="intent" value="choose" />
          <input type="hidden" name="youngPersonId" value={candidate.id} />
          {returnTo ? <input type="hidden" name="returnTo" value="check" /> : null}
          <ActionButton variant="secondary" hiddenContext={`: ${name}`}>
            Refer this young person
          </ActionButton>
        </PostForm>
      </div>
    </div>
  );
}

function ConfirmNotAMatch({ error, checked }: { error?: string; checked: boolean }) {
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <WarningText>Recording someone twice splits their history across two records.</WarningText>
      {error ? (
        <p id="confirmNotAMatch-error" className="govuk-error-message">
          <span className="govuk-visually-hidden">Error:</span> {error}
        </p>
      ) : null}
      <div className="govuk-checkboxes" data-module="govuk-checkboxes">
        <div className="govuk-checkboxes__item">
          <input
            className="govuk-checkboxes__input"
            id="confirmNotAMatch"
            name="confirmNotAMatch"
            type="checkbox"
            value="yes"
            defaultChecked={checked}
            aria-describedby={error ? "confirmNotAMatch-error" : undefined}
          />
          <label className="govuk-label govuk-checkboxes__label" htmlFor="confirmNotAMatch">
            None of the possible matches is this young person
          </label>
        </div>
      </div>
    </div>
  );
}
