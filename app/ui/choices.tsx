import type { ReactNode } from "react";
import { ErrorMessage, Hint, describedBy, Legend, type LegendSize } from "./fieldset";

export interface Choice {
  value: string;
  label: string;
  hint?: string;
}

export interface ChoiceFieldsetProps {
  name: string;
  legend: ReactNode;
  legendSize?: LegendSize;
  hint?: string;
  error?: string;
  choices: readonly Choice[];
  small?: boolean;
}

/**
 * GOV.UK radios or checkboxes in a fieldset: the same markup with a different class prefix and
 * input type. The first input's id is the field's name, so an error summary link to `#name` lands
 * on it; the others are `name-2`, `name-3` and so on.
 */
export function ChoiceFieldset({
  kind,
  name,
  legend,
  legendSize = "m",
  hint,
  error,
  choices,
  small = false,
  isChecked,
}: ChoiceFieldsetProps & { kind: "radios" | "checkboxes"; isChecked: (value: string) => boolean }) {
  const type = kind === "radios" ? "radio" : "checkbox";
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <fieldset className="govuk-fieldset" aria-describedby={describedBy(name, hint, error)}>
        <Legend size={legendSize}>{legend}</Legend>
        <Hint id={name} hint={hint} />
        <ErrorMessage id={name} error={error} />
        <div
          className={`govuk-${kind}${small ? ` govuk-${kind}--small` : ""}`}
          data-module={`govuk-${kind}`}
        >
          {choices.map((choice, index) => {
            const id = index === 0 ? name : `${name}-${index + 1}`;
            return (
              <div className={`govuk-${kind}__item`} key={choice.value}>
                <input
                  className={`govuk-${kind}__input`}
                  id={id}
                  name={name}
                  type={type}
                  value={choice.value}
                  defaultChecked={isChecked(choice.value)}
                  aria-describedby={choice.hint ? `${id}-item-hint` : undefined}
                />
                <label className={`govuk-label govuk-${kind}__label`} htmlFor={id}>
                  {choice.label}
                </label>
                {choice.hint ? (
                  <div id={`${id}-item-hint`} className={`govuk-hint govuk-${kind}__hint`}>
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
