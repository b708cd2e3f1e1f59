import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation } from "@remix-run/react";
import { requireActorFor } from "~/auth/session.server";
import { zodFieldErrors } from "~/forms.server";
import { serviceCall } from "~/http.server";
import {
  ACCESS_REPORTS,
  AccessReportQuerySchema,
  queryFields,
  type AccessReport,
} from "~/services/access-log-vocabulary";
import { accessReports, REPORT_PAGE_EVENTS } from "~/services/access-reports.server";
import { readDelaySeconds, readingFrom } from "~/services/read-replica.server";
import { EMERGENCY_REASONS } from "~/services/emergency-access-vocabulary";
import { AccessLogPeriodInputs, AccessLogTable, searchHref } from "~/ui/access-log-table";
import { formatDate, formatDateTime } from "~/ui/dates";
import { Button, ErrorSummary, TextInput, errorFor, type FieldError } from "~/ui/form";
import { ReplicaDelayNotice } from "~/ui/replica-delay-notice";
import { Table } from "~/ui/table";
import { Tag } from "~/ui/tag";

export const meta: MetaFunction = () => [
  { title: "Inappropriate-access reports – Access log – Crosswalk" },
];

const SETTINGS = ["from", "to", "threshold", "dayStarts", "dayEnds"] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  // The reports read the replica, when there is one; reading them is recorded on the primary.
  const ctx = readingFrom(await requireActorFor(request, context, "audit.read"), context.replicaDb);
  const fields = queryFields(new URL(request.url).searchParams);
  const parsed = AccessReportQuerySchema.safeParse(fields);
  if (!parsed.success) {
    const errors: FieldError[] = zodFieldErrors(parsed.error, "from");
    return data({ fields, errors, result: null, replicaDelay: 0 }, { status: 400 });
  }
  const result = await serviceCall(() => accessReports(ctx, parsed.data));
  const replicaDelay = await readDelaySeconds(ctx);
  return { fields, errors: [] as FieldError[], result, replicaDelay };
}

function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString("en-GB")} ${count === 1 ? one : many}`;
}

function FoundTag({ count }: { count: number }) {
  return count === 0 ? (
    <Tag colour="green">None found</Tag>
  ) : (
    <Tag colour="red">{`${count} found`}</Tag>
  );
}

export default function AccessReports() {
  const { fields, errors, result, replicaDelay } = useLoaderData<typeof loader>();
  const { search } = useLocation();
  const settings = new URLSearchParams();
  if (result) {
    for (const key of SETTINGS) {
      const value = key === "from" || key === "to" ? result.period[key] : result.settings[key];
      settings.set(key, String(value));
    }
  }
  const exportHref = (report: AccessReport) =>
    `/audit/reports/export?${new URLSearchParams([["report", report], ...settings]).toString()}`;
  const sections = result
    ? ([
        "emergency_unreviewed",
        "uninvolved",
        "volume",
        "out_of_hours",
        "after_deactivation",
        "after_withdrawal",
        "same_surname",
      ] as const)
    : [];
  const countOf = (report: AccessReport): number => {
    if (!result) return 0;
    if (report === "volume") return result.volume.length;
    if (report === "emergency_unreviewed") return result.emergencyUnreviewed.length;
    return result.reports[report].count;
  };
  return (
    <>
      <ErrorSummary errors={errors} />
      <ReplicaDelayNotice
        seconds={replicaDelay}
        subject="These reports"
        consequence="The newest events may not be counted yet."
      />
      <Link className="govuk-back-link" to="/audit">
        Access log
      </Link>
      <span className="govuk-caption-l">Access log</span>
      <h1 className="govuk-heading-l">Inappropriate-access reports</h1>
      {result ? (
        <p className="govuk-body">
          From {formatDate(result.period.from)} to {formatDate(result.period.to)}, UK time. Each
          report lists the events behind it; download a report for all of them. Reading and
          downloading these reports is recorded in the access log.
        </p>
      ) : null}

      <details className="govuk-details" open={errors.length > 0}>
        <summary className="govuk-details__summary">
          <span className="govuk-details__summary-text">Change the period and thresholds</span>
        </summary>
        <div className="govuk-details__text">
          <Form method="get" action="/audit/reports" key={search}>
            <AccessLogPeriodInputs
              fields={fields}
              errors={errors}
              hints={{ from: "The last 30 days if left empty", to: "Today if left empty" }}
            />
            <TextInput
              id="threshold"
              inputMode="numeric"
              label="Young people opened by one person in one day before it is reported"
              hint="Reported when more than this; 20 if left empty"
              defaultValue={fields.threshold ?? ""}
              error={errorFor(errors, "threshold")}
            />
            <div className="govuk-grid-row">
              <div className="govuk-grid-column-one-half">
                <TextInput
                  id="dayStarts"
                  type="time"
                  label="Working hours start"
                  hint="08:00 if left empty"
                  defaultValue={fields.dayStarts ?? ""}
                  error={errorFor(errors, "dayStarts")}
                />
              </div>
              <div className="govuk-grid-column-one-half">
                <TextInput
                  id="dayEnds"
                  type="time"
                  label="Working hours end"
                  hint="18:00 if left empty"
                  defaultValue={fields.dayEnds ?? ""}
                  error={errorFor(errors, "dayEnds")}
                />
              </div>
            </div>
            <Button>Run the reports</Button>
          </Form>
        </div>
      </details>

      {result ? (
        <>
          <h2 className="govuk-heading-m">Summary</h2>
          <dl className="govuk-summary-list">
            {sections.map((report) => (
              <div className="govuk-summary-list__row" key={report}>
                <dt className="govuk-summary-list__key">
                  <a className="govuk-link" href={`#${report}`}>
                    {ACCESS_REPORTS[report].title}
                  </a>
                </dt>
                <dd className="govuk-summary-list__value">
                  <FoundTag count={countOf(report)} />
                </dd>
              </div>
            ))}
          </dl>

          {sections.map((report) => (
            <section key={report} id={report} aria-labelledby={`${report}-title`}>
              <h2 className="govuk-heading-m" id={`${report}-title`}>
                {ACCESS_REPORTS[report].title}
              </h2>
              <p className="govuk-body">{ACCESS_REPORTS[report].description}</p>
              <p className="govuk-body">
                <a className="govuk-link" href={exportHref(report)} download>
                  Download the events behind this report as CSV
                  <span className="govuk-visually-hidden">: {ACCESS_REPORTS[report].title}</span>
                </a>
              </p>
              {report === "emergency_unreviewed" ? (
                result.emergencyUnreviewed.length === 0 ? (
                  <p className="govuk-body">Every emergency access has been reviewed.</p>
                ) : (
                  result.emergencyUnreviewed.map((access) => (
                    <div key={access.id} className="govuk-!-margin-bottom-6">
                      <h3 className="govuk-heading-s">
                        {access.userName} ({access.agencyName}) opened the records of{" "}
                        {access.youngPersonName}
                      </h3>
                      <dl className="govuk-summary-list govuk-summary-list--no-border">
                        <div className="govuk-summary-list__row">
                          <dt className="govuk-summary-list__key">Opened</dt>
                          <dd className="govuk-summary-list__value">
                            {formatDateTime(new Date(access.openedAt))}, until{" "}
                            {formatDateTime(new Date(access.expiresAt))}
                          </dd>
                        </div>
                        <div className="govuk-summary-list__row">
                          <dt className="govuk-summary-list__key">Reason given</dt>
                          <dd className="govuk-summary-list__value">
                            {EMERGENCY_REASONS[access.reason as keyof typeof EMERGENCY_REASONS]
                              ?.label ?? access.reason}
                          </dd>
                        </div>
                        <div className="govuk-summary-list__row">
                          <dt className="govuk-summary-list__key">Their access</dt>
                          <dd className="govuk-summary-list__value">
                            <Link
                              className="govuk-link"
                              to={searchHref({
                                youngPerson: access.youngPersonId,
                                emergency: "yes",
                              })}
                            >
                              {plural(access.events.length, "event", "events")} under this emergency
                              access
                            </Link>
                          </dd>
                        </div>
                      </dl>
                      {access.events.length > 0 ? (
                        <AccessLogTable
                          caption={`Events under the emergency access of ${access.userName} to ${access.youngPersonName}`}
                          events={access.events.slice(0, REPORT_PAGE_EVENTS)}
                        />
                      ) : null}
                    </div>
                  ))
                )
              ) : report === "volume" ? (
                result.volume.length === 0 ? (
                  <p className="govuk-body">
                    Nobody opened the records of more than {result.settings.threshold} young people
                    in one day.
                  </p>
                ) : (
                  <Table
                    caption="People and days over the threshold"
                    columns={[
                      { label: "Person" },
                      { label: "Day" },
                      { label: "Young people", numeric: true },
                      { label: "Events", numeric: true },
                    ]}
                    rows={result.volume.map((found) => ({
                      key: `${found.userId}-${found.day}`,
                      cells: [
                        <>
                          {found.userName}
                          <span className="govuk-hint govuk-!-display-block govuk-!-font-size-14 govuk-!-margin-0">
                            {found.agencyName}
                          </span>
                        </>,
                        <Link
                          key="day"
                          className="govuk-link"
                          to={searchHref({ user: found.userId, from: found.day, to: found.day })}
                        >
                          {formatDate(found.day)}
                          <span className="govuk-visually-hidden">
                            : events of {found.userName}
                          </span>
                        </Link>,
                        found.youngPeople,
                        found.events,
                      ],
                    }))}
                  />
                )
              ) : result.reports[report].count === 0 ? (
                <p className="govuk-body">None found in this period.</p>
              ) : (
                <AccessLogTable
                  caption={
                    result.reports[report].count > result.reports[report].events.length
                      ? `The newest ${result.reports[report].events.length} of ${result.reports[report].count} events`
                      : plural(result.reports[report].count, "event", "events")
                  }
                  events={result.reports[report].events}
                  notes={result.reports[report].notes}
                />
              )}
            </section>
          ))}
        </>
      ) : null}
    </>
  );
}
