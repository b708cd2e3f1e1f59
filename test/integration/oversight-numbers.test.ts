import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { beforeAll, describe, expect, it } from "vitest";
import { seedDemoPartnership } from "../../app/demo/demo-seed.server";
import { DEMO_PARTNERSHIP_ID } from "../../db/seed/demo";
import type { User } from "../../db/types";
import { OPEN_STATES } from "../../policies";
import type { ServiceContext } from "../../app/services/context.server";
import {
  weekStart,
  type DashboardScope,
  type OversightFilters,
  type OversightTable,
  type OversightTableId,
} from "../../app/services/oversight";
import { listCellReferrals, loadDashboard } from "../../app/services/oversight.server";
import { OversightChart } from "../../app/ui/charts";
import { useTestDatabase } from "../support/database";
import { contextFor } from "../support/factories";

/**
 * Every number on the dashboards, for the demo partnership, against a count made here from the
 * raw rows in TypeScript (not from the dashboards' SQL), with filters and for an agency; and every
 * chart's drawn numbers against its table's.
 */

const db = useTestDatabase();
let now: Date;
let people: Record<string, User>;
let agencyIds: Record<string, string>;

interface Raw {
  referrals: {
    id: string;
    state: string;
    rag: string | null;
    themes: string[];
    submitted_at: Date | null;
    screening_due_at: Date | null;
    screened_at: Date | null;
    closed_at: Date | null;
    outcome: string | null;
    referrer_agency_id: string;
  }[];
  involvement: {
    referral_id: string;
    agency_id: string;
    status: string | null;
    response_due_at: Date | null;
    responded_at: Date | null;
    allocated_user_id: string | null;
  }[];
  actions: { referral_id: string; assigned_agency_id: string; status: string; due_on: string }[];
  notes: { referral_id: string; agency_id: string; kind: string; created_at: Date }[];
  decisions: { id: string; referral_id: string; decision: string; decided_at: Date }[];
  withdrawals: { decision_id: string; withdrawn_at: Date }[];
}
let raw: Raw;

beforeAll(async () => {
  expect(await seedDemoPartnership(db.owner)).toBe(true);
  now = new Date();
  const su = db.superuser;
  const inDemo = { partnership_id: DEMO_PARTNERSHIP_ID };
  const users = await su
    .selectFrom("users")
    .selectAll()
    .where("partnership_id", "=", inDemo.partnership_id)
    .execute();
  people = Object.fromEntries(users.map((user) => [user.email, user]));
  const agencies = await su
    .selectFrom("agencies")
    .select(["id", "name"])
    .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
    .execute();
  agencyIds = Object.fromEntries(agencies.map((agency) => [agency.name, agency.id]));
  raw = {
    referrals: await su
      .selectFrom("referrals")
      .select([
        "id",
        "state",
        "rag",
        "themes",
        "submitted_at",
        "screening_due_at",
        "screened_at",
        "closed_at",
        "outcome",
        "referrer_agency_id",
      ])
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute(),
    involvement: await su
      .selectFrom("referral_agencies")
      .select([
        "referral_id",
        "agency_id",
        "status",
        "response_due_at",
        "responded_at",
        "allocated_user_id",
      ])
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute(),
    actions: (
      await su
        .selectFrom("case_actions")
        .select(["referral_id", "assigned_agency_id", "status", "due_on"])
        .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
        .execute()
    ).map((action) => ({ ...action, due_on: String(action.due_on) })),
    notes: await su
      .selectFrom("case_notes")
      .select(["referral_id", "agency_id", "kind", "created_at"])
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute(),
    decisions: await su
      .selectFrom("decisions_to_share")
      .select(["id", "referral_id", "decision", "decided_at"])
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute(),
    withdrawals: await su
      .selectFrom("consent_withdrawals")
      .select(["decision_id", "withdrawn_at"])
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute(),
  };
});

const at = (ctx: ServiceContext): ServiceContext => ({ ...ctx, clock: () => now });
const as = (email: string) => at(contextFor(db.app, people[email] as User));

const LONDON = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" });
const londonDate = (moment: Date) => LONDON.format(moment);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function band(ms: number): string {
  if (ms < 4 * HOUR) return "under-4-hours";
  if (ms < DAY) return "4-to-24-hours";
  if (ms < 3 * DAY) return "1-to-3-days";
  if (ms < 7 * DAY) return "3-to-7-days";
  if (ms < 28 * DAY) return "7-to-28-days";
  return "over-28-days";
}

/** The counts, worked out from the raw rows: table → "row|series" → distinct referrals. */
function expectedCounts(scope: DashboardScope, filters: OversightFilters) {
  const counts = new Map<OversightTableId, Map<string, Set<string>>>();
  const put = (table: OversightTableId, row: string, series: string, id: string) => {
    const cells = counts.get(table) ?? new Map<string, Set<string>>();
    const key = `${row}|${series}`;
    cells.set(key, (cells.get(key) ?? new Set()).add(id));
    counts.set(table, cells);
  };
  const involvementOf = (id: string) => raw.involvement.filter((ra) => ra.referral_id === id);
  const involves = (id: string, agencyId: string) =>
    involvementOf(id).some((ra) => ra.agency_id === agencyId && ra.status !== "declined");
  const scopeAgency = scope.kind === "agency" ? scope.agencyId : null;
  const inPeriod = (moment: Date | null) =>
    moment !== null && londonDate(moment) >= filters.from && londonDate(moment) <= filters.to;
  const open = (state: string) => (OPEN_STATES as readonly string[]).includes(state);
  const today = londonDate(now);
  const base = raw.referrals.filter(
    (r) =>
      r.state !== "draft" &&
      r.state !== "discarded" &&
      (!filters.theme || r.themes.includes(filters.theme)) &&
      (!filters.rag || r.rag === filters.rag) &&
      (!filters.agencyId || involves(r.id, filters.agencyId)) &&
      (!scopeAgency || involves(r.id, scopeAgency)),
  );
  for (const r of base) {
    const ras = involvementOf(r.id);
    if (open(r.state)) {
      put("open-by-status", r.state, "referrals", r.id);
      put("open-by-rag", r.rag ?? "unrated", "referrals", r.id);
      for (const ra of ras) {
        if (ra.status !== "declined") put("open-by-agency", ra.agency_id, "referrals", r.id);
        if (scopeAgency && ra.agency_id === scopeAgency && ra.status === "accepted")
          put("open-by-practitioner", ra.allocated_user_id ?? "", "referrals", r.id);
        if (scopeAgency && ra.agency_id === scopeAgency && ra.status === "awaiting")
          put("open-by-practitioner", "not-yet-accepted", "referrals", r.id);
        if (ra.status === "awaiting" && (!scopeAgency || ra.agency_id === scopeAgency))
          put(
            "response-targets-now",
            "acceptance",
            ra.response_due_at && ra.response_due_at < now ? "past-target" : "within-target",
            r.id,
          );
      }
    }
    if (r.state === "submitted" && r.submitted_at) {
      put(
        "waiting-for-screening",
        band(now.getTime() - r.submitted_at.getTime()),
        "referrals",
        r.id,
      );
      put(
        "response-targets-now",
        "screening",
        r.screening_due_at && r.screening_due_at < now ? "past-target" : "within-target",
        r.id,
      );
    }
    for (const action of raw.actions.filter((a) => a.referral_id === r.id)) {
      if (action.status === "open" && action.due_on < today)
        put("overdue-actions", action.assigned_agency_id, "referrals", r.id);
    }
    if (inPeriod(r.submitted_at) && r.submitted_at) {
      const week = weekStart(londonDate(r.submitted_at));
      put("referrals-by-source", week, r.referrer_agency_id, r.id);
      for (const theme of r.themes) put("referrals-by-theme", week, theme, r.id);
      if (r.screened_at) {
        put(
          "time-to-response",
          band(r.screened_at.getTime() - r.submitted_at.getTime()),
          "screening",
          r.id,
        );
        put(
          "targets-met",
          "screening",
          r.screening_due_at && r.screened_at <= r.screening_due_at
            ? "within-target"
            : "past-target",
          r.id,
        );
      }
      const accepted = ras
        .filter(
          (ra) =>
            ra.status === "accepted" &&
            ra.responded_at &&
            (!scopeAgency || ra.agency_id === scopeAgency),
        )
        .map((ra) => (ra.responded_at as Date).getTime());
      if (accepted.length > 0)
        put(
          "time-to-response",
          band(Math.min(...accepted) - r.submitted_at.getTime()),
          "acceptance",
          r.id,
        );
      const contacts = raw.notes
        .filter(
          (note) =>
            note.referral_id === r.id &&
            note.kind.startsWith("contact_") &&
            note.kind !== "contact_attempted" &&
            (!scopeAgency || note.agency_id === scopeAgency),
        )
        .map((note) => note.created_at.getTime());
      if (contacts.length > 0)
        put(
          "time-to-response",
          band(Math.min(...contacts) - r.submitted_at.getTime()),
          "first-contact",
          r.id,
        );
      for (const ra of ras) {
        if (
          (ra.status === "accepted" || ra.status === "declined") &&
          ra.responded_at &&
          ra.response_due_at &&
          (!scopeAgency || ra.agency_id === scopeAgency)
        )
          put(
            "targets-met",
            "acceptance",
            ra.responded_at <= ra.response_due_at ? "within-target" : "past-target",
            r.id,
          );
      }
    }
    if (r.state === "closed" && inPeriod(r.closed_at))
      put("outcomes", r.outcome ?? "", "referrals", r.id);
    for (const decision of raw.decisions.filter((d) => d.referral_id === r.id)) {
      if (decision.decision === "not_share" && inPeriod(decision.decided_at))
        put(
          "not-shared-and-withdrawn",
          `${londonDate(decision.decided_at).slice(0, 7)}-01`,
          "not-share",
          r.id,
        );
      for (const withdrawal of raw.withdrawals.filter((w) => w.decision_id === decision.id)) {
        if (inPeriod(withdrawal.withdrawn_at))
          put(
            "not-shared-and-withdrawn",
            `${londonDate(withdrawal.withdrawn_at).slice(0, 7)}-01`,
            "consent-withdrawn",
            r.id,
          );
      }
    }
  }
  return counts;
}

/** The dashboard's cells as "row|series" → count, leaving out zeros. */
function cellsOf(table: OversightTable): Map<string, number> {
  const cells = new Map<string, number>();
  for (const row of table.rows)
    row.values.forEach((value, index) => {
      if (value > 0) cells.set(`${row.key}|${table.series[index]?.key ?? ""}`, value);
    });
  return cells;
}

function expectMatches(tables: OversightTable[], expected: ReturnType<typeof expectedCounts>) {
  for (const table of tables) {
    const wanted = new Map(
      [...(expected.get(table.id) ?? new Map<string, Set<string>>())].map(([key, ids]) => [
        key,
        ids.size,
      ]),
    );
    expect(Object.fromEntries(cellsOf(table)), table.id).toEqual(Object.fromEntries(wanted));
  }
}

const lastYear = () => {
  const today = londonDate(now);
  const from = new Date(Date.parse(`${today}T00:00:00Z`) - 364 * DAY).toISOString().slice(0, 10);
  return { from, to: today };
};

describe("the partnership dashboard's numbers for the demo data", () => {
  it("every table's every cell equals a count made from the rows themselves", async () => {
    const filters = lastYear();
    const dashboard = await loadDashboard(
      as("lead@northbridge.example"),
      { kind: "partnership" },
      filters,
    );
    expect(dashboard.tables.map((table) => table.id)).not.toContain("open-by-practitioner");
    expect(dashboard.tables).toHaveLength(12);
    expectMatches(dashboard.tables, expectedCounts({ kind: "partnership" }, filters));
    // The demo data puts something in most tables: a test of zeros alone would prove little.
    const nonEmpty = dashboard.tables.filter((table) => cellsOf(table).size > 0);
    expect(nonEmpty.length).toBeGreaterThanOrEqual(10);
  });

  it("matches again under every filter: agency, theme, RAG rating and a shorter period", async () => {
    const police = agencyIds["Northbridge Police"] as string;
    const today = londonDate(now);
    const month = new Date(Date.parse(`${today}T00:00:00Z`) - 30 * DAY).toISOString().slice(0, 10);
    for (const filters of [
      { ...lastYear(), agencyId: police },
      { ...lastYear(), theme: "county_lines_drugs" as const },
      { ...lastYear(), rag: "amber" as const },
      { from: month, to: today, agencyId: police, theme: "early_intervention" as const },
    ]) {
      const dashboard = await loadDashboard(
        as("lead@northbridge.example"),
        { kind: "partnership" },
        filters,
      );
      expectMatches(dashboard.tables, expectedCounts({ kind: "partnership" }, filters));
    }
  });

  it("a filter changes the numbers (the comparison above is not of two empty dashboards)", async () => {
    const all = await loadDashboard(
      as("lead@northbridge.example"),
      { kind: "partnership" },
      lastYear(),
    );
    const amber = await loadDashboard(
      as("lead@northbridge.example"),
      { kind: "partnership" },
      { ...lastYear(), rag: "amber" },
    );
    const open = (dashboard: typeof all) =>
      dashboard.tables
        .find((table) => table.id === "open-by-status")
        ?.rows.reduce((sum, row) => sum + (row.values[0] ?? 0), 0) ?? 0;
    expect(open(all)).toBeGreaterThan(open(amber));
    expect(open(amber)).toBeGreaterThan(0);
  });
});

describe("the police agency dashboard's numbers for the demo data", () => {
  it("every cell equals a count of the referrals the police are involved in", async () => {
    const police = agencyIds["Northbridge Police"] as string;
    const scope: DashboardScope = { kind: "agency", agencyId: police };
    const filters = lastYear();
    const dashboard = await loadDashboard(
      as("inspector@police.northbridge.example"),
      scope,
      filters,
    );
    expect(dashboard.title).toBe("Northbridge Police");
    expect(dashboard.tables.map((table) => table.id)).toContain("open-by-practitioner");
    expect(dashboard.tables.map((table) => table.id)).not.toContain("open-by-agency");
    expectMatches(dashboard.tables, expectedCounts(scope, filters));
    const practitioners = dashboard.tables.find((table) => table.id === "open-by-practitioner");
    expect(practitioners?.rows.map((row) => row.label)).toContain("Dan Hughes");
  });
});

describe("charts and tables", () => {
  it("each chart draws the numbers of its own table", async () => {
    const dashboard = await loadDashboard(
      as("lead@northbridge.example"),
      { kind: "partnership" },
      lastYear(),
    );
    let checked = 0;
    for (const table of dashboard.tables) {
      const svg = renderToStaticMarkup(createElement(OversightChart, { table }));
      expect(svg).toContain('role="img"');
      expect(svg).toMatch(
        new RegExp(`aria-labelledby="chart-${table.id}-title chart-${table.id}-desc"`),
      );
      expect(svg).toContain(`<title id="chart-${table.id}-title">Chart: ${table.title}</title>`);
      // The value drawn at the end of each bar or on top of each column.
      const drawn = [...svg.matchAll(/<text class="app-chart__value"[^>]*>(\d+)<\/text>/g)].map(
        (match) => Number(match[1]),
      );
      if (table.chart === "bars") {
        expect(drawn, table.id).toEqual(table.rows.flatMap((row) => row.values));
        checked += 1;
      } else if (table.chart === "columns") {
        expect(drawn, table.id).toEqual(
          table.rows.flatMap((row) => row.values).filter((value) => value > 0),
        );
        checked += 1;
      } else {
        for (const [index, series] of table.series.entries()) {
          const total = table.rows.reduce((sum, row) => sum + (row.values[index] ?? 0), 0);
          const label = series.label.replace(/&/g, "&amp;").replace(/'/g, "&#x27;");
          const drawnTotal = `${label}</tspan><tspan fill="#484949"> (${total} in all)`;
          expect(svg.includes(drawnTotal), `${table.id}: ${drawnTotal}`).toBe(true);
        }
        checked += 1;
      }
    }
    expect(checked).toBe(dashboard.tables.length);
  });
});

describe("drilling down", () => {
  it("lists exactly the referrals a number counts, and the lead may open them all", async () => {
    const lead = as("lead@northbridge.example");
    const filters = lastYear();
    const dashboard = await loadDashboard(lead, { kind: "partnership" }, filters);
    const targets = dashboard.tables.find(
      (table) => table.id === "response-targets-now",
    ) as OversightTable;
    const past = targets.series.findIndex((series) => series.key === "past-target");
    const screening = targets.rows.find((row) => row.key === "screening");
    const number = screening?.values[past] ?? 0;
    expect(number).toBeGreaterThan(0);
    const list = await listCellReferrals(
      lead,
      { kind: "partnership" },
      filters,
      { table: "response-targets-now", row: "screening", series: "past-target" },
      1,
    );
    expect(list.total).toBe(number);
    expect(list.rows).toHaveLength(number);
    expect(list.withheld).toBe(0);
    const overdue = new Set(
      raw.referrals
        .filter((r) => r.state === "submitted" && r.screening_due_at && r.screening_due_at < now)
        .map((r) => r.id),
    );
    expect(new Set(list.rows.map((row) => row.id))).toEqual(overdue);
    expect(list.mayExport).toBe(true);
  });

  it("an agency lead's list leaves out, and counts, referrals they may not open", async () => {
    const police = agencyIds["Northbridge Police"] as string;
    const inspector = as("inspector@police.northbridge.example");
    const list = await listCellReferrals(
      inspector,
      { kind: "agency", agencyId: police },
      lastYear(),
      { table: "open-by-status", row: "active", series: "referrals" },
      1,
    );
    expect(list.total).toBeGreaterThan(0);
    expect(list.rows.length + list.withheld).toBe(Math.min(list.total, 25));
    expect(list.mayExport).toBe(false);
  });
});
