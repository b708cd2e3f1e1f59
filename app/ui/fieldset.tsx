import type { ReactNode } from "react";

export type LegendSize = "s" | "m" | "l";

/** The ids a fieldset or input is described by: its hint, then its error message. */
export function describedBy(id: string, hint?: string, error?: string): string | undefined {
  return (
    [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") ||
    undefined
  );
}

/** A GOV.UK fieldset legend. */
export function Legend({ size, children }: { size: LegendSize; children: ReactNode }) {
  return (
    <legend className={`govuk-fieldset__legend govuk-fieldset__legend--${size}`}>{children}</legend>
  );
}

/** A GOV.UK hint, identified as `<id>-hint` for aria-describedby. */
export function Hint({ id, hint }: { id: string; hint?: string }) {
  if (!hint) return null;
  return (
    <div id={`${id}-hint`} className="govuk-hint">
      {hint}
    </div>
  );
}

/** A GOV.UK error message, identified as `<id>-error` for aria-describedby. */
export function ErrorMessage({ id, error }: { id: string; error?: string }) {
  if (!error) return null;
  return (
    <p id={`${id}-error`} className="govuk-error-message">
      <span className="govuk-visually-hidden">Error:</span> {error}
    </p>
  );
}
