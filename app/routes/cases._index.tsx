import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData, useLocation } from "@remix-run/react";
import { z } from "zod";
import {
  OUTCOMES,
  RAG_CODES,
  RAG_RATINGS,
  REFERRAL_STATE_LABELS,
  REFERRAL_STATES,
  THEME_CODES,
  THEMES,
} from "../../policies";
import { requireActorFor } from "~/auth/session.server";
import { serviceCall } from "~/http.server";
import {
  CASELOAD_SORTS,
  CASELOADS,
  type Caseload,
  type CaseloadSort,
} from "~/services/caseload-lists";
import { agencyFilterChoices, caseloadsFor, listCaseload } from "~/services/caseloads.server";
import { Checkboxes } from "~/ui/checkboxes";
import { formatDateTime } from "~/ui/dates";
import { Button } from "~/ui/form";
import { Pagination } from "~/ui/pagination";
import { OverdueTag, referralSummaryCells } from "~/ui/referral-tags";
import { Select } from "~/ui/select";
import { Table, type TableColumn } from "~/ui/table";

export const meta: MetaFunction<typeof loader> = ({ data: page }) => [
  { title: page ? `${CASELOADS[page.caseload].title} – Cases – Crosswalk` : "Cases – Crosswalk" },
];

const CASELOAD_NAMES = Object.keys(CASELOADS) as Caseload[];
/** Drafts are their author's alone and discarded drafts nobody's: no caseload lists either. */
const LISTED_STATES = REFERRAL_STATES.filter((state) => state !== "draft" && state !== "discarded");

const SORT_LABELS: Record<CaseloadSort, string> = {
  due: "Due soonest",
  newest: "Newest first",
  oldest: "Oldest first",
  name: "Young person's family name",
};

/** The caseload page's query string. Empty values (an unchosen filter) count as not given. */
const CaseloadQuerySchema = z.object({
  caseload: z.enum(CASELOAD_NAMES).optional(),
  state: z.enum(LISTED_STATES).optional(),
  rag: z.enum(RAG_CODES).optional(),
  theme: z.enum(THEME_CODES).optional(),
  agency: z.uuid().optional(),
  overdue: z.literal("yes").optional(),
  sort: z.enum(CASELOAD_SORTS).default("due"),
  page: z
    .string()
    .regex(/^[1-9]\d{0,5}$/)
    .transform(Number)
    .default(1),
});

type CaseloadQuery = z.infer<typeof CaseloadQuerySchema>;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireActorFor(
    request,
    context,
    "caseload.view_own",
    "caseload.view_agency",
    "caseload.view_partnership",
  );
  const given = [...new URL(request.url).searchParams].filter(([, value]) => value !== "");
  const query = CaseloadQuerySchema.safeParse(Object.fromEntries(given));
  if (!query.success) throw data("The filters in this address are not valid.", { status: 400 });
  const caseloads = caseloadsFor(ctx);
  const { caseload = caseloads[0] ?? "mine", agency, overdue, ...rest } = query.data;
  const list = await serviceCall(() =>
    listCaseload(ctx, caseload, { ...rest, agencyId: agency, overdue: overdue === "yes" }),
  );
  const agencies = await serviceCall(() => agencyFilterChoices(ctx, caseload));
  return { caseloads, caseload, query: query.data, list, agencies };
}

/** The address of a caseload page with these filters; the first page is left unsaid. */
function caseloadHref(caseload: Caseload, query: Partial<CaseloadQuery>, page = 1): string {
  const params = new URLSearchParams({ caseload });
  for (const key of ["state", "rag", "theme", "agency", "overdue"] as const) {
    const value = query[key];
    if (value) params.set(key, value);
  }
  if (query.sort && query.sort !== "due") params.set("sort", query.sort);
  if (page > 1) params.set("page", String(page));
  return `/cases?${params.toString()}`;
}

function plural(count: number, one: string, many: string): string {
  return `${count.toLocaleString("en-GB")} ${count === 1 ? one : many}`;
}

function AgencyNames({ names }: { names: readonly string[] }) {
  if (names.length === 0) return <>None yet</>;
  return (
    <ul className="govuk-list govuk-!-font-size-16">
      {names.map((name) => (
        <li key={name}>{name}</li>
      ))}
    </ul>
  );
}

export default function Cases() {
  const { caseloads, caseload, query, list, agencies } = useLoaderData<typeof loader>();
  const { search } = useLocation();
  const referred = caseload === "referred";
  const columns: TableColumn[] = [
    { label: "Reference" },
    { label: "Young person" },
    { label: "Status" },
    { label: "RAG rating" },
    { label: "Themes" },
    { label: "From" },
    { label: "With" },
    { label: "Due" },
    ...(referred ? [{ label: "Outcome" }] : []),
  ];
  return (
    <>
      <h1 className="govuk-heading-l">Cases</h1>
      <nav className="govuk-tabs" aria-label="Caseloads">
        <h2 className="govuk-tabs__title">Caseloads</h2>
        <ul className="govuk-tabs__list">
          {caseloads.map((name) => {
            const current = name === caseload;
            return (
              <li
                key={name}
                className={`govuk-tabs__list-item${current ? " govuk-tabs__list-item--selected" : ""}`}
              >
                <Link
                  className="govuk-tabs__tab"
                  to={caseloadHref(name, {})}
                  aria-current={current ? "page" : undefined}
                >
                  {/* Bold marks the current caseload without JavaScript too, where no tab is drawn. */}
                  {current ? <strong>{CASELOADS[name].title}</strong> : CASELOADS[name].title}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>

      <h2 className="govuk-heading-m">{CASELOADS[caseload].title}</h2>
      {/* Keyed by the query so the fields show the filters of the page after each navigation. */}
      <Form method="get" action="/cases" key={search}>
        <input type="hidden" name="caseload" value={caseload} />
        <div className="govuk-grid-row">
          <div className="govuk-grid-column-one-half">
            <Select
              id="state"
              label="Status"
              placeholder="Any status"
              value={query.state}
              choices={LISTED_STATES.map((state) => ({
                value: state,
                label: REFERRAL_STATE_LABELS[state],
              }))}
            />
          </div>
          <div className="govuk-grid-column-one-half">
            <Select
              id="rag"
              label="RAG rating"
              placeholder="Any rating"
              value={query.rag}
              choices={RAG_CODES.map((rag) => ({ value: rag, label: RAG_RATINGS[rag] }))}
            />
          </div>
        </div>
        <div className="govuk-grid-row">
          <div className="govuk-grid-column-one-half">
            <Select
              id="theme"
              label="Strategy theme"
              placeholder="Any theme"
              value={query.theme}
              choices={THEME_CODES.map((theme) => ({ value: theme, label: THEMES[theme] }))}
            />
          </div>
          <div className="govuk-grid-column-one-half">
            <Select
              id="agency"
              label="Agency involved"
              placeholder="Any agency"
              value={query.agency}
              choices={agencies.map((agency) => ({ value: agency.id, label: agency.name }))}
            />
          </div>
        </div>
        <div className="govuk-grid-row">
          <div className="govuk-grid-column-one-half">
            <Select
              id="sort"
              label="Sort by"
              value={query.sort}
              choices={CASELOAD_SORTS.map((sort) => ({ value: sort, label: SORT_LABELS[sort] }))}
            />
          </div>
          <div className="govuk-grid-column-one-half">
            <Checkboxes
              name="overdue"
              legend="Response target"
              legendSize="s"
              small
              values={query.overdue ? ["yes"] : []}
              choices={[{ value: "yes", label: "Only overdue" }]}
            />
          </div>
        </div>
        <div className="govuk-button-group">
          <Button>Apply filters</Button>
          <Link to={caseloadHref(caseload, {})} className="govuk-link">
            Clear filters
          </Link>
        </div>
      </Form>

      {list.rows.length === 0 ? (
        <p className="govuk-body">No referrals match these filters.</p>
      ) : (
        <Table
          caption={plural(list.total, "referral", "referrals")}
          captionSize="s"
          columns={columns}
          rows={list.rows.map((row) => ({
            key: row.id,
            cells: [
              ...referralSummaryCells(row),
              <AgencyNames key="with" names={row.receivingAgencyNames} />,
              row.dueAt ? (
                <>
                  {formatDateTime(new Date(row.dueAt))}
                  {row.overdue ? (
                    <>
                      {" "}
                      <OverdueTag />
                    </>
                  ) : null}
                </>
              ) : (
                "Nothing due"
              ),
              ...(referred ? [row.outcome ? OUTCOMES[row.outcome] : "Not closed yet"] : []),
            ],
          }))}
        />
      )}
      {list.pageCount > 1 ? (
        <p className="govuk-body">
          Page {list.page} of {list.pageCount}
        </p>
      ) : null}
      <Pagination
        page={list.page}
        pageCount={list.pageCount}
        hrefFor={(page) => caseloadHref(caseload, query, page)}
        label="Pages of referrals"
      />
    </>
  );
}
