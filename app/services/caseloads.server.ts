import { sql, type SqlBool, type Expression } from "kysely";
import {
  decide,
  REFERRAL_STATE_LABELS,
  type Outcome,
  type RagRating,
  type ReferralState,
  type Theme,
} from "../../policies";
import { record } from "./audit.server";
import { authorize } from "./authorize.server";
import { inActorTransaction, todayOf, type ServiceContext } from "./context.server";
import { referralReference } from "./referral-access.server";
import { loadDecisions, sharingFor } from "./sharing-state.server";

export { CASELOAD_SORTS, CASELOADS, type Caseload, type CaseloadSort } from "./caseload-lists";
import { CASELOADS, type Caseload, type CaseloadSort } from "./caseload-lists";

export interface CaseloadFilters {
  state?: ReferralState;
  rag?: RagRating;
  theme?: Theme;
  /** Only referrals this agency is involved in. */
  agencyId?: string;
  overdue?: boolean;
  sort: CaseloadSort;
  page: number;
}

export interface CaseloadRow {
  id: string;
  reference: string;
  youngPersonName: string;
  state: ReferralState;
  stateLabel: string;
  rag: RagRating | null;
  themes: Theme[];
  referrerAgencyName: string;
  receivingAgencyNames: string[];
  submittedAt: string | null;
  dueAt: string | null;
  overdue: boolean;
  outcome: Outcome | null;
}

export interface CaseloadPage {
  caseload: Caseload;
  rows: CaseloadRow[];
  total: number;
  page: number;
  pageCount: number;
}

export const PAGE_SIZE = 25;

/**
 * What is overdue for this person to act on: for a partnership lead, a referral past its
 * screening or acceptance target or with any action past its due date; for an agency lead, one
 * waiting past its target for their agency's answer or with their agency's action overdue; for a
 * practitioner, a case allocated to them with their agency's action overdue.
 */
function overdueFor(ctx: ServiceContext, today: string): Expression<SqlBool> {
  const { role, agencyId, userId } = ctx.actor;
  const lateAction = (scope: ReturnType<typeof sql>) =>
    sql<SqlBool>`exists (select 1 from case_actions ca where ca.referral_id = r.id
      and ca.status = 'open' and ca.due_on < ${today}::date and ${scope})`;
  if (role === "partnership_lead") {
    return sql<SqlBool>`((r.state = 'submitted' and r.screening_due_at < now())
      or exists (select 1 from referral_agencies ra where ra.referral_id = r.id
        and ra.status = 'awaiting' and ra.response_due_at < now())
      or ${lateAction(sql`true`)})`;
  }
  if (role === "agency_lead") {
    return sql<SqlBool>`(exists (select 1 from referral_agencies ra where ra.referral_id = r.id
        and ra.agency_id = ${agencyId} and ra.status = 'awaiting' and ra.response_due_at < now())
      or ${lateAction(sql`ca.assigned_agency_id = ${agencyId}`)})`;
  }
  return sql<SqlBool>`(exists (select 1 from referral_agencies ra where ra.referral_id = r.id
      and ra.agency_id = ${agencyId} and ra.allocated_user_id = ${userId})
    and ${lateAction(sql`ca.assigned_agency_id = ${agencyId}`)})`;
}

/** The caseloads this person may open, in the order the page shows them as tabs. */
export function caseloadsFor(ctx: ServiceContext): Caseload[] {
  return (Object.keys(CASELOADS) as Caseload[]).filter((caseload) => {
    const { action } = CASELOADS[caseload];
    const facts = { partnershipId: ctx.actor.partnershipId, scopeAgencyId: ctx.actor.agencyId };
    if (caseload === "mine" && ctx.actor.role === "partnership_lead") return false;
    // Only an agency lead answers for their agency; a partnership lead routes, and screens instead.
    if (caseload === "acceptance" && ctx.actor.role !== "agency_lead") return false;
    return decide(ctx.actor, action, facts).allowed;
  });
}

/**
 * The agencies a caseload can be filtered by: the partnership's active agencies, by name. Only for
 * someone who may open that caseload; names of agencies are not case data, so nothing is recorded
 * unless the caseload is refused.
 */
export function agencyFilterChoices(
  ctx: ServiceContext,
  caseload: Caseload,
): Promise<{ id: string; name: string }[]> {
  return inActorTransaction(ctx, async (trx) => {
    await authorize(
      trx,
      ctx,
      CASELOADS[caseload].action,
      { partnershipId: ctx.actor.partnershipId, scopeAgencyId: ctx.actor.agencyId },
      { refusal: "explain" },
    );
    return trx
      .selectFrom("agencies")
      .select(["id", "name"])
      .where("is_active", "=", true)
      .orderBy("name")
      .execute();
  });
}

/**
 * One caseload page: filtered, sorted, 25 rows a page. Every row still passes the referral.view
 * rules for this person; the listing is recorded with the filters and the referrals it showed.
 */
export function listCaseload(
  ctx: ServiceContext,
  caseload: Caseload,
  filters: CaseloadFilters,
): Promise<CaseloadPage> {
  return inActorTransaction(ctx, async (trx) => {
    const { action } = CASELOADS[caseload];
    await authorize(
      trx,
      ctx,
      action,
      { partnershipId: ctx.actor.partnershipId, scopeAgencyId: ctx.actor.agencyId },
      { refusal: "explain" },
    );
    const me = ctx.actor.userId;
    const myAgency = ctx.actor.agencyId;
    const due = sql<Date | null>`case when r.state = 'submitted' then r.screening_due_at else (
      select min(ra.response_due_at) from referral_agencies ra
      where ra.referral_id = r.id and ra.status = 'awaiting') end`;

    let query = trx
      .selectFrom("referrals as r")
      .innerJoin("young_people as yp", "yp.id", "r.young_person_id")
      .where("r.state", "not in", ["draft", "discarded"]);
    const involves = (agencyId: string): Expression<SqlBool> =>
      sql<SqlBool>`exists (select 1 from referral_agencies ra where ra.referral_id = r.id
        and ra.agency_id = ${agencyId} and ra.status is distinct from 'declined')`;
    switch (caseload) {
      case "mine":
        query = query.where(
          sql<SqlBool>`exists (select 1 from referral_agencies ra where ra.referral_id = r.id
            and ra.status = 'accepted' and ra.allocated_user_id = ${me})`,
        );
        break;
      case "referred":
        query = query.where("r.referrer_user_id", "=", me);
        break;
      case "agency":
        query = query.where(involves(myAgency));
        break;
      case "acceptance":
        query = query.where(
          sql<SqlBool>`exists (select 1 from referral_agencies ra where ra.referral_id = r.id
            and ra.agency_id = ${myAgency} and ra.status = 'awaiting')`,
        );
        break;
      case "screening":
        query = query.where("r.state", "=", "submitted");
        break;
      case "overdue":
        query = query.where(overdueFor(ctx, todayOf(ctx)));
        break;
      case "all":
        break;
    }
    if (filters.state) query = query.where("r.state", "=", filters.state);
    if (filters.rag) query = query.where("r.rag", "=", filters.rag);
    if (filters.theme) query = query.where(sql<SqlBool>`${filters.theme} = any(r.themes)`);
    if (filters.agencyId) query = query.where(involves(filters.agencyId));
    if (filters.overdue) query = query.where(sql<SqlBool>`${due} < now()`);

    const ordered = {
      due: sql`${due} asc nulls last, r.submitted_at asc`,
      newest: sql`r.submitted_at desc`,
      oldest: sql`r.submitted_at asc`,
      name: sql`yp.family_name asc, yp.given_name asc`,
    }[filters.sort];
    // The total comes with the page (a window count over every match, before the limit): the
    // row-level checks on each referral, its young person and its involvements then run once,
    // not once to count and again to list.
    const pageOf = (page: number) =>
      query
        .select([
          "r.id",
          "r.state",
          "r.rag",
          "r.themes",
          "r.submitted_at",
          "r.outcome",
          "r.partnership_id",
          "r.referrer_user_id",
          "r.referrer_agency_id",
          sql<string>`yp.given_name || ' ' || yp.family_name`.as("young_person_name"),
          due.as("due_at"),
          sql<string>`(select name from agencies a where a.id = r.referrer_agency_id)`.as(
            "referrer_agency_name",
          ),
          sql<{ agency_id: string; name: string; status: string }[]>`coalesce((
          select json_agg(json_build_object('agency_id', ra.agency_id, 'name', a.name, 'status', ra.status)
            order by a.name)
          from referral_agencies ra join agencies a on a.id = ra.agency_id
          where ra.referral_id = r.id), '[]')`.as("agencies"),
          sql<string>`count(*) over ()`.as("total"),
        ])
        .orderBy(ordered)
        .orderBy("r.id")
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .execute();

    let page = Math.max(1, filters.page);
    let rows = await pageOf(page);
    let total = Number(rows[0]?.total ?? 0);
    if (rows.length === 0 && page > 1) {
      // Past the last page (an old address, cases closed since): count, and show the last page.
      const counted = await query
        .select((eb) => eb.fn.countAll<string>().as("total"))
        .executeTakeFirstOrThrow();
      total = Number(counted.total);
      page = Math.max(1, Math.ceil(total / PAGE_SIZE));
      rows = total > 0 ? await pageOf(page) : [];
    }
    const pageCount = Math.max(1, Math.ceil(total / PAGE_SIZE));

    const now = new Date();
    const decisions = await loadDecisions(
      trx,
      rows.map((row) => row.id),
    );
    const visible = rows.filter((row) => {
      const involved = row.agencies
        .filter((agency) => agency.status !== "declined")
        .map((agency) => agency.agency_id);
      return decide(ctx.actor, "referral.view", {
        partnershipId: row.partnership_id,
        involvedAgencyIds: involved,
        createdByUserId: row.referrer_user_id,
        state: row.state,
        sharing: sharingFor(ctx, row.referrer_agency_id, decisions.get(row.id) ?? []).state,
        emergencyAccess: false,
      }).allowed;
    });
    await record(trx, { actor: ctx.actor }, ctx, {
      action,
      outcome: "allowed",
      recordType: "referral",
      details: {
        caseload,
        filters: { ...filters },
        total,
        shown: visible.map((row) => row.id),
        withheld: rows.length - visible.length,
      },
    });
    return {
      caseload,
      total,
      page,
      pageCount,
      rows: visible.map((row) => ({
        id: row.id,
        reference: referralReference(row.id),
        youngPersonName: row.young_person_name,
        state: row.state,
        stateLabel: REFERRAL_STATE_LABELS[row.state],
        rag: row.rag,
        themes: row.themes,
        referrerAgencyName: row.referrer_agency_name,
        receivingAgencyNames: row.agencies
          .filter((agency) => agency.status !== null && agency.status !== "declined")
          .map((agency) => agency.name),
        submittedAt: row.submitted_at?.toISOString() ?? null,
        dueAt: row.due_at ? new Date(row.due_at).toISOString() : null,
        overdue: row.due_at ? new Date(row.due_at) < now : false,
        outcome: row.outcome,
      })),
    };
  });
}
