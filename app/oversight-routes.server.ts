import { data, redirect, type AppLoadContext } from "@remix-run/node";
import { z } from "zod";
import { requireActor } from "./auth/session.server";
import { serviceCall } from "./http.server";
import { assertRoleMayEver } from "./services/authorize.server";
import { todayOf, type ServiceContext } from "./services/context.server";
import { readDelaySeconds, type ReadingContext } from "./services/read-replica.server";
import {
  CellQuerySchema,
  OVERSIGHT_TABLE_IDS,
  parseFilters,
  type CellQuery,
  type DashboardScope,
  type OversightFilters,
} from "./services/oversight";
import {
  dashboardChoices,
  loadDashboardSection,
  loadDashboardSummary,
} from "./services/oversight.server";

/**
 * The door of every oversight page: signed in, and in a role some rule lets oversee. Anyone else
 * gets the same 404 as for a page that does not exist, and the refusal is recorded.
 */
export async function requireOverseer(
  request: Request,
  context: AppLoadContext,
): Promise<ServiceContext> {
  const ctx = await requireActor(request, context);
  await serviceCall(() => assertRoleMayEver(ctx, ["oversight.view"], { refusal: "hide" }));
  return ctx;
}

/**
 * A dashboard page's loader: the filters from the query string, then the dashboard. Bad filters
 * are a 400 page with an error summary and the answers shown again, never a 500; the person's
 * right to the dashboard is checked first either way. With a replica chosen (readingFrom), the
 * figures are read there and the page says how far behind it is.
 */
export async function dashboardLoader<Extra extends object>(
  request: Request,
  ctx: ReadingContext,
  scope: DashboardScope,
  extra: Extra,
) {
  const search = new URL(request.url).searchParams;
  // `?table=` opens one table on a page of its own; without it, the dashboard's summary.
  const table = TableSchema.safeParse({
    table: search.get("table") ?? undefined,
    page: search.get("page") || undefined,
  });
  const parsed = parseFilters(search, todayOf(ctx));
  if (!table.success || !parsed.ok) {
    // The person's right to the dashboard first, either way (a refusal is a 404, recorded).
    const choices = await serviceCall(() => dashboardChoices(ctx, scope));
    // An address that names no table, or no page of one, names nothing.
    if (!table.success) throw data(null, { status: 404 });
    return data(
      {
        ...extra,
        ...choices,
        summary: null,
        dashboard: null,
        answers: parsed.answers,
        errors: parsed.ok ? [] : parsed.errors,
        replicaDelay: 0,
      },
      { status: 400 },
    );
  }
  const { table: tableId, page } = table.data;
  if (tableId) {
    const dashboard = await serviceCall(() =>
      loadDashboardSection(ctx, scope, parsed.filters, tableId, page),
    );
    return data({
      ...extra,
      title: dashboard.title,
      agencies: dashboard.agencies,
      summary: null,
      dashboard,
      answers: parsed.answers,
      errors: [],
      replicaDelay: await readDelaySeconds(ctx),
    });
  }
  const summary = await serviceCall(() => loadDashboardSummary(ctx, scope, parsed.filters));
  return data({
    ...extra,
    title: summary.title,
    agencies: summary.agencies,
    summary,
    dashboard: null,
    answers: parsed.answers,
    errors: [],
    replicaDelay: await readDelaySeconds(ctx),
  });
}

const TableSchema = z.object({
  table: z.enum(OVERSIGHT_TABLE_IDS).optional(),
  page: z
    .string()
    .regex(/^[1-9]\d{0,3}$/)
    .transform(Number)
    .default(1),
});

/** An agency lead's dashboards menu item leads here: send them to their own agency's. */
export function redirectAgencyLead(ctx: ServiceContext): void {
  if (ctx.actor.role === "agency_lead") throw redirect(`/oversight/agencies/${ctx.actor.agencyId}`);
}

/**
 * The cell, the dashboard and the filters a drill-down or export names in its query string. A
 * malformed one is a 400; whether the person may see the dashboard is the service's to decide.
 */
export function readCellQuery(
  request: Request,
  ctx: ServiceContext,
): { cell: CellQuery; scope: DashboardScope; filters: OversightFilters } {
  const params = new URL(request.url).searchParams;
  const cell = CellQuerySchema.safeParse({
    table: params.get("table") ?? undefined,
    row: params.get("row") ?? undefined,
    series: params.get("series") ?? undefined,
    within: params.get("within") || undefined,
    page: params.get("page") || undefined,
  });
  const parsed = parseFilters(params, todayOf(ctx));
  if (!cell.success || !parsed.ok)
    throw data("This address does not name a number on a dashboard.", { status: 400 });
  const scope: DashboardScope = cell.data.within
    ? { kind: "agency", agencyId: cell.data.within }
    : { kind: "partnership" };
  return { cell: cell.data, scope, filters: parsed.filters };
}
