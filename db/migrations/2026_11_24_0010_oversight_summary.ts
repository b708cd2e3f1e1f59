import { sql, type Kysely } from "kysely";

/**
 * The oversight dashboards' summary (decision 012): one narrow row per submitted referral, and one
 * per agency involved in it, holding what the dashboards group, filter and time by, so a dashboard
 * on a large partnership reads a few narrow rows instead of joining the case tables.
 *
 * Kept current by statement-level triggers on referrals, referral_agencies and case_notes, in the
 * transaction that changes them: every writer (services, seed, migrations, the owner by hand)
 * passes through them, and each refresh recomputes the touched referrals' rows from the case
 * tables, so the summary is never stale and cannot drift. The application may only read it; the
 * triggers write it as the owner, still under the forced row-level security of the partnership
 * the transaction is in. Nothing here depends on the time it is read: "overdue now" is worked out
 * when a dashboard counts, from the due times stored here. Frozen once landed.
 */
const tenant = (table: string) => [
  `alter table ${table} enable row level security`,
  `alter table ${table} force row level security`,
  `create policy ${table}_tenant on ${table}
     using (partnership_id = app_partnership_id()) with check (partnership_id = app_partnership_id())`,
];

// Written out, not imported, so this migration stays frozen when the vocabularies grow.
const CONTACT_KINDS = `('contact_in_person', 'contact_phone', 'contact_message')`;
const NOT_COUNTED = `('draft', 'discarded')`;
const OPEN = `('submitted', 'screened', 'allocated', 'active', 'panel')`;

/**
 * The band of a time taken (from submission to screening, to an acceptance, to a first contact),
 * as the time-to-response charts group it. It depends only on two stored times, so it is stored
 * too, and a dashboard groups by it instead of working it out for every row it reads.
 */
const band = (duration: string) => `case
    when ${duration} is null then null
    when ${duration} < interval '4 hours' then 'under-4-hours'
    when ${duration} < interval '1 day' then '4-to-24-hours'
    when ${duration} < interval '3 days' then '1-to-3-days'
    when ${duration} < interval '7 days' then '3-to-7-days'
    when ${duration} < interval '28 days' then '7-to-28-days'
    else 'over-28-days' end`;

const statements = [
  `create table oversight_referrals (
     partnership_id uuid not null,
     referral_id uuid primary key,
     state text not null,
     rag text,
     themes text[] not null,
     referrer_agency_id uuid not null,
     -- The referrer's agency and every receiving agency that has not declined, in id order.
     involved_agency_ids uuid[] not null,
     submitted_at timestamptz not null,
     -- The Monday of the UK week it was submitted in, as the weekly charts label it (YYYY-MM-DD).
     submitted_week text not null,
     screening_due_at timestamptz not null,
     screened_at timestamptz,
     closed_at timestamptz,
     outcome text,
     -- The first acceptance by any receiving agency, and the first contact note by any agency.
     first_accepted_at timestamptz,
     first_contact_at timestamptz,
     -- Whether some receiving agency answered (accepted or declined) by its response target, and
     -- whether some answered after it: both can be true of one referral.
     acceptance_within_target boolean not null,
     acceptance_past_target boolean not null,
     -- The bands of the time from submission to screening, to the first acceptance and to the first
     -- contact (null until it has happened).
     screening_band text,
     acceptance_band text,
     first_contact_band text,
     unique (partnership_id, referral_id),
     foreign key (partnership_id, referral_id) references referrals (partnership_id, id)
       on delete cascade
   )`,
  // The dashboards read a period's referrals by time of submission, the closed ones by time of
  // closure and the open ones by state: each index holds every column its tables read and filter
  // by, so each is one contiguous index-only scan of a vacuumed table, not a read of rows
  // scattered over the table.
  `create index oversight_referrals_submitted_idx on oversight_referrals (partnership_id, submitted_at)
     include (referral_id, state, rag, themes, referrer_agency_id, involved_agency_ids, submitted_week,
       screening_due_at, screened_at, first_accepted_at, first_contact_at, acceptance_within_target,
       acceptance_past_target, screening_band, acceptance_band, first_contact_band)`,
  `create index oversight_referrals_closed_idx on oversight_referrals (partnership_id, closed_at)
     include (referral_id, state, outcome, rag, themes, involved_agency_ids)
     where closed_at is not null`,
  `create index oversight_referrals_open_idx on oversight_referrals (partnership_id, state)
     include (referral_id, rag, themes, involved_agency_ids, submitted_at, screening_due_at)
     where state in ${OPEN}`,
  ...tenant("oversight_referrals"),

  `create table oversight_involvements (
     partnership_id uuid not null,
     referral_id uuid not null,
     agency_id uuid not null,
     status text,
     allocated_user_id uuid,
     response_due_at timestamptz,
     responded_at timestamptz,
     -- This agency's first contact note on the referral.
     first_contact_at timestamptz,
     -- The bands of the time from the referral's submission to this agency's answer and to its
     -- first contact (null until it has happened).
     responded_band text,
     first_contact_band text,
     primary key (referral_id, agency_id),
     foreign key (partnership_id, referral_id) references oversight_referrals (partnership_id, referral_id)
       on delete cascade
   )`,
  // An agency's dashboard reads that agency's involvements: one index-only scan, not a read of
  // every agency's.
  `create index oversight_involvements_agency_idx on oversight_involvements (partnership_id, agency_id)
     include (referral_id, status, allocated_user_id, response_due_at, responded_at, first_contact_at,
       responded_band, first_contact_band)`,
  `create index oversight_involvements_awaiting_idx on oversight_involvements (partnership_id, agency_id)
     where status = 'awaiting'`,
  ...tenant("oversight_involvements"),
  // Overdue actions are few among many: read them by due date, not every open action's referral.
  `create index case_actions_overdue_idx on case_actions (partnership_id, due_on)
     include (referral_id, assigned_agency_id) where status = 'open'`,

  `grant select on oversight_referrals, oversight_involvements to crosswalk_app`,

  // Recompute the summary rows of these referrals from the case tables. Rows that do not change
  // are not rewritten. Called by the triggers below as the owner; nobody else may call it.
  `create function oversight_summary_refresh(ids uuid[]) returns void
     language plpgsql
     set search_path = public, pg_temp
     as $$
     begin
       -- A referral no longer counted (back to a draft, discarded, or gone) leaves the summary,
       -- its involvements with it.
       delete from oversight_referrals s
       where s.referral_id in (select unnest(ids))
         and not exists (select 1 from referrals r
           where r.id = s.referral_id and r.state not in ${NOT_COUNTED});

       insert into oversight_referrals as s (partnership_id, referral_id, state, rag, themes,
         referrer_agency_id, involved_agency_ids, submitted_at, submitted_week, screening_due_at,
         screened_at,
         closed_at, outcome, first_accepted_at, first_contact_at, acceptance_within_target,
         acceptance_past_target, screening_band, acceptance_band, first_contact_band)
       select c.*, ${band("c.screened_at - c.submitted_at")},
         ${band("c.first_accepted_at - c.submitted_at")},
         ${band("c.first_contact_at - c.submitted_at")}
       from (select r.partnership_id, r.id, r.state, r.rag, r.themes, r.referrer_agency_id,
         array(select ra.agency_id from referral_agencies ra
           where ra.referral_id = r.id and ra.status is distinct from 'declined'
           order by ra.agency_id),
         r.submitted_at,
         to_char(date_trunc('week', r.submitted_at at time zone 'Europe/London'), 'YYYY-MM-DD'),
         r.screening_due_at, r.screened_at, r.closed_at, r.outcome,
         (select min(ra.responded_at) from referral_agencies ra
           where ra.referral_id = r.id and ra.status = 'accepted') as first_accepted_at,
         (select min(cn.created_at) from case_notes cn
           where cn.referral_id = r.id and cn.kind in ${CONTACT_KINDS}) as first_contact_at,
         exists (select 1 from referral_agencies ra
           where ra.referral_id = r.id and ra.status in ('accepted', 'declined')
             and ra.responded_at <= ra.response_due_at),
         exists (select 1 from referral_agencies ra
           where ra.referral_id = r.id and ra.status in ('accepted', 'declined')
             and ra.responded_at > ra.response_due_at)
       from referrals r
       where r.id in (select unnest(ids)) and r.state not in ${NOT_COUNTED}
       -- (offset 0 keeps the subqueries above from being evaluated again for each band)
       offset 0) c
       on conflict (referral_id) do update set
         state = excluded.state, rag = excluded.rag, themes = excluded.themes,
         referrer_agency_id = excluded.referrer_agency_id,
         involved_agency_ids = excluded.involved_agency_ids,
         submitted_at = excluded.submitted_at, submitted_week = excluded.submitted_week,
         screening_due_at = excluded.screening_due_at,
         screened_at = excluded.screened_at, closed_at = excluded.closed_at,
         outcome = excluded.outcome, first_accepted_at = excluded.first_accepted_at,
         first_contact_at = excluded.first_contact_at,
         acceptance_within_target = excluded.acceptance_within_target,
         acceptance_past_target = excluded.acceptance_past_target,
         screening_band = excluded.screening_band, acceptance_band = excluded.acceptance_band,
         first_contact_band = excluded.first_contact_band
       where (s.state, s.rag, s.themes, s.referrer_agency_id, s.involved_agency_ids,
           s.submitted_at, s.submitted_week, s.screening_due_at, s.screened_at, s.closed_at, s.outcome,
           s.first_accepted_at, s.first_contact_at, s.acceptance_within_target,
           s.acceptance_past_target, s.screening_band, s.acceptance_band, s.first_contact_band)
         is distinct from (excluded.state, excluded.rag, excluded.themes,
           excluded.referrer_agency_id, excluded.involved_agency_ids, excluded.submitted_at, excluded.submitted_week,
           excluded.screening_due_at, excluded.screened_at, excluded.closed_at, excluded.outcome,
           excluded.first_accepted_at, excluded.first_contact_at,
           excluded.acceptance_within_target, excluded.acceptance_past_target,
           excluded.screening_band, excluded.acceptance_band, excluded.first_contact_band);

       delete from oversight_involvements s
       where s.referral_id in (select unnest(ids))
         and not exists (select 1 from referral_agencies ra
           where ra.referral_id = s.referral_id and ra.agency_id = s.agency_id);

       insert into oversight_involvements as s (partnership_id, referral_id, agency_id, status,
         allocated_user_id, response_due_at, responded_at, first_contact_at, responded_band,
         first_contact_band)
       select c.partnership_id, c.referral_id, c.agency_id, c.status, c.allocated_user_id,
         c.response_due_at, c.responded_at, c.first_contact_at,
         ${band("c.responded_at - c.submitted_at")}, ${band("c.first_contact_at - c.submitted_at")}
       from (select ra.partnership_id, ra.referral_id, ra.agency_id, ra.status, ra.allocated_user_id,
         ra.response_due_at, ra.responded_at, o.submitted_at,
         (select min(cn.created_at) from case_notes cn
           where cn.referral_id = ra.referral_id and cn.agency_id = ra.agency_id
             and cn.kind in ${CONTACT_KINDS}) as first_contact_at
       from referral_agencies ra join oversight_referrals o on o.referral_id = ra.referral_id
       where ra.referral_id in (select unnest(ids))
       offset 0) c
       on conflict (referral_id, agency_id) do update set
         status = excluded.status, allocated_user_id = excluded.allocated_user_id,
         response_due_at = excluded.response_due_at, responded_at = excluded.responded_at,
         first_contact_at = excluded.first_contact_at, responded_band = excluded.responded_band,
         first_contact_band = excluded.first_contact_band
       where (s.status, s.allocated_user_id, s.response_due_at, s.responded_at, s.first_contact_at,
           s.responded_band, s.first_contact_band)
         is distinct from (excluded.status, excluded.allocated_user_id, excluded.response_due_at,
           excluded.responded_at, excluded.first_contact_at, excluded.responded_band,
           excluded.first_contact_band);
     end $$`,
  `revoke all on function oversight_summary_refresh(uuid[]) from public`,

  // A changed referral: the statement already holds the row locks of the referrals it updated or
  // deleted, and no one else can see the ones it inserted.
  `create function oversight_referrals_changed() returns trigger
     language plpgsql security definer
     set search_path = public, pg_temp
     as $$
     begin
       if tg_op = 'INSERT' then
         perform oversight_summary_refresh(array(select id from new_rows));
       elsif tg_op = 'UPDATE' then
         perform oversight_summary_refresh(array(select id from new_rows
           union select id from old_rows));
       else
         perform oversight_summary_refresh(array(select id from old_rows));
       end if;
       return null;
     end $$`,

  // A changed involvement or note: lock its referral first, so two transactions changing one
  // referral at once refresh it one after the other, the second seeing what the first committed
  // (without the lock the second could write a summary computed before the first committed).
  ...(
    [
      ["referral_agencies", "oversight_referral_agencies_changed"],
      ["case_notes", "oversight_case_notes_changed"],
    ] as const
  ).map(
    ([, name]) => `create function ${name}() returns trigger
     language plpgsql security definer
     set search_path = public, pg_temp
     as $$
     declare
       ids uuid[];
     begin
       if tg_op = 'INSERT' then
         ids := array(select distinct referral_id from new_rows);
       elsif tg_op = 'UPDATE' then
         ids := array(select referral_id from new_rows union select referral_id from old_rows);
       else
         ids := array(select distinct referral_id from old_rows);
       end if;
       perform 1 from referrals r where r.id in (select unnest(ids))
         order by r.id for no key update of r;
       perform oversight_summary_refresh(ids);
       return null;
     end $$`,
  ),
  ...(
    [
      ["referrals", "oversight_referrals_changed"],
      ["referral_agencies", "oversight_referral_agencies_changed"],
      ["case_notes", "oversight_case_notes_changed"],
    ] as const
  ).flatMap(([table, fn]) => [
    `revoke all on function ${fn}() from public`,
    `create trigger ${table}_oversight_inserted after insert on ${table}
       referencing new table as new_rows for each statement execute function ${fn}()`,
    `create trigger ${table}_oversight_updated after update on ${table}
       referencing old table as old_rows new table as new_rows
       for each statement execute function ${fn}()`,
    `create trigger ${table}_oversight_deleted after delete on ${table}
       referencing old table as old_rows for each statement execute function ${fn}()`,
  ]),

  // Backfill every partnership's referrals, as the owner past row-level security, only inside this
  // migration's transaction.
  ...[
    "referrals",
    "referral_agencies",
    "case_notes",
    "oversight_referrals",
    "oversight_involvements",
  ].map((table) => `alter table ${table} no force row level security`),
  `select oversight_summary_refresh(array(select id from referrals))`,
  ...[
    "referrals",
    "referral_agencies",
    "case_notes",
    "oversight_referrals",
    "oversight_involvements",
  ].map((table) => `alter table ${table} force row level security`),
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}
