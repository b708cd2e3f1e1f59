import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useLoaderData, useLocation } from "@remix-run/react";
import { serviceCall } from "~/http.server";
import { readCellQuery, requireOverseer } from "~/oversight-routes.server";
import { dashboardHref, drillHref } from "~/services/oversight";
import { listCellReferrals } from "~/services/oversight.server";
import { BackLink } from "~/ui/back-link";
import { formatDate, formatDateTime } from "~/ui/dates";
import { Button, ErrorSummary } from "~/ui/form";
import { Pagination } from "~/ui/pagination";
import { referralSummaryCells } from "~/ui/referral-tags";
import { SummaryList } from "~/ui/summary-list";
import { Table } from "~/ui/table";
import { untypableMessage } from "~/ui/plain-text";
import { Textarea } from "~/ui/textarea";
import { PostForm } from "~/ui/post-form";

export const meta: MetaFunction = () => [{ title: "Referrals behind a number – Crosswalk" }];

/** Why an identifiable export was sent back, named in the address (never the purpose itself). */
const EXPORT_ERRORS: Record<string, string> = {
  "purpose-missing": "Enter why you need this list with names",
  "purpose-short": "Say why you need this list in at least 10 characters",
  "purpose-long": "Why you need this list must be 1,000 characters or fewer",
  "purpose-untypable": untypableMessage("Why you need this list"),
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const ctx = await requireOverseer(request, context);
  const { cell, scope, filters } = readCellQuery(request, ctx);
  const list = await serviceCall(() => listCellReferrals(ctx, scope, filters, cell, cell.page));
  const code = new URL(request.url).searchParams.get("export-error") ?? "";
  // Own keys only: `?export-error=constructor` names no message.
  const exportError = Object.hasOwn(EXPORT_ERRORS, code) ? EXPORT_ERRORS[code] : undefined;
  return { list, cell, scope, filters, exportError: exportError ?? null };
}

const plural = (count: number, one: string, many: string) =>
  `${count.toLocaleString("en-GB")} ${count === 1 ? one : many}`;

export default function CellReferrals() {
  const { list, cell, scope, filters, exportError } = useLoaderData<typeof loader>();
  const { search } = useLocation();
  const query = new URLSearchParams(search);
  query.delete("export-error");
  query.delete("page");
  return (
    <>
      <BackLink to={dashboardHref(scope, filters, cell.table)}>Back to the table</BackLink>
      <ErrorSummary errors={exportError ? [{ field: "purpose", message: exportError }] : []} />
      <span className="govuk-caption-l">{list.dashboardTitle}</span>
      <h1 className="govuk-heading-l">Referrals behind a number</h1>
      <SummaryList
        rows={[
          { key: "Table", value: list.tableTitle },
          { key: "Row", value: list.rowLabel },
          { key: "Column", value: list.seriesLabel },
          {
            key: "Period",
            value: `${formatDate(filters.from)} to ${formatDate(filters.to)}`,
          },
          { key: "Referrals counted", value: list.total.toLocaleString("en-GB") },
        ]}
      />
      {list.withheld > 0 ? (
        <div className="govuk-inset-text">
          {plural(list.withheld, "referral", "referrals")} on this page{" "}
          {list.withheld === 1 ? "is" : "are"} counted but not listed: you may not open{" "}
          {list.withheld === 1 ? "it" : "them"}.
        </div>
      ) : null}
      {list.rows.length === 0 ? (
        <p className="govuk-body">No referrals to list.</p>
      ) : (
        <Table
          caption={plural(list.total, "referral", "referrals")}
          captionSize="s"
          columns={[
            { label: "Reference" },
            { label: "Young person" },
            { label: "Status" },
            { label: "RAG rating" },
            { label: "Themes" },
            { label: "From" },
            { label: "Submitted" },
          ]}
          rows={list.rows.map((row) => ({
            key: row.id,
            cells: [
              ...referralSummaryCells(row),
              row.submittedAt ? formatDateTime(new Date(row.submittedAt)) : "Not submitted",
            ],
          }))}
        />
      )}
      <Pagination
        page={list.page}
        pageCount={list.pageCount}
        hrefFor={(page) => drillHref(scope, filters, cell, page)}
        label="Pages of referrals"
      />
      {list.mayExport && list.rows.length > 0 ? (
        <div className="govuk-grid-row">
          <div className="govuk-grid-column-two-thirds">
            <h2 className="govuk-heading-m">Download this list with names</h2>
            <p className="govuk-body">
              The download names the young people, so it is recorded in the access log with your
              reason and every referral in it. Keep it only as long as you need it.
            </p>
            {/* A real form submission, so the browser saves the file the server sends back. */}
            <PostForm
              action={`/oversight/referrals/export?${query.toString()}`}
              reloadDocument
              noValidate
            >
              <Textarea
                id="purpose"
                label="Why do you need this list with names?"
                hint="For example, to prepare the multi-agency panel on 3 December"
                rows={3}
                error={exportError ?? undefined}
              />
              <Button>Download the list with names (CSV)</Button>
            </PostForm>
          </div>
        </div>
      ) : null}
    </>
  );
}
