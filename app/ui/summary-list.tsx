import type { ReactNode } from "react";

export interface SummaryRow {
  key: string;
  value: ReactNode;
}

/** GOV.UK summary list of key and value pairs, without change links. */
export function SummaryList({ rows }: { rows: readonly SummaryRow[] }) {
  return (
    <dl className="govuk-summary-list">
      {rows.map((row) => (
        <div className="govuk-summary-list__row" key={row.key}>
          <dt className="govuk-summary-list__key">{row.key}</dt>
          <dd className="govuk-summary-list__value">{row.value}</dd>
        </div>
      ))}
    </dl>
  );
}
