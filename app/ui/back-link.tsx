import { Link } from "@remix-run/react";

/** GOV.UK back link to a fixed place (never `history.back()`, which fails without JavaScript). */
export function BackLink({ to, children = "Back" }: { to: string; children?: string }) {
  return (
    <Link to={to} className="govuk-back-link">
      {children}
    </Link>
  );
}
