import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ROLE_DESCRIPTIONS } from "../../policies";
import { requireActorFor } from "~/auth/session.server";
import { serviceCall } from "~/http.server";
import { listUsers } from "~/services/users.server";
import { AccountStatusTag, accountStatus } from "~/ui/account-status";
import { BackLink } from "~/ui/back-link";
import { ButtonLink } from "~/ui/button-link";
import { SuccessBanner } from "~/ui/success-banner";
import { Table } from "~/ui/table";

export const meta: MetaFunction = () => [{ title: "User accounts – Crosswalk" }];

const DONE = { "user-updated": "Account details saved" };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(request, context, "user.manage");
  const users = await serviceCall(() => listUsers(ctx));
  return {
    users: users.map((user) => ({
      id: user.id,
      displayName: user.displayName,
      email: user.email,
      agencyName: user.agencyName,
      roleLabel: ROLE_DESCRIPTIONS[user.role].label,
      status: accountStatus(user),
    })),
  };
}

export default function Users() {
  const { users } = useLoaderData<typeof loader>();
  return (
    <>
      <BackLink to="/admin">Back to partnership administration</BackLink>
      <SuccessBanner messages={DONE} />
      <span className="govuk-caption-l">Partnership administration</span>
      <h1 className="govuk-heading-l">User accounts</h1>
      <p className="govuk-body">
        Everyone who can sign in to the partnership&apos;s Crosswalk, with their agency and role.
      </p>
      <ButtonLink to="/admin/users/new">Add a user</ButtonLink>
      <Table
        caption="Accounts"
        columns={[
          { label: "Name" },
          { label: "Email address" },
          { label: "Agency" },
          { label: "Role" },
          { label: "Status" },
          { label: "Action", hidden: true },
        ]}
        rows={users.map((user) => ({
          key: user.id,
          cells: [
            user.displayName,
            user.email,
            user.agencyName,
            user.roleLabel,
            <AccountStatusTag key="status" status={user.status} />,
            <Link key="change" to={`/admin/users/${user.id}`} className="govuk-link">
              Change<span className="govuk-visually-hidden"> {user.displayName}</span>
            </Link>,
          ],
        }))}
      />
    </>
  );
}
