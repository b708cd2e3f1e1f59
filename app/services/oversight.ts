import { z } from "zod";
import { RAG_CODES, THEME_CODES, type RagRating, type Theme } from "../../policies";

// Plain data and parsing the dashboard pages need in the browser too, so it lives outside the
// .server module (the browser bundle gets {} from .server modules).

/**
 * Every table on the dashboards, in the order the page shows them. `now` tables count what stands
 * at this moment; `period` tables count what happened in the chosen period. `dashboards` says which
 * dashboard shows the table.
 */
export const OVERSIGHT_TABLES = {
  "open-by-status": {
    title: "Open referrals by status",
    when: "now",
    categoryLabel: "Status",
    chart: "bars",
    dashboards: ["partnership", "agency"],
  },
  "open-by-rag": {
    title: "Open referrals by RAG rating",
    when: "now",
    categoryLabel: "RAG rating",
    chart: "bars",
    dashboards: ["partnership", "agency"],
  },
  "open-by-agency": {
    title: "Open caseload by agency",
    when: "now",
    categoryLabel: "Agency",
    chart: "bars",
    dashboards: ["partnership"],
  },
  "open-by-practitioner": {
    title: "Open caseload by practitioner",
    when: "now",
    categoryLabel: "Practitioner",
    chart: "bars",
    dashboards: ["agency"],
  },
  "waiting-for-screening": {
    title: "New referrals waiting for screening, by how long they have waited",
    when: "now",
    categoryLabel: "Waiting for",
    chart: "bars",
    dashboards: ["partnership", "agency"],
  },
  "response-targets-now": {
    title: "Waiting for a response, within and past the response target",
    when: "now",
    categoryLabel: "Waiting for",
    chart: "bars",
    dashboards: ["partnership", "agency"],
  },
  "overdue-actions": {
    title: "Referrals with overdue actions, by the agency the action is for",
    when: "now",
    categoryLabel: "Agency",
    chart: "bars",
    dashboards: ["partnership", "agency"],
  },
  "referrals-by-source": {
    title: "Referrals each week, by the agency that made them",
    when: "period",
    categoryLabel: "Week beginning",
    chart: "small-multiples",
    dashboards: ["partnership", "agency"],
  },
  "referrals-by-theme": {
    title: "Referrals each week, by Strategy theme",
    when: "period",
    categoryLabel: "Week beginning",
    chart: "small-multiples",
    dashboards: ["partnership", "agency"],
  },
  "time-to-response": {
    title: "Time from submission to screening, to acceptance and to first contact",
    when: "period",
    categoryLabel: "Time taken",
    chart: "columns",
    dashboards: ["partnership", "agency"],
  },
  "targets-met": {
    title: "Screening and acceptance against the response targets",
    when: "period",
    categoryLabel: "Response",
    chart: "bars",
    dashboards: ["partnership", "agency"],
  },
  outcomes: {
    title: "Outcomes at closure",
    when: "period",
    categoryLabel: "Outcome",
    chart: "bars",
    dashboards: ["partnership", "agency"],
  },
  "not-shared-and-withdrawn": {
    title: "Decisions not to share and consent withdrawals, by month",
    when: "period",
    categoryLabel: "Month",
    chart: "columns",
    dashboards: ["partnership", "agency"],
  },
} as const satisfies Record<
  string,
  {
    title: string;
    when: "now" | "period";
    categoryLabel: string;
    chart: ChartKind;
    dashboards: readonly DashboardKind[];
  }
>;

export type ChartKind = "bars" | "columns" | "small-multiples";
export type DashboardKind = "partnership" | "agency";
export type OversightTableId = keyof typeof OVERSIGHT_TABLES;
export const OVERSIGHT_TABLE_IDS = Object.keys(OVERSIGHT_TABLES) as OversightTableId[];

/** Time-taken bands, shortest first: the same for waiting times and response times. */
export const DURATION_BANDS = {
  "under-4-hours": "Under 4 hours",
  "4-to-24-hours": "4 to 24 hours",
  "1-to-3-days": "1 to 3 days",
  "3-to-7-days": "3 to 7 days",
  "7-to-28-days": "7 to 28 days",
  "over-28-days": "Over 28 days",
} as const;
export type DurationBand = keyof typeof DURATION_BANDS;

/** One chart and its table: both are drawn from this one object, from one query. */
export interface OversightTable {
  id: OversightTableId;
  title: string;
  /** One or two sentences on what is counted, for the chart's description and the page. */
  description: string;
  categoryLabel: string;
  chart: ChartKind;
  series: { key: string; label: string }[];
  rows: { key: string; label: string; values: number[] }[];
}

/** The filters of a dashboard, as the service takes them. */
export interface OversightFilters {
  /** The period, inclusive, as ISO dates (UK calendar days). */
  from: string;
  to: string;
  /** Only referrals this agency is involved in (the partnership dashboard's agency filter). */
  agencyId?: string;
  theme?: Theme;
  rag?: RagRating;
}

/** Which dashboard: the whole partnership's, or one agency's. */
export type DashboardScope = { kind: "partnership" } | { kind: "agency"; agencyId: string };

export interface Dashboard {
  scope: DashboardScope;
  title: string;
  filters: OversightFilters;
  tables: OversightTable[];
  /** When the counts were taken (ISO); they are read live, so they are this fresh. */
  countedAt: string;
  agencies: { id: string; name: string }[];
}

/**
 * A dashboard's first page: the few numbers a lead looks for first, then every table it has, each
 * a link away (the tables together were one page of 1.6 MB on a large partnership).
 */
export interface DashboardSummary {
  scope: DashboardScope;
  title: string;
  filters: OversightFilters;
  countedAt: string;
  agencies: { id: string; name: string }[];
  figures: KeyFigure[];
  tables: { id: OversightTableId; title: string; description: string; when: "now" | "period" }[];
}

/**
 * The most numbers one table's page shows: a longer table (weeks over two years, by every agency of
 * a large partnership) is shown a page of rows at a time, so no page grows past its size budget.
 */
export const TABLE_PAGE_CELLS = 640;

/** One table of a dashboard on a page of its own, perhaps one page of its rows. */
export interface DashboardSection extends Dashboard {
  rowPage: {
    page: number;
    pageCount: number;
    /** The first and last row shown, counted from 1, and how many rows the table has. */
    first: number;
    last: number;
    total: number;
    perPage: number;
  };
}

/** The rows of a table one page shows: as many as keep it within TABLE_PAGE_CELLS numbers. */
export function rowPageOf(
  table: OversightTable,
  page: number,
): { table: OversightTable; rowPage: DashboardSection["rowPage"] } | null {
  const perPage = Math.max(1, Math.floor(TABLE_PAGE_CELLS / Math.max(1, table.series.length)));
  const total = table.rows.length;
  const pageCount = Math.max(1, Math.ceil(total / perPage));
  if (page > pageCount) return null;
  const start = (page - 1) * perPage;
  const rows = table.rows.slice(start, start + perPage);
  return {
    table: { ...table, rows },
    rowPage: { page, pageCount, first: start + 1, last: start + rows.length, total, perPage },
  };
}

/** One key figure: a sum of one table's own numbers, so it can never disagree with the table. */
export interface KeyFigure {
  table: OversightTableId;
  label: string;
  value: number;
  /** Shown as a warning when it is not zero. */
  alert: boolean;
}

const KEY_FIGURES: { table: OversightTableId; label: string; series?: string; alert?: true }[] = [
  { table: "open-by-status", label: "open referrals" },
  { table: "waiting-for-screening", label: "waiting for screening" },
  {
    table: "response-targets-now",
    label: "waiting past their response target",
    series: "past-target",
    alert: true,
  },
  { table: "referrals-by-source", label: "referrals made in the period" },
];

/** The tables the key figures are summed from. */
export const KEY_FIGURE_TABLES: readonly OversightTableId[] = KEY_FIGURES.map(
  (figure) => figure.table,
);

/** The key figures of a dashboard from its tables; a figure whose table is not given is left out. */
export function keyFiguresOf(tables: readonly OversightTable[]): KeyFigure[] {
  return KEY_FIGURES.flatMap((figure) => {
    const table = tables.find((candidate) => candidate.id === figure.table);
    if (!table) return [];
    const index = figure.series
      ? table.series.findIndex((series) => series.key === figure.series)
      : -1;
    if (figure.series && index < 0) return [];
    const value = table.rows.reduce(
      (sum, row) =>
        sum + (index >= 0 ? (row.values[index] ?? 0) : row.values.reduce((all, n) => all + n, 0)),
      0,
    );
    return [{ table: figure.table, label: figure.label, value, alert: figure.alert ?? false }];
  });
}

/** The longest period the dashboards count over. */
export const MAX_PERIOD_DAYS = 731;

const DAY_MS = 24 * 60 * 60 * 1000;

/** An ISO date `days` after `isoDate` (negative for before). */
export function addDays(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The default period: the twelve months up to and including today. */
export function defaultPeriod(today: string): { from: string; to: string } {
  const [year, month, day] = today.split("-");
  const yearAgo = `${Number(year) - 1}-${month}-${day === "29" && month === "02" ? "28" : day}`;
  return { from: addDays(yearAgo, 1), to: today };
}

/** The Monday of the week `isoDate` falls in. */
export function weekStart(isoDate: string): string {
  const weekday = new Date(`${isoDate}T00:00:00Z`).getUTCDay();
  return addDays(isoDate, -((weekday + 6) % 7));
}

/** The Mondays of every week the period touches, oldest first. */
export function weeksOf(from: string, to: string): string[] {
  const weeks: string[] = [];
  for (let week = weekStart(from); week <= to; week = addDays(week, 7)) weeks.push(week);
  return weeks;
}

/** The first days of every month the period touches, oldest first. */
export function monthsOf(from: string, to: string): string[] {
  const months: string[] = [];
  let [year, month] = from.split("-").map(Number) as [number, number];
  for (;;) {
    const first = `${year}-${String(month).padStart(2, "0")}-01`;
    if (first > to) break;
    months.push(first);
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
  }
  return months;
}

// ---------------------------------------------------------------------------------------------
// The query string: filters stay in the URL so a view can be bookmarked and shared.

const DATE_FIELDS = ["day", "month", "year"] as const;
type DateAnswer = Record<(typeof DATE_FIELDS)[number], string>;

/** What the person typed or chose, re-displayed in the form. */
export interface FilterAnswers {
  from: DateAnswer;
  to: DateAnswer;
  agency: string;
  theme: string;
  rag: string;
}

const Text = z.string().trim().max(100).optional().default("");
const FilterQuerySchema = z.object({
  "from-day": Text,
  "from-month": Text,
  "from-year": Text,
  "to-day": Text,
  "to-month": Text,
  "to-year": Text,
  agency: Text,
  theme: Text,
  rag: Text,
});

const AgencyIdSchema = z.uuid();
const ThemeSchema = z.enum(THEME_CODES);
const RagSchema = z.enum(RAG_CODES);

export type FilterParse =
  | { ok: true; filters: OversightFilters; answers: FilterAnswers }
  | { ok: false; errors: { field: string; message: string }[]; answers: FilterAnswers };

function readDate(
  answer: DateAnswer,
  name: string,
): { date: string | null; error?: string; given: boolean } {
  const given = DATE_FIELDS.some((part) => answer[part] !== "");
  if (!given) return { date: null, given };
  const missing = DATE_FIELDS.filter((part) => answer[part] === "");
  if (missing.length > 0) {
    return { date: null, given, error: `The ${name} date must include a ${missing.join(" and ")}` };
  }
  const [day, month, year] = DATE_FIELDS.map((part) => answer[part]);
  if (!/^\d{1,2}$/.test(day!) || !/^\d{1,2}$/.test(month!) || !/^\d{4}$/.test(year!)) {
    return { date: null, given, error: `The ${name} date must be a real date` };
  }
  const iso = `${year}-${month!.padStart(2, "0")}-${day!.padStart(2, "0")}`;
  const parsed = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== iso) {
    return { date: null, given, error: `The ${name} date must be a real date` };
  }
  if (iso < "2000-01-01")
    return { date: null, given, error: `The ${name} date must be after 2000` };
  return { date: iso, given };
}

/**
 * Read a dashboard's filters from its query string: the period (default the last twelve months),
 * an agency, a theme and a RAG rating. Bad values come back as errors for a GOV.UK error summary,
 * with the answers to show again; they never reach the service.
 */
export function parseFilters(params: URLSearchParams, today: string): FilterParse {
  const raw = FilterQuerySchema.safeParse(Object.fromEntries(params));
  const values = raw.success ? raw.data : FilterQuerySchema.parse({});
  const answers: FilterAnswers = {
    from: { day: values["from-day"], month: values["from-month"], year: values["from-year"] },
    to: { day: values["to-day"], month: values["to-month"], year: values["to-year"] },
    agency: values.agency,
    theme: values.theme,
    rag: values.rag,
  };
  const errors: { field: string; message: string }[] = [];
  if (!raw.success) errors.push({ field: "from-day", message: "The filters could not be read" });
  const from = readDate(answers.from, "start");
  const to = readDate(answers.to, "end");
  if (from.error) errors.push({ field: "from-day", message: from.error });
  if (to.error) errors.push({ field: "to-day", message: to.error });
  const period = defaultPeriod(today);
  const end = to.date ?? period.to;
  const start = from.date ?? (to.date ? addDays(end, -364) : period.from);
  if (!from.error && !to.error) {
    if (end > today)
      errors.push({ field: "to-day", message: "The end date must be today or in the past" });
    else if (start > end)
      errors.push({
        field: "to-day",
        message: "The end date must be the same as or after the start date",
      });
    else if ((Date.parse(end) - Date.parse(start)) / DAY_MS + 1 > MAX_PERIOD_DAYS)
      errors.push({ field: "to-day", message: "The period can be at most 2 years" });
  }
  const agency = answers.agency === "" ? undefined : AgencyIdSchema.safeParse(answers.agency);
  if (agency && !agency.success)
    errors.push({ field: "agency", message: "Choose an agency from the list" });
  const theme = answers.theme === "" ? undefined : ThemeSchema.safeParse(answers.theme);
  if (theme && !theme.success)
    errors.push({ field: "theme", message: "Choose a theme from the list" });
  const rag = answers.rag === "" ? undefined : RagSchema.safeParse(answers.rag);
  if (rag && !rag.success)
    errors.push({ field: "rag", message: "Choose a RAG rating from the list" });
  if (errors.length > 0) return { ok: false, errors, answers };
  return {
    ok: true,
    answers,
    filters: {
      from: start,
      to: end,
      ...(agency?.success ? { agencyId: agency.data } : {}),
      ...(theme?.success ? { theme: theme.data } : {}),
      ...(rag?.success ? { rag: rag.data } : {}),
    },
  };
}

/** The query string that gives these filters (the period always, so a link keeps its meaning). */
export function filterQuery(filters: OversightFilters): URLSearchParams {
  const params = new URLSearchParams();
  const [fromYear, fromMonth, fromDay] = filters.from.split("-");
  const [toYear, toMonth, toDay] = filters.to.split("-");
  params.set("from-day", String(Number(fromDay)));
  params.set("from-month", String(Number(fromMonth)));
  params.set("from-year", fromYear ?? "");
  params.set("to-day", String(Number(toDay)));
  params.set("to-month", String(Number(toMonth)));
  params.set("to-year", toYear ?? "");
  if (filters.agencyId) params.set("agency", filters.agencyId);
  if (filters.theme) params.set("theme", filters.theme);
  if (filters.rag) params.set("rag", filters.rag);
  return params;
}

/** The query that names one cell of one table, for its drill-down list. */
export const CellQuerySchema = z.object({
  table: z.enum(OVERSIGHT_TABLE_IDS),
  row: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[a-z0-9_-]+$/),
  series: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[a-z0-9_-]+$/),
  within: z.uuid().optional(),
  page: z
    .string()
    .regex(/^[1-9]\d{0,5}$/)
    .transform(Number)
    .default(1),
});
export type CellQuery = z.infer<typeof CellQuerySchema>;

/** The address of the list of referrals behind one number. */
export function drillHref(
  scope: DashboardScope,
  filters: OversightFilters,
  cell: { table: OversightTableId; row: string; series: string },
  page = 1,
): string {
  const params = new URLSearchParams({ table: cell.table, row: cell.row, series: cell.series });
  if (scope.kind === "agency") params.set("within", scope.agencyId);
  for (const [key, value] of filterQuery(filters)) params.set(key, value);
  if (page > 1) params.set("page", String(page));
  return `/oversight/referrals?${params.toString()}`;
}

/** The address of one table's aggregate CSV. */
export function downloadHref(
  scope: DashboardScope,
  filters: OversightFilters,
  table: OversightTableId,
): string {
  const params = filterQuery(filters);
  if (scope.kind === "agency") params.set("within", scope.agencyId);
  return `/oversight/download/${table}?${params.toString()}`;
}

/** The address of a dashboard with these filters, or of one of its tables on a page of its own. */
export function dashboardHref(
  scope: DashboardScope,
  filters?: OversightFilters,
  table?: OversightTableId,
): string {
  const path = scope.kind === "agency" ? `/oversight/agencies/${scope.agencyId}` : "/oversight";
  const params = filters ? filterQuery(filters) : new URLSearchParams();
  if (table) params.set("table", table);
  const query = params.toString();
  return query ? `${path}?${query}` : path;
}

/** What a suppressed count reads as in an aggregate export. */
export function suppressedLabel(threshold: number): string {
  return `fewer than ${threshold}`;
}

/**
 * A table's counts as an aggregate export shows them: every count from 1 to threshold - 1 is
 * suppressed (primary suppression), and where a column, or a row of several series, would then have
 * exactly one suppressed count, another count in that line is suppressed too, the smallest non-zero
 * one if there is one (secondary suppression), so a total published elsewhere cannot give the hidden
 * count back by subtraction. Zero is otherwise shown: it reveals no one. Exports carry no totals.
 */
export function suppressCounts(
  values: readonly (readonly number[])[],
  threshold: number,
): (number | null)[][] {
  const cells: (number | null)[][] = values.map((row) =>
    row.map((value) => (value > 0 && value < threshold ? null : value)),
  );
  const width = cells[0]?.length ?? 0;
  // Each line is a list of [row, column] positions: every column, and every row of a multi-series table.
  const lines: [number, number][][] = [
    ...Array.from({ length: width }, (_, column) =>
      cells.map((_, row): [number, number] => [row, column]),
    ),
    ...(width > 1
      ? cells.map((_, row) =>
          Array.from({ length: width }, (_, column): [number, number] => [row, column]),
        )
      : []),
  ];
  const at = ([row, column]: [number, number]) => cells[row]?.[column] ?? null;
  // Each pass hides at least one more cell or stops, so this ends.
  for (let changed = true; changed;) {
    changed = false;
    for (const line of lines) {
      if (line.length < 2 || line.filter((cell) => at(cell) === null).length !== 1) continue;
      const shown = line.filter((cell) => at(cell) !== null);
      const nonZero = shown.filter((cell) => (at(cell) ?? 0) > 0);
      const pick = nonZero.sort((a, b) => (at(a) ?? 0) - (at(b) ?? 0))[0] ?? shown[0];
      if (!pick) continue;
      const row = cells[pick[0]];
      if (row) row[pick[1]] = null;
      changed = true;
    }
  }
  return cells;
}
