import { Form, Link, useLocation } from "@remix-run/react";
import { RAG_CODES, RAG_RATINGS, THEME_CODES, THEMES } from "../../policies";
import {
  dashboardHref,
  downloadHref,
  drillHref,
  OVERSIGHT_TABLES,
  type Dashboard,
  type DashboardScope,
  type DashboardSection,
  type DashboardSummary,
  type FilterAnswers,
  type KeyFigure,
  type OversightTable,
  type OversightTableId,
} from "~/services/oversight";
import { BackLink } from "./back-link";
import { OversightChart } from "./charts";
import { DateInput } from "./date-input";
import { formatDate } from "./dates";
import { Button, ErrorSummary, errorFor, type FieldError } from "./form";
import { Pagination } from "./pagination";
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
  table,
  answers,
  errors,
  agencies,
}: {
  scope: DashboardScope;
  /** The table whose page this is: filtering keeps the person on it. */
  table?: OversightTableId;
  answers: FilterAnswers;
  errors: FieldError[];
  agencies: { id: string; name: string }[];
}) {
  const { search } = useLocation();
  const path = dashboardHref(scope);
  return (
    // Keyed by the query so the fields show the filters of the page after each navigation.
    <Form method="get" action={path} key={search} className="app-filters">
      <h2 className="govuk-heading-m" id="filters">
        Filters
      </h2>
      {table ? <input type="hidden" name="table" value={table} /> : null}
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
        <Link to={dashboardHref(scope, undefined, table)} className="govuk-link">
          Clear filters
        </Link>
      </div>
    </Form>
  );
}

/**
 * One table's chart, its numbers as a table (each linking to the referrals behind it) and its CSV,
 * named by the page's heading (its id is `table-` and the table's id).
 */
function TableSection({ dashboard, table }: { dashboard: Dashboard; table: OversightTable }) {
  const headingId = `table-${table.id}`;
  return (
    <section className="app-oversight-table" aria-labelledby={headingId}>
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
        <table className="govuk-table app-numbers" id={`${headingId}-numbers`}>
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
                  // Hundreds of these on a long table: plain links, right-aligned by the table's
                  // class, keep each number's markup small (a page has a size budget).
                  return (
                    <td className="govuk-table__cell" key={series?.key ?? index}>
                      {value > 0 && series ? (
                        <a
                          className="govuk-link"
                          href={drillHref(dashboard.scope, dashboard.filters, {
                            table: table.id,
                            row: row.key,
                            series: series.key,
                          })}
                        >
                          {value.toLocaleString("en-GB")}
                        </a>
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

/** The few numbers a lead looks for first, each linking to the table it is summed from. */
function AtAGlance({ summary }: { summary: DashboardSummary }) {
  return (
    <section aria-labelledby="at-a-glance">
      <h2 className="govuk-heading-l" id="at-a-glance">
        At a glance
      </h2>
      <ul className="govuk-list app-key-figures">
        {summary.figures.map((figure: KeyFigure) => (
          <li
            key={figure.table}
            className={`app-key-figure${figure.alert && figure.value ? " app-key-figure--alert" : ""}`}
          >
            <Link
              className="govuk-link govuk-link--no-underline"
              to={dashboardHref(summary.scope, summary.filters, figure.table)}
            >
              <span className="app-key-figure__value">{figure.value.toLocaleString("en-GB")}</span>{" "}
              <span className="app-key-figure__label">{figure.label}</span>
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

const SECTIONS = {
  now: { id: "now", title: "Now", intro: "What stands at this moment." },
  period: { id: "over-the-period", title: "Over the period", intro: "" },
} as const;

/** The tables of one part of the dashboard, each a link to its own page, with what it counts. */
function TableList({ summary, when }: { summary: DashboardSummary; when: "now" | "period" }) {
  const section = SECTIONS[when];
  const tables = summary.tables.filter((table) => table.when === when);
  return (
    <section aria-labelledby={section.id}>
      <h2 className="govuk-heading-l" id={section.id}>
        {section.title}
      </h2>
      <p className="govuk-body">
        {when === "now"
          ? section.intro
          : `What happened from ${formatDate(summary.filters.from)} to ${formatDate(summary.filters.to)}, the period in the filters.`}
      </p>
      <ul className="govuk-list app-table-links">
        {tables.map((table) => (
          <li key={table.id}>
            <h3 className="govuk-heading-s govuk-!-margin-bottom-1">
              <Link
                className="govuk-link"
                to={dashboardHref(summary.scope, summary.filters, table.id)}
              >
                {table.title}
              </Link>
            </h3>
            <p className="govuk-body">{table.description}</p>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The contents list at the top of a dashboard: its parts, each a link down the page. */
function Contents({ agencyDashboards }: { agencyDashboards: boolean }) {
  const parts = [
    { href: "#at-a-glance", label: "At a glance" },
    { href: "#filters", label: "Filters" },
    { href: `#${SECTIONS.now.id}`, label: "Now: the tables of what stands at this moment" },
    { href: `#${SECTIONS.period.id}`, label: "Over the period: the tables of what happened" },
    ...(agencyDashboards ? [{ href: "#agency-dashboards", label: "Agency dashboards" }] : []),
  ];
  return (
    <nav className="app-contents-list" aria-labelledby="contents">
      <h2 className="govuk-heading-s govuk-!-margin-bottom-2" id="contents">
        Contents
      </h2>
      <ol className="govuk-list app-contents-list__list">
        {parts.map((part) => (
          <li key={part.href}>
            <a className="govuk-link" href={part.href}>
              {part.label}
            </a>
          </li>
        ))}
      </ol>
    </nav>
  );
}

function CountedAt({ countedAt, then }: { countedAt: string; then: string }) {
  return (
    <p className="govuk-body">
      Counted from the case records as this page loaded, at {COUNTED_AT.format(new Date(countedAt))}
      : nothing here is older than that. {then}
    </p>
  );
}

/** Which tables a dashboard of this kind has, in page order. */
function tablesOf(scope: DashboardScope): OversightTableId[] {
  return (Object.keys(OVERSIGHT_TABLES) as OversightTableId[]).filter((table) =>
    (OVERSIGHT_TABLES[table].dashboards as readonly string[]).includes(scope.kind),
  );
}

/** One table on a page of its own, with the filters, and the tables before and after it. */
function TablePage({
  scope,
  caption,
  dashboard,
  answers,
  agencies,
}: {
  scope: DashboardScope;
  caption: string;
  dashboard: DashboardSection;
  answers: FilterAnswers;
  agencies: { id: string; name: string }[];
}) {
  const table = dashboard.tables[0];
  if (!table) return null;
  const order = tablesOf(scope);
  const position = order.indexOf(table.id) + 1;
  const at = (page: number) => order[page - 1] ?? table.id;
  const { rowPage } = dashboard;
  const rowsHref = (page: number) =>
    `${dashboardHref(scope, dashboard.filters, table.id)}${page > 1 ? `&page=${page}` : ""}`;
  return (
    <>
      <span className="govuk-caption-l">{caption}</span>
      <h1 className="govuk-heading-l" id={`table-${table.id}`}>
        {table.title}
      </h1>
      <CountedAt
        countedAt={dashboard.countedAt}
        then="Select a number to see the referrals behind it."
      />
      <Filters scope={scope} table={table.id} answers={answers} errors={[]} agencies={agencies} />
      {rowPage.pageCount > 1 ? (
        <div className="govuk-inset-text">
          This table has {rowPage.total} rows: this page shows rows {rowPage.first} to{" "}
          {rowPage.last}, in its chart and its numbers. The CSV has every row.
        </div>
      ) : null}
      <TableSection dashboard={dashboard} table={table} />
      <Pagination
        page={rowPage.page}
        pageCount={rowPage.pageCount}
        hrefFor={rowsHref}
        label="Rows of this table"
        unit="rows"
        describe={(page) => {
          const first = (page - 1) * rowPage.perPage + 1;
          const last = Math.min(rowPage.total, page * rowPage.perPage);
          return `Rows ${first} to ${last} of ${rowPage.total}`;
        }}
      />
      <Pagination
        page={position}
        pageCount={order.length}
        hrefFor={(page) => dashboardHref(scope, dashboard.filters, at(page))}
        label="Other tables"
        unit="table"
        describe={(page) => OVERSIGHT_TABLES[at(page)].title}
      />
    </>
  );
}

/**
 * A dashboard page. Without a table named in its address: a contents list, the key figures, the
 * filters and the list of its tables, each a link to a page of its own. With one: that table's
 * page. With filters it cannot read: the filters again, with what is wrong.
 */
export function DashboardPage({
  scope,
  heading,
  caption,
  summary,
  section,
  answers,
  errors,
  agencies,
  agencyLinks,
}: {
  scope: DashboardScope;
  heading: string;
  caption: string;
  summary: DashboardSummary | null;
  /** One table of the dashboard, when the address names it. */
  section: DashboardSection | null;
  answers: FilterAnswers;
  errors: FieldError[];
  agencies: { id: string; name: string }[];
  /** The agency dashboards a partnership lead may open. */
  agencyLinks?: { id: string; name: string }[];
}) {
  if (section) {
    return (
      <>
        <BackLink to={dashboardHref(scope, section.filters)}>Back to the dashboard</BackLink>
        <TablePage
          scope={scope}
          caption={heading}
          dashboard={section}
          answers={answers}
          agencies={agencies}
        />
      </>
    );
  }
  const agencyDashboards = !!summary && !!agencyLinks && agencyLinks.length > 0;
  return (
    <>
      <ErrorSummary errors={errors} />
      <span className="govuk-caption-l">{caption}</span>
      <h1 className="govuk-heading-l">{heading}</h1>
      {summary ? (
        <>
          <CountedAt countedAt={summary.countedAt} then="Select a number or a table to see more." />
          <Contents agencyDashboards={agencyDashboards} />
          <AtAGlance summary={summary} />
        </>
      ) : null}
      <Filters scope={scope} answers={answers} errors={errors} agencies={agencies} />
      {summary ? (
        <>
          <TableList summary={summary} when="now" />
          <TableList summary={summary} when="period" />
        </>
      ) : null}
      {agencyDashboards ? <AgencyDashboards agencies={agencyLinks ?? []} /> : null}
    </>
  );
}

function AgencyDashboards({ agencies }: { agencies: { id: string; name: string }[] }) {
  return (
    <section aria-labelledby="agency-dashboards">
      <h2 className="govuk-heading-l" id="agency-dashboards">
        Agency dashboards
      </h2>
      <ul className="govuk-list">
        {agencies.map((agency) => (
          <li key={agency.id}>
            <Link className="govuk-link" to={`/oversight/agencies/${agency.id}`}>
              {agency.name}
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}
