import { parseWithZod } from "@conform-to/zod/v4";
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import {
  AGENCY_KINDS,
  AGENCY_KIND_LABELS,
  SHARING_PURPOSES,
  SHARING_PURPOSE_LABELS,
  agreementOverdueForReview,
  type AgencyKind,
  type AgreementChange,
} from "../../policies";
import { requireActorFor, requireStepUp } from "~/auth/session.server";
import { fieldErrors, readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import {
  getSharingAgreementForEditing,
  amendSharingAgreement,
} from "~/services/sharing-agreement.server";
import { AgreementTable } from "~/ui/agreement-table";
import { BackLink } from "~/ui/back-link";
import { Checkboxes } from "~/ui/checkboxes";
import {
  DateInput,
  dateAnswerOf,
  dateInputError,
  dateInputFields,
  readDateInput,
  refineDateInput,
  type DateAnswer,
  type DatePart,
} from "~/ui/date-input";
import { formatDate, todayInLondon } from "~/ui/dates";
import { Button, ErrorSummary, type FieldError } from "~/ui/form";
import { asTyped } from "~/ui/plain-text";
import { Select } from "~/ui/select";
import { SuccessBanner } from "~/ui/success-banner";
import { Tag } from "~/ui/tag";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Information sharing agreement – Crosswalk" }];

const PATH = "/admin/sharing-agreement";

const DONE = {
  "review-date-saved": "Review date saved",
  "permission-added": "Permission added",
  "permission-removed": "Permission removed",
};

const REVIEW_DATE = "review date";

const kind = (message: string) => z.enum(AGENCY_KINDS, { error: message });

const AgreementChangeSchema = z.discriminatedUnion("intent", [
  z
    .object({ intent: z.literal("review-date"), ...dateInputFields("reviewDate") })
    .superRefine(refineDateInput("reviewDate", REVIEW_DATE)),
  z
    .object({
      intent: z.literal("add"),
      fromKind: kind("Select the kind of agency that shares"),
      toKind: kind("Select the kind of agency it may share with"),
      purposes: z
        .array(z.enum(SHARING_PURPOSES), { error: "Select at least one purpose" })
        .min(1, "Select at least one purpose"),
    })
    .refine((permission) => permission.fromKind !== permission.toKind, {
      path: ["toKind"],
      message: "Select a different kind of agency to share with",
    }),
  z.object({ intent: z.literal("remove"), fromKind: kind(""), toKind: kind("") }),
]);

const KIND_CHOICES = AGENCY_KINDS.map((value) => ({ value, label: AGENCY_KIND_LABELS[value] }));
const PURPOSE_CHOICES = SHARING_PURPOSES.map((value) => ({
  value,
  label: SHARING_PURPOSE_LABELS[value],
}));
const kindOrder = (value: AgencyKind) => AGENCY_KINDS.indexOf(value);

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "agreement.manage");
  const agreement = await serviceCall(() => getSharingAgreementForEditing(ctx));
  const permissions = [...agreement.permissions].sort(
    (a, b) =>
      kindOrder(a.fromKind) - kindOrder(b.fromKind) || kindOrder(a.toKind) - kindOrder(b.toKind),
  );
  const groups = AGENCY_KINDS.flatMap((fromKind) => {
    const rows = permissions
      .filter((permission) => permission.fromKind === fromKind)
      .map((permission) => ({
        toKind: permission.toKind,
        toLabel: AGENCY_KIND_LABELS[permission.toKind],
        purposeLabels: SHARING_PURPOSES.filter((purpose) =>
          permission.purposes.includes(purpose),
        ).map((purpose) => SHARING_PURPOSE_LABELS[purpose]),
      }));
    return rows.length ? [{ fromKind, fromLabel: AGENCY_KIND_LABELS[fromKind], rows }] : [];
  });
  return {
    reviewDate: agreement.reviewDate,
    reviewDateText: agreement.reviewDate ? formatDate(agreement.reviewDate) : null,
    overdue: agreementOverdueForReview(agreement, todayInLondon()),
    groups,
  };
}

interface ActionResult {
  intent: string;
  errors: FieldError[];
  dateParts: DatePart[];
  reviewDate: DateAnswer | null;
  permission: { fromKind: string; toKind: string; purposes: string[] } | null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "agreement.manage");
  await requireStepUp(request, context, ctx);
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: AgreementChangeSchema });
  if (submission.status !== "success") {
    const intent = form.get("intent");
    if (intent !== "review-date" && intent !== "add") throw data(null, { status: 400 });
    const reply = submission.reply();
    const dateError = dateInputError(reply.error ?? undefined, "reviewDate");
    const text = (name: string) => asTyped(form.get(name), 50);
    return data<ActionResult>(
      {
        intent,
        errors: dateError
          ? [dateError.error]
          : fieldErrors(reply, ["fromKind", "toKind", "purposes"]),
        dateParts: dateError?.parts ?? [],
        reviewDate: {
          day: text("reviewDate-day"),
          month: text("reviewDate-month"),
          year: text("reviewDate-year"),
        },
        permission: {
          fromKind: text("fromKind"),
          toKind: text("toKind"),
          purposes: form
            .getAll("purposes")
            .filter((value) => typeof value === "string")
            .map((value) => asTyped(value, 50)),
        },
      },
      { status: 400 },
    );
  }
  const change = submission.value;
  let amendment: AgreementChange;
  let done: keyof typeof DONE;
  if (change.intent === "review-date") {
    const read = readDateInput(change, "reviewDate", REVIEW_DATE);
    if (!("isoDate" in read)) throw data(null, { status: 400 }); // checked by the schema
    amendment = { kind: "review_date", reviewDate: read.isoDate };
    done = "review-date-saved";
  } else if (change.intent === "add") {
    const { fromKind, toKind, purposes } = change;
    amendment = { kind: "add", permission: { fromKind, toKind, purposes } };
    done = "permission-added";
  } else {
    amendment = { kind: "remove", fromKind: change.fromKind, toKind: change.toKind };
    done = "permission-removed";
  }
  await serviceCall(() => amendSharingAgreement(ctx, amendment));
  throw redirect(`${PATH}?done=${done}`);
}

export default function SharingAgreementPage() {
  const agreement = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;
  const dateError = result?.intent === "review-date" ? errors[0]?.message : undefined;
  return (
    <>
      <BackLink to="/admin">Back to partnership administration</BackLink>
      <ErrorSummary errors={errors} />
      <SuccessBanner messages={DONE} />
      <span className="govuk-caption-l">Partnership administration</span>
      <h1 className="govuk-heading-l">Information sharing agreement</h1>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <p className="govuk-body">
            The agreement says which kinds of agency may share information about a young person with
            which others, and why. Crosswalk refuses any share the agreement does not permit.
          </p>
          <h2 className="govuk-heading-m">Review date</h2>
          {agreement.reviewDateText ? (
            <p className="govuk-body">
              The partnership must review the agreement by {agreement.reviewDateText}.{" "}
              {agreement.overdue ? <Tag colour="red">Review overdue</Tag> : null}
            </p>
          ) : (
            <p className="govuk-body">No review date is set.</p>
          )}
          <PostForm action={PATH} noValidate>
            <input type="hidden" name="intent" value="review-date" />
            <DateInput
              id="reviewDate"
              legend="Next review date"
              legendSize="s"
              hint="For example, 27 3 2027"
              value={
                result?.intent === "review-date" && result.reviewDate
                  ? result.reviewDate
                  : dateAnswerOf(agreement.reviewDate)
              }
              error={dateError}
              errorParts={result?.dateParts}
            />
            <Button>Save review date</Button>
          </PostForm>
        </div>
      </div>

      {agreement.groups.length ? (
        <AgreementTable groups={agreement.groups} action={PATH} />
      ) : (
        <>
          <h2 className="govuk-heading-m">Permissions</h2>
          <p className="govuk-body">The agreement does not permit any sharing yet.</p>
        </>
      )}

      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <h2 className="govuk-heading-m">Add a permission</h2>
          <p className="govuk-body">
            If the agreement already lets one kind of agency share with the other, the purposes you
            choose are added to it.
          </p>
          <PostForm action={PATH} noValidate>
            <input type="hidden" name="intent" value="add" />
            <Select
              id="fromKind"
              label="Kind of agency that shares"
              placeholder="Choose a kind of agency"
              choices={KIND_CHOICES}
              value={result?.intent === "add" ? result.permission?.fromKind : ""}
              error={errorFor("fromKind")}
            />
            <Select
              id="toKind"
              label="Kind of agency it may share with"
              placeholder="Choose a kind of agency"
              choices={KIND_CHOICES}
              value={result?.intent === "add" ? result.permission?.toKind : ""}
              error={errorFor("toKind")}
            />
            <Checkboxes
              name="purposes"
              legend="Purposes"
              legendSize="s"
              hint="Select all that apply"
              choices={PURPOSE_CHOICES}
              values={result?.intent === "add" ? result.permission?.purposes : []}
              error={errorFor("purposes")}
            />
            <Button>Add permission</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
