import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { beforeAll, describe, expect, it } from "vitest";
import { seedDemoPartnership } from "../../app/demo/demo-seed.server";
import { DEMO_PARTNERSHIP_ID, DEMO_PASSWORD } from "../../db/seed/demo";
import * as adminPage from "../../app/routes/admin.oversight";
import * as partnershipPage from "../../app/routes/oversight._index";
import * as agencyPage from "../../app/routes/oversight.agencies.$agencyId";
import * as downloadRoute from "../../app/routes/oversight.download.$table";
import * as exportRoute from "../../app/routes/oversight.referrals.export";
import * as drillPage from "../../app/routes/oversight.referrals._index";
import {
  parseFilters,
  rowPageOf,
  suppressCounts,
  weeksOf,
  type Dashboard,
  type DashboardSection,
  type DashboardSummary,
  type OversightTable,
} from "../../app/services/oversight";
import { useTestDatabase } from "../support/database";
import { formRequest, getRequest, loadContext, settle, statusOf } from "../support/remix";
import { renderPage } from "../support/render";
import { signInCookie } from "../support/session";

/**
 * The dashboard pages as people reach them: who gets which dashboard (and who a 404, recorded),
 * filters in the address, drill-down, the aggregate CSV with its small-number suppression, the
 * identifiable export with its purpose, and the administrator's threshold.
 */

const db = useTestDatabase();
const LEAD = "lead@northbridge.example";
const INSPECTOR = "inspector@police.northbridge.example";
const OFFICER = "officer@police.northbridge.example";
const ADMIN = "admin@northbridge.example";
const cookies: Record<string, string> = {};
let police: string;
let school: string;

beforeAll(async () => {
  expect(await seedDemoPartnership(db.owner)).toBe(true);
  for (const email of [LEAD, INSPECTOR, OFFICER, ADMIN])
    cookies[email] = await signInCookie(db.app, email, DEMO_PASSWORD);
  const agencies = await db.superuser
    .selectFrom("agencies")
    .select(["id", "name"])
    .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
    .execute();
  const byName = (name: string) => agencies.find((agency) => agency.name === name)?.id as string;
  police = byName("Northbridge Police");
  school = byName("Northbridge Academy");
});

type Loader = (args: LoaderFunctionArgs) => unknown;
const open = (loader: Loader, path: string, email: string, params: Record<string, string> = {}) =>
  settle(() =>
    loader({ request: getRequest(path, cookies[email]), params, context: loadContext(db.app) }),
  );
const post = (
  action: (args: ActionFunctionArgs) => unknown,
  path: string,
  email: string,
  fields: Record<string, string>,
) =>
  settle(() =>
    action({
      request: formRequest(path, fields, cookies[email]),
      params: {},
      context: loadContext(db.app),
    }),
  );

/** The loader's data, whether returned plain or wrapped by data(). */
function dataOf<T>(result: unknown): T {
  const wrapped = result as { data?: T; type?: string } | null;
  return (wrapped && wrapped.type === "DataWithResponseInit" ? wrapped.data : result) as T;
}

async function oversightEvents(email: string) {
  return db.superuser
    .selectFrom("audit_events as e")
    .innerJoin("users as u", "u.id", "e.actor_user_id")
    .select(["e.action", "e.outcome", "e.record_id", "e.reason", "e.details"])
    .where("u.email", "=", email)
    .where("e.action", "in", ["oversight.view", "export.identifiable"])
    .orderBy("e.occurred_at")
    .execute();
}

type DashboardData = { dashboard: Dashboard | null };
type Page = {
  summary: { tables: { id: string }[] } | null;
  dashboard: { tables: { id: string }[] } | null;
  errors: { field: string }[];
};

describe("who sees which dashboard", () => {
  it("the partnership lead sees the partnership dashboard and any agency's", async () => {
    const result = await open(partnershipPage.loader, "/oversight", LEAD);
    expect(statusOf(result)).toBe(200);
    expect(dataOf<Page>(result).summary?.tables.map((table) => table.id)).toContain(
      "open-by-agency",
    );
    const agency = await open(agencyPage.loader, `/oversight/agencies/${school}`, LEAD, {
      agencyId: school,
    });
    expect(statusOf(agency)).toBe(200);
  });

  it("an agency lead sees their own agency's dashboard, and is sent there from the partnership's", async () => {
    const own = await open(agencyPage.loader, `/oversight/agencies/${police}`, INSPECTOR, {
      agencyId: police,
    });
    expect(statusOf(own)).toBe(200);
    expect(dataOf<Page>(own).summary?.tables.map((table) => table.id)).toContain(
      "open-by-practitioner",
    );
    const partnership = await open(partnershipPage.loader, "/oversight", INSPECTOR);
    expect(partnership).toBeInstanceOf(Response);
    expect((partnership as Response).headers.get("Location")).toBe(`/oversight/agencies/${police}`);
  });

  it("an agency lead gets a 404 for another agency's dashboard, and the refusal is recorded", async () => {
    const before = (await oversightEvents(INSPECTOR)).length;
    const other = await open(agencyPage.loader, `/oversight/agencies/${school}`, INSPECTOR, {
      agencyId: school,
    });
    expect(statusOf(other)).toBe(404);
    const events = (await oversightEvents(INSPECTOR)).slice(before);
    expect(events).toMatchObject([
      { action: "oversight.view", outcome: "refused", record_id: school },
    ]);
  });

  it("a practitioner gets a 404 for both dashboards, recorded each time", async () => {
    const before = (await oversightEvents(OFFICER)).length;
    expect(statusOf(await open(partnershipPage.loader, "/oversight", OFFICER))).toBe(404);
    const agency = await open(agencyPage.loader, `/oversight/agencies/${police}`, OFFICER, {
      agencyId: police,
    });
    expect(statusOf(agency)).toBe(404);
    const events = (await oversightEvents(OFFICER)).slice(before);
    expect(events.map((event) => [event.action, event.outcome])).toEqual([
      ["oversight.view", "refused"],
      ["oversight.view", "refused"],
    ]);
  });

  it("each dashboard view is recorded with its filters", async () => {
    const before = (await oversightEvents(LEAD)).length;
    await open(partnershipPage.loader, "/oversight?rag=red&theme=county_lines_drugs", LEAD);
    const [event] = (await oversightEvents(LEAD)).slice(before);
    expect(event).toMatchObject({ action: "oversight.view", outcome: "allowed" });
    expect(event?.details).toMatchObject({
      dashboard: "partnership",
      filters: { rag: "red", theme: "county_lines_drugs" },
    });
  });
});

describe("filters in the address", () => {
  it("bad filters give a 400 with an error for each, never a 500", async () => {
    const result = await open(
      partnershipPage.loader,
      "/oversight?from-day=31&from-month=2&from-year=2026&rag=purple&agency=not-an-id",
      LEAD,
    );
    expect(statusOf(result)).toBe(400);
    const page = dataOf<Page>(result);
    expect(page.dashboard).toBeNull();
    expect(page.errors.map((error) => error.field)).toEqual(["from-day", "agency", "rag"]);
  });

  it("a period ending before it starts, or in the future, is refused with a reason", async () => {
    const backwards = await open(
      partnershipPage.loader,
      "/oversight?from-day=2&from-month=3&from-year=2026&to-day=1&to-month=3&to-year=2026",
      LEAD,
    );
    expect(dataOf<{ errors: { message: string }[] }>(backwards).errors[0]?.message).toBe(
      "The end date must be the same as or after the start date",
    );
    const future = await open(
      partnershipPage.loader,
      "/oversight?to-day=1&to-month=1&to-year=2999",
      LEAD,
    );
    expect(statusOf(future)).toBe(400);
  });

  it("the chosen filters narrow the dashboard", async () => {
    const all = dataOf<DashboardData>(
      await open(partnershipPage.loader, "/oversight?table=open-by-rag", LEAD),
    );
    const red = dataOf<DashboardData>(
      await open(partnershipPage.loader, "/oversight?table=open-by-rag&rag=red", LEAD),
    );
    const count = (page: typeof all) =>
      page.dashboard?.tables
        .find((table) => table.id === "open-by-rag")
        ?.rows.map((row) => row.values[0] ?? 0) ?? [];
    expect(count(all).filter((value) => value > 0).length).toBeGreaterThan(1);
    const [redCount, amber, green, unrated] = count(red);
    expect(redCount).toBeGreaterThan(0);
    expect([amber, green, unrated]).toEqual([0, 0, 0]);
  });
});

describe("drilling down", () => {
  it("the partnership lead opens the list behind 'past the target'", async () => {
    const result = await open(
      drillPage.loader,
      "/oversight/referrals?table=response-targets-now&row=screening&series=past-target",
      LEAD,
    );
    expect(statusOf(result)).toBe(200);
    const { list } = dataOf<{ list: { total: number; rows: unknown[] } }>(result);
    expect(list.total).toBeGreaterThan(0);
    expect(list.rows).toHaveLength(list.total);
  });

  it("an agency lead may drill into their own dashboard only", async () => {
    const own = await open(
      drillPage.loader,
      `/oversight/referrals?table=open-by-status&row=active&series=referrals&within=${police}`,
      INSPECTOR,
    );
    expect(statusOf(own)).toBe(200);
    const partnership = await open(
      drillPage.loader,
      "/oversight/referrals?table=open-by-status&row=active&series=referrals",
      INSPECTOR,
    );
    expect(statusOf(partnership)).toBe(404);
  });

  it("a malformed cell is a 400, a cell no table has a 404, and a practitioner a 404", async () => {
    expect(statusOf(await open(drillPage.loader, "/oversight/referrals?table=nope", LEAD))).toBe(
      400,
    );
    for (const cell of [
      "table=open-by-status&row=nowhere&series=referrals",
      "table=open-by-status&row=active&series=nothing",
      "table=outcomes&row=not-an-outcome&series=referrals",
    ]) {
      expect(
        statusOf(await open(drillPage.loader, `/oversight/referrals?${cell}`, LEAD)),
        cell,
      ).toBe(404);
    }
    expect(
      statusOf(
        await open(
          drillPage.loader,
          "/oversight/referrals?table=open-by-status&row=active&series=referrals",
          OFFICER,
        ),
      ),
    ).toBe(404);
  });
});

async function csv(path: string, email: string, table: string): Promise<string[][]> {
  const result = await open(downloadRoute.loader, path, email, { table });
  expect(result).toBeInstanceOf(Response);
  const response = result as Response;
  expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
  return (await response.text())
    .trim()
    .split("\r\n")
    .map((line) => line.split(","));
}

describe("aggregate CSV downloads", () => {
  it("a table downloads with the same counts as the dashboard, at or above the threshold", async () => {
    const page = dataOf<DashboardData>(
      await open(partnershipPage.loader, "/oversight?table=open-by-status", LEAD),
    );
    const table = page.dashboard?.tables.find((candidate) => candidate.id === "open-by-status");
    const rows = await csv("/oversight/download/open-by-status", LEAD, "open-by-status");
    expect(rows[0]).toEqual(["Status", "Referrals"]);
    const suppressed = suppressCounts(table?.rows.map((row) => row.values) ?? [], 5);
    expect(rows.slice(1)).toEqual(
      table?.rows.map((row, index) => [
        row.label,
        suppressed[index]?.[0] === null ? "fewer than 5" : String(row.values[0]),
      ]),
    );
    // The demo has counts on both sides of the threshold here, so both paths are exercised.
    expect(rows.slice(1).some((row) => row[1] === "fewer than 5")).toBe(true);
    expect(rows.slice(1).some((row) => /^\d+$/.test(row[1] ?? "") && Number(row[1]) >= 5)).toBe(
      true,
    );
  });

  it("holds no names or references", async () => {
    const text = (
      (await open(downloadRoute.loader, "/oversight/download/outcomes", LEAD, {
        table: "outcomes",
      })) as Response
    ).text();
    const body = await text;
    expect(body).not.toMatch(/CW-[0-9A-F]{4}/);
    const names = await db.superuser
      .selectFrom("young_people")
      .select("family_name")
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute();
    for (const { family_name } of names) expect(body).not.toContain(family_name);
  });

  it("an agency lead downloads their own agency's tables only; a practitioner none", async () => {
    await csv(
      `/oversight/download/open-by-practitioner?within=${police}`,
      INSPECTOR,
      "open-by-practitioner",
    );
    const other = await open(
      downloadRoute.loader,
      `/oversight/download/outcomes?within=${school}`,
      INSPECTOR,
      {
        table: "outcomes",
      },
    );
    expect(statusOf(other)).toBe(404);
    const officer = await open(downloadRoute.loader, "/oversight/download/outcomes", OFFICER, {
      table: "outcomes",
    });
    expect(statusOf(officer)).toBe(404);
  });
});

describe("small-number suppression", () => {
  it("suppresses 4 and shows 5 at the default threshold; zero is shown", () => {
    expect(suppressCounts([[4], [3], [5], [0], [12]], 5)).toEqual([[null], [null], [5], [0], [12]]);
    expect(suppressCounts([[1], [2], [5], [6]], 5)).toEqual([[null], [null], [5], [6]]);
    expect(suppressCounts([[5], [6], [7]], 5)).toEqual([[5], [6], [7]]);
  });

  it("hides a second count when one hidden count could be worked out from a total", () => {
    // One hidden in a column: the smallest other count goes too.
    expect(suppressCounts([[3], [8], [20]], 5)).toEqual([[null], [null], [20]]);
    expect(suppressCounts([[4], [5], [0], [12]], 5)).toEqual([[null], [null], [0], [12]]);
    // Two hidden already: nothing more to do.
    expect(suppressCounts([[3], [2], [20]], 5)).toEqual([[null], [null], [20]]);
    // Along a row of several series too.
    expect(suppressCounts([[2, 9, 30]], 5)).toEqual([[null, null, 30]]);
    // Nothing else to hide but a zero: the zero goes, so the one count is not known.
    expect(suppressCounts([[3], [0]], 5)).toEqual([[null], [null]]);
  });

  it("follows a higher threshold: 5 is then hidden", () => {
    expect(suppressCounts([[5], [9], [10], [11]], 10)).toEqual([[null], [null], [10], [11]]);
  });

  it("follows the partnership's threshold, which the administrator sets", async () => {
    const saved = await post(adminPage.action, "/admin/oversight", ADMIN, { threshold: "10" });
    expect((saved as Response).headers.get("Location")).toBe(
      "/admin/oversight?done=threshold-saved",
    );
    const stored = await db.superuser
      .selectFrom("partnerships")
      .select("oversight_suppression_threshold")
      .where("id", "=", DEMO_PARTNERSHIP_ID)
      .executeTakeFirstOrThrow();
    expect(stored.oversight_suppression_threshold).toBe(10);
    const event = await db.superuser
      .selectFrom("audit_events")
      .select("details")
      .where("action", "=", "partnership.configure")
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .orderBy("occurred_at", "desc")
      .executeTakeFirstOrThrow();
    expect(event.details).toMatchObject({
      before: { suppressionThreshold: 5 },
      after: { suppressionThreshold: 10 },
    });
    const rows = await csv("/oversight/download/open-by-status", LEAD, "open-by-status");
    expect(
      rows
        .slice(1)
        .every((row) => row[1] === "0" || row[1] === "fewer than 10" || Number(row[1]) >= 10),
    ).toBe(true);
    expect(rows.slice(1).some((row) => row[1] === "fewer than 10")).toBe(true);
    await post(adminPage.action, "/admin/oversight", ADMIN, { threshold: "5" });
  });

  it("refuses a threshold outside 2 to 100, and anyone but an administrator", async () => {
    for (const threshold of ["1", "101", "five", ""]) {
      const result = await post(adminPage.action, "/admin/oversight", ADMIN, { threshold });
      expect(statusOf(result), threshold).toBe(400);
    }
    expect(statusOf(await open(adminPage.loader, "/admin/oversight", LEAD))).toBe(403);
  });
});

describe("identifiable exports", () => {
  const cellPath =
    "/oversight/referrals/export?table=response-targets-now&row=screening&series=past-target";

  it("need a purpose: without one the person is sent back to say why", async () => {
    const result = await post(exportRoute.action, cellPath, LEAD, { purpose: "" });
    expect(result).toBeInstanceOf(Response);
    expect((result as Response).headers.get("Location")).toMatch(
      /^\/oversight\/referrals\?.*export-error=purpose-missing#purpose$/,
    );
    const short = await post(exportRoute.action, cellPath, LEAD, { purpose: "panel" });
    expect((short as Response).headers.get("Location")).toContain("export-error=purpose-short");
  });

  it("are refused to an agency lead (403) and the refusal is recorded", async () => {
    const before = (await oversightEvents(INSPECTOR)).length;
    const result = await post(exportRoute.action, `${cellPath}&within=${police}`, INSPECTOR, {
      purpose: "To prepare for the multi-agency panel",
    });
    expect(statusOf(result)).toBe(403);
    const events = await db.superuser
      .selectFrom("audit_events as e")
      .innerJoin("users as u", "u.id", "e.actor_user_id")
      .select(["e.action", "e.outcome"])
      .where("u.email", "=", INSPECTOR)
      .where("e.action", "=", "export.identifiable")
      .execute();
    expect(events).toEqual([{ action: "export.identifiable", outcome: "refused" }]);
    expect((await oversightEvents(INSPECTOR)).length).toBeGreaterThan(before);
  });

  it("give the partnership lead a CSV with names, recorded with the purpose and the referrals", async () => {
    const purpose = "To prepare the screening catch-up meeting on Friday";
    const result = await post(exportRoute.action, cellPath, LEAD, { purpose });
    expect(result).toBeInstanceOf(Response);
    const response = result as Response;
    expect(response.headers.get("Content-Disposition")).toMatch(
      /^attachment; filename="crosswalk-referrals-/,
    );
    const lines = (await response.text()).trim().split("\r\n");
    expect(lines[0]).toBe("Reference,Young person,Status,RAG rating,Themes,From,Submitted");
    const event = await db.superuser
      .selectFrom("audit_events as e")
      .innerJoin("users as u", "u.id", "e.actor_user_id")
      .select(["e.outcome", "e.reason", "e.details"])
      .where("u.email", "=", LEAD)
      .where("e.action", "=", "export.identifiable")
      .executeTakeFirstOrThrow();
    expect(event.outcome).toBe("allowed");
    expect(event.reason).toBe(purpose);
    const exported = (event.details as { exported: string[] }).exported;
    expect(exported.length).toBe(lines.length - 1);
    expect(exported.length).toBeGreaterThan(0);
    // The purpose is in the body and the log, never in an address.
    expect(cellPath).not.toContain("purpose=");
  });
});

describe("the dashboard's pages", () => {
  type Summary = NonNullable<Awaited<ReturnType<typeof loadSummary>>>;
  const BUDGET = 300 * 1024;
  // What the document around a route's own markup adds (header, footer, scripts, the serialised
  // loader data is counted separately): measured at under 12 KB; allowed 20.
  const FRAME = 20 * 1024;

  async function loadSummary(path = "/oversight") {
    const result = await open(partnershipPage.loader, path, LEAD);
    expect(statusOf(result)).toBe(200);
    return dataOf<{ summary: DashboardSummary | null }>(result).summary;
  }

  const render = (path: string, loaderData: unknown) =>
    renderPage(partnershipPage.default, { loaderData, path });

  it("open on a contents list and a summary, with every table a link away", async () => {
    const result = await open(partnershipPage.loader, "/oversight", LEAD);
    const page = dataOf<{ summary: Summary }>(result);
    const html = render("/oversight", page);
    const contents = html.indexOf('aria-labelledby="contents"');
    expect(contents).toBeGreaterThan(-1);
    expect(contents).toBeLessThan(html.indexOf('id="at-a-glance"'));
    expect(html.indexOf('id="at-a-glance"')).toBeLessThan(html.indexOf('id="now"'));
    for (const anchor of ["at-a-glance", "filters", "now", "over-the-period", "agency-dashboards"])
      expect(html, anchor).toContain(`href="#${anchor}"`);
    // The detail is a link away: no table on the first page, a link to each.
    expect(html).not.toContain("<table");
    expect(page.summary.tables).toHaveLength(12);
    for (const table of page.summary.tables)
      expect(html, table.id).toMatch(new RegExp(`href="/oversight\\?[^"]*table=${table.id}"`));
    expect(page.summary.figures.map((figure) => figure.label)).toEqual([
      "open referrals",
      "waiting for screening",
      "waiting past their response target",
      "referrals made in the period",
    ]);
    expect(html.length + JSON.stringify(page).length).toBeLessThan(50 * 1024);
  });

  it("give each table a page of its own: chart, numbers and CSV, the view recorded with the table", async () => {
    const tables = (await loadSummary())?.tables ?? [];
    expect(tables).toHaveLength(12);
    for (const { id } of tables) {
      const before = (await oversightEvents(LEAD)).length;
      const path = `/oversight?table=${id}`;
      const result = await open(partnershipPage.loader, path, LEAD);
      expect(statusOf(result), id).toBe(200);
      const page = dataOf<{ dashboard: DashboardSection }>(result);
      expect(page.dashboard.tables.map((table) => table.id)).toEqual([id]);
      const html = render(path, page);
      expect(html, id).toContain(`<h1 class="govuk-heading-l" id="table-${id}">`);
      expect(html, id).toContain('<svg viewBox="0 0 640');
      expect(html, id).toContain(`id="table-${id}-numbers"`);
      expect(html, id).toContain(`href="/oversight/download/${id}?`);
      expect(html.length + JSON.stringify(page).length + FRAME, id).toBeLessThan(BUDGET);
      expect((await oversightEvents(LEAD)).slice(before), id).toMatchObject([
        { action: "oversight.view", outcome: "allowed", details: { table: id, page: 1 } },
      ]);
    }
  });

  it("sum the key figures from the same numbers the tables show", async () => {
    const summary = await loadSummary("/oversight?rag=red");
    const figure = (table: string) => summary?.figures.find((one) => one.table === table)?.value;
    const statuses = dataOf<{ dashboard: DashboardSection }>(
      await open(partnershipPage.loader, "/oversight?table=open-by-status&rag=red", LEAD),
    );
    const total = statuses.dashboard.tables[0]?.rows.reduce(
      (sum, row) => sum + (row.values[0] ?? 0),
      0,
    );
    expect(figure("open-by-status")).toBe(total);
    expect(total).toBeGreaterThan(0);
  });

  it("answer an address naming no table, another dashboard's table or a page past the last with a 404, recording nothing", async () => {
    const before = (await oversightEvents(LEAD)).length;
    for (const path of [
      "/oversight?table=not-a-table",
      "/oversight?table=open-by-practitioner",
      "/oversight?table=open-by-status&page=2",
      "/oversight?table=open-by-status&page=0",
    ]) {
      expect(statusOf(await open(partnershipPage.loader, path, LEAD)), path).toBe(404);
    }
    expect((await oversightEvents(LEAD)).slice(before)).toEqual([]);
  });

  it.each([12, 40])(
    "show a long table a page of rows at a time, every row reachable and each page within budget (%i agencies, two years by week)",
    (agencyCount) => {
      const agencies = Array.from({ length: agencyCount }, (_, index) => ({
        id: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
        name: `Northbridge partner agency number ${index + 1}`,
      }));
      const filters = { from: "2024-12-01", to: "2026-11-30" };
      const full: OversightTable = {
        id: "referrals-by-source",
        title: "Referrals each week, by the agency that made them",
        description: "Referrals submitted each week from 1 December 2024 to 30 November 2026.",
        categoryLabel: "Week beginning",
        chart: "small-multiples",
        series: agencies.map((agency) => ({ key: agency.id, label: agency.name })),
        rows: weeksOf(filters.from, filters.to).map((week) => ({
          key: week,
          label: week,
          values: agencies.map(() => 12_345),
        })),
      };
      const seen: string[] = [];
      for (let number = 1; ; number += 1) {
        const shown = rowPageOf(full, number);
        if (!shown) break;
        seen.push(...shown.table.rows.map((row) => row.key));
        const path = `/oversight?table=referrals-by-source&page=${number}`;
        const page = {
          title: "Northbridge",
          agencies,
          summary: null,
          answers: parseFilters(new URLSearchParams(), "2026-11-30").answers,
          errors: [],
          dashboard: {
            scope: { kind: "partnership" },
            title: "Northbridge",
            filters,
            countedAt: "2026-11-30T12:00:00Z",
            agencies,
            tables: [shown.table],
            rowPage: shown.rowPage,
          },
        };
        const html = render(path, page);
        expect(html.length + JSON.stringify(page).length + FRAME, path).toBeLessThan(BUDGET);
      }
      expect(seen).toEqual(full.rows.map((row) => row.key));
    },
  );
});
