import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { dashboardLoader, redirectAgencyLead, requireOverseer } from "~/oversight-routes.server";
import { readingFrom } from "~/services/read-replica.server";
import { DashboardPage } from "~/ui/dashboard";
import { ReplicaDelayNotice } from "~/ui/replica-delay-notice";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => {
  const table = page?.dashboard?.tables[0]?.title;
  return [{ title: `${table ? `${table} – ` : ""}Partnership dashboard – Crosswalk` }];
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  // The figures are counted on the read replica, when there is one.
  const ctx = readingFrom(await requireOverseer(request, context), context.replicaDb);
  redirectAgencyLead(ctx);
  return dashboardLoader(request, ctx, { kind: "partnership" }, {});
}

export default function PartnershipDashboard() {
  const page = useLoaderData<typeof loader>();
  return (
    <>
      <ReplicaDelayNotice seconds={page.replicaDelay} subject="These figures" />
      <DashboardPage
        scope={{ kind: "partnership" }}
        caption={page.title}
        heading="Partnership dashboard"
        summary={page.summary}
        section={page.dashboard}
        answers={page.answers}
        errors={page.errors}
        agencies={page.agencies}
        agencyLinks={page.agencies}
      />
    </>
  );
}
