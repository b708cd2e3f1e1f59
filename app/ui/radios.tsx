import type { ReactNode } from "react";
import { ErrorMessage, Hint, describedBy, Legend, type LegendSize } from "./fieldset";

export interface Choice {
  value: string;
  label: string;
  hint?: string;
}

/**
 * GOV.UK radios in a fieldset. The first radio's id is the field's name, so an error summary link
 * to `#name` lands on it; the others are `name-2`, `name-3` and so on.
 */
export function Radios({
  name,
  legend,
  legendSize = "m",
  hint,
  error,
  choices,
  value,
  small = false,
}: {
  name: string;
  legend: ReactNode;
  legendSize?: LegendSize;
  hint?: string;
  error?: string;
  choices: readonly Choice[];
  value?: string;
  small?: boolean;
}) {
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <fieldset className="govuk-fieldset" aria-describedby={describedBy(name, hint, error)}>
        <Legend size={legendSize}>{legend}</Legend>
        <Hint id={name} hint={hint} />
        <ErrorMessage id={name} error={error} />
        <div
          className={`govuk-radios${small ? " govuk-radios--small" : ""}`}
          data-module="govuk-radios"
        >
          {choices.map((choice, index) => {
            const id = index === 0 ? name : `${name}-${index + 1}`;
            return (
              <div className="govuk-radios__item" key={choice.value}>
                <input
                  className="govuk-radios__input"
                  id={id}
                  name={name}
                  type="radio"
                  value={choice.value}
                  defaultChecked={choice.value === value}
                  aria-describedby={choice.hint ? `${id}-item-hint` : undefined}
                />
                <label className="govuk-label govuk-radios__label" htmlFor={id}>
                  {choice.label}
                </label>
                {choice.hint ? (
                  <div id={`${id}-item-hint`} className="govuk-hint govuk-radios__hint">
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
