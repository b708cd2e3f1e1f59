import type { MetaFunction } from "@remix-run/node";
import { Link } from "@remix-run/react";

export const meta: MetaFunction = () => [{ title: "You have signed out – Crosswalk" }];

export default function SignedOut() {
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <h1 className="govuk-heading-l">You have signed out</h1>
        <p className="govuk-body">
          If you are on a shared computer, close the browser window as well.
        </p>
        <p className="govuk-body">
          <Link to="/sign-in" className="govuk-link">
            Sign in again
          </Link>
        </p>
      </div>
    </div>
  );
}
