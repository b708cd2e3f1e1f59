import type { ReactNode } from "react";
import type { Choice } from "./radios";
import { ErrorMessage, Hint, describedBy, Legend, type LegendSize } from "./fieldset";

/**
 * GOV.UK checkboxes in a fieldset. The first checkbox's id is the field's name, so an error summary
 * link to `#name` lands on it; the others are `name-2`, `name-3` and so on.
 */
export function Checkboxes({
  name,
  legend,
  legendSize = "m",
  hint,
  error,
  choices,
  values = [],
  small = false,
}: {
  name: string;
  legend: ReactNode;
  legendSize?: LegendSize;
  hint?: string;
  error?: string;
  choices: readonly Choice[];
  values?: readonly string[];
  small?: boolean;
}) {
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <fieldset className="govuk-fieldset" aria-describedby={describedBy(name, hint, error)}>
        <Legend size={legendSize}>{legend}</Legend>
        <Hint id={name} hint={hint} />
        <ErrorMessage id={name} error={error} />
        <div
          className={`govuk-checkboxes${small ? " govuk-checkboxes--small" : ""}`}
          data-module="govuk-checkboxes"
        >
          {choices.map((choice, index) => {
            const id = index === 0 ? name : `${name}-${index + 1}`;
            return (
              <div className="govuk-checkboxes__item" key={choice.value}>
                <input
                  className="govuk-checkboxes__input"
                  id={id}
                  name={name}
                  type="checkbox"
                  value={choice.value}
                  defaultChecked={values.includes(choice.value)}
                  aria-describedby={choice.hint ? `${id}-item-hint` : undefined}
                />
                <label className="govuk-label govuk-checkboxes__label" htmlFor={id}>
                  {choice.label}
                </label>
                {choice.hint ? (
                  <div id={`${id}-item-hint`} className="govuk-hint govuk-checkboxes__hint">
                    {choice.hint}
                  </div>
                ) : null}
              </div>
            );
          })}
        </div>
      </fieldset>
    </div>
  );
}
