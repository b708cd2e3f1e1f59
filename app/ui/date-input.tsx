import { z } from "zod";
import type { ReactNode } from "react";
import { ErrorMessage, Hint, describedBy, Legend, type LegendSize } from "./fieldset";

export const DATE_PARTS = ["day", "month", "year"] as const;
export type DatePart = (typeof DATE_PARTS)[number];
export type DateAnswer = Record<DatePart, string>;

/**
 * GOV.UK date input: day, month and year fields named and identified `<id>-day`, `<id>-month` and
 * `<id>-year`, in a fieldset with role="group". `errorParts` says which fields to highlight (all
 * of them when there is an error and it is not given).
 */
export function DateInput({
  id,
  legend,
  legendSize = "m",
  hint,
  error,
  errorParts,
  value,
}: {
  id: string;
  legend: ReactNode;
  legendSize?: LegendSize;
  hint?: string;
  error?: string;
  errorParts?: readonly DatePart[];
  value: DateAnswer;
}) {
  const highlighted = error ? (errorParts?.length ? errorParts : DATE_PARTS) : [];
  return (
    <div className={`govuk-form-group${error ? " govuk-form-group--error" : ""}`}>
      <fieldset
        className="govuk-fieldset"
        role="group"
        aria-describedby={describedBy(id, hint, error)}
      >
        <Legend size={legendSize}>{legend}</Legend>
        <Hint id={id} hint={hint} />
        <ErrorMessage id={id} error={error} />
        <div className="govuk-date-input" id={id}>
          {DATE_PARTS.map((part) => (
            <div className="govuk-date-input__item" key={part}>
              <div className="govuk-form-group">
                <label className="govuk-label govuk-date-input__label" htmlFor={`${id}-${part}`}>
                  {part === "day" ? "Day" : part === "month" ? "Month" : "Year"}
                </label>
                <input
                  className={`govuk-input govuk-date-input__input govuk-input--width-${part === "year" ? 4 : 2}${highlighted.includes(part) ? " govuk-input--error" : ""}`}
                  id={`${id}-${part}`}
                  name={`${id}-${part}`}
                  type="text"
                  inputMode="numeric"
                  defaultValue={value[part]}
                />
              </div>
            </div>
          ))}
        </div>
      </fieldset>
    </div>
  );
}

const PART_NAMES: Record<DatePart, string> = { day: "a day", month: "a month", year: "a year" };

/** The zod shape of a date input's three fields, to spread into a form's schema. */
export function dateInputFields(id: string): Record<string, z.ZodOptional<z.ZodString>> {
  return Object.fromEntries(DATE_PARTS.map((part) => [`${id}-${part}`, z.string().optional()]));
}

/**
 * Read a date input's three fields as an ISO date (YYYY-MM-DD), or say what is wrong and which
 * fields to highlight, in the words of the GOV.UK date input pattern.
 */
export function readDateInput(
  fields: Record<string, unknown>,
  id: string,
  label: string,
): { isoDate: string } | { message: string; parts: readonly DatePart[] } {
  const raw = Object.fromEntries(
    DATE_PARTS.map((part) => {
      const value = fields[`${id}-${part}`];
      return [part, typeof value === "string" ? value.trim() : ""];
    }),
  ) as DateAnswer;
  const missing = DATE_PARTS.filter((part) => raw[part] === "");
  if (missing.length === DATE_PARTS.length)
    return { message: `Enter the ${label}`, parts: DATE_PARTS };
  if (missing.length) {
    const words = missing
      .map((part) => PART_NAMES[part])
      .join(" and ")
      .replace(" and a ", " and ");
    return { message: `The ${label} must include ${words}`, parts: missing };
  }
  const notNumbers = DATE_PARTS.filter((part) => !/^\d+$/.test(raw[part]));
  if (notNumbers.length) return { message: `The ${label} must be a real date`, parts: notNumbers };
  if (raw.year.length !== 4) return { message: "Year must include 4 numbers", parts: ["year"] };
  const [day, month, year] = [Number(raw.day), Number(raw.month), Number(raw.year)];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { message: `The ${label} must be a real date`, parts: DATE_PARTS };
  }
  return { isoDate: date.toISOString().slice(0, 10) };
}

/** A zod refinement that reports a date input's problem against each field to highlight. */
export function refineDateInput(id: string, label: string) {
  return (fields: Record<string, unknown>, ctx: z.RefinementCtx) => {
    const read = readDateInput(fields, id, label);
    if ("isoDate" in read) return;
    for (const part of read.parts) {
      ctx.addIssue({ code: "custom", path: [`${id}-${part}`], message: read.message });
    }
  };
}

/**
 * A date input's error from the submission's errors: the message, the first field to link the
 * error summary to, and which fields to highlight.
 */
export function dateInputError(
  errors: Record<string, string[] | null> | undefined,
  id: string,
): { error: { field: string; message: string }; parts: DatePart[] } | null {
  const parts = DATE_PARTS.filter((part) => errors?.[`${id}-${part}`]?.length);
  const first = parts[0];
  const message = first ? errors?.[`${id}-${first}`]?.[0] : undefined;
  if (!first || !message) return null;
  return { error: { field: `${id}-${first}`, message }, parts };
}

/** An ISO date (YYYY-MM-DD) as the date input shows it: "27", "3", "2027". */
export function dateAnswerOf(isoDate: string | null): DateAnswer {
  if (!isoDate) return { day: "", month: "", year: "" };
  const [year = "", month = "", day = ""] = isoDate.split("-");
  return { day: String(Number(day)), month: String(Number(month)), year };
}
