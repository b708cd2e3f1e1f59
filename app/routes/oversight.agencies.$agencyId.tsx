import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { uuidParam } from "~/forms.server";
import { dashboardLoader, requireOverseer } from "~/oversight-routes.server";
import { BackLink } from "~/ui/back-link";
import { readingFrom } from "~/services/read-replica.server";
import { DashboardPage } from "~/ui/dashboard";
import { ReplicaDelayNotice } from "~/ui/replica-delay-notice";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => {
  const table = page?.dashboard?.tables[0]?.title;
  const dashboard = page ? `${page.title} dashboard` : "Agency dashboard";
  return [{ title: `${table ? `${table} – ` : ""}${dashboard} – Crosswalk` }];
};

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  // The figures are counted on the read replica, when there is one.
  const ctx = readingFrom(await requireOverseer(request, context), context.replicaDb);
  const agencyId = uuidParam(params, "agencyId");
  return dashboardLoader(
    request,
    ctx,
    { kind: "agency", agencyId },
    { agencyId, partnershipLead: ctx.actor.role === "partnership_lead" },
  );
}

export default function AgencyDashboard() {
  const page = useLoaderData<typeof loader>();
  return (
    <>
      {/* A table's own page has its own way back, to this dashboard. */}
      {page.partnershipLead && !page.dashboard ? (
        <BackLink to="/oversight">Back to the partnership dashboard</BackLink>
      ) : null}
      <ReplicaDelayNotice seconds={page.replicaDelay} subject="These figures" />
      <DashboardPage
        scope={{ kind: "agency", agencyId: page.agencyId }}
        caption="Agency dashboard"
        heading={page.title}
        summary={page.summary}
        section={page.dashboard}
        answers={page.answers}
        errors={page.errors}
        agencies={page.agencies}
      />
    </>
  );
}
