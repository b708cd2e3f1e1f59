import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireActorForRecord } from "~/auth/session.server";
import { uuidParam } from "~/forms.server";
import { serviceCall } from "~/http.server";
import { nowOf } from "~/services/context.server";
import { getReferral } from "~/services/referrals.server";
import { BackLink } from "~/ui/back-link";
import { CaseSummary } from "~/ui/case-summary";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  {
    title: `${page ? `Case summary to print: referral ${page.referral.reference}` : "Case summary"} – Crosswalk`,
  },
];

/**
 * A case summary to print. The same door, the same read and the same record in the access log as
 * the referral page: whoever may not see the case gets the same 404, recorded.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const ctx = await requireActorForRecord(
    request,
    context,
    { type: "referral", id: params.referralId },
    "referral.view",
  );
  const id = uuidParam(params, "referralId");
  const referral = await serviceCall(() => getReferral(ctx, id));
  return { referral, printedAt: nowOf(ctx).toISOString() };
}

export default function PrintCaseSummary() {
  const { referral, printedAt } = useLoaderData<typeof loader>();
  return (
    <CaseSummary
      referral={referral}
      printedAt={printedAt}
      before={
        <div className="app-print-hide">
          <BackLink to={`/referrals/${referral.id}`}>Back to the referral</BackLink>
          <p className="govuk-body">
            Print this page with your browser&rsquo;s print command (Ctrl and P, or Command and P on
            a Mac). Printed, it leaves out the menu and who is signed in, and every page shows the
            reference and when it was printed.
          </p>
          <p className="govuk-body">
            Keep the printout as securely as the case itself: it is about a child at risk.
          </p>
        </div>
      }
    />
  );
}
