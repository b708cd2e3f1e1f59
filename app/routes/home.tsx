import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ROLE_DESCRIPTIONS, rulesFor, type Action } from "../../policies";
import { requireActor } from "~/auth/session.server";
import { serviceCall } from "~/http.server";
import { workWaitingFor } from "~/services/notifications.server";

export const meta: MetaFunction = () => [{ title: "Home – Crosswalk" }];

/** Shortcuts to case work, each shown only to a role some rule lets take its action. */
const CASE_LINKS: { href: string; label: string; action: Action }[] = [
  { href: "/referrals/new", label: "Make a referral", action: "referral.create" },
  { href: "/cases", label: "Your cases", action: "caseload.view_own" },
  { href: "/cases?caseload=referred", label: "Referrals you made", action: "caseload.view_own" },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActor(request, context);
  const { actor } = ctx;
  const role = ROLE_DESCRIPTIONS[actor.role];
  return {
    work: await serviceCall(() => workWaitingFor(ctx)),
    displayName: actor.displayName,
    email: actor.email,
    agencyName: actor.agencyName,
    partnershipName: actor.partnershipName,
    roleLabel: role.label,
    roleSummary: role.summary,
    caseLinks: CASE_LINKS.filter((link) => rulesFor(actor.role, link.action).length > 0).map(
      ({ href, label }) => ({ href, label }),
    ),
  };
}

export default function Home() {
  const account = useLoaderData<typeof loader>();
  const rows: [string, string][] = [
    ["Name", account.displayName],
    ["Email address", account.email],
    ["Role", account.roleLabel],
    ["Agency", account.agencyName],
    ["Partnership", account.partnershipName],
  ];
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <span className="govuk-caption-l">{account.partnershipName}</span>
        <h1 className="govuk-heading-l">Your work waiting</h1>
        <ul className="govuk-list app-work-waiting" data-testid="work-waiting">
          {account.work.map((item) => (
            <li key={item.key}>
              <Link to={item.href} className="govuk-link govuk-!-font-weight-bold">
                <span className="govuk-!-font-size-36">{item.count}</span> <span>{item.label}</span>
              </Link>
            </li>
          ))}
        </ul>
        <p className="govuk-body">
          You are signed in as {account.displayName}, {account.roleLabel.toLowerCase()} for{" "}
          {account.agencyName}. {account.roleSummary}
        </p>
        {account.caseLinks.length > 0 ? (
          <>
            <h2 className="govuk-heading-m">Shortcuts</h2>
            <ul className="govuk-list">
              {account.caseLinks.map((link) => (
                <li key={link.href}>
                  <Link to={link.href} className="govuk-link">
                    {link.label}
                  </Link>
                </li>
              ))}
            </ul>
          </>
        ) : null}
        <h2 className="govuk-heading-m">Your account</h2>
        <dl className="govuk-summary-list">
          {rows.map(([key, value]) => (
            <div className="govuk-summary-list__row" key={key}>
              <dt className="govuk-summary-list__key">{key}</dt>
              <dd className="govuk-summary-list__value">{value}</dd>
            </div>
          ))}
        </dl>
        <ul className="govuk-list">
          <li>
            <Link to="/account/sessions" className="govuk-link">
              Your sign-ins
            </Link>
          </li>
          <li>
            <Link to="/account/password" className="govuk-link">
              Change your password
            </Link>
          </li>
          <li>
            <Link to="/account/passkeys" className="govuk-link">
              Your passkeys
            </Link>
          </li>
        </ul>
        <div className="govuk-inset-text">
          Everything you open in Crosswalk is recorded in the partnership&apos;s access log: who,
          what, when and why.
        </div>
      </div>
    </div>
  );
}
