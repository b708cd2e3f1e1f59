import {
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { requireActorFor } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { listOwnDrafts, startReferral } from "~/services/referrals.server";
import { formatDateTime } from "~/ui/dates";
import { Button } from "~/ui/form";
import { SuccessBanner } from "~/ui/success-banner";
import { Table } from "~/ui/table";
import { WarningText } from "~/ui/warning-text";

export const meta: MetaFunction = () => [{ title: "Make a referral – Crosswalk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "referral.create");
  return { drafts: await serviceCall(() => listOwnDrafts(ctx)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "referral.create");
  await readForm(request);
  const { id } = await serviceCall(() => startReferral(ctx));
  throw redirect(`/referrals/${id}/draft/young-person`);
}

export default function MakeAReferral() {
  const { drafts } = useLoaderData<typeof loader>();
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <SuccessBanner messages={{ "draft-discarded": "Draft discarded" }} />
        <h1 className="govuk-heading-l">Make a referral</h1>
        <WarningText>
          If a child is in immediate danger, call 999 now. If a child is at risk of significant
          harm, contact children&apos;s social care now. Then record the referral here.
        </WarningText>
        <p className="govuk-body">
          Refer a young person at risk of exploitation or serious violence to the partnership hub,
          or to a named agency or programme. You will be asked:
        </p>
        <ul className="govuk-list govuk-list--bullet">
          <li>who the young person is (we check first whether the partnership knows them)</li>
          <li>your concern in your own words, and the risk indicators you have seen</li>
          <li>what the young person and their family know about the referral</li>
          <li>whether they are in immediate danger, and how urgent it is</li>
          <li>where the referral should go</li>
        </ul>
        <p className="govuk-body">
          Your answers are saved as a draft as you go. You can check them all before you send it.
        </p>
        <Form method="post" action="/referrals/new">
          <Button>Start a referral</Button>
        </Form>
        {drafts.length > 0 ? (
          <Table
            caption="Your drafts"
            columns={[{ label: "Reference" }, { label: "Young person" }, { label: "Last saved" }]}
            rows={drafts.map((draft) => ({
              key: draft.id,
              cells: [
                <Link
                  key="reference"
                  className="govuk-link"
                  to={`/referrals/${draft.id}/draft/check`}
                >
                  {draft.reference}
                </Link>,
                draft.youngPersonName ?? "Not chosen yet",
                formatDateTime(new Date(draft.updatedAt)),
              ],
            }))}
          />
        ) : null}
      </div>
    </div>
  );
}
