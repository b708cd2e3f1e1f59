import { Link } from "@remix-run/react";

/** A GOV.UK button that goes somewhere (a link styled as a button), such as "Add a user". */
export function ButtonLink({
  to,
  children,
  secondary = false,
}: {
  to: string;
  children: string;
  secondary?: boolean;
}) {
  return (
    <Link
      to={to}
      role="button"
      draggable="false"
      className={`govuk-button${secondary ? " govuk-button--secondary" : ""}`}
      data-module="govuk-button"
    >
      {children}
    </Link>
  );
}
