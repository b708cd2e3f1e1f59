import { parseWithZod } from "@conform-to/zod/v4";
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData } from "@remix-run/react";
import { requireActorFor } from "~/auth/session.server";
import { fieldErrors, readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { createAgency } from "~/services/agencies.server";
import { InvalidInput } from "~/services/errors";
import {
  AGENCY_FIELDS,
  AgencyFields,
  AgencySchema,
  EMPTY_AGENCY,
  agencyAnswers,
} from "~/ui/agency-form";
import { BackLink } from "~/ui/back-link";
import { Button, ErrorSummary } from "~/ui/form";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Add an agency – Crosswalk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  // Nothing to show but the form; the door check refuses (and records) a role that may not add one.
  await requireActorFor(request, context, "agency.manage");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "agency.manage");
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: AgencySchema });
  if (submission.status !== "success") {
    const errors = fieldErrors(submission.reply(), AGENCY_FIELDS);
    return data({ answers: agencyAnswers(form), errors }, { status: 400 });
  }
  try {
    await serviceCall(() => createAgency(ctx, submission.value));
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    return data({ answers: agencyAnswers(form), errors: error.errors }, { status: 400 });
  }
  throw redirect("/admin/agencies?done=agency-created");
}

export default function NewAgency() {
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  return (
    <>
      <BackLink to="/admin/agencies">Back to agencies</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <span className="govuk-caption-l">Partnership administration</span>
          <h1 className="govuk-heading-l">Add an agency</h1>
          <PostForm action="/admin/agencies/new" noValidate>
            <AgencyFields answers={result?.answers ?? EMPTY_AGENCY} errors={errors} />
            <Button>Add agency</Button>
          </PostForm>
        </div>
      </div>
    </>
  );
}
