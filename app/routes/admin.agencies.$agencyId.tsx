import { parseWithZod } from "@conform-to/zod/v4";
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { AGENCY_KIND_LABELS } from "../../policies";
import { requireActorFor } from "~/auth/session.server";
import { fieldErrors, readForm, uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { getAgency, setAgencyActive, updateAgency } from "~/services/agencies.server";
import { InvalidInput } from "~/services/errors";
import { AGENCY_FIELDS, AgencyFields, AgencySchema, agencyAnswers } from "~/ui/agency-form";
import { BackLink } from "~/ui/back-link";
import { ActionButton, Button, ErrorSummary } from "~/ui/form";
import { SuccessBanner } from "~/ui/success-banner";
import { SummaryList } from "~/ui/summary-list";
import { Tag } from "~/ui/tag";
import { WarningText } from "~/ui/warning-text";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction<typeof loader> = ({ data: agency }) => [
  { title: `${agency ? agency.name : "Agency"} – Crosswalk` },
];

const DONE = {
  "agency-deactivated": "Agency deactivated",
  "agency-reactivated": "Agency reactivated",
};

const AgencyActionSchema = z.discriminatedUnion("intent", [
  AgencySchema.extend({ intent: z.literal("update") }),
  z.object({ intent: z.enum(["deactivate", "reactivate"]) }),
]);

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "agency.manage");
  const agencyId = uuidParam(params, "agencyId");
  const agency = await serviceCall(() => getAgency(ctx, agencyId));
  return { ...agency, kindLabel: AGENCY_KIND_LABELS[agency.kind] };
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "agency.manage");
  const agencyId = uuidParam(params, "agencyId");
  const form = await readForm(request);
  const submission = parseWithZod(form, { schema: AgencyActionSchema });
  if (submission.status !== "success") {
    if (form.get("intent") !== "update") throw data(null, { status: 400 });
    const errors = fieldErrors(submission.reply(), AGENCY_FIELDS);
    return data({ answers: agencyAnswers(form), errors }, { status: 400 });
  }
  const change = submission.value;
  if (change.intent !== "update") {
    const active = change.intent === "reactivate";
    await serviceCall(() => setAgencyActive(ctx, agencyId, active));
    const done = active ? "agency-reactivated" : "agency-deactivated";
    throw redirect(`/admin/agencies/${agencyId}?done=${done}`);
  }
  try {
    const { intent: _intent, ...details } = change;
    await serviceCall(() => updateAgency(ctx, agencyId, details));
  } catch (error) {
    if (!(error instanceof InvalidInput)) throw error;
    return data({ answers: agencyAnswers(form), errors: error.errors }, { status: 400 });
  }
  throw redirect("/admin/agencies?done=agency-updated");
}

export default function ChangeAgency() {
  const agency = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result?.errors ?? [];
  const path = `/admin/agencies/${agency.id}`;
  return (
    <>
      <BackLink to="/admin/agencies">Back to agencies</BackLink>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-two-thirds">
          <ErrorSummary errors={errors} />
          <SuccessBanner messages={DONE} />
          <span className="govuk-caption-l">Agencies</span>
          <h1 className="govuk-heading-l">{agency.name}</h1>
          <SummaryList
            rows={[
              { key: "Kind", value: agency.kindLabel },
              { key: "Active users", value: agency.activeUsers },
              {
                key: "Status",
                value: agency.isActive ? (
                  <Tag colour="green">Active</Tag>
                ) : (
                  <Tag colour="grey">Deactivated</Tag>
                ),
              },
            ]}
          />

          <h2 className="govuk-heading-m">Change the agency&apos;s details</h2>
          <PostForm action={path} noValidate key={agency.id}>
            <input type="hidden" name="intent" value="update" />
            <AgencyFields
              answers={
                result?.answers ?? {
                  name: agency.name,
                  kind: agency.kind,
                  contactName: agency.contactName ?? "",
                  contactEmail: agency.contactEmail ?? "",
                }
              }
              errors={errors}
            />
            <Button>Save changes</Button>
          </PostForm>

          <h2 className="govuk-heading-m">Single sign-on</h2>
          <p className="govuk-body">
            <Link className="govuk-link" to={`${path}/sign-in`}>
              Set up single sign-on
            </Link>{" "}
            so the agency&apos;s people sign in with their organisation&apos;s own account.
          </p>

          {agency.isActive ? (
            <>
              <h2 className="govuk-heading-m">Deactivate the agency</h2>
              <p className="govuk-body">A deactivated agency cannot be chosen for new accounts.</p>
              <WarningText>
                The agency&apos;s people keep their accounts and can still sign in. To stop someone
                signing in, deactivate their account on the user accounts page.
              </WarningText>
              <PostForm action={path}>
                <input type="hidden" name="intent" value="deactivate" />
                <ActionButton variant="warning">Deactivate agency</ActionButton>
              </PostForm>
            </>
          ) : (
            <>
              <h2 className="govuk-heading-m">Reactivate the agency</h2>
              <p className="govuk-body">
                A reactivated agency can be chosen for new accounts again.
              </p>
              <PostForm action={path}>
                <input type="hidden" name="intent" value="reactivate" />
                <ActionButton variant="secondary">Reactivate agency</ActionButton>
              </PostForm>
            </>
          )}
        </div>
      </div>
    </>
  );
}
