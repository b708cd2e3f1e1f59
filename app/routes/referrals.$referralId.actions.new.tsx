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
import { requireActorForRecord } from "~/auth/session.server";
import { fieldErrors, readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { addAction, assignableAgencies, getCaseWorkForm } from "~/services/case-work.server";
import { InvalidInput } from "~/services/errors";
import { BackLink } from "~/ui/back-link";
import {
  DATE_PARTS,
  DateInput,
  dateInputError,
  dateInputFields,
  readDateInput,
  refineDateInput,
  type DatePart,
} from "~/ui/date-input";
import { todayInLondon } from "~/ui/dates";
import { Button, ErrorSummary } from "~/ui/form";
import { asTyped, plainText } from "~/ui/plain-text";
import { Select } from "~/ui/select";
import { Textarea } from "~/ui/textarea";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Add an action – Crosswalk" }];

const DUE_ON = "dueOn";
const DUE_ON_LABEL = "due date";

const ActionSchema = z
  .object({
    description: plainText("What needs to be done", { error: "Enter what needs to be done" })
      .trim()
      .min(1, "Enter what needs to be done")
      .max(1_000, "What needs to be done must be 1,000 characters or fewer"),
    assignedAgencyId: z.uuid({ error: "Select the agency that will do it" }),
    ...dateInputFields(DUE_ON),
  })
  .superRefine(
    (fields, ctx) => {
      refineDateInput(DUE_ON, DUE_ON_LABEL)(fields, ctx);
      const read = readDateInput(fields, DUE_ON, DUE_ON_LABEL);
      if (!("isoDate" in read) || read.isoDate >= todayInLondon()) return;
      for (const part of DATE_PARTS) {
        ctx.addIssue({
          code: "custom",
          path: [`${DUE_ON}-${part}`],
          message: "The due date must be today or in the future",
        });
      }
    },
    // Check the date even when another field is wrong too, so every problem is shown at once.
    { when: () => true },
  );

function actionAnswers(form: FormData) {
  const text = (name: string) => asTyped(form.get(name), 50);
  return {
    description: asTyped(form.get("description"), 1_000),
    assignedAgencyId: text("assignedAgencyId"),
    dueOn: {
      day: text(`${DUE_ON}-day`),
      month: text(`${DUE_ON}-month`),
      year: text(`${DUE_ON}-year`),
    },
  };
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "case_action.add",
  );
  const referralId = uuidParam(params, "referralId");
  const form = await serviceCall(() => getCaseWorkForm(ctx, referralId, "case_action.add"));
  const agencies = await serviceCall(() => assignableAgencies(ctx, referralId));
  return { ...form, referralId, agencies };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "case_action.add",
  );
  const referralId = uuidParam(params, "referralId");
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: ActionSchema });
  if (submission.status !== "success") {
    const reply = submission.reply();
    const date = dateInputError(reply.error ?? undefined, DUE_ON);
    const errors = [
      ...fieldErrors(reply, ["description", "assignedAgencyId"]),
      ...(date ? [date.error] : []),
    ];
    const dateParts: DatePart[] = date?.parts ?? [];
    return data({ answers: actionAnswers(form), errors, dateParts }, { status: 400 });
  }
  const { description, assignedAgencyId } = submission.value;
  const due = readDateInput(submission.value, DUE_ON, DUE_ON_LABEL);
  if (!("isoDate" in due)) throw data(null, { status: 400 }); // refused by the schema already
  try {
    await serviceCall(() =>
      addAction(ctx, referralId, { description, assignedAgencyId, dueOn: due.isoDate }),
    );
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    const dateParts: DatePart[] = [];
    return data({ answers: actionAnswers(form), errors: error.errors, dateParts }, { status: 400 });
  }
  throw redirect(`/referrals/${referralId}?done=action-added#case-work`);
}

export default function AddAction() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  const errorFor = (field: string) => errors.find((error) => error.field === field)?.message;
  const casePath = `/referrals/${page.referralId}`;
  return (
    <>
      <BackLink to={`${casePath}#case-work`}>Back to the case</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <span className="govuk-caption-l">
            Referral {page.reference}
            {page.youngPersonName ? ` · ${page.youngPersonName}` : null}
          </span>
          <h1 className="govuk-heading-l">Add an action</h1>
          <PostForm action={`${casePath}/actions/new`} noValidate>
            <Textarea
              id="description"
              label="What needs to be done?"
              labelSize="s"
              hint="Say what the agency should do, so anyone there can pick it up"
              rows={3}
              value={result?.answers.description}
              error={errorFor("description")}
            />
            <Select
              id="assignedAgencyId"
              label="Which agency will do it?"
              hint="Only agencies involved in this case are listed"
              placeholder="Choose an agency"
              choices={page.agencies.map((agency) => ({ value: agency.id, label: agency.name }))}
              value={result?.answers.assignedAgencyId}
              error={errorFor("assignedAgencyId")}
            />
            <DateInput
              id={DUE_ON}
              legend="When is it due?"
              legendSize="s"
              hint="For example, 27 3 2027"
              value={result?.answers.dueOn ?? { day: "", month: "", year: "" }}
              error={errors.find((error) => error.field.startsWith(`${DUE_ON}-`))?.message}
              errorParts={result?.dateParts}
            />
            <Button>Add action</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
