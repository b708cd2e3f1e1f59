import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { AGENCY_KIND_LABELS } from "../../policies";
import { requireActorFor } from "~/auth/session.server";
import { serviceCall } from "~/http.server";
import { listAgencies } from "~/services/agencies.server";
import { BackLink } from "~/ui/back-link";
import { ButtonLink } from "~/ui/button-link";
import { SuccessBanner } from "~/ui/success-banner";
import { Table } from "~/ui/table";
import { Tag } from "~/ui/tag";

export const meta: MetaFunction = () => [{ title: "Agencies – Crosswalk" }];

const DONE = { "agency-created": "Agency added", "agency-updated": "Agency details saved" };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "agency.manage");
  const agencies = await serviceCall(() => listAgencies(ctx));
  return {
    agencies: agencies.map((agency) => ({
      id: agency.id,
      name: agency.name,
      kindLabel: AGENCY_KIND_LABELS[agency.kind],
      contactName: agency.contactName,
      contactEmail: agency.contactEmail,
      activeUsers: agency.activeUsers,
      isActive: agency.isActive,
    })),
  };
}

export default function Agencies() {
  const { agencies } = useLoaderData<typeof loader>();
  return (
    <>
      <BackLink to="/admin">Back to partnership administration</BackLink>
      <SuccessBanner messages={DONE} />
      <span className="govuk-caption-l">Partnership administration</span>
      <h1 className="govuk-heading-l">Agencies</h1>
      <p className="govuk-body">
        The member organisations of the partnership. Each person&apos;s account belongs to one of
        them.
      </p>
      <ButtonLink to="/admin/agencies/new">Add an agency</ButtonLink>
      {agencies.length === 0 ? (
        <p className="govuk-body">The partnership has no agencies yet.</p>
      ) : (
        <Table
          caption="Member agencies"
          columns={[
            { label: "Name" },
            { label: "Kind" },
            { label: "Contact" },
            { label: "Active users", numeric: true },
            { label: "Status" },
            { label: "Action", hidden: true },
          ]}
          rows={agencies.map((agency) => ({
            key: agency.id,
            cells: [
              agency.name,
              agency.kindLabel,
              agency.contactName || agency.contactEmail ? (
                <>
                  {agency.contactName}
                  {agency.contactName && agency.contactEmail ? <br /> : null}
                  {agency.contactEmail}
                </>
              ) : (
                "Not given"
              ),
              agency.activeUsers,
              agency.isActive ? (
                <Tag colour="green">Active</Tag>
              ) : (
                <Tag colour="grey">Deactivated</Tag>
              ),
              <Link key="change" to={`/admin/agencies/${agency.id}`} className="govuk-link">
                Change<span className="govuk-visually-hidden"> {agency.name}</span>
              </Link>,
            ],
          }))}
        />
      )}
    </>
  );
}
