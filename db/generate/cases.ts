import type pg from "pg";
import { SLOTS } from "./population";
import { literal, sqlUniforms, sqlUuid } from "./random";
import type { Volume } from "./scales";
import {
  FAMILY_COUNT,
  GIVEN_COUNT,
  STORIES_PER_GROUP,
  fillSql,
  textExtraSql,
  textSql,
} from "./texts";

/**
 * One partnership's case data, written set-based: young people, referrals in the states their age
 * leaves them in (with every transition that led there, response targets and the referrer's
 * decision to share), the agencies involved, notes, actions and emergency accesses. Each choice is
 * a pseudo-random number from md5(seed:tag:row) (db/generate/random.ts), so the same seed gives the
 * same rows. The picking tables come from population.ts and texts.ts.
 *
 * The lifecycle is planned whole for each referral (when it would be screened, routed, answered,
 * worked and closed) and then cut at `until`: an old referral is closed or withdrawn, a recent one
 * is still waiting for screening, for an agency's answer, or being worked. Nothing is dated after
 * `until`. Times are UTC and working hours are approximated as 08:30–17:30 UTC on weekdays.
 */

export interface CasePlan {
  seed: string;
  /** Distinguishes one partnership's rows from another's in the same generation. */
  tag: string;
  partnershipId: string;
  volume: Volume;
  /** The start and end of the history, ISO times. */
  from: string;
  until: string;
  /** Postcode area letters for young people's districts (e.g. EM). */
  postcode: string;
  /** How many partnership leads screen (gen_leads). */
  leads: number;
}

/** A step of the generation, timed for the progress report. */
export type Step = (label: string, work: () => Promise<number | null>) => Promise<void>;

/** Working days after a time (weekdays only; a weekend start counts as Friday). */
function workingDays(at: string, days: string): string {
  return `(${at} + make_interval(days => (${days} + 2 * floor((least(extract(isodow from ${at})::int, 5) - 1 + ${days}) / 5))::int))`;
}

/** A response target by RAG rating from a time: red 4 hours, amber 1 working day, green 3. */
function targetAfter(at: string, rag: string): string {
  return `case ${rag} when 'red' then ${at} + interval '4 hours'
    when 'amber' then ${workingDays(at, "1")} else ${workingDays(at, "3")} end`;
}

/** Hours an agency takes to answer, by rating. */
function answerHours(u: string, rag: string): string {
  return `(case ${rag} when 'red' then 0.5 + 4.5 * ${u} when 'amber' then 2 + 28 * ${u} else 6 + 94 * ${u} end)`;
}

/**
 * What one call does: plan the partnership's cases in session tables (each connection that inserts
 * plans the same, as everything follows from the seed), insert its young people, or insert the
 * cases of referrals `after` < n <= `upTo` with everything that belongs to them. Splitting the
 * referrals lets two connections insert at once, and lets the first few be inserted and analysed
 * before the rest: planned on the statistics of a partnership that did not exist yet, the oversight
 * summary's triggers would read all of its rows once for each referral.
 */
export type CaseStage =
  { kind: "plan" } | { kind: "people" } | { kind: "cases"; after: number; upTo: number };

/** The tables whose statistics the triggers and foreign keys of the case inserts plan with. */
export const CASE_TABLES =
  "young_people, referrals, referral_agencies, referral_transitions, decisions_to_share, case_notes, case_actions, oversight_referrals, oversight_involvements";

const hours = (value: string) => `(${value}) * interval '1 hour'`;
const days = (value: string) => `(${value}) * interval '1 day'`;

export async function generateCases(
  client: pg.ClientBase,
  plan: CasePlan,
  step: Step,
  stage: CaseStage,
): Promise<void> {
  const { seed, tag, partnershipId, volume } = plan;
  const R = volume.referrals;
  const Y = volume.youngPeople;
  const U = `${literal(plan.until)}::timestamptz`;
  const S = `${literal(plan.from)}::timestamptz`;
  const P = `${literal(partnershipId)}::uuid`;
  const hub = `(select id from gen_agency where is_hub)`;
  const run = async (text: string): Promise<number> => (await client.query(text)).rowCount ?? 0;
  const range = (n: string) =>
    stage.kind === "cases" ? `(${n} > ${stage.after} and ${n} <= ${stage.upTo})` : "false";
  const planning = stage.kind === "plan";

  // Every step each referral took up to `until`, in the lifecycle's own terms.
  const person = "y";
  const withRef = `from gen_ref r join gen_yp ${person} on ${person}.k = r.yp_k`;
  const answer = (i: 1 | 2) => {
    const other = i === 1 ? 2 : 1;
    const acc = `r.acc${i}`;
    const at = `r.answer${i}_at`;
    const otherAt = `r.answer${other}_at`;
    const otherAcc = `r.acc${other}`;
    const otherExists = other === 2 ? "r.a2 is not null" : "true";
    const acceptedBefore = `(${otherExists} and ${otherAcc} and ${otherAt} < ${at})`;
    const otherOpen = `(${otherExists} and not (not ${otherAcc} and ${otherAt} < ${at}))`;
    return `select r.n, ${at}, case when ${acc} then 'accept' else 'decline' end,
        case when ${acceptedBefore} then 'active' else 'allocated' end,
        case when ${acc} then 'active' when ${otherOpen}
             then case when ${acceptedBefore} then 'active' else 'allocated' end
             else 'screened' end,
        r.lead${i},
        case when ${acc} then null else ${fillSql(textSql("'decline'", "r.u38"), person)} end,
        case when ${acc} then jsonb_build_object('agencyId', r.a${i}, 'allocatedUserId', r.worker${i})
             else jsonb_build_object('agencyId', r.a${i}) end
      ${withRef} where r.a${i} is not null and r.path = 'route' and ${at} <= ${U}`;
  };
  const workedCloser = `case when r.panel_at <= r.planned_close then r.hub_lead
    when r.acc1 and (not r.acc2 or r.answer1_at <= r.answer2_at) then r.worker1 else r.worker2 end`;
  const referralId = (n: string) => sqlUuid(seed, `${tag}:referral`, n);
  const receiving = (
    i: 1 | 2,
    range: (n: string) => string,
  ) => `select ${P}, ${referralId("r.n")}, r.a${i}, 'receiving',
      case when r.answer${i}_at <= ${U} then case when r.acc${i} then 'accepted' else 'declined' end
           else 'awaiting' end,
      r.routed_at, r.hub_lead, r.response_due_at,
      case when r.answer${i}_at <= ${U} then r.answer${i}_at end,
      case when r.answer${i}_at <= ${U} then r.lead${i} end,
      case when r.answer${i}_at <= ${U} and not r.acc${i}
        then ${fillSql(textSql("'decline'", "r.u38"), person)} end,
      case when r.answer${i}_at <= ${U} and r.acc${i} then r.worker${i} end
    ${withRef} where r.path = 'route' and r.routed_at <= ${U} and r.a${i} is not null
      and ${range("r.n")}`;
  const consentBases = `('consent', 'writtenConsent', 'competentConsent')`;

  if (planning) {
    await run(
      "drop table if exists gen_ref0, gen_ref, gen_yp, gen_trans, gen_note_count, gen_emergency",
    );

    // The choices: who refers from where, about whom, what story, how urgent, and which path.
    await step("plan referrals", () =>
      run(`create temp table gen_ref0 as
      with d as (
        select n, rnd.* from generate_series(1, ${R}) as n
        cross join ${sqlUniforms(seed, `${tag}:referral`, "n", 40)}
      ),
      t as (
        select d.*,
          ${S} + ((sqrt(1 + 1.25 * ((n - 1 + u0) / ${R}::float8)) - 1) / 0.5) * (${U} - ${S}) as raw_at,
          ((n - 1)::bigint * ${Y} + ${R} - 1) / ${R} as earlier_people
        from d
      )
      select t.*,
        least(greatest(case when u1 < 0.75
            then date_trunc('day', raw_at)
              + make_interval(days => case extract(isodow from raw_at)::int when 6 then -1 when 7 then 1 else 0 end)
              + interval '8 hours 30 minutes' + u2 * interval '9 hours'
            else raw_at end, ${S} + interval '1 hour'), ${U} - interval '15 minutes') as submitted_at,
        earlier_people * ${R} < n::bigint * ${Y} as is_first,
        case when earlier_people * ${R} < n::bigint * ${Y} then earlier_people + 1
          else greatest(1, earlier_people - floor(u3 * u3 * least(earlier_people, ${Math.max(1, Math.floor(Y * 0.3))}))::bigint)
        end as yp_k,
        ra.id as referrer_agency, ra.kind as referrer_kind, rr.user_id as referrer,
        st.i as story, st.grp as story_group,
        case when u7 < 0.3 then 'urgent' else 'routine' end as urgency,
        case when u7 < 0.3 then case when u8 < 0.7 then 'red' else 'amber' end
          else case when u8 < 0.45 then 'amber' else 'green' end end as rag,
        hl.user_id as hub_lead,
        case when p1.agency_id <> ra.id then p1.agency_id
             when p1.alt_agency_id <> ra.id then p1.alt_agency_id end as a1,
        case when u14 < 0.25 and p2.agency_id <> ra.id and p2.agency_id <> p1.agency_id
               and p1.agency_id <> ra.id then p2.agency_id end as a2
      from t
      join gen_pick rp on rp.dist = 'referrer' and rp.slot = floor(u4 * ${SLOTS})::int
      join gen_agency ra on ra.id = rp.agency_id
      join gen_referrer rr on rr.agency_id = ra.id and rr.k = 1 + floor(u5 * ra.referrers)::int
      join gen_story st on st.grp = ra.story_group and st.i = floor(u6 * ${STORIES_PER_GROUP})::int
      join gen_leads hl on hl.k = 1 + floor(u33 * ${plan.leads})::int
      join gen_pick p1 on p1.dist = 'receiver' and p1.slot = floor(u15 * ${SLOTS})::int
      join gen_pick p2 on p2.dist = 'receiver' and p2.slot = floor(u16 * ${SLOTS})::int`),
    );

    // The whole planned lifecycle, then where it stands at `until`.
    await step("plan lifecycles", () =>
      run(`create temp table gen_ref as
      with p as (
        select r.*,
          case when u9 < 0.005 then 'draft' when u9 < 0.045 then 'withdraw'
               when u9 < 0.30 or a1 is null then 'close_screen' when u9 < 0.34 then 'panel'
               else 'route' end as path,
          (case rag when 'red' then 0.3 + 3.5 * u11 when 'amber' then 1 + 22 * u11
                    else 2 + 70 * u11 end) * case when u12 < 0.12 then 3 else 1 end as screen_hours,
          case when u23 < 0.03 then 200 + 500 * u24 else 14 + 200 * u24 * u24 end as work_days
        from gen_ref0 r
      ),
      q as (
        select p.*,
          case when path = 'draft' then submitted_at
               else submitted_at - ${hours("0.3 + 1.7 * u32")} end as created_at,
          case when path <> 'draft' then submitted_at + ${hours("screen_hours")} end as screened_at,
          case when u10 < 0.5 then 'submitted' else 'screened' end as withdraw_stage,
          case when path = 'route' then submitted_at + ${hours("screen_hours")} + ${hours("0.2 + 20 * u13")} end as routed_at,
          path = 'route' and not u17 < 0.12 as acc1,
          path = 'route' and a2 is not null and not u18 < 0.12 as acc2
        from p
      ),
      a as (
        select q.*,
          routed_at + ${hours(answerHours("u19", "rag"))} as answer1_at,
          case when a2 is not null then routed_at + ${hours(answerHours("u20", "rag"))} + interval '1 hour' end as answer2_at
        from q
      ),
      w as (
        select a.*,
          least(case when acc1 then answer1_at end, case when acc2 then answer2_at end) as active_at,
          case when path = 'route' and not acc1 and not acc2 then greatest(answer1_at, answer2_at) end as all_declined_at,
          case when path = 'withdraw' then case when withdraw_stage = 'submitted'
              then submitted_at + ${hours("screen_hours * (0.2 + 0.6 * u30)")}
              else screened_at + ${hours("1 + 71 * u30")} end end as withdrawn_at
        from a
      ),
      c as (
        select w.*,
          case when path = 'panel' then screened_at + ${days("1 + 5 * u30")}
               when active_at is not null and u25 < 0.05 then active_at + ${days("0.5 * work_days")} end as panel_at,
          case when active_at is not null and u26 < 0.06 then active_at + ${days("0.3 * work_days")} end as escalated_at,
          case when u27 < 0.5 then 'mace' else 'childrens_social_care' end as escalated_to,
          case path
            when 'close_screen' then screened_at + ${days("0.2 + 4.8 * u30")}
            when 'panel' then screened_at + ${days("1 + 5 * u30")} + ${days("14 + 46 * u31")}
            when 'route' then coalesce(active_at + ${days("work_days")}, all_declined_at + ${days("2 + 5 * u30")})
          end as planned_close,
          case
            when path = 'close_screen' then case when u28 < 0.6 then 'no_further_action' else 'signposted' end
            when path = 'panel' then case when u28 < 0.5 then 'escalated_statutory' else 'support_completed_risk_remains' end
            when path = 'route' and active_at is null then 'signposted'
            when u28 < 0.40 then 'support_completed' when u28 < 0.55 then 'support_completed_risk_remains'
            when u28 < 0.67 then 'disengaged' when u28 < 0.75 then 'declined_support'
            when u28 < 0.83 then 'escalated_statutory' when u28 < 0.88 then 'moved_away'
            when u28 < 0.95 then 'signposted' else 'no_further_action' end as outcome
        from w
      )
      select c.*,
        case when path = 'route' then ${targetAfter("routed_at", "rag")} end as response_due_at,
        ${targetAfter("submitted_at", "case when urgency = 'urgent' then 'red' else 'green' end")} as screening_due_at,
        case
          when path = 'draft' then case when created_at + interval '14 days' > ${U} then 'draft' else 'discarded' end
          when path = 'withdraw' and withdrawn_at <= ${U} then 'withdrawn'
          when screened_at > ${U} then 'submitted'
          when path = 'withdraw' then case when withdraw_stage = 'submitted' then 'submitted' else 'screened' end
          when path = 'close_screen' then case when planned_close <= ${U} then 'closed' else 'screened' end
          when path = 'panel' then case when planned_close <= ${U} then 'closed'
                                        when panel_at <= ${U} then 'panel' else 'screened' end
          when routed_at > ${U} then 'screened'
          when active_at is null then case when planned_close <= ${U} then 'closed'
                                           when all_declined_at <= ${U} then 'screened' else 'allocated' end
          when active_at > ${U} then 'allocated'
          when planned_close <= ${U} then 'closed'
          when panel_at <= ${U} then 'panel'
          else 'active' end as state,
        w1.user_id as worker1, w2.user_id as worker2, g1.lead_user as lead1, g2.lead_user as lead2,
        g1.kind as kind1, g2.kind as kind2
      from c
      left join gen_agency g1 on g1.id = c.a1
      left join gen_agency g2 on g2.id = c.a2
      left join gen_staff w1 on w1.agency_id = c.a1 and w1.k = 1 + floor(u21 * g1.staff)::int
      left join gen_staff w2 on w2.agency_id = c.a2 and w2.k = 1 + floor(u22 * g2.staff)::int`),
    );
    await run("create index on gen_ref (n)");
    await run("create index on gen_ref (yp_k)");
    await run("analyze gen_ref");

    // Each young person is recorded by whoever first referred them, just after starting the draft.
    await step("plan young people", async () => {
      await run(`create temp table gen_yp as
      with f as (
        select r.yp_k as k, r.created_at + interval '2 minutes' as created_at, r.referrer,
          r.referrer_agency, rnd.*
        from gen_ref r cross join ${sqlUniforms(seed, `${tag}:young_person`, "r.yp_k", 20)}
        where r.is_first
      ),
      g as (
        select f.*, g.name as given, g.gender, case when u2 < 0.5 then g.known_as end as known_as,
          fam.name as family,
          case when u4 < 0.08 then 10 + floor(u5 * 3)::int else 13 + floor(u5 * 6)::int end as age,
          '999' || lpad(floor(u14 * 1000000)::bigint::text, 6, '0') as nhs_body
        from f
        join gen_given g on g.i = floor(u0 * ${GIVEN_COUNT})::int
        join gen_family fam on fam.i = floor(u1 * ${FAMILY_COUNT})::int
      )
      select k, ${sqlUuid(seed, `${tag}:young_person`, "k")} as id, given, family, known_as,
        gender, coalesce(known_as, given) as call_name,
        case gender when 'male' then 'his' when 'female' then 'her' else 'their' end as their,
        case gender when 'male' then 'him' when 'female' then 'her' else 'them' end as them,
        (created_at::date - make_interval(years => age) - make_interval(days => floor(u6 * 360)::int))::date
          as date_of_birth,
        created_at, referrer as created_by, referrer_agency as created_by_agency_id,
        ${literal(plan.postcode)} || (1 + floor(u7 * 14)::int)::text as postcode_district,
        case when age <= 16 and u8 < 0.85
          then (select name from gen_school s where s.k = floor(u9 * (select count(*) from gen_school))::int)
        end as school,
        case when u10 < 0.4 and check_digit <> 10
          then nhs_body || (case when check_digit = 11 then 0 else check_digit end)::text end as nhs_number,
        case when age <= 16 and u11 < 0.5
          then 'N' || lpad(floor(u12 * 99999999999)::bigint::text, 11, '0')
            || substr('ABCDEFGHJK', 1 + floor(u13 * 10)::int, 1) end as unique_pupil_number,
        case when u15 < 0.3 then ${literal(plan.postcode)} || '/' || extract(year from created_at)::int
          || '/' || lpad(floor(u16 * 1000000)::int::text, 6, '0') end as police_reference
      from g, lateral (select 11 - (select sum(substr(nhs_body, i, 1)::int * (11 - i))
                                     from generate_series(1, 9) as i)::int % 11 as check_digit) as nhs`);
      await run("create unique index on gen_yp (k)");
      await run("analyze gen_yp");
      return Y;
    });

    await step("plan transitions", () =>
      run(`create temp table gen_trans as
      select u.*, row_number() over (order by u.n, u.at, u.transition, u.details::text) as idx
      from (select r.n, r.submitted_at, 'submit', 'draft', 'submitted', r.referrer, null, '{}'::jsonb
        ${withRef} where r.path <> 'draft'
      union all
      select r.n, r.created_at + interval '14 days', 'discard', 'draft', 'discarded', r.referrer, null, '{}'
        ${withRef} where r.path = 'draft' and r.state = 'discarded'
      union all
      select r.n, r.screened_at, 'screen', 'submitted', 'screened', r.hub_lead,
        ${textSql("'rag:' || r.rag", "r.u37")}, jsonb_build_object('rag', r.rag)
        ${withRef} where r.path <> 'draft' and r.screened_at <= ${U}
          and not (r.path = 'withdraw' and r.withdraw_stage = 'submitted')
      union all
      select r.n, r.withdrawn_at, 'withdraw', r.withdraw_stage, 'withdrawn', r.referrer,
        ${fillSql(textSql("'withdraw'", "r.u39"), person)}, '{}'
        ${withRef} where r.path = 'withdraw' and r.withdrawn_at <= ${U}
      union all
      select r.n, r.panel_at, 'refer_to_panel', case when r.path = 'panel' then 'screened' else 'active' end,
        'panel', r.hub_lead, ${fillSql(textSql("'panel'", "r.u39"), person)}, '{}'
        ${withRef} where r.panel_at <= ${U} and r.panel_at < r.planned_close
      union all
      select r.n, r.routed_at, 'route', 'screened', 'allocated', r.hub_lead, null,
        jsonb_build_object('agencyIds', case when r.a2 is null then jsonb_build_array(r.a1)
                                             else jsonb_build_array(r.a1, r.a2) end)
        ${withRef} where r.path = 'route' and r.routed_at <= ${U}
      union all ${answer(1)}
      union all ${answer(2)}
      union all
      select r.n, r.escalated_at, 'escalate', 'active', 'active',
        case when r.escalated_to = 'mace' then coalesce(r.worker1, r.worker2) else r.hub_lead end,
        ${fillSql(textSql("'escalate:' || r.escalated_to", "r.u39"), person)},
        jsonb_build_object('escalatedTo', r.escalated_to)
        ${withRef} where r.escalated_at <= ${U} and r.escalated_at < r.planned_close
          and (r.panel_at is null or r.escalated_at < r.panel_at)
      union all
      select r.n, r.planned_close, 'close',
        case when r.panel_at < r.planned_close then 'panel'
             when r.active_at is not null then 'active' else 'screened' end,
        'closed',
        case when r.active_at is not null then ${workedCloser} else r.hub_lead end,
        ${fillSql(textSql("'outcome:' || r.outcome", "r.u29"), person)},
        jsonb_build_object('outcome', r.outcome)
        ${withRef} where r.path in ('close_screen', 'panel', 'route') and r.planned_close <= ${U}
      ) as u (n, at, transition, from_state, to_state, actor, rationale, details)`),
    );
    await run("create index on gen_trans (n)");
    await run("analyze gen_trans");

    // Notes: their number shared out over the referrals by how long each was worked (largest
    // remainders, so the total is exact); those screened and closed without work get the hub's
    // screening note now and then.
    await step("plan notes", () =>
      run(`create temp table gen_note_count as
      with w as (
        select n, (case
          when active_at <= ${U} then 1.5 + extract(epoch from
            (greatest(active_at, least(planned_close, ${U})) - active_at)) / 86400 / 9
          when path in ('close_screen', 'panel') and screened_at <= ${U} then 0.4
          else 0 end)::numeric(14, 4) as weight
        from gen_ref),
      c as (
        select n, weight, sum(weight) over (order by n) as upto, sum(weight) over () as total from w)
      select n, c, (sum(c) over (order by n) - c)::int as base
      from (select n, (floor(${volume.notes} * upto / total)
                       - floor(${volume.notes} * (upto - weight) / total))::int as c
            from c where weight > 0) as counted`),
    );
    // Now and then a police officer opens the record of someone on a case the police are not
    // working, under emergency access, and the partnership lead reviews it the next morning.
    await step("plan emergency accesses", () =>
      run(`create temp table gen_emergency as
      select r.n, y.id as young_person_id, s.user_id, s.agency_id, r.hub_lead, y.call_name, y.their, y.them,
        least(r.active_at + interval '2 days' + ${hours("18 + 4 * rnd.u0")}, ${U} - interval '1 hour') as opened_at,
        rnd.u1, rnd.u2
      from gen_ref r join gen_yp y on y.k = r.yp_k
      cross join ${sqlUniforms(seed, `${tag}:emergency`, "r.n", 4)}
      join lateral (select g.id, g.staff from gen_agency g where g.kind = 'police' and g.staff > 0
                    order by g.idx limit 1) as police on true
      join gen_staff s on s.agency_id = police.id and s.k = 1 + floor(rnd.u3 * police.staff)::int
      where r.n % 1000 = 500 and r.active_at <= ${U}
        and police.id is distinct from r.a1 and police.id is distinct from r.a2
        and police.id <> r.referrer_agency`),
    );
    return;
  }

  if (stage.kind === "people") {
    await step("young people", () =>
      run(`insert into young_people (id, partnership_id, given_name, family_name, known_as,
        date_of_birth, gender, postcode_district, school, nhs_number, unique_pupil_number,
        police_reference, created_by, created_by_agency_id, created_at, updated_at)
      select id, ${P}, given, family, known_as, date_of_birth, gender, postcode_district, school,
        nhs_number, unique_pupil_number, police_reference, created_by, created_by_agency_id,
        created_at, created_at
      from gen_yp order by k`),
    );
    // Foreign keys to the new young people are checked row by row: plan them on their real number.
    await run("analyze young_people, users, agencies");

    return;
  }

  await step("referrals", () =>
    run(`insert into referrals (id, partnership_id, state, young_person_id, referrer_user_id,
        referrer_agency_id, destination, destination_agency_id, concern_roles, themes,
        risk_indicators, concern, young_person_knows, family_knows, immediate_danger,
        immediate_action, urgency, rag, rag_rationale, submitted_at, screening_due_at, screened_at,
        screened_by, escalated_to, escalated_at, closed_at, outcome, outcome_summary, created_at,
        updated_at, version)
      select ${sqlUuid(seed, `${tag}:referral`, "r.n")}, ${P}, r.state, y.id, r.referrer,
        r.referrer_agency,
        case when r.path = 'route' and r.u34 < 0.12 then 'agency' else 'hub' end,
        case when r.path = 'route' and r.u34 < 0.12 then r.a1 end,
        st.roles, st.themes, st.indicators, ${fillSql("st.concern", "y")},
        ${fillSql(textSql("'yp_knows'", "r.u36"), "y")}, ${fillSql("st.family", "y")},
        case when r.urgency = 'urgent' and r.u35 < 0.1 then 'yes' else 'no' end,
        case when r.urgency = 'urgent' and r.u35 < 0.1
          then ${fillSql(textSql("'immediate'", "r.u35 * 10"), "y")} end,
        r.urgency,
        case when t.screened_at is not null then r.rag end, t.rag_rationale,
        case when r.path <> 'draft' then r.submitted_at end,
        case when r.path <> 'draft' then r.screening_due_at end,
        t.screened_at, case when t.screened_at is not null then r.hub_lead end,
        case when t.escalated_at is not null then r.escalated_to end, t.escalated_at,
        case when r.state = 'closed' then t.closed_at end,
        case when r.state = 'closed' then r.outcome end,
        case when r.state = 'closed' then t.outcome_summary end,
        r.created_at, coalesce(t.last_at, r.created_at), 1 + coalesce(t.steps, 0)
      from gen_ref r
      join gen_yp y on y.k = r.yp_k
      join gen_story st on st.grp = r.story_group and st.i = r.story
      left join (
        select n, count(*)::int as steps, max(at) as last_at,
          max(at) filter (where transition = 'screen') as screened_at,
          max(rationale) filter (where transition = 'screen') as rag_rationale,
          max(at) filter (where transition = 'escalate') as escalated_at,
          max(at) filter (where transition = 'close') as closed_at,
          max(rationale) filter (where transition = 'close') as outcome_summary
        from gen_trans group by n) t on t.n = r.n
      where ${range("r.n")}
      order by r.n`),
  );

  await step("referral transitions", () =>
    run(`insert into referral_transitions (id, partnership_id, referral_id, transition, from_state,
        to_state, actor_user_id, actor_agency_id, occurred_at, rationale, details)
      select ${sqlUuid(seed, `${tag}:transition`, "t.idx")}, ${P},
        ${sqlUuid(seed, `${tag}:referral`, "t.n")}, t.transition, t.from_state, t.to_state, t.actor,
        u.agency_id, t.at, t.rationale, t.details
      from gen_trans t join users u on u.id = t.actor
      where ${range("t.n")}
      order by t.idx`),
  );
  await step("agencies involved", () =>
    run(`insert into referral_agencies (partnership_id, referral_id, agency_id, involvement, status,
        routed_at, routed_by, response_due_at, responded_at, responded_by, decline_reason,
        allocated_user_id)
      select ${P}, ${referralId("r.n")}, r.referrer_agency, 'referrer', null, null, null, null, null,
        null, null, null ${withRef} where ${range("r.n")}
      union all ${receiving(1, range)}
      union all ${receiving(2, range)}`),
  );

  // The referrer's decision to share, just before submitting: with the agencies it went to (or the
  // hub), on consent where the story's young person agreed, otherwise with the reason it was not
  // sought. Every receiving agency is covered, so those who work the case can read it.
  await step("decisions to share", () =>
    run(`insert into decisions_to_share (id, partnership_id, referral_id, young_person_id, decision,
        decided_by, decided_by_agency_id, decided_at, advice_from, recipient_agency_ids, purposes,
        data_items, article6, article9, gateway, source_kind, consent_relied_on, consent_given_by,
        competence_assessment, consent_scope_agency_ids, consent_scope_purposes, consent_form,
        consent_expires_on, consent_not_sought_reason, young_person_views, rationale)
      with d as (
        select r.n, r.referrer, r.referrer_agency, r.referrer_kind, y.id as young_person_id,
          y.date_of_birth, y.call_name, y.their, y.them, rnd.*,
          case when r.path = 'route' then array_remove(array[r.a1, r.a2], null)
               else array[${hub}] end as recipients,
          r.submitted_at - (8 + 7 * rnd.u0) * interval '1 minute' as decided_at,
          case when st.basis in ${consentBases} and rnd.u1 < 0.15 then 'increaseRisk'
               else st.basis end as basis
        from gen_ref r join gen_yp y on y.k = r.yp_k
        join gen_story st on st.grp = r.story_group and st.i = r.story
        cross join ${sqlUniforms(seed, `${tag}:decision`, "r.n", 4)}
        where r.path <> 'draft' and ${range("r.n")}
      ),
      e as (
        select d.*, d.basis in ${consentBases} as consent,
          extract(year from age(d.decided_at::date, d.date_of_birth))::int as age
        from d
      )
      select ${sqlUuid(seed, `${tag}:decision`, "e.n")}, ${P}, ${referralId("e.n")},
        e.young_person_id, 'share', e.referrer, e.referrer_agency, e.decided_at,
        ${textSql("'advice:' || e.basis", "0")}, e.recipients, array['safeguarding'], '{}',
        'public_task', 'safeguarding',
        case when e.referrer_kind = 'police' and not e.consent then 'crime_and_disorder_act_s115'
             else 'none' end,
        e.referrer_kind, e.consent,
        case when e.consent then case when e.basis = 'consent' and e.age < 16
          then 'parental_responsibility' else 'young_person' end end,
        case when e.basis = 'competentConsent' and e.age < 16
          then ${fillSql(textSql("'competence'", "0"), "e")} end,
        case when e.consent then e.recipients else '{}' end,
        case when e.consent then array['safeguarding'] else '{}' end,
        case when e.consent then case when e.basis = 'writtenConsent' then 'written' else 'verbal' end end,
        case when e.basis = 'writtenConsent' then (e.decided_at + interval '182 days')::date end,
        case when not e.consent then ${textSql("'not_sought:' || e.basis", "0")} end,
        ${fillSql(textSql("'views:' || e.basis", "0"), "e")},
        ${fillSql(textSql("'share:' || e.basis", "e.u2"), "e")}
      from e order by e.n`),
  );

  await step("case notes", () =>
    run(`insert into case_notes (id, partnership_id, referral_id, agency_id, author_user_id, kind,
        visibility, occurred_on, body, created_at, updated_at, version)
      with k as (
        select r.n, r.yp_k, r.active_at, r.screened_at, r.planned_close, r.hub_lead, nc.c, nc.base,
          k, rnd.*,
          coalesce(r.active_at <= ${U}, false) as worked,
          case when r.acc1 and (not r.acc2 or r.answer1_at <= r.answer2_at) then r.worker1
               else r.worker2 end as first_worker,
          case when r.acc1 and r.acc2 then case when r.answer1_at <= r.answer2_at
               then r.worker2 else r.worker1 end end as second_worker,
          case when r.acc1 and r.acc2 then greatest(r.answer1_at, r.answer2_at) end as second_from
        from gen_note_count nc join gen_ref r on r.n = nc.n and ${range("nc.n")}
        cross join generate_series(1, nc.c) as k
        cross join ${sqlUniforms(seed, `${tag}:note`, "r.n::bigint * 4096 + k", 8)}
      ),
      t as (
        select k.*, case when worked
          then active_at + ((k - 1 + u0) / c) * (greatest(active_at, least(planned_close, ${U} - interval '2 hours')) - active_at)
          else screened_at + u0 * (greatest(screened_at, least(coalesce(planned_close, ${U}), ${U} - interval '1 hour')) - screened_at)
          end as at
        from k
      ),
      a as (
        select t.*,
          case when not worked or u1 < 0.08 then hub_lead
               when second_worker is not null and at >= second_from and k % 2 = 0 then second_worker
               else first_worker end as author,
          case when not worked then 'screening' when u1 < 0.08 then 'hub'
               when k > 1 and u2 < 0.10 then 'agency_only' when k = 1 then 'first'
               else 'later' end as style,
          least(at + ${hours("0.5 + 5.5 * u5")}, ${U}) as created_at
        from t
      )
      select ${sqlUuid(seed, `${tag}:note`, "a.base + a.k")}, ${P}, ${referralId("a.n")},
        au.agency_id, a.author,
        case a.style when 'first' then ${textExtraSql("'first_note'", "a.u3")}
          when 'later' then ${textExtraSql("'later_note'", "a.u3")} else 'case_note' end,
        case a.style when 'agency_only' then 'agency_only' else 'shared' end,
        a.at::date,
        ${fillSql(
          `case a.style
            when 'screening' then ${textSql("'screening_note'", "0")}
            when 'hub' then ${textSql("'hub_note'", "0")}
            when 'agency_only' then ${textSql("'agency_only:' || case when ag.kind = 'police' then 'police' else 'advocacy' end", "0")}
            when 'first' then ${textSql("'first_note'", "a.u3")}
            else ${textSql("'later_note'", "a.u3")} end
          || ' ' || ${textSql("'follow_up'", "a.u4")}`,
          "y",
        )},
        a.created_at,
        case when a.u6 < 0.01 then least(a.created_at + ${hours("(20 + 40 * a.u7) / 60")}, ${U})
             else a.created_at end,
        case when a.u6 < 0.01 then 2 else 1 end
      from a join users au on au.id = a.author join agencies ag on ag.id = au.agency_id
      join gen_yp y on y.k = a.yp_k
      order by a.n, a.k`),
  );
  // A corrected note keeps the version it replaced: recorded a day early, put right the same day.
  await step("note corrections", () =>
    run(`insert into case_note_revisions (partnership_id, note_id, version, kind, visibility,
        occurred_on, body, reason, revised_by, revised_at)
      select partnership_id, id, 1, kind, visibility, occurred_on - 1, body,
        'Recorded on the wrong date: the contact was the day after.', author_user_id, updated_at
      from case_notes n where partnership_id = ${P} and version = 2
        and not exists (select 1 from case_note_revisions v where v.note_id = n.id)
        and n.referral_id in (select ${referralId("g.n")} from gen_ref g where ${range("g.n")})`),
  );

  // Actions agreed on worked cases: done or cancelled by the time a case closes, and otherwise
  // done, cancelled or still open by their due dates.
  await step("case actions", () =>
    run(`insert into case_actions (id, partnership_id, referral_id, description, assigned_agency_id,
        due_on, status, created_by, created_at, updated_at, completed_at, version)
      with r as (
        select g.*, floor(c.u0 * 4)::int as actions,
          greatest(g.active_at, least(g.planned_close, ${U} - interval '1 hour')) as end_at,
          g.state = 'closed' as closed,
          array_remove(array[g.referrer_agency,
            case when g.acc1 and g.answer1_at <= ${U} then g.a1 end,
            case when g.acc2 and g.answer2_at <= ${U} then g.a2 end], null) as team,
          case when g.acc1 and (not g.acc2 or g.answer1_at <= g.answer2_at) then g.worker1
               else g.worker2 end as first_worker
        from gen_ref g cross join ${sqlUniforms(seed, `${tag}:actions`, "g.n", 1, "c")}
        where g.active_at <= ${U} and ${range("g.n")}
      ),
      a as (
        select r.n, r.yp_k, r.closed, r.planned_close, r.first_worker, k, rnd.*,
          r.team[1 + floor(rnd.u0 * cardinality(r.team))::int] as agency,
          r.active_at + (0.05 + 0.55 * rnd.u2) * (r.end_at - r.active_at) as created_at
        from r cross join generate_series(1, r.actions) as k
        cross join ${sqlUniforms(seed, `${tag}:action`, "r.n::bigint * 4 + k", 8)}
      ),
      b as (
        select a.*, a.created_at + make_interval(days => 5 + floor(a.u3 * 17)::int) as due_at from a
      ),
      s as (
        select b.*,
          case
            when closed then case when due_at < planned_close then 'done' else 'cancelled' end
            when u5 < 0.1 and created_at + ${hours("24 + 48 * u6")} <= ${U} then 'cancelled'
            when (due_at < ${U} and u4 < 0.5) or (due_at >= ${U} and u4 < 0.3) then 'done'
            else 'open' end as status
        from b
      ),
      f as (
        select s.*,
          case status
            when 'done' then least(created_at + (0.3 + 0.7 * u6) * (due_at - created_at),
                                   coalesce(case when closed then planned_close end, ${U}))
            when 'cancelled' then case when closed then planned_close
                                       else created_at + ${hours("24 + 48 * u6")} end
          end as finished_at
        from s
      )
      select ${sqlUuid(seed, `${tag}:action`, "f.n * 4 + f.k")}, ${P}, ${referralId("f.n")},
        ${fillSql(textSql("'action:' || case ag.kind when 'school' then 'school' when 'police' then 'police' when 'health' then 'hospital' else 'advocacy' end", "f.u1"), "y")},
        f.agency, f.due_at::date, f.status, f.first_worker, f.created_at,
        coalesce(f.finished_at, f.created_at),
        case when f.status = 'done' then f.finished_at end,
        case when f.status = 'open' then 1 else 2 end
      from f join gen_agency ag on ag.id = f.agency join gen_yp y on y.k = f.yp_k
      order by f.n, f.k`),
  );
  await step("action updates", () =>
    run(`insert into case_action_updates (partnership_id, action_id, from_status, to_status, note,
        updated_by, updated_at)
      select a.partnership_id, a.id, 'open', a.status,
        case when a.status = 'done' then ${fillSql(textSql("'done'", "((hashtext(a.id::text) & 65535)::float8 / 65536)"), "y")}
             when a.updated_at = r.closed_at then 'The case closed before this was due.'
             else ${textSql("'cancel'", "((hashtext(a.id::text) & 65535)::float8 / 65536)")} end,
        a.created_by, a.updated_at
      from case_actions a join referrals r on r.id = a.referral_id
      join (select id, coalesce(known_as, given_name) as call_name,
              case gender when 'male' then 'his' when 'female' then 'her' else 'their' end as their,
              case gender when 'male' then 'him' when 'female' then 'her' else 'them' end as them
            from young_people where partnership_id = ${P}) y on y.id = r.young_person_id
      where a.partnership_id = ${P} and a.status <> 'open'
        and not exists (select 1 from case_action_updates u where u.action_id = a.id)
        and a.referral_id in (select ${referralId("g.n")} from gen_ref g where ${range("g.n")})`),
  );

  await step("emergency accesses", () =>
    run(`insert into emergency_accesses (id, partnership_id, young_person_id, user_id, agency_id, reason,
        reason_detail, opened_at, expires_at, review_outcome, reviewed_by, reviewed_at, review_note)
      select ${sqlUuid(seed, `${tag}:emergency`, "e.n")}, ${P}, e.young_person_id, e.user_id,
        e.agency_id, case when e.u1 < 0.5 then 'missing_child' else 'imminent_harm' end,
        ${fillSql(textSql("'emergency'", "e.u1"), "e")}, e.opened_at, e.opened_at + interval '4 hours',
        case when e.opened_at + interval '12 hours' <= ${U} then 'appropriate' end,
        case when e.opened_at + interval '12 hours' <= ${U} then e.hub_lead end,
        case when e.opened_at + interval '12 hours' <= ${U} then e.opened_at + interval '12 hours' end,
        case when e.opened_at + interval '12 hours' <= ${U}
          then ${textSql("'emergency_review'", "e.u2")} end
      from gen_emergency e where ${range("e.n")} order by e.n`),
  );
}
