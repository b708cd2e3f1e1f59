import { parseWithZod } from "@conform-to/zod/v4";
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { CASE_ACTION_STATUSES } from "../../policies";
import { requireActorForRecord } from "~/auth/session.server";
import { fieldErrors, readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { getCaseAction, updateActionStatus } from "~/services/case-work.server";
import { BackLink } from "~/ui/back-link";
import {
  ACTION_STATUS_FIELDS,
  ActionStatusForm,
  ActionStatusSchema,
  actionStatusFieldId,
} from "~/ui/case-action-form";
import { formatDate } from "~/ui/dates";
import { ErrorSummary } from "~/ui/form";
import { asTyped } from "~/ui/plain-text";
import { SummaryList } from "~/ui/summary-list";

export const meta: MetaFunction = () => [{ title: "Update an action – Crosswalk" }];

/**
 * The action's own page. Its status is normally changed from the case page; this page is where
 * that form comes back with its errors (with or without JavaScript), so it shows the action too.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "case_action.update",
  );
  const referralId = uuidParam(params, "referralId");
  const actionId = uuidParam(params, "actionId");
  const { reference, youngPersonName, mayUpdate, action } = await serviceCall(() =>
    getCaseAction(ctx, referralId, actionId),
  );
  return {
    referralId,
    reference,
    youngPersonName,
    mayUpdate,
    action: {
      id: action.id,
      description: action.description,
      assignedAgencyName: action.assignedAgencyName,
      due: formatDate(action.dueOn),
      status: action.status,
      version: action.version,
    },
  };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "case_action.update",
  );
  const referralId = uuidParam(params, "referralId");
  const actionId = uuidParam(params, "actionId");
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: ActionStatusSchema });
  if (submission.status !== "success") {
    const reply = submission.reply();
    // The version is the form's own hidden field: without a readable one the form was not ours.
    if (reply.error?.version) throw data("The form could not be read.", { status: 400 });
    const errors = fieldErrors(reply, ACTION_STATUS_FIELDS).map((error) => ({
      ...error,
      field: actionStatusFieldId(actionId, error.field as (typeof ACTION_STATUS_FIELDS)[number]),
    }));
    return data(
      {
        answers: {
          status: asTyped(form.get("status"), 50),
          note: asTyped(form.get("note"), 2_000),
        },
        version: Number(form.get("version")),
        errors,
      },
      { status: 400 },
    );
  }
  await serviceCall(() => updateActionStatus(ctx, referralId, actionId, submission.value));
  throw redirect(`/referrals/${referralId}?done=action-updated#case-work`);
}

export default function UpdateAction() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  return (
    <>
      <BackLink to={`/referrals/${page.referralId}#case-work`}>Back to the case</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <span className="govuk-caption-l">
            Referral {page.reference}
            {page.youngPersonName ? ` · ${page.youngPersonName}` : null}
          </span>
          <h1 className="govuk-heading-l">Update an action</h1>
          <SummaryList
            rows={[
              { key: "Action", value: page.action.description },
              { key: "Assigned to", value: page.action.assignedAgencyName },
              { key: "Due", value: page.action.due },
              { key: "Status", value: CASE_ACTION_STATUSES[page.action.status] },
            ]}
          />
          {page.mayUpdate ? (
            <ActionStatusForm
              referralId={page.referralId}
              // Shown again after an error, the form still names the version the person saw.
              action={{ ...page.action, version: result?.version ?? page.action.version }}
              answers={result?.answers}
              errors={errors}
            />
          ) : (
            <p className="govuk-body">
              You cannot update this action: the case is closed, or your agency is no longer
              involved in it.
            </p>
          )}
        </div>
      </div>
    </>
  );
}
