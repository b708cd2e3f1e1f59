import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { dashboardLoader, redirectAgencyLead, requireOverseer } from "~/oversight-routes.server";
import { DashboardPage } from "~/ui/dashboard";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => {
  const table = page?.dashboard?.tables[0]?.title;
  return [{ title: `${table ? `${table} – ` : ""}Partnership dashboard – Crosswalk` }];
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireOverseer(request, context);
  redirectAgencyLead(ctx);
  return dashboardLoader(request, ctx, { kind: "partnership" }, {});
}

export default function PartnershipDashboard() {
  const page = useLoaderData<typeof loader>();
  return (
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
  );
}
