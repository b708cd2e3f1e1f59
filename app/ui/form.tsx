import { useEffect, useRef, type InputHTMLAttributes, type MouseEvent } from "react";

export interface FieldError {
  /** The id of the input the message is about; the summary links to it. */
  field: string;
  message: string;
  /** Where the summary links to when the field is on another page (check your answers). */
  href?: string;
}

/** The message for one field among a form's errors, if it has one. */
export function errorFor(errors: readonly FieldError[], field: string): string | undefined {
  return errors.find((error) => error.field === field)?.message;
}

/**
 * GOV.UK error summary, first in <main>. It takes focus when it appears so a screen reader announces
 * it; without JavaScript its role="alert" does the announcing.
 */
export function ErrorSummary({ errors }: { errors: FieldError[] }) {
  const summary = useRef<HTMLDivElement>(null);
  const shown = errors.map((error) => error.message).join("|");
  useEffect(() => {
    if (shown) summary.current?.focus();
  }, [shown]);
  if (errors.length === 0) return null;
  return (
    <div
      className="govuk-error-summary"
      data-module="govuk-error-summary"
      ref={summary}
      tabIndex={-1}
    >
      <div role="alert">
        <h2 className="govuk-error-summary__title">There is a problem</h2>
        <div className="govuk-error-summary__body">
          <ul className="govuk-list govuk-error-summary__list">
            {errors.map((error) => (
              <li key={error.field}>
                <a
                  href={error.href ?? `#${error.field}`}
                  onClick={error.href ? undefined : (event) => focusField(event, error.field)}
                >
                  {error.message}
                </a>
              </li>
            ))}
          </ul>
        </div>
      </div>
    </div>
  );
}

/**
 * With JavaScript, a summary link moves focus to its field and brings the field's label (or
 * legend) into view, as GOV.UK Frontend's error summary does; left to the router, the `#field`
 * link would be a navigation that clears the form's errors.
 */
function focusField(event: MouseEvent<HTMLAnchorElement>, field: string): void {
  const input = document.getElementById(field);
  if (!input) return;
  event.preventDefault();
  const legend = input.closest("fieldset")?.querySelector("legend");
  const label = legend ?? document.querySelector(`label[for="${CSS.escape(field)}"]`) ?? input;
  label.scrollIntoView();
  input.focus({ preventScroll: true });
}

type TextInputProps = {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  /** A fixed width in characters, for answers of a known length (GOV.UK input widths). */
  width?: 2 | 3 | 4 | 5 | 10 | 20;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "className">;

/** GOV.UK text input with its label, hint and error message wired up for assistive technology. */
export function TextInput({ id, label, hint, error, width, ...input }: TextInputProps) {
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null]
    .filter(Boolean)
    .join(" ");
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <label className="govuk-label" htmlFor={id}>
        {label}
      </label>
      {hint ? (
        <div id={`${id}-hint`} className="govuk-hint">
          {hint}
        </div>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="govuk-error-message">
          <span className="govuk-visually-hidden">Error:</span> {error}
        </p>
      ) : null}
      <input
        id={id}
        name={input.name ?? id}
        className={`govuk-input${width ? ` govuk-input--width-${width}` : ""}${error ? " govuk-input--error" : ""}`}
        aria-describedby={describedBy || undefined}
        {...input}
      />
    </div>
  );
}

/** GOV.UK primary button. */
export function Button({
  children,
  name,
  value,
}: {
  children: string;
  name?: string;
  value?: string;
}) {
  return (
    <button
      type="submit"
      className="govuk-button"
      data-module="govuk-button"
      name={name}
      value={value}
    >
      {children}
    </button>
  );
}

/**
 * A GOV.UK button for one of several actions on a page: secondary or warning, with an optional
 * `name`/`value` (such as `intent`) and visually hidden words that say which thing it acts on.
 */
export function ActionButton({
  children,
  hiddenContext,
  variant = "primary",
  name,
  value,
  id,
}: {
  children: string;
  /** Read by screen readers after the visible words, e.g. " permission from Police to Health". */
  hiddenContext?: string;
  variant?: "primary" | "secondary" | "warning";
  name?: string;
  value?: string;
  id?: string;
}) {
  return (
    <button
      type="submit"
      className={`govuk-button${variant === "primary" ? "" : ` govuk-button--${variant}`}`}
      data-module="govuk-button"
      name={name}
      value={value}
      id={id}
    >
      {children}
      {hiddenContext ? <span className="govuk-visually-hidden">{hiddenContext}</span> : null}
    </button>
  );
}

/** A submit button that looks like a link, for an action in a table row (such as "Remove"). */
export function LinkButton({
  children,
  hiddenContext,
}: {
  children: string;
  hiddenContext: string;
}) {
  return (
    <button type="submit" className="app-link-button">
      {children}
      <span className="govuk-visually-hidden">{hiddenContext}</span>
    </button>
  );
}
