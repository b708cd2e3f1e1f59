import { ErrorMessage, Hint, describedBy } from "./fieldset";

/**
 * GOV.UK textarea with its label (as a page heading when `isPageHeading`), hint and error message.
 * Long answers are typed here: the form keeps whatever the person wrote when it comes back with
 * errors.
 */
export function Textarea({
  id,
  label,
  hint,
  error,
  value,
  rows = 5,
  labelSize,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  value?: string | null;
  rows?: number;
  /** A larger label, for a question that is the page's main question. */
  labelSize?: "s" | "m" | "l";
}) {
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <label className={`govuk-label${labelSize ? ` govuk-label--${labelSize}` : ""}`} htmlFor={id}>
        {label}
      </label>
      <Hint id={id} hint={hint} />
      <ErrorMessage id={id} error={error} />
      <textarea
        className={`govuk-textarea${error ? " govuk-textarea--error" : ""}`}
        id={id}
        name={id}
        rows={rows}
        defaultValue={value ?? ""}
        aria-describedby={describedBy(id, hint, error)}
      />
    </div>
  );
}
