import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation } from "@remix-run/react";
import { requireActorFor } from "~/auth/session.server";
import { zodFieldErrors } from "~/forms.server";
import { serviceCall } from "~/http.server";
import {
  ACCESS_LOG_FILTERS,
  AccessLogQuerySchema,
  SEARCHABLE_ACTIONS,
  queryFields,
  type AccessLogQuery,
} from "~/services/access-log-vocabulary";
import { searchAccessLog, searchChoices } from "~/services/access-log.server";
import { readDelaySeconds, readingFrom } from "~/services/read-replica.server";
import { AccessLogPeriodInputs, AccessLogTable, searchHref } from "~/ui/access-log-table";
import { formatDate } from "~/ui/dates";
import { Button, ErrorSummary, TextInput, errorFor, type FieldError } from "~/ui/form";
import { ReplicaDelayNotice } from "~/ui/replica-delay-notice";
import { Select } from "~/ui/select";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  {
    title: page?.result?.subjects.youngPerson
      ? `Access history of ${page.result.subjects.youngPerson.name} – Access log – Crosswalk`
      : page?.result?.subjects.user
        ? `Activity of ${page.result.subjects.user.name} – Access log – Crosswalk`
        : "Access log – Crosswalk",
  },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  // Searches read the replica, when there is one; each is recorded on the primary.
  const ctx = readingFrom(await requireActorFor(request, context, "audit.read"), context.replicaDb);
  const fields = queryFields(new URL(request.url).searchParams);
  const choices = await serviceCall(() => searchChoices(ctx));
  const parsed = AccessLogQuerySchema.safeParse(fields);
  if (!parsed.success) {
    const errors: FieldError[] = zodFieldErrors(parsed.error, "record");
    // A hand-edited cursor or id is not something a person can correct on the form.
    if (errors.some((error) => !(ACCESS_LOG_FILTERS as readonly string[]).includes(error.field))) {
      throw data("The search in this address is not valid.", { status: 400 });
    }
    return data(
      { choices, fields, errors, result: null, query: null, replicaDelay: 0 },
      { status: 400 },
    );
  }
  const result = await serviceCall(() => searchAccessLog(ctx, parsed.data));
  const replicaDelay = await readDelaySeconds(ctx);
  return { choices, fields, errors: [] as FieldError[], result, query: parsed.data, replicaDelay };
}

/** The search's address without its page cursor, for the export and the first page. */
function filtersHref(base: string, query: AccessLogQuery, extra: Record<string, string> = {}) {
  const params = new URLSearchParams();
  for (const key of ACCESS_LOG_FILTERS) {
    const value = query[key];
    if (value) params.set(key, value);
  }
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  const search = params.toString();
  return search ? `${base}?${search}` : base;
}

function count(total: { count: number; capped: boolean }): string {
  if (total.capped) return `More than ${total.count.toLocaleString("en-GB")} events`;
  return `${total.count.toLocaleString("en-GB")} ${total.count === 1 ? "event" : "events"}`;
}

export default function AccessLog() {
  const { choices, fields, errors, result, query, replicaDelay } = useLoaderData<typeof loader>();
  const { search } = useLocation();
  const subjects = result?.subjects;
  const heading = subjects?.youngPerson
    ? `Access history: ${subjects.youngPerson.name}`
    : subjects?.user
      ? `Activity: ${subjects.user.name}`
      : "Access log";
  return (
    <>
      <ErrorSummary errors={errors} />
      <ReplicaDelayNotice
        seconds={replicaDelay}
        subject="These results"
        consequence="The newest events may not be listed yet."
      />
      <span className="govuk-caption-l">Access log</span>
      <h1 className="govuk-heading-l">{heading}</h1>
      {subjects?.youngPerson ? (
        <p className="govuk-body">
          Everyone who opened, searched for or changed the records of {subjects.youngPerson.name}
          {subjects.youngPerson.dateOfBirth
            ? ` (born ${formatDate(subjects.youngPerson.dateOfBirth)})`
            : ""}
          , when, and on what basis, including refused attempts.
        </p>
      ) : subjects?.user ? (
        <p className="govuk-body">
          Everything {subjects.user.name} ({subjects.user.role}, {subjects.user.agency}
          {subjects.user.active ? "" : ", deactivated"}) did or was refused.
        </p>
      ) : (
        <p className="govuk-body">
          Every read and change of case data, search, export, sign-in and refusal in the
          partnership, newest first. Find a young person&apos;s access history with{" "}
          <Link className="govuk-link" to="/audit/young-people">
            look up a young person
          </Link>
          , or read the{" "}
          <Link className="govuk-link" to="/audit/reports">
            inappropriate-access reports
          </Link>
          .
        </p>
      )}

      <details className="govuk-details" open={errors.length > 0 || !subjects?.youngPerson}>
        <summary className="govuk-details__summary">
          <span className="govuk-details__summary-text">Search the access log</span>
        </summary>
        <div className="govuk-details__text">
          {/* Keyed by the query so the fields show the search of the page after each navigation. */}
          <Form method="get" action="/audit" key={search}>
            {fields.youngPerson && !errorFor(errors, "youngPerson") ? (
              <input type="hidden" name="youngPerson" value={fields.youngPerson} />
            ) : null}
            <div className="govuk-grid-row">
              <div className="govuk-grid-column-one-half">
                <Select
                  id="user"
                  label="Person"
                  placeholder="Anyone"
                  value={fields.user}
                  error={errorFor(errors, "user")}
                  choices={choices.users}
                />
              </div>
              <div className="govuk-grid-column-one-half">
                <Select
                  id="agency"
                  label="Their agency"
                  placeholder="Any agency"
                  value={fields.agency}
                  error={errorFor(errors, "agency")}
                  choices={choices.agencies}
                />
              </div>
            </div>
            <div className="govuk-grid-row">
              <div className="govuk-grid-column-one-half">
                <Select
                  id="action"
                  label="Action"
                  placeholder="Any action"
                  value={fields.action}
                  error={errorFor(errors, "action")}
                  choices={SEARCHABLE_ACTIONS}
                />
              </div>
              <div className="govuk-grid-column-one-half">
                <TextInput
                  id="record"
                  label="Record"
                  hint="A referral reference like CW-1A2B-3C4D, or a record's id"
                  defaultValue={fields.record ?? ""}
                  error={errorFor(errors, "record")}
                  spellCheck={false}
                  autoComplete="off"
                />
              </div>
            </div>
            <div className="govuk-grid-row">
              <div className="govuk-grid-column-one-half">
                <Select
                  id="outcome"
                  label="Outcome"
                  placeholder="Allowed or refused"
                  value={fields.outcome}
                  error={errorFor(errors, "outcome")}
                  choices={[
                    { value: "allowed", label: "Allowed" },
                    { value: "refused", label: "Refused" },
                  ]}
                />
              </div>
              <div className="govuk-grid-column-one-half">
                <Select
                  id="emergency"
                  label="Emergency access"
                  placeholder="With or without"
                  value={fields.emergency}
                  error={errorFor(errors, "emergency")}
                  choices={[{ value: "yes", label: "Only events under emergency access" }]}
                />
              </div>
            </div>
            <AccessLogPeriodInputs fields={fields} errors={errors} />
            <div className="govuk-button-group">
              <Button>Search</Button>
              <Link className="govuk-link" to="/audit">
                Clear the search
              </Link>
            </div>
          </Form>
        </div>
      </details>

      {result && query ? (
        <>
          <h2 className="govuk-heading-m">{count(result.total)}</h2>
          <p className="govuk-body">
            <a className="govuk-link" href={filtersHref("/audit/export", query)} download>
              Download every matching event as CSV
            </a>{" "}
            (the download is recorded in the access log).
          </p>
          {result.events.length === 0 ? (
            <p className="govuk-body">No events match this search.</p>
          ) : (
            <AccessLogTable
              caption={query.after ? "Older events, newest first" : "Events, newest first"}
              events={result.events}
            />
          )}
          {query.after || result.next ? (
            <nav className="govuk-pagination govuk-pagination--block" aria-label="Pages of events">
              {query.after ? (
                <div className="govuk-pagination__prev">
                  <Link
                    className="govuk-link govuk-pagination__link"
                    to={filtersHref("/audit", query)}
                  >
                    <span className="govuk-pagination__link-title">Newest events</span>
                  </Link>
                </div>
              ) : null}
              {result.next ? (
                <div className="govuk-pagination__next">
                  <Link
                    className="govuk-link govuk-pagination__link"
                    to={filtersHref("/audit", query, { after: result.next })}
                    rel="next"
                  >
                    <span className="govuk-pagination__link-title">Older events</span>
                  </Link>
                </div>
              ) : null}
            </nav>
          ) : null}
          {subjects?.youngPerson ? (
            <p className="govuk-body">
              <Link className="govuk-link" to={searchHref({})}>
                Search the whole access log
              </Link>
            </p>
          ) : null}
        </>
      ) : null}
    </>
  );
}
