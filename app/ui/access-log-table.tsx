import { Link } from "@remix-run/react";
import { RECORD_TYPE_LABELS } from "~/services/access-log-vocabulary";
import type { LoggedEvent } from "~/services/access-log.server";
import { formatDateTime } from "./dates";
import { errorFor, TextInput, type FieldError } from "./form";
import { Tag } from "./tag";

/** One event as the pages receive it (dates arrive as strings after serialisation). */
export type EventForTable = Omit<LoggedEvent, "occurredAt" | "details" | "chainSeq"> & {
  occurredAt: string | Date;
};

/** The address of an access-log search for one thing: a person, an agency, a young person, a record. */
export function searchHref(filters: Record<string, string>): string {
  return `/audit?${new URLSearchParams(filters).toString()}`;
}

function sentenceCase(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * Events of the access log in a GOV.UK table: when, who (linked to their activity), what, which
 * record (linked to its history) and why. `notes` adds a line to an event, such as why a report
 * lists it.
 */
export function AccessLogTable({
  caption,
  events,
  notes,
}: {
  caption: string;
  events: readonly EventForTable[];
  notes?: Record<string, string>;
}) {
  return (
    <table className="govuk-table app-access-log">
      <caption className="govuk-table__caption govuk-table__caption--s">{caption}</caption>
      <thead className="govuk-table__head">
        <tr className="govuk-table__row">
          <th scope="col" className="govuk-table__header">
            When
          </th>
          <th scope="col" className="govuk-table__header">
            Who
          </th>
          <th scope="col" className="govuk-table__header">
            What
          </th>
          <th scope="col" className="govuk-table__header">
            Record
          </th>
          <th scope="col" className="govuk-table__header">
            Why
          </th>
        </tr>
      </thead>
      <tbody className="govuk-table__body">
        {events.map((event) => (
          <tr className="govuk-table__row" key={event.id}>
            <th scope="row" className="govuk-table__header govuk-!-font-weight-regular">
              {formatDateTime(new Date(event.occurredAt))}
              {event.requestId ? (
                <span className="govuk-hint govuk-!-display-block govuk-!-font-size-14 govuk-!-margin-0 app-break-anywhere">
                  Request {event.requestId}
                  {event.clientAddress ? ` from ${event.clientAddress}` : ""}
                </span>
              ) : null}
            </th>
            <td className="govuk-table__cell">
              {event.actor ? (
                <>
                  <Link className="govuk-link" to={searchHref({ user: event.actor.id })}>
                    {event.actor.name}
                  </Link>
                  <span className="govuk-hint govuk-!-display-block govuk-!-font-size-14 govuk-!-margin-0">
                    {event.actor.role}
                    {event.agency ? `, ${event.agency.name}` : ""}
                  </span>
                </>
              ) : (
                "Not signed in"
              )}
            </td>
            <td className="govuk-table__cell">
              {sentenceCase(event.actionLabel)}
              {event.outcome === "refused" ? (
                <>
                  {" "}
                  <Tag colour="red">Refused</Tag>
                </>
              ) : null}
              {event.emergencyAccessId ? (
                <>
                  {" "}
                  <Tag colour="orange">Emergency access</Tag>
                </>
              ) : null}
            </td>
            <td className="govuk-table__cell">
              {event.record && event.record.type !== "young_person" ? (
                <>
                  {RECORD_TYPE_LABELS[event.record.type] ?? event.record.type}{" "}
                  <Link
                    className="govuk-link"
                    to={searchHref({
                      record:
                        event.record.type === "referral" ? event.record.label : event.record.id,
                    })}
                  >
                    {event.record.type === "referral"
                      ? event.record.label
                      : event.record.id.slice(0, 8)}
                  </Link>
                </>
              ) : null}
              {event.youngPerson ? (
                <span className="govuk-!-display-block">
                  <Link
                    className="govuk-link"
                    to={searchHref({ youngPerson: event.youngPerson.id })}
                  >
                    {event.youngPerson.name}
                  </Link>
                </span>
              ) : null}
              {!event.record && !event.youngPerson ? "None" : null}
              {event.record?.type === "young_person" && !event.youngPerson ? (
                <Link className="govuk-link" to={searchHref({ record: event.record.id })}>
                  Young person {event.record.id.slice(0, 8)}
                </Link>
              ) : null}
            </td>
            <td className="govuk-table__cell">
              {event.basis ?? "Not recorded"}
              {notes?.[event.id] ? (
                <span className="govuk-!-display-block govuk-!-font-weight-bold">
                  {notes[event.id]}
                </span>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The From and To (inclusive) UK dates that bound an access log search or report. */
export function AccessLogPeriodInputs({
  fields,
  errors,
  hints = {},
}: {
  fields: { from?: string; to?: string };
  errors: FieldError[];
  hints?: { from?: string; to?: string };
}) {
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-one-half">
        <TextInput
          id="from"
          type="date"
          label="From (UK date)"
          hint={hints.from}
          defaultValue={fields.from ?? ""}
          error={errorFor(errors, "from")}
        />
      </div>
      <div className="govuk-grid-column-one-half">
        <TextInput
          id="to"
          type="date"
          label="To (UK date, inclusive)"
          hint={hints.to}
          defaultValue={fields.to ?? ""}
          error={errorFor(errors, "to")}
        />
      </div>
    </div>
  );
}
