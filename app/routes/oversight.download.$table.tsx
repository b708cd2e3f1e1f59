import { data, type LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { csvResponse } from "~/csv.server";
import { serviceCall } from "~/http.server";
import { requireOverseer } from "~/oversight-routes.server";
import { todayOf } from "~/services/context.server";
import {
  OVERSIGHT_TABLE_IDS,
  parseFilters,
  suppressCounts,
  suppressedLabel,
  type DashboardScope,
} from "~/services/oversight";
import { loadDashboardTable } from "~/services/oversight.server";
import { readingFrom } from "~/services/read-replica.server";

const Within = z.uuid().optional();

/**
 * One dashboard table as an aggregate CSV: counts only, no names or references, every count below
 * the partnership's suppression threshold shown as "fewer than N" (with the secondary suppression
 * that stops it being worked out from other counts), and no totals.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  // Aggregate counts only: read on the replica, when there is one.
  const ctx = readingFrom(await requireOverseer(request, context), context.replicaDb);
  const table = z.enum(OVERSIGHT_TABLE_IDS).safeParse(params.table);
  if (!table.success) throw data(null, { status: 404 });
  const search = new URL(request.url).searchParams;
  const within = Within.safeParse(search.get("within") || undefined);
  const parsed = parseFilters(search, todayOf(ctx));
  if (!within.success || !parsed.ok)
    throw data("The filters in this address are not valid.", { status: 400 });
  const scope: DashboardScope = within.data
    ? { kind: "agency", agencyId: within.data }
    : { kind: "partnership" };
  const result = await serviceCall(() =>
    loadDashboardTable(ctx, scope, parsed.filters, table.data),
  );
  const cells = suppressCounts(
    result.table.rows.map((row) => row.values),
    result.threshold,
  );
  const hidden = suppressedLabel(result.threshold);
  return csvResponse(
    `crosswalk-${table.data}-${parsed.filters.from}-to-${parsed.filters.to}.csv`,
    [result.table.categoryLabel, ...result.table.series.map((series) => series.label)],
    result.table.rows.map((row, index) => [
      row.label,
      ...(cells[index] ?? []).map((value) => (value === null ? hidden : value)),
    ]),
  );
}
