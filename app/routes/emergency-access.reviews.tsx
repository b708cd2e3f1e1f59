import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireActorFor } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import {
  listEmergencyAccesses,
  reviewEmergencyAccess,
  type EmergencyAccessView,
} from "~/services/emergency-access.server";
import {
  REVIEW_NOTE_MAX,
  REVIEW_OUTCOME_CODES,
  REVIEW_OUTCOMES,
} from "~/services/emergency-access-vocabulary";
import { ConflictError } from "~/services/errors";
import { formatDateTime } from "~/ui/dates";
import { ActionButton, ErrorSummary, type FieldError } from "~/ui/form";
import { asTyped, plainText } from "~/ui/plain-text";
import { Radios } from "~/ui/radios";
import { SuccessBanner } from "~/ui/success-banner";
import { SummaryList } from "~/ui/summary-list";
import { Table } from "~/ui/table";
import { Tag } from "~/ui/tag";
import { Textarea } from "~/ui/textarea";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Emergency access reviews – Crosswalk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "emergency_access.review");
  const accesses = await serviceCall(() => listEmergencyAccesses(ctx, { status: "all" }));
  return {
    awaiting: accesses.filter((access) => access.review === null),
    reviewed: accesses.filter((access) => access.review !== null),
    outcomes: REVIEW_OUTCOME_CODES.map((code) => ({ value: code, label: REVIEW_OUTCOMES[code] })),
  };
}

// Each access's form names its fields by the access's id, so ids stay unique on the page.
const ReviewSchema = z.object({
  outcome: z.enum(REVIEW_OUTCOME_CODES, {
    error: "Select whether the emergency access was appropriate",
  }),
  note: plainText("Your note")
    .trim()
    .min(1, "Enter a note on your review")
    .max(
      REVIEW_NOTE_MAX,
      `Your note must be ${REVIEW_NOTE_MAX.toLocaleString("en-GB")} characters or fewer`,
    ),
});

const text = (form: FormData, name: string) => {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
};

export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "emergency_access.review");
  const form = await readForm(request);
  const accessId = z.uuid().safeParse(form.get("accessId"));
  if (!accessId.success) throw data("Unknown emergency access.", { status: 400 });
  const id = accessId.data;
  const parsed = ReviewSchema.safeParse({
    outcome: text(form, `outcome-${id}`),
    note: text(form, `note-${id}`),
  });
  const answers = {
    outcome: asTyped(form.get(`outcome-${id}`), 50),
    note: asTyped(form.get(`note-${id}`), REVIEW_NOTE_MAX),
  };
  if (!parsed.success) {
    const errors = (["outcome", "note"] as const).flatMap((field) => {
      const issue = parsed.error.issues.find((candidate) => candidate.path[0] === field);
      return issue ? [{ field: `${field}-${id}`, message: issue.message }] : [];
    });
    return data({ accessId: id, answers, errors }, { status: 400 });
  }
  // Another lead may have reviewed it meanwhile: say so on the page rather than fail.
  const conflict = await serviceCall(() =>
    reviewEmergencyAccess(ctx, id, parsed.data).then(
      () => null,
      (error: unknown) => {
        if (error instanceof ConflictError) return error.message;
        throw error;
      },
    ),
  );
  if (conflict) {
    return data(
      { accessId: id, answers, errors: [{ field: `outcome-${id}`, message: conflict }] },
      { status: 409 },
    );
  }
  throw redirect("/emergency-access/reviews?done=reviewed");
}

export default function EmergencyAccessReviews() {
  const { awaiting, reviewed, outcomes } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors: FieldError[] = result?.errors ?? [];
  return (
    <>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <SuccessBanner messages={{ reviewed: "Review recorded" }} />
          <h1 className="govuk-heading-l">Emergency access reviews</h1>
          <p className="govuk-body">
            A practitioner whose agency is not involved can open a young person&apos;s record in an
            emergency, for a limited time. Review each one: was it appropriate?
          </p>
          <h2 className="govuk-heading-m">
            Waiting for review{awaiting.length > 0 ? ` (${awaiting.length})` : ""}
          </h2>
          {awaiting.length === 0 ? (
            <p className="govuk-body">There are no emergency accesses waiting for review.</p>
          ) : (
            awaiting.map((access) => (
              <AwaitingReview
                key={access.id}
                access={access}
                outcomes={outcomes}
                errors={errors}
                answers={result?.accessId === access.id ? result.answers : null}
              />
            ))
          )}
        </div>
      </div>
      <h2 className="govuk-heading-m">Reviewed</h2>
      {reviewed.length === 0 ? (
        <p className="govuk-body">No emergency access has been reviewed yet.</p>
      ) : (
        <Table
          caption="Emergency accesses already reviewed, newest first"
          captionSize="s"
          columns={[
            { label: "Young person" },
            { label: "Opened by" },
            { label: "Reason" },
            { label: "Opened" },
            { label: "Review" },
            { label: "Reviewed by" },
            { label: "Note" },
          ]}
          rows={reviewed.map((access) => ({
            key: access.id,
            cells: [
              access.youngPerson.name,
              `${access.openedBy.name}, ${access.openedBy.agencyName}`,
              access.reasonLabel,
              formatDateTime(new Date(access.openedAt)),
              <Tag
                key="outcome"
                colour={access.review?.outcome === "appropriate" ? "green" : "red"}
              >
                {access.review?.outcomeLabel}
              </Tag>,
              access.review
                ? `${access.review.reviewedBy}, ${formatDateTime(new Date(access.review.reviewedAt))}`
                : "",
              access.review?.note ?? "",
            ],
          }))}
        />
      )}
    </>
  );
}

function AwaitingReview({
  access,
  outcomes,
  errors,
  answers,
}: {
  access: EmergencyAccessView;
  outcomes: { value: string; label: string }[];
  errors: FieldError[];
  answers: { outcome: string; note: string } | null;
}) {
  const errorFor = (field: string) =>
    errors.find((error) => error.field === `${field}-${access.id}`)?.message;
  const opener = `${access.openedBy.name}, ${access.openedBy.agencyName}`;
  return (
    <div className="govuk-summary-card">
      <div className="govuk-summary-card__title-wrapper">
        <h3 className="govuk-summary-card__title">
          {access.youngPerson.name}, opened by {opener}
        </h3>
      </div>
      <div className="govuk-summary-card__content">
        <SummaryList
          rows={[
            {
              key: "Young person",
              value: (
                <Link className="govuk-link" to={`/young-people/${access.youngPerson.id}`}>
                  {access.youngPerson.name}
                </Link>
              ),
            },
            { key: "Opened by", value: opener },
            { key: "Reason", value: access.reasonLabel },
            { key: "Their explanation", value: access.reasonDetail },
            { key: "Opened", value: formatDateTime(new Date(access.openedAt)) },
            {
              key: access.open ? "Ends" : "Ended",
              value: (
                <>
                  {formatDateTime(new Date(access.expiresAt))}{" "}
                  {access.open ? <Tag colour="orange">Open now</Tag> : null}
                </>
              ),
            },
          ]}
        />
        <PostForm action="/emergency-access/reviews" noValidate>
          <input type="hidden" name="accessId" value={access.id} />
          <Radios
            name={`outcome-${access.id}`}
            legend="Was this emergency access appropriate?"
            legendSize="s"
            value={answers?.outcome}
            error={errorFor("outcome")}
            choices={outcomes}
          />
          <Textarea
            id={`note-${access.id}`}
            label="Your note"
            hint="Why you reached this view, and anything you have done about it"
            value={answers?.note}
            error={errorFor("note")}
          />
          <ActionButton hiddenContext={`: ${access.youngPerson.name}, opened by ${opener}`}>
            Record review
          </ActionButton>
        </PostForm>
      </div>
    </div>
  );
}
