import type { ReactNode } from "react";

/** GOV.UK confirmation panel. Its title is the page's h1. */
export function Panel({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="govuk-panel govuk-panel--confirmation">
      <h1 className="govuk-panel__title">{title}</h1>
      {children ? <div className="govuk-panel__body">{children}</div> : null}
    </div>
  );
}
