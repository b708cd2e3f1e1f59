import type { Choice } from "./radios";
import { ErrorMessage, Hint, describedBy } from "./fieldset";

/** GOV.UK select with its label, hint and error message. `placeholder` is an empty first option. */
export function Select({
  id,
  label,
  hint,
  error,
  choices,
  value,
  placeholder,
}: {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  choices: readonly Choice[];
  value?: string;
  placeholder?: string;
}) {
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <label className="govuk-label" htmlFor={id}>
        {label}
      </label>
      <Hint id={id} hint={hint} />
      <ErrorMessage id={id} error={error} />
      <select
        className={`govuk-select${error ? " govuk-select--error" : ""}`}
        id={id}
        name={id}
        defaultValue={value ?? ""}
        aria-describedby={describedBy(id, hint, error)}
      >
        {placeholder !== undefined ? <option value="">{placeholder}</option> : null}
        {choices.map((choice) => (
          <option key={choice.value} value={choice.value}>
            {choice.label}
          </option>
        ))}
      </select>
    </div>
  );
}
