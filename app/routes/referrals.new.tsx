import {
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { requireActorFor } from "~/auth/session.server";
import { readForm } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { beginReferral, listOwnDrafts, type OwnDraft } from "~/services/referrals.server";
import { formatDateTime } from "~/ui/dates";
import { Button, LinkButton } from "~/ui/form";
import { SuccessBanner } from "~/ui/success-banner";
import { Table } from "~/ui/table";
import { WarningText } from "~/ui/warning-text";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Make a referral – Crosswalk" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "referral.create");
  return { drafts: await serviceCall(() => listOwnDrafts(ctx)) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const ctx = await requireActorFor(request, context, "referral.create");
  await readForm(request);
  // A draft with no answer yet is taken up again rather than a second one started beside it.
  const { id } = await serviceCall(() => beginReferral(ctx));
  throw redirect(`/referrals/${id}/draft/young-person`);
}

export default function MakeAReferral() {
  const { drafts } = useLoaderData<typeof loader>();
  const unfinished = drafts.length > 0;
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <SuccessBanner messages={{ "draft-discarded": "Draft discarded" }} />
        <h1 className="govuk-heading-l">Make a referral</h1>
        <WarningText>
          If a child is in immediate danger, call 999 now. If a child is at risk of significant
          harm, contact children&apos;s social care now. Then record the referral here.
        </WarningText>
        {unfinished ? <UnfinishedDrafts drafts={drafts} /> : null}
        {unfinished ? <h2 className="govuk-heading-m">Start a new referral</h2> : null}
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
        <PostForm action="/referrals/new">
          <Button>Start a referral</Button>
        </PostForm>
      </div>
    </div>
  );
}

/** The person's unfinished referrals, first: each to continue, or to discard if it is not needed. */
function UnfinishedDrafts({ drafts }: { drafts: OwnDraft[] }) {
  const count = drafts.length;
  return (
    <>
      <h2 className="govuk-heading-m">
        You have {count === 1 ? "an unfinished referral" : `${count} unfinished referrals`}
      </h2>
      <p className="govuk-body">
        Continue {count === 1 ? "it" : "one of them"} where you left off, or discard{" "}
        {count === 1 ? "it" : "any"} you no longer need. Nothing in a draft is sent until you send
        it.
      </p>
      <Table
        caption="Your unfinished referrals"
        captionSize="s"
        columns={[
          { label: "Reference" },
          { label: "Young person" },
          { label: "Last saved" },
          { label: "Actions", hidden: true },
        ]}
        rows={drafts.map((draft) => ({
          key: draft.id,
          cells: [
            draft.reference,
            draft.youngPersonName ?? "Not chosen yet",
            formatDateTime(new Date(draft.updatedAt)),
            <ul className="govuk-list app-row-actions" key="actions">
              <li>
                <Link
                  className="govuk-link"
                  to={`/referrals/${draft.id}/draft/${draft.continueAt}`}
                >
                  Continue<span className="govuk-visually-hidden"> referral {draft.reference}</span>
                </Link>
              </li>
              <li>
                <PostForm action={`/referrals/${draft.id}/draft/check`}>
                  <input type="hidden" name="version" value={draft.version} />
                  <input type="hidden" name="intent" value="discard" />
                  <LinkButton hiddenContext={` referral ${draft.reference}`}>Discard</LinkButton>
                </PostForm>
              </li>
            </ul>,
          ],
        }))}
      />
    </>
  );
}
