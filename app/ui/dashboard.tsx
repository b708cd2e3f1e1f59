import { Form, Link, useLocation } from "@remix-run/react";
import { RAG_CODES, RAG_RATINGS, THEME_CODES, THEMES } from "../../policies";
import {
  dashboardHref,
  downloadHref,
  drillHref,
  OVERSIGHT_TABLES,
  type Dashboard,
  type DashboardScope,
  type FilterAnswers,
  type OversightTable,
} from "~/services/oversight";
import { OversightChart } from "./charts";
import { DateInput } from "./date-input";
import { Button, ErrorSummary, errorFor, type FieldError } from "./form";
import { Select } from "./select";

const COUNTED_AT = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Europe/London",
  day: "numeric",
  month: "long",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

/** The filters: a GET form, so every view is an address that can be bookmarked and shared. */
function Filters({
  scope,
  answers,
  errors,
  agencies,
}: {
  scope: DashboardScope;
  answers: FilterAnswers;
  errors: FieldError[];
  agencies: { id: string; name: string }[];
}) {
  const { search } = useLocation();
  const path = dashboardHref(scope);
  return (
    // Keyed by the query so the fields show the filters of the page after each navigation.
    <Form method="get" action={path} key={search} className="app-filters">
      <h2 className="govuk-heading-m">Filters</h2>
      <div className="govuk-grid-row">
        <div className="govuk-grid-column-one-half">
          <DateInput
            id="from"
            legend="Period from"
            legendSize="s"
            hint="For the charts over a period. For example, 1 4 2026"
            value={answers.from}
            error={errorFor(errors, "from-day")}
          />
        </div>
        <div className="govuk-grid-column-one-half">
          <DateInput
            id="to"
            legend="Period to"
            legendSize="s"
            hint="Left empty, the twelve months up to today"
            value={answers.to}
            error={errorFor(errors, "to-day")}
          />
        </div>
      </div>
      <div className="govuk-grid-row">
        {scope.kind === "partnership" ? (
          <div className="govuk-grid-column-one-third">
            <Select
              id="agency"
              label="Agency involved"
              placeholder="Any agency"
              value={answers.agency}
              error={errorFor(errors, "agency")}
              choices={agencies.map((agency) => ({ value: agency.id, label: agency.name }))}
            />
          </div>
        ) : null}
        <div className="govuk-grid-column-one-third">
          <Select
            id="theme"
            label="Strategy theme"
            placeholder="Any theme"
            value={answers.theme}
            error={errorFor(errors, "theme")}
            choices={THEME_CODES.map((theme) => ({ value: theme, label: THEMES[theme] }))}
          />
        </div>
        <div className="govuk-grid-column-one-third">
          <Select
            id="rag"
            label="RAG rating"
            placeholder="Any rating"
            value={answers.rag}
            error={errorFor(errors, "rag")}
            choices={RAG_CODES.map((rag) => ({ value: rag, label: RAG_RATINGS[rag] }))}
          />
        </div>
      </div>
      <div className="govuk-button-group">
        <Button>Apply filters</Button>
        <Link to={path} className="govuk-link">
          Clear filters
        </Link>
      </div>
    </Form>
  );
}

/** One table's chart, its numbers as a table (each linking to the referrals behind it) and its CSV. */
function TableSection({ dashboard, table }: { dashboard: Dashboard; table: OversightTable }) {
  const headingId = `table-${table.id}`;
  return (
    <section className="app-oversight-table" aria-labelledby={headingId}>
      <h3 className="govuk-heading-m" id={headingId}>
        {table.title}
      </h3>
      <p className="govuk-body">{table.description}</p>
      <OversightChart table={table} />
      <div
        className="app-table-scroll"
        role="region"
        aria-label={`${table.title}: the numbers`}
        // A region that scrolls must take focus, or a keyboard cannot scroll it (WCAG 2.1.1).
        // eslint-disable-next-line jsx-a11y/no-noninteractive-tabindex
        tabIndex={0}
      >
        <table className="govuk-table" id={`${headingId}-numbers`}>
          <caption className="govuk-table__caption govuk-table__caption--s">
            {table.title}: the numbers
          </caption>
          <thead className="govuk-table__head">
            <tr className="govuk-table__row">
              <th scope="col" className="govuk-table__header">
                {table.categoryLabel}
              </th>
              {table.series.map((series) => (
                <th
                  scope="col"
                  key={series.key}
                  className="govuk-table__header govuk-table__header--numeric"
                >
                  {series.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="govuk-table__body">
            {table.rows.map((row) => (
              <tr className="govuk-table__row" key={row.key}>
                <th scope="row" className="govuk-table__header app-nowrap">
                  {row.label}
                </th>
                {row.values.map((value, index) => {
                  const series = table.series[index];
                  return (
                    <td
                      className="govuk-table__cell govuk-table__cell--numeric"
                      key={series?.key ?? index}
                    >
                      {value > 0 && series ? (
                        <Link
                          className="govuk-link"
                          to={drillHref(dashboard.scope, dashboard.filters, {
                            table: table.id,
                            row: row.key,
                            series: series.key,
                          })}
                        >
                          {value.toLocaleString("en-GB")}
                        </Link>
                      ) : (
                        value
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="govuk-body">
        <a
          className="govuk-link"
          href={downloadHref(dashboard.scope, dashboard.filters, table.id)}
          download
        >
          Download this table as CSV<span className="govuk-visually-hidden">: {table.title}</span>
        </a>
      </p>
    </section>
  );
}

/** The sum of one series (or every series) of a table on the dashboard; null if it is not shown. */
function total(dashboard: Dashboard, id: OversightTable["id"], seriesKey?: string): number | null {
  const table = dashboard.tables.find((candidate) => candidate.id === id);
  if (!table) return null;
  const index = seriesKey ? table.series.findIndex((series) => series.key === seriesKey) : -1;
  if (seriesKey && index < 0) return null;
  return table.rows.reduce(
    (sum, row) =>
      sum +
      (index >= 0 ? (row.values[index] ?? 0) : row.values.reduce((all, value) => all + value, 0)),
    0,
  );
}

/**
 * The few numbers a lead looks for first, each linking to its chart and table below. Sums of the
 * tables' own numbers, so they can never disagree with them.
 */
function AtAGlance({ dashboard }: { dashboard: Dashboard }) {
  const figures = [
    { label: "open referrals", value: total(dashboard, "open-by-status"), table: "open-by-status" },
    {
      label: "waiting for screening",
      value: total(dashboard, "waiting-for-screening"),
      table: "waiting-for-screening",
    },
    {
      label: "waiting past their response target",
      value: total(dashboard, "response-targets-now", "past-target"),
      table: "response-targets-now",
      alert: true,
    },
    {
      label: "referrals made in the period",
      value: total(dashboard, "referrals-by-source"),
      table: "referrals-by-source",
    },
  ].filter((figure) => figure.value !== null);
  return (
    <section aria-labelledby="at-a-glance">
      <h2 className="govuk-heading-l" id="at-a-glance">
        At a glance
      </h2>
      <ul className="govuk-list app-key-figures">
        {figures.map((figure) => (
          <li
            key={figure.table}
            className={`app-key-figure${figure.alert && figure.value ? " app-key-figure--alert" : ""}`}
          >
            <a className="govuk-link govuk-link--no-underline" href={`#table-${figure.table}`}>
              <span className="app-key-figure__value">
                {(figure.value ?? 0).toLocaleString("en-GB")}
              </span>{" "}
              <span className="app-key-figure__label">{figure.label}</span>
            </a>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** A dashboard page: its filters, then the tables of what stands now and of the period. */
export function DashboardPage({
  scope,
  heading,
  caption,
  dashboard,
  answers,
  errors,
  agencies,
  agencyLinks,
}: {
  scope: DashboardScope;
  heading: string;
  caption: string;
  dashboard: Dashboard | null;
  answers: FilterAnswers;
  errors: FieldError[];
  agencies: { id: string; name: string }[];
  /** The agency dashboards a partnership lead may open. */
  agencyLinks?: { id: string; name: string }[];
}) {
  const now = dashboard?.tables.filter((table) => OVERSIGHT_TABLES[table.id].when === "now");
  const period = dashboard?.tables.filter((table) => OVERSIGHT_TABLES[table.id].when === "period");
  return (
    <>
      <ErrorSummary errors={errors} />
      <span className="govuk-caption-l">{caption}</span>
      <h1 className="govuk-heading-l">{heading}</h1>
      {dashboard ? (
        <p className="govuk-body">
          Counted from the case records as this page loaded, at{" "}
          {COUNTED_AT.format(new Date(dashboard.countedAt))}: nothing here is older than that.
          Select a number to see the referrals behind it.
        </p>
      ) : null}
      {dashboard ? <AtAGlance dashboard={dashboard} /> : null}
      <Filters scope={scope} answers={answers} errors={errors} agencies={agencies} />
      {agencyLinks && agencyLinks.length > 0 ? (
        <details className="govuk-details">
          <summary className="govuk-details__summary">
            <span className="govuk-details__summary-text">Open an agency&apos;s dashboard</span>
          </summary>
          <div className="govuk-details__text">
            <ul className="govuk-list">
              {agencyLinks.map((agency) => (
                <li key={agency.id}>
                  <Link className="govuk-link" to={`/oversight/agencies/${agency.id}`}>
                    {agency.name}
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        </details>
      ) : null}
      {dashboard && now && period ? (
        <>
          <h2 className="govuk-heading-l">Now</h2>
          {now.map((table) => (
            <TableSection key={table.id} dashboard={dashboard} table={table} />
          ))}
          <h2 className="govuk-heading-l">Over the period</h2>
          {period.map((table) => (
            <TableSection key={table.id} dashboard={dashboard} table={table} />
          ))}
        </>
      ) : null}
    </>
  );
}
