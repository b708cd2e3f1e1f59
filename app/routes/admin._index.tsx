import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { agreementOverdueForReview } from "../../policies";
import { requireActorFor } from "~/auth/session.server";
import { serviceCall } from "~/http.server";
import { listAgencies } from "~/services/agencies.server";
import { getSharingAgreementForEditing } from "~/services/sharing-agreement.server";
import { listUsers } from "~/services/users.server";
import { accountStatus } from "~/ui/account-status";
import { formatDate, todayInLondon } from "~/ui/dates";
import { Tag } from "~/ui/tag";

export const meta: MetaFunction = () => [{ title: "Partnership administration – Crosswalk" }];

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(
    request,
    context,
    "agency.manage",
    "user.manage",
    "agreement.manage",
  );
  // The overview is the one page that reads three services: it only counts what each manages.
  const agencies = await serviceCall(() => listAgencies(ctx));
  const users = await serviceCall(() => listUsers(ctx));
  const agreement = await serviceCall(() => getSharingAgreementForEditing(ctx));
  const statuses = users.map(accountStatus);
  return {
    partnershipName: ctx.actor.partnershipName,
    activeAgencies: agencies.filter((agency) => agency.isActive).length,
    deactivatedAgencies: agencies.filter((agency) => !agency.isActive).length,
    activeUsers: statuses.filter((status) => status === "active").length,
    awaitingPassword: statuses.filter((status) => status === "waiting" || status === "link_expired")
      .length,
    deactivatedUsers: statuses.filter((status) => status === "deactivated").length,
    permissions: agreement.permissions.length,
    reviewDateText: agreement.reviewDate ? formatDate(agreement.reviewDate) : null,
    reviewOverdue: agreementOverdueForReview(agreement, todayInLondon()),
  };
}

export default function Administration() {
  const overview = useLoaderData<typeof loader>();
  return (
    <>
      <span className="govuk-caption-l">{overview.partnershipName}</span>
      <h1 className="govuk-heading-l">Partnership administration</h1>
      <p className="govuk-body-l">
        Manage the partnership&apos;s agencies, the people who can sign in, and the agreement that
        says what agencies may share. None of these pages show case data.
      </p>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-one-third">
          <h2 className="govuk-heading-m">
            <Link to="/admin/agencies" className="govuk-link">
              Agencies
            </Link>
          </h2>
          <p className="govuk-body">
            {plural(overview.activeAgencies, "active agency", "active agencies")}
            {overview.deactivatedAgencies ? `, ${overview.deactivatedAgencies} deactivated` : ""}.
          </p>
          <p className="govuk-body">Add member organisations and keep their contacts up to date.</p>
        </div>
        <div className="govuk-grid-column-one-third">
          <h2 className="govuk-heading-m">
            <Link to="/admin/users" className="govuk-link">
              User accounts
            </Link>
          </h2>
          <p className="govuk-body">
            {plural(overview.activeUsers, "active account", "active accounts")}
            {overview.awaitingPassword
              ? `, ${overview.awaitingPassword} without a password yet`
              : ""}
            {overview.deactivatedUsers ? `, ${overview.deactivatedUsers} deactivated` : ""}.
          </p>
          <p className="govuk-body">
            Add people, change their role or agency, and give them set-password links.
          </p>
        </div>
        <div className="govuk-grid-column-one-third">
          <h2 className="govuk-heading-m">
            <Link to="/admin/sharing-agreement" className="govuk-link">
              Information sharing agreement
            </Link>
          </h2>
          <p className="govuk-body">
            {plural(overview.permissions, "permission", "permissions")} between kinds of agency.
          </p>
          <p className="govuk-body">
            {overview.reviewDateText
              ? `Review by ${overview.reviewDateText}.`
              : "No review date is set."}{" "}
            {overview.reviewOverdue ? <Tag colour="red">Review overdue</Tag> : null}
          </p>
        </div>
      </div>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-one-third">
          <h2 className="govuk-heading-m">
            <Link to="/admin/response-targets" className="govuk-link">
              Response targets
            </Link>
          </h2>
          <p className="govuk-body">
            How long the hub has to screen a referral, and an agency to answer one, by RAG rating.
          </p>
        </div>
        <div className="govuk-grid-column-one-third">
          <h2 className="govuk-heading-m">
            <Link to="/admin/emergency-access" className="govuk-link">
              Emergency access
            </Link>
          </h2>
          <p className="govuk-body">How long emergency access to a case lasts before it ends.</p>
        </div>
        <div className="govuk-grid-column-one-third">
          <h2 className="govuk-heading-m">
            <Link to="/admin/oversight" className="govuk-link">
              Dashboard exports
            </Link>
          </h2>
          <p className="govuk-body">
            The smallest count a dashboard&apos;s spreadsheet download may show.
          </p>
        </div>
      </div>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-one-third">
          <h2 className="govuk-heading-m">
            <Link to="/admin/notification-emails" className="govuk-link">
              Notification emails not sent
            </Link>
          </h2>
          <p className="govuk-body">Emails that failed after every attempt, to send again.</p>
        </div>
      </div>
    </>
  );
}
