import { sql, type RawBuilder, type Transaction } from "kysely";
import type { Database } from "../../db/types";
import {
  decide,
  OPEN_STATES,
  OUTCOME_CODES,
  OUTCOMES,
  RAG_CODES,
  RAG_RATINGS,
  REFERRAL_STATE_LABELS,
  THEME_CODES,
  THEMES,
  type Facts,
  type Outcome,
  type RagRating,
  type ReferralState,
  type Theme,
} from "../../policies";
import { record } from "./audit.server";
import type { CaseloadRow } from "./caseloads.server";
import { authorize } from "./authorize.server";
import { inActorTransaction, nowOf, todayOf, type ServiceContext } from "./context.server";
import { inActorReadTransaction, type ReadingContext } from "./read-replica.server";
import { InvalidInput, RecordNotFound } from "./errors";
import { setPartnershipNumber } from "./partnership-settings.server";
import {
  DURATION_BANDS,
  KEY_FIGURE_TABLES,
  keyFiguresOf,
  monthsOf,
  rowPageOf,
  OVERSIGHT_TABLE_IDS,
  OVERSIGHT_TABLES,
  weeksOf,
  type Dashboard,
  type DashboardScope,
  type DashboardSection,
  type DashboardSummary,
  type OversightFilters,
  type OversightTable,
  type OversightTableId,
} from "./oversight";
import {
  involvedAgencyIds,
  referralReference,
  type ReferralAgencyRow,
} from "./referral-access.server";
import { loadDecisions, sharingFor } from "./sharing-state.server";

/**
 * Oversight dashboards (DOMAIN.md section 7): counts of the partnership's referrals, or one
 * agency's, as charts and tables. Every count is the number of distinct referrals in one "cell" of
 * one table, and each table's cells come from one membership query: the dashboard counts it, the
 * drill-down lists it, and the CSV exports it, so the three always agree.
 */

/** The suppression threshold when a partnership has not set its own. */
export const DEFAULT_SUPPRESSION_THRESHOLD = 5;
export const DRILL_PAGE_SIZE = 25;

interface QueryInput {
  partnershipId: string;
  scope: DashboardScope;
  filters: OversightFilters;
  now: Date;
  today: string;
}

const OPEN = sql.raw(`(${OPEN_STATES.map((state) => `'${state}'`).join(", ")})`);

/** The period's bounds: from the start of its first UK day to the start of the day after its last. */
function periodBounds(filters: OversightFilters) {
  const start = sql`(${filters.from}::date::timestamp at time zone 'Europe/London')`;
  const end = sql`((${filters.to}::date + 1)::timestamp at time zone 'Europe/London')`;
  return {
    inPeriod: (column: RawBuilder<unknown>) => sql`${column} >= ${start} and ${column} < ${end}`,
  };
}

/**
 * The referrals a dashboard counts: submitted ones, narrowed by its filters and its agency
 * (`base`); and, each read from the table once and kept for the tables that use it, those open now
 * (`open_ref`) and those submitted in the period (`period_ref`). A query that names neither does
 * not compute them.
 *
 * They are read from the summary (`oversight_referrals`, one row per submitted referral, and
 * `oversight_involvements`, one per agency involved in it), which database triggers keep current
 * in the transaction that changes a referral, its agencies or its notes (decision 012), so the
 * counts are as live as reading the case tables themselves.
 */
function baseReferrals(input: QueryInput): RawBuilder<unknown> {
  const { filters, scope } = input;
  const agencies = [
    ...new Set([scope.kind === "agency" ? scope.agencyId : null, filters.agencyId ?? null]),
  ].filter((id): id is string => id !== null);
  const conditions = [
    sql`s.partnership_id = ${input.partnershipId}::uuid`,
    ...(filters.theme ? [sql`${filters.theme}::text = any(s.themes)`] : []),
    ...(filters.rag ? [sql`s.rag = ${filters.rag}::text`] : []),
    // Involved: the referrer's agency, or a receiving agency that has not declined.
    ...agencies.map((agencyId) => sql`${agencyId}::uuid = any(s.involved_agency_ids)`),
  ];
  const { inPeriod } = periodBounds(filters);
  // The period's referrals are kept (read once) only for an agency's dashboard, where several
  // tables join them to the agency's involvements. The partnership's reads them three times,
  // each reading only its columns: cheaper than keeping about 80,000 wide rows for a year.
  const keepPeriod = scope.kind === "agency" ? sql`materialized` : sql`not materialized`;
  // The two kept sets hold only the columns their tables read.
  return sql`base as not materialized (
    select s.referral_id as id, s.state, s.rag, s.themes, s.submitted_at, s.submitted_week,
      s.screening_due_at, s.screened_at, s.closed_at, s.outcome, s.referrer_agency_id,
      s.involved_agency_ids, s.first_accepted_at, s.first_contact_at,
      s.acceptance_within_target, s.acceptance_past_target, s.screening_band, s.acceptance_band,
      s.first_contact_band
    from oversight_referrals s
    where ${sql.join(conditions, sql` and `)}
  ),
  open_ref as materialized (
    select b.id, b.state, b.rag, b.submitted_at, b.screening_due_at, b.involved_agency_ids
    from base b where b.state in ${OPEN}
  ),
  period_ref as ${keepPeriod} (
    select b.id, b.submitted_at, b.submitted_week, b.referrer_agency_id, b.themes,
      b.screening_due_at, b.screened_at, b.first_accepted_at, b.first_contact_at,
      b.acceptance_within_target, b.acceptance_past_target, b.screening_band, b.acceptance_band,
      b.first_contact_band
    from base b where ${inPeriod(sql`b.submitted_at`)}
  )`;
}

/**
 * One way a table puts each referral of the period in at most one of its cells: the cell's row and
 * series, as expressions over the referral's summary row (`b` in `period_ref`). A null in either
 * leaves the referral out of this part.
 */
interface PeriodPart {
  row: RawBuilder<unknown>;
  series: RawBuilder<unknown>;
}

/**
 * The partnership's time to response and targets met, as parts of the period's referrals. All the
 * parts are counted in one pass (`rolledUpCounts`); a drill-down lists a part's referrals with the
 * same expressions. Null for an agency's dashboard (its parts join the agency's involvements) and
 * for other tables.
 */
function periodParts(table: OversightTableId, input: QueryInput): PeriodPart[] | null {
  if (input.scope.kind !== "partnership") return null;
  if (table === "time-to-response") {
    // The bands of the times taken are stored in the summary (a band is set exactly when its time is).
    return [
      { row: sql`b.screening_band`, series: sql`'screening'` },
      { row: sql`b.acceptance_band`, series: sql`'acceptance'` },
      { row: sql`b.first_contact_band`, series: sql`'first-contact'` },
    ];
  }
  if (table === "targets-met") {
    // Acceptance: a referral answered within its target by one agency and past it by another is
    // in both.
    return [
      {
        row: sql`case when b.screened_at is not null then 'screening' end`,
        series: sql`case when b.screened_at <= b.screening_due_at
          then 'within-target' else 'past-target' end`,
      },
      {
        row: sql`case when b.acceptance_within_target then 'acceptance' end`,
        series: sql`'within-target'`,
      },
      {
        row: sql`case when b.acceptance_past_target then 'acceptance' end`,
        series: sql`'past-target'`,
      },
    ];
  }
  return null;
}

/**
 * The cells of every period part of these tables, counted in one statement's single pass over the
 * period's referrals: grouped by all the parts' cells at once (a few dozen combinations), then
 * each combination's count added to the cell it names in each part. Counting each part on its own
 * read the period's referrals once per part. Null when none of the tables has parts.
 */
function rolledUpCounts(
  tables: readonly OversightTableId[],
  input: QueryInput,
): RawBuilder<unknown> | null {
  const parts = tables.flatMap((table) =>
    (periodParts(table, input) ?? []).map((part) => ({ table, ...part })),
  );
  if (parts.length === 0) return null;
  const column = (kind: "r" | "s", index: number) => sql.ref(`g.${kind}${index}`);
  return sql`select t.table_id, t.row_key, t.series_key, sum(g.count)::int as count
    from (
      select ${sql.join(
        parts.map(
          (part, index) =>
            sql`(${part.row})::text as ${sql.ref(`r${index}`)}, (${part.series})::text as ${sql.ref(`s${index}`)}`,
        ),
      )}, count(*) as count
      from period_ref b
      group by ${sql.join(parts.flatMap((_, index) => [sql.lit(2 * index + 1), sql.lit(2 * index + 2)]))}
    ) as g
    cross join lateral (values ${sql.join(
      parts.map(
        (part, index) => sql`(${part.table}::text, ${column("r", index)}, ${column("s", index)})`,
      ),
    )}) as t (table_id, row_key, series_key)
    where t.row_key is not null and t.series_key is not null
    group by t.table_id, t.row_key, t.series_key`;
}

/** The SQL that puts each referral in its cells of one table: rows of (row_key, series_key, id). */
function membership(table: OversightTableId, input: QueryInput): RawBuilder<unknown> {
  const parts = periodParts(table, input);
  if (parts) {
    return sql.join(
      parts.map(
        (part) => sql`select ${part.row} as row_key, ${part.series} as series_key, b.id
          from period_ref b where ${part.row} is not null and ${part.series} is not null`,
      ),
      sql` union all `,
    );
  }
  const now = sql`${input.now.toISOString()}::timestamptz`;
  const today = sql`${input.today}::date`;
  const { inPeriod } = periodBounds(input.filters);
  const month = (column: RawBuilder<unknown>) =>
    sql`to_char(date_trunc('month', ${column} at time zone 'Europe/London'), 'YYYY-MM-DD')`;
  const band = (duration: RawBuilder<unknown>) => sql`case
    when ${duration} < interval '4 hours' then 'under-4-hours'
    when ${duration} < interval '1 day' then '4-to-24-hours'
    when ${duration} < interval '3 days' then '1-to-3-days'
    when ${duration} < interval '7 days' then '3-to-7-days'
    when ${duration} < interval '28 days' then '7-to-28-days'
    else 'over-28-days' end`;
  const scopeAgency = input.scope.kind === "agency" ? input.scope.agencyId : null;
  const ofScope = (column: RawBuilder<unknown>) =>
    scopeAgency ? sql`and ${column} = ${scopeAgency}::uuid` : sql``;
  const within = (done: RawBuilder<unknown>, due: RawBuilder<unknown>) =>
    sql`case when ${done} <= ${due} then 'within-target' else 'past-target' end`;

  switch (table) {
    case "open-by-status":
      return sql`select b.state as row_key, 'referrals' as series_key, b.id
        from open_ref b`;
    case "open-by-rag":
      return sql`select coalesce(b.rag, 'unrated') as row_key, 'referrals' as series_key, b.id
        from open_ref b`;
    case "open-by-agency":
      return sql`select a.agency_id::text as row_key, 'referrals' as series_key, b.id
        from open_ref b cross join lateral unnest(b.involved_agency_ids) as a (agency_id)`;
    case "open-by-practitioner":
      if (!scopeAgency) throw new RecordNotFound("oversight table");
      return sql`select case when i.status = 'accepted' then i.allocated_user_id::text
          else 'not-yet-accepted' end as row_key, 'referrals' as series_key, b.id
        from open_ref b join oversight_involvements i on i.referral_id = b.id
          and i.agency_id = ${scopeAgency}::uuid and i.status in ('accepted', 'awaiting')`;
    case "waiting-for-screening":
      return sql`select ${band(sql`${now} - b.submitted_at`)} as row_key,
          'referrals' as series_key, b.id
        from open_ref b where b.state = 'submitted'`;
    case "response-targets-now":
      return sql`select 'screening' as row_key,
          case when b.screening_due_at < ${now} then 'past-target' else 'within-target' end
            as series_key, b.id
        from open_ref b where b.state = 'submitted'
        union all
        select 'acceptance', case when i.response_due_at < ${now} then 'past-target'
            else 'within-target' end, b.id
        from open_ref b join oversight_involvements i on i.referral_id = b.id
          and i.status = 'awaiting' ${ofScope(sql`i.agency_id`)}`;
    case "overdue-actions":
      return sql`select ca.assigned_agency_id::text as row_key, 'referrals' as series_key, b.id
        from base b join case_actions ca on ca.referral_id = b.id and ca.status = 'open'
          and ca.due_on < ${today} and ca.partnership_id = ${input.partnershipId}::uuid`;
    case "referrals-by-source":
      // submitted_week: the Monday of the UK week of submission, as YYYY-MM-DD, stored.
      return sql`select b.submitted_week as row_key,
          b.referrer_agency_id::text as series_key, b.id
        from period_ref b`;
    case "referrals-by-theme":
      return sql`select b.submitted_week as row_key, t.theme as series_key, b.id
        from period_ref b cross join lateral unnest(b.themes) as t (theme)`;
    case "time-to-response":
      // The first acceptance and the first contact: by any agency, or by the dashboard's agency
      // (which, being involved, has its own row in oversight_involvements). The bands of the
      // times taken are stored in the summary (a band is set exactly when its time is).
      return sql`select b.screening_band as row_key, 'screening' as series_key, b.id
        from period_ref b where b.screening_band is not null
        union all
        ${
          scopeAgency
            ? sql`select i.responded_band, 'acceptance', b.id
        from period_ref b join oversight_involvements i on i.referral_id = b.id
          and i.agency_id = ${scopeAgency}::uuid
        where i.status = 'accepted' and i.responded_band is not null
        union all
        select i.first_contact_band, 'first-contact', b.id
        from period_ref b join oversight_involvements i on i.referral_id = b.id
          and i.agency_id = ${scopeAgency}::uuid
        where i.first_contact_band is not null`
            : sql`select b.acceptance_band, 'acceptance', b.id
        from period_ref b where b.acceptance_band is not null
        union all
        select b.first_contact_band, 'first-contact', b.id
        from period_ref b where b.first_contact_band is not null`
        }`;
    case "targets-met":
      // Acceptance: each agency's answer (accepted or declined) against its own target; for the
      // partnership, a referral answered within by one agency and past by another is in both.
      return sql`select 'screening' as row_key,
          ${within(sql`b.screened_at`, sql`b.screening_due_at`)} as series_key, b.id
        from period_ref b where b.screened_at is not null
        union all
        ${
          scopeAgency
            ? sql`select 'acceptance', ${within(sql`i.responded_at`, sql`i.response_due_at`)}, b.id
        from period_ref b join oversight_involvements i on i.referral_id = b.id
          and i.agency_id = ${scopeAgency}::uuid
        where i.status in ('accepted', 'declined') and i.responded_at is not null
          and i.response_due_at is not null`
            : sql`select 'acceptance', 'within-target', b.id
        from period_ref b where b.acceptance_within_target
        union all
        select 'acceptance', 'past-target', b.id
        from period_ref b where b.acceptance_past_target`
        }`;
    case "outcomes":
      return sql`select b.outcome as row_key, 'referrals' as series_key, b.id
        from base b where b.state = 'closed' and ${inPeriod(sql`b.closed_at`)}`;
    case "not-shared-and-withdrawn":
      return sql`select ${month(sql`d.decided_at`)} as row_key, 'not-share' as series_key, b.id
        from base b join decisions_to_share d on d.referral_id = b.id and d.decision = 'not_share'
        where ${inPeriod(sql`d.decided_at`)}
        union all
        select ${month(sql`w.withdrawn_at`)}, 'consent-withdrawn', b.id
        from base b join decisions_to_share d on d.referral_id = b.id
          join consent_withdrawals w on w.decision_id = d.id
        where ${inPeriod(sql`w.withdrawn_at`)}`;
  }
}

/**
 * Tables whose membership can name a referral twice in one cell (two awaiting agencies, two overdue
 * actions, two decisions in a month); every other table names each referral once per cell, so a
 * plain count is the count of distinct referrals.
 */
const REPEATS: ReadonlySet<OversightTableId> = new Set([
  "response-targets-now",
  "overdue-actions",
  "not-shared-and-withdrawn",
]);

/** The count of distinct referrals in every cell of these tables, in one statement. */
async function countCells(
  trx: Transaction<Database>,
  tables: readonly OversightTableId[],
  input: QueryInput,
): Promise<Map<OversightTableId, Map<string, number>>> {
  const rolledUp = rolledUpCounts(tables, input);
  const parts = tables
    .filter((table) => !periodParts(table, input))
    .map((table) =>
      table === "referrals-by-theme"
        ? // The same count as its membership (a referral once per theme it has, in its week), with
          // the period's referrals grouped by week and set of themes first, so only those few
          // groups' themes are unnested rather than every referral's.
          sql`select ${table}::text as table_id, g.submitted_week as row_key, t.theme as series_key,
          sum(g.referrals)::int as count
        from (select b.submitted_week, b.themes, count(*) as referrals from period_ref b
          group by b.submitted_week, b.themes) as g
          cross join lateral unnest(g.themes) as t (theme)
        group by g.submitted_week, t.theme`
        : sql`select ${table}::text as table_id, m.row_key, m.series_key,
        ${REPEATS.has(table) ? sql`count(distinct m.id)` : sql`count(*)`}::int as count
      from (${membership(table, input)}) as m group by m.row_key, m.series_key`,
    );
  if (rolledUp) parts.push(rolledUp);
  // The counts sort and hash tens of thousands of rows on a large partnership: in memory, not on
  // disk. Each of the statement's parts is small: starting parallel workers for one costs more
  // than it saves (a part measured 55 ms with two workers, 20 ms without), and the workers would
  // take cores from other people's requests.
  await sql`set local work_mem = '64MB'`.execute(trx);
  await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
  const { rows } = await sql<{
    table_id: OversightTableId;
    row_key: string;
    series_key: string;
    count: number;
  }>`with ${baseReferrals(input)} ${sql.join(parts, sql` union all `)}`.execute(trx);
  const counts = new Map<OversightTableId, Map<string, number>>();
  for (const row of rows) {
    const cells = counts.get(row.table_id) ?? new Map<string, number>();
    cells.set(cellKey(row.row_key, row.series_key), row.count);
    counts.set(row.table_id, cells);
  }
  return counts;
}

const cellKey = (row: string, series: string) => `${row}\u0000${series}`;

const SHORT_DATE = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  day: "numeric",
  month: "short",
  year: "numeric",
});
const MONTH = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  month: "long",
  year: "numeric",
});
const LONG_DATE = new Intl.DateTimeFormat("en-GB", {
  timeZone: "UTC",
  day: "numeric",
  month: "long",
  year: "numeric",
});
const dateOf = (iso: string) => new Date(`${iso}T00:00:00Z`);

interface Names {
  agencies: { id: string; name: string; isActive: boolean }[];
  practitioners: { id: string; name: string }[];
}

const WITHIN_PAST = [
  { key: "within-target", label: "Within the target" },
  { key: "past-target", label: "Past the target" },
];
const COUNT = [{ key: "referrals", label: "Referrals" }];

/** Rows and series of one table, with their labels, before the counts are put in. */
type Labelled = readonly { key: string; label: string }[];
const labelledPeriods = new Map<string, { weeks: Labelled; months: Labelled }>();

/**
 * The weeks and months of a period, labelled: the same for every table of every dashboard over
 * that period, so made once (a year is 53 weeks, each a date to work out and format) and kept
 * for the few periods in use.
 */
function periodLabels(from: string, to: string): { weeks: Labelled; months: Labelled } {
  const key = `${from}/${to}`;
  let labels = labelledPeriods.get(key);
  if (!labels) {
    labels = {
      weeks: weeksOf(from, to).map((week) => ({
        key: week,
        label: SHORT_DATE.format(dateOf(week)),
      })),
      months: monthsOf(from, to).map((month) => ({
        key: month,
        label: MONTH.format(dateOf(month)),
      })),
    };
    if (labelledPeriods.size >= 32)
      labelledPeriods.delete(labelledPeriods.keys().next().value ?? "");
    labelledPeriods.set(key, labels);
  }
  return labels;
}

function layout(
  table: OversightTableId,
  filters: OversightFilters,
  names: Names,
  counted: Map<string, number>,
): Pick<OversightTable, "series" | "rows" | "description"> & {
  rowKeys: { key: string; label: string }[];
} {
  // Every key the counts name is shown, even one the lists below do not (an agency deactivated
  // since, say), so no count is ever dropped.
  const countedKeys = [...counted.keys()].map((key) => key.split("\u0000") as [string, string]);
  const withCounted = (
    listed: readonly { key: string; label: string }[],
    side: 0 | 1,
    label: (key: string) => string,
  ) => {
    const known = new Set(listed.map((entry) => entry.key));
    const extra = [...new Set(countedKeys.map((pair) => pair[side]))]
      .filter((key) => !known.has(key))
      .map((key) => ({ key, label: label(key) }));
    return [...listed, ...extra];
  };
  const agencyName = (id: string) =>
    names.agencies.find((agency) => agency.id === id)?.name ?? "An agency no longer listed";
  const activeAgencies = names.agencies
    .filter((agency) => agency.isActive)
    .map((agency) => ({ key: agency.id, label: agency.name }));
  const period = `${LONG_DATE.format(dateOf(filters.from))} to ${LONG_DATE.format(dateOf(filters.to))}`;
  const bands = Object.entries(DURATION_BANDS).map(([key, label]) => ({ key, label }));
  const { weeks, months } = periodLabels(filters.from, filters.to);
  const unknown = (key: string) => key;
  const finish = (
    rows: readonly { key: string; label: string }[],
    series: readonly { key: string; label: string }[],
    description: string,
  ) => ({
    rowKeys: withCounted(rows, 0, unknown),
    rows: [],
    series: withCounted(series, 1, unknown),
    description,
  });

  switch (table) {
    case "open-by-status":
      return finish(
        OPEN_STATES.map((state) => ({ key: state, label: REFERRAL_STATE_LABELS[state] })),
        COUNT,
        "Referrals open now, by where they are in their lifecycle.",
      );
    case "open-by-rag":
      return finish(
        [
          ...RAG_CODES.map((rag) => ({ key: rag, label: RAG_RATINGS[rag] })),
          { key: "unrated", label: "Not yet rated" },
        ],
        COUNT,
        "Referrals open now, by the RAG rating given at screening.",
      );
    case "open-by-agency":
      return {
        ...finish(activeAgencies, COUNT, ""),
        rowKeys: withCounted(activeAgencies, 0, agencyName),
        description:
          "Referrals open now that each agency is involved in, as referrer or as a receiving agency that has not declined. A referral involving several agencies counts once for each.",
      };
    case "open-by-practitioner": {
      const rows = [
        ...names.practitioners.map((person) => ({ key: person.id, label: person.name })),
        { key: "not-yet-accepted", label: "Not yet accepted by the agency" },
      ];
      return {
        ...finish(rows, COUNT, ""),
        rowKeys: withCounted(rows, 0, () => "A practitioner no longer in the agency"),
        description:
          "Referrals open now that the agency has accepted, by the practitioner allocated, and those still waiting for the agency to accept.",
      };
    }
    case "waiting-for-screening":
      return finish(
        bands,
        COUNT,
        "Referrals submitted and not yet screened, by how long ago they were submitted.",
      );
    case "response-targets-now":
      return finish(
        [
          { key: "screening", label: "Screening by the partnership hub" },
          { key: "acceptance", label: "Acceptance by a receiving agency" },
        ],
        WITHIN_PAST,
        "Referrals waiting now to be screened, and referrals waiting for a receiving agency to accept or decline them, within and past their response target.",
      );
    case "overdue-actions":
      return {
        ...finish(activeAgencies, COUNT, ""),
        rowKeys: withCounted(activeAgencies, 0, agencyName),
        description:
          "Referrals with at least one open action past its due date, by the agency the action is for.",
      };
    case "referrals-by-source":
      return {
        ...finish(weeks, [], ""),
        series: withCounted(activeAgencies, 1, agencyName),
        description: `Referrals submitted each week from ${period}, by the agency that made them.`,
      };
    case "referrals-by-theme":
      return finish(
        weeks,
        THEME_CODES.map((theme: Theme) => ({ key: theme, label: THEMES[theme] })),
        `Referrals submitted each week from ${period}, by Strategy theme. A referral with several themes counts once for each.`,
      );
    case "time-to-response":
      return finish(
        bands,
        [
          { key: "screening", label: "To screening" },
          { key: "acceptance", label: "To acceptance" },
          { key: "first-contact", label: "To first contact" },
        ],
        `For referrals submitted from ${period}: how long after submission they were screened, first accepted by a receiving agency, and first had a contact with the young person recorded. Response targets: red 4 hours, amber 1 working day and green 3 working days by default, from submission to screening and from routing to acceptance.`,
      );
    case "targets-met":
      return finish(
        [
          { key: "screening", label: "Screening" },
          { key: "acceptance", label: "Acceptance or decline" },
        ],
        WITHIN_PAST,
        `For referrals submitted from ${period}: screenings done within and past the screening target, and receiving agencies' answers given within and past the acceptance target.`,
      );
    case "outcomes":
      return finish(
        OUTCOME_CODES.map((outcome: Outcome) => ({ key: outcome, label: OUTCOMES[outcome] })),
        COUNT,
        `Referrals closed from ${period}, by their outcome.`,
      );
    case "not-shared-and-withdrawn":
      return finish(
        months,
        [
          { key: "not-share", label: "Decisions not to share" },
          { key: "consent-withdrawn", label: "Consent withdrawn" },
        ],
        `Referrals with a decision not to share, and referrals whose young person or parent withdrew consent, each month from ${period}.`,
      );
  }
}

function buildTable(
  table: OversightTableId,
  filters: OversightFilters,
  names: Names,
  counted: Map<string, number>,
): OversightTable {
  const { rowKeys, series, description } = layout(table, filters, names, counted);
  const definition = OVERSIGHT_TABLES[table];
  return {
    id: table,
    title: definition.title,
    description,
    categoryLabel: definition.categoryLabel,
    chart: definition.chart,
    series,
    rows: rowKeys.map((row) => ({
      ...row,
      values: series.map((entry) => counted.get(cellKey(row.key, entry.key)) ?? 0),
    })),
  };
}

/** The policy facts of a dashboard: the partnership's, or one agency's. */
function scopeFacts(ctx: ServiceContext, scope: DashboardScope): Facts {
  return scope.kind === "agency"
    ? { partnershipId: ctx.actor.partnershipId, scopeAgencyId: scope.agencyId }
    : { partnershipId: ctx.actor.partnershipId };
}

/**
 * Check the person may see this dashboard (a refusal is a 404, recorded), and that its agency
 * exists in their partnership. Returns the agencies and practitioners the tables are labelled with.
 */
async function openScope(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  scope: DashboardScope,
  audit: { details: Record<string, unknown>; recordAllowed: boolean },
): Promise<Names & { agencyName: string | null }> {
  const recordType = scope.kind === "agency" ? "agency" : "partnership";
  const recordId = scope.kind === "agency" ? scope.agencyId : ctx.actor.partnershipId;
  await authorize(trx, ctx, "oversight.view", scopeFacts(ctx, scope), {
    refusal: "hide",
    recordAllowed: audit.recordAllowed,
    audit: { recordType, recordId, details: { dashboard: scope.kind, ...audit.details } },
  });
  const agencies = await trx
    .selectFrom("agencies")
    .select(["id", "name", "is_active"])
    .orderBy("name")
    .execute();
  let agencyName: string | null = null;
  let practitioners: Names["practitioners"] = [];
  if (scope.kind === "agency") {
    const agency = agencies.find((candidate) => candidate.id === scope.agencyId);
    if (!agency) throw new RecordNotFound("agency");
    agencyName = agency.name;
    practitioners = (
      await trx
        .selectFrom("users")
        .select(["id", "display_name"])
        .where("agency_id", "=", scope.agencyId)
        .where("is_active", "=", true)
        .where("role", "in", ["practitioner", "agency_lead"])
        .orderBy("display_name")
        .execute()
    ).map((user) => ({ id: user.id, name: user.display_name }));
  }
  return {
    agencyName,
    practitioners,
    agencies: agencies.map((agency) => ({
      id: agency.id,
      name: agency.name,
      isActive: agency.is_active,
    })),
  };
}

function tablesOf(scope: DashboardScope): OversightTableId[] {
  return OVERSIGHT_TABLE_IDS.filter((table) =>
    (OVERSIGHT_TABLES[table].dashboards as readonly string[]).includes(scope.kind),
  );
}

function queryInput(
  ctx: ServiceContext,
  scope: DashboardScope,
  filters: OversightFilters,
): QueryInput {
  return {
    partnershipId: ctx.actor.partnershipId,
    scope,
    filters,
    now: nowOf(ctx),
    today: todayOf(ctx),
  };
}

/**
 * A dashboard: every chart and table for the partnership or one agency, counted from the summary
 * the case tables' own transactions keep current (so never stale). Only a partnership lead, or an agency lead for their own agency, may
 * see one; the view is recorded in the access log with its filters, and a refusal is a 404.
 */
export function loadDashboard(
  ctx: ReadingContext,
  scope: DashboardScope,
  filters: OversightFilters,
): Promise<Dashboard> {
  return inActorReadTransaction(ctx, async (trx) => {
    const names = await openScope(trx, ctx, scope, {
      details: { filters: { ...filters } },
      recordAllowed: true,
    });
    const tables = tablesOf(scope);
    const input = queryInput(ctx, scope, filters);
    const counts = await countCells(trx, tables, input);
    return {
      scope,
      title: names.agencyName ?? ctx.actor.partnershipName,
      filters,
      countedAt: input.now.toISOString(),
      agencies: names.agencies
        .filter((agency) => agency.isActive)
        .map(({ id, name }) => ({ id, name })),
      tables: tables.map((table) =>
        buildTable(table, filters, names, counts.get(table) ?? new Map<string, number>()),
      ),
    };
  });
}

/**
 * A dashboard's first page: its key figures (counted from only the tables they sum) and the list
 * of its tables, each to open on a page of its own. The view is recorded as the whole dashboard's
 * is, with its filters; a refusal is a 404, recorded.
 */
export function loadDashboardSummary(
  ctx: ReadingContext,
  scope: DashboardScope,
  filters: OversightFilters,
): Promise<DashboardSummary> {
  return inActorReadTransaction(ctx, async (trx) => {
    const names = await openScope(trx, ctx, scope, {
      details: { filters: { ...filters } },
      recordAllowed: true,
    });
    const tables = tablesOf(scope);
    const input = queryInput(ctx, scope, filters);
    const summed = tables.filter((table) => KEY_FIGURE_TABLES.includes(table));
    const counts = await countCells(trx, summed, input);
    const none = new Map<string, number>();
    return {
      scope,
      title: names.agencyName ?? ctx.actor.partnershipName,
      filters,
      countedAt: input.now.toISOString(),
      agencies: names.agencies
        .filter((agency) => agency.isActive)
        .map(({ id, name }) => ({ id, name })),
      figures: keyFiguresOf(
        summed.map((table) => buildTable(table, filters, names, counts.get(table) ?? none)),
      ),
      tables: tables.map((table) => ({
        id: table,
        title: OVERSIGHT_TABLES[table].title,
        // What a table counts does not depend on its numbers.
        description: buildTable(table, filters, names, none).description,
        when: OVERSIGHT_TABLES[table].when,
      })),
    };
  });
}

/**
 * One table of a dashboard on a page of its own: its chart, its numbers and its CSV. The view is
 * recorded with its filters and the table; a refusal is a 404, recorded; a table the dashboard
 * does not have is a 404 and records nothing.
 */
export function loadDashboardSection(
  ctx: ReadingContext,
  scope: DashboardScope,
  filters: OversightFilters,
  table: OversightTableId,
  page = 1,
): Promise<DashboardSection> {
  return inActorReadTransaction(ctx, async (trx) => {
    const names = await openScope(trx, ctx, scope, {
      details: { filters: { ...filters }, table, page },
      recordAllowed: true,
    });
    if (!tablesOf(scope).includes(table)) throw new RecordNotFound("oversight table");
    const input = queryInput(ctx, scope, filters);
    const counts = await countCells(trx, [table], input);
    const shown = rowPageOf(
      buildTable(table, filters, names, counts.get(table) ?? new Map<string, number>()),
      page,
    );
    if (!shown) throw new RecordNotFound("oversight table page");
    return {
      scope,
      title: names.agencyName ?? ctx.actor.partnershipName,
      filters,
      countedAt: input.now.toISOString(),
      agencies: names.agencies
        .filter((agency) => agency.isActive)
        .map(({ id, name }) => ({ id, name })),
      tables: [shown.table],
      rowPage: shown.rowPage,
    };
  });
}

/**
 * What a dashboard's filter form needs when its filters cannot be read: its title and the agencies
 * to choose from. The right to the dashboard is checked (a refusal is a 404, recorded); nothing
 * is counted, so nothing else is recorded.
 */
export function dashboardChoices(
  ctx: ReadingContext,
  scope: DashboardScope,
): Promise<{ title: string; agencies: { id: string; name: string }[] }> {
  return inActorReadTransaction(ctx, async (trx) => {
    const names = await openScope(trx, ctx, scope, { details: {}, recordAllowed: false });
    return {
      title: names.agencyName ?? ctx.actor.partnershipName,
      agencies: names.agencies
        .filter((agency) => agency.isActive)
        .map(({ id, name }) => ({ id, name })),
    };
  });
}

/** One table of a dashboard with the partnership's suppression threshold, for its aggregate CSV. */
export function loadDashboardTable(
  ctx: ReadingContext,
  scope: DashboardScope,
  filters: OversightFilters,
  table: OversightTableId,
): Promise<{ table: OversightTable; threshold: number; title: string }> {
  return inActorReadTransaction(ctx, async (trx) => {
    if (!tablesOf(scope).includes(table)) throw new RecordNotFound("oversight table");
    const names = await openScope(trx, ctx, scope, {
      details: { filters: { ...filters }, export: table, identifiable: false },
      recordAllowed: true,
    });
    const counts = await countCells(trx, [table], queryInput(ctx, scope, filters));
    return {
      table: buildTable(table, filters, names, counts.get(table) ?? new Map<string, number>()),
      threshold: await suppressionThreshold(trx),
      title: names.agencyName ?? ctx.actor.partnershipName,
    };
  });
}

async function suppressionThreshold(trx: Transaction<Database>): Promise<number> {
  const row = await trx
    .selectFrom("partnerships")
    .select("oversight_suppression_threshold")
    .executeTakeFirst();
  return row?.oversight_suppression_threshold ?? DEFAULT_SUPPRESSION_THRESHOLD;
}

/** One cell of one table: which referrals its number counts. */
export interface Cell {
  table: OversightTableId;
  row: string;
  series: string;
}

/** A referral behind a number: what a caseload row shows of it, without its due dates. */
export type CellReferral = Pick<
  CaseloadRow,
  | "id"
  | "reference"
  | "youngPersonName"
  | "state"
  | "stateLabel"
  | "rag"
  | "themes"
  | "referrerAgencyName"
  | "submittedAt"
>;

export interface CellList {
  dashboardTitle: string;
  tableTitle: string;
  rowLabel: string;
  seriesLabel: string;
  /** How many referrals the number counts: the dashboard's number. */
  total: number;
  /** Referrals on this page the person may not open, left out of the list. */
  withheld: number;
  page: number;
  pageCount: number;
  rows: CellReferral[];
  mayExport: boolean;
}

interface ListedReferral {
  id: string;
  state: ReferralState;
  rag: RagRating | null;
  themes: Theme[];
  submitted_at: Date | null;
  partnership_id: string;
  referrer_user_id: string;
  referrer_agency_id: string;
  young_person_name: string;
  referrer_agency_name: string;
  agencies: Pick<ReferralAgencyRow, "agency_id" | "status">[];
}

/** The referrals behind one cell, a page at a time (or all of them), newest first. */
async function cellReferrals(
  trx: Transaction<Database>,
  input: QueryInput,
  cell: Cell,
  page: { limit: number; offset: number } | null,
): Promise<{ total: number; rows: ListedReferral[] }> {
  const ids = sql`select distinct m.id from (${membership(cell.table, input)}) as m
    where m.row_key = ${cell.row}::text and m.series_key = ${cell.series}::text`;
  const base = baseReferrals(input);
  const counted = await sql<{ total: number }>`with ${base}
    select count(*)::int as total from (${ids}) as cell`.execute(trx);
  const total = counted.rows[0]?.total ?? 0;
  const paging = page ? sql`limit ${page.limit} offset ${page.offset}` : sql``;
  // The page is chosen from the summary, and only its referrals are read from the case tables.
  const { rows } = await sql<ListedReferral>`with ${base},
    listed as (
      select s.referral_id as id, s.submitted_at from oversight_referrals s
      where s.referral_id in (${ids})
      order by s.submitted_at desc, s.referral_id
      ${paging}
    )
    select r.id, r.state, r.rag, r.themes, r.submitted_at, r.partnership_id, r.referrer_user_id,
      r.referrer_agency_id, yp.given_name || ' ' || yp.family_name as young_person_name,
      (select a.name from agencies a where a.id = r.referrer_agency_id) as referrer_agency_name,
      coalesce((select json_agg(json_build_object('agency_id', ra.agency_id, 'status', ra.status))
        from referral_agencies ra where ra.referral_id = r.id), '[]') as agencies
    from listed l join referrals r on r.id = l.id join young_people yp on yp.id = r.young_person_id
    order by l.submitted_at desc, l.id`.execute(trx);
  return { total, rows };
}

/** Whether the person may open this referral, by the same rules as its page. */
function mayView(
  ctx: ServiceContext,
  row: ListedReferral,
  decisions: Awaited<ReturnType<typeof loadDecisions>>,
): boolean {
  return decide(ctx.actor, "referral.view", {
    partnershipId: row.partnership_id,
    involvedAgencyIds: involvedAgencyIds(row.agencies),
    createdByUserId: row.referrer_user_id,
    state: row.state,
    sharing: sharingFor(ctx, row.referrer_agency_id, decisions.get(row.id) ?? []).state,
    emergencyAccess: false,
  }).allowed;
}

function cellReferral(row: ListedReferral): CellReferral {
  return {
    id: row.id,
    reference: referralReference(row.id),
    youngPersonName: row.young_person_name,
    state: row.state,
    stateLabel: REFERRAL_STATE_LABELS[row.state],
    rag: row.rag,
    themes: row.themes,
    referrerAgencyName: row.referrer_agency_name,
    submittedAt: row.submitted_at ? new Date(row.submitted_at).toISOString() : null,
  };
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function labelsOf(
  table: OversightTableId,
  filters: OversightFilters,
  names: Names,
  cell: Cell,
): { rowLabel: string; seriesLabel: string } {
  // A row or series the table always lists must be one of them. Only an id (an agency or a person
  // no longer listed, whose referrals a count can still hold) may name something beyond the lists.
  const listed = layout(table, filters, names, new Map());
  const isId = (key: string) => UUID_PATTERN.test(key);
  const known = (keys: { key: string }[], key: string) =>
    keys.some((entry) => entry.key === key) || isId(key);
  if (!known(listed.rowKeys, cell.row) || !known(listed.series, cell.series)) {
    throw new RecordNotFound("oversight cell");
  }
  const built = layout(table, filters, names, new Map([[cellKey(cell.row, cell.series), 0]]));
  const rowLabel = built.rowKeys.find((row) => row.key === cell.row)?.label;
  const seriesLabel = built.series.find((series) => series.key === cell.series)?.label;
  if (!rowLabel || !seriesLabel) throw new RecordNotFound("oversight cell");
  return { rowLabel, seriesLabel };
}

/**
 * The list of referrals behind one number on a dashboard, 25 a page. The dashboard's own rules
 * decide who may ask; each referral listed still passes referral.view for this person, and those
 * that do not are left out and counted. The listing is recorded with the referrals it showed.
 */
export function listCellReferrals(
  ctx: ServiceContext,
  scope: DashboardScope,
  filters: OversightFilters,
  cell: Cell,
  page: number,
): Promise<CellList> {
  return inActorTransaction(ctx, async (trx) => {
    if (!tablesOf(scope).includes(cell.table)) throw new RecordNotFound("oversight table");
    const names = await openScope(trx, ctx, scope, { details: {}, recordAllowed: false });
    const labels = labelsOf(cell.table, filters, names, cell);
    const input = queryInput(ctx, scope, filters);
    const first = await cellReferrals(trx, input, cell, { limit: DRILL_PAGE_SIZE, offset: 0 });
    const pageCount = Math.max(1, Math.ceil(first.total / DRILL_PAGE_SIZE));
    const current = Math.min(Math.max(1, page), pageCount);
    const listed =
      current === 1
        ? first
        : await cellReferrals(trx, input, cell, {
            limit: DRILL_PAGE_SIZE,
            offset: (current - 1) * DRILL_PAGE_SIZE,
          });
    const decisions = await loadDecisions(
      trx,
      listed.rows.map((row) => row.id),
    );
    const visible = listed.rows.filter((row) => mayView(ctx, row, decisions));
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "oversight.view",
      outcome: "allowed",
      recordType: "referral",
      details: {
        dashboard: scope.kind,
        ...(scope.kind === "agency" ? { agencyId: scope.agencyId } : {}),
        cell: { ...cell },
        filters: { ...filters },
        total: listed.total,
        shown: visible.map((row) => row.id),
        withheld: listed.rows.length - visible.length,
      },
    });
    return {
      dashboardTitle: names.agencyName ?? ctx.actor.partnershipName,
      tableTitle: OVERSIGHT_TABLES[cell.table].title,
      ...labels,
      total: listed.total,
      withheld: listed.rows.length - visible.length,
      page: current,
      pageCount,
      rows: visible.map(cellReferral),
      mayExport: decide(ctx.actor, "export.identifiable", scopeFacts(ctx, scope)).allowed,
    };
  });
}

/** A purpose for an identifiable export must say something: 10 to 1,000 characters. */
export function purposeProblem(purpose: string): string | null {
  const trimmed = purpose.trim();
  if (trimmed === "") return "Enter why you need this list with names";
  if (trimmed.length < 10) return "Say why you need this list in at least 10 characters";
  if (trimmed.length > 1000) return "Why you need this list must be 1,000 characters or fewer";
  return null;
}

/**
 * Every referral behind one number, with the young people's names, for a CSV: only with the
 * export.identifiable permission (a refusal is explained, 403, and recorded), and only the
 * referrals the person may open. The export is recorded in the access log with its purpose and the
 * referrals exported.
 */
export function exportCellReferrals(
  ctx: ServiceContext,
  scope: DashboardScope,
  filters: OversightFilters,
  cell: Cell,
  purpose: string,
): Promise<{ rows: CellReferral[]; tableTitle: string; rowLabel: string; seriesLabel: string }> {
  return inActorTransaction(ctx, async (trx) => {
    if (!tablesOf(scope).includes(cell.table)) throw new RecordNotFound("oversight table");
    const problem = purposeProblem(purpose);
    if (problem) throw new InvalidInput([{ field: "purpose", message: problem }]);
    const names = await openScope(trx, ctx, scope, { details: {}, recordAllowed: false });
    await authorize(trx, ctx, "export.identifiable", scopeFacts(ctx, scope), {
      refusal: "explain",
      audit: { recordType: "referral", details: { cell: { ...cell }, filters: { ...filters } } },
    });
    const labels = labelsOf(cell.table, filters, names, cell);
    const listed = await cellReferrals(trx, queryInput(ctx, scope, filters), cell, null);
    const decisions = await loadDecisions(
      trx,
      listed.rows.map((row) => row.id),
    );
    const visible = listed.rows.filter((row) => mayView(ctx, row, decisions));
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "export.identifiable",
      outcome: "allowed",
      recordType: "referral",
      reason: purpose.trim(),
      details: {
        dashboard: scope.kind,
        ...(scope.kind === "agency" ? { agencyId: scope.agencyId } : {}),
        cell: { ...cell },
        filters: { ...filters },
        exported: visible.map((row) => row.id),
        withheld: listed.rows.length - visible.length,
      },
    });
    return {
      rows: visible.map(cellReferral),
      tableTitle: OVERSIGHT_TABLES[cell.table].title,
      ...labels,
    };
  });
}

/** The partnership's suppression threshold, for its administrator's settings page. */
export function getSuppressionThreshold(ctx: ServiceContext): Promise<number> {
  return inActorTransaction(ctx, async (trx) => {
    await authorize(
      trx,
      ctx,
      "partnership.configure",
      { partnershipId: ctx.actor.partnershipId },
      { refusal: "explain" },
    );
    return suppressionThreshold(trx);
  });
}

/**
 * Set the smallest count aggregate exports show (2 to 100); smaller counts are suppressed. The
 * access log keeps the value before and after.
 */
export function setSuppressionThreshold(ctx: ServiceContext, threshold: number): Promise<void> {
  return setPartnershipNumber(
    ctx,
    "oversight_suppression_threshold",
    "suppressionThreshold",
    threshold,
  );
}
