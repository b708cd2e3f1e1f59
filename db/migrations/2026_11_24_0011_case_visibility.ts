import { sql, type Kysely } from "kysely";

/**
 * The second lock: row-level security that lets the application's role read a row of case content
 * only where the rules of policies/ let the acting person view it (policies/visibility.ts states
 * the same rules in TypeScript, and a differential test holds the two equal).
 *
 * The acting person is derived in the database from `app.user_id` alone: their agency and role
 * come from the users table, and only an active user of the transaction's partnership counts. A
 * connection that sets only the tenant therefore reads no case row at all.
 *
 * The restrictive policies apply to `crosswalk_app` only and only to reading; they are ANDed with
 * the tenant policies. Because PostgreSQL applies SELECT policies to the rows an UPDATE's WHERE or
 * an INSERT's RETURNING reads, the application can only change what it can see.
 *
 * What the policies must read beyond the actor's reach (the decisions to share, other agencies'
 * involvement, emergency accesses) they read through SECURITY DEFINER functions with a fixed
 * search_path, which run as the owner and so still under the owner's tenant policies.
 *
 * Three kinds of reading are not case content and get narrow, definer-owned ways in: the facts a
 * refusal is decided and recorded on (which agencies are involved, not what the case says), the
 * duplicate check's "search and signpost" (whether a young person is known, and to which
 * agencies), and the auditor's names and involvement history for the access log. Each returns
 * the columns its purpose needs and nothing else.
 *
 * Frozen once landed: later changes are new migrations.
 */
const definer = "language plpgsql stable security definer set search_path = pg_catalog, public";
const definerSql = "language sql stable security definer set search_path = pg_catalog, public";

const statements = [
  `create function app_user_id() returns uuid
     language sql stable parallel safe
     as $$ select nullif(current_setting('app.user_id', true), '')::uuid $$`,

  // The acting person's agency and role, from the users table: never from a setting the
  // application could pass. A deactivated user, or one of another partnership, is nobody.
  `create function app_actor_agency_id() returns uuid ${definerSql} as $$
     select u.agency_id from public.users u
     where u.id = public.app_user_id() and u.partnership_id = public.app_partnership_id()
       and u.is_active $$`,
  `create function app_actor_role() returns text ${definerSql} as $$
     select u.role from public.users u
     where u.id = public.app_user_id() and u.partnership_id = public.app_partnership_id()
       and u.is_active $$`,

  // Where an agency stands under a referral's current decisions to share: policies'
  // agencySharing, line for line (the referrer's agency always reads what it referred).
  `create function app_agency_sharing(p_referral uuid, p_referrer_agency uuid, p_agency uuid,
       out state text, out data_items text[], out withdrawn_at timestamptz) ${definer} as $$
   begin
     if p_agency is null then
       state := 'not_covered';
       return;
     end if;
     if p_agency = p_referrer_agency then
       state := 'covered';
       return;
     end if;
     with applicable as (
       select d.decision, d.data_items, w.withdrawn_at as w_at,
         case
           when d.consent_relied_on and w.withdrawn_at is not null then 'withdrawn'
           when d.consent_relied_on and d.consent_expires_on is not null
             and d.consent_expires_on < (now() at time zone 'Europe/London')::date then 'expired'
           when d.decision = 'share' then 'covered'
           else 'partial'
         end as kind
       from public.decisions_to_share d
       left join public.consent_withdrawals w on w.decision_id = d.id
       where d.referral_id = p_referral
         and not exists (select 1 from public.decisions_to_share later
                         where later.referral_id = p_referral and later.supersedes_id = d.id)
         and d.decision <> 'not_share'
         and p_agency = any (d.recipient_agency_ids)
         and (not d.consent_relied_on or p_agency = any (d.consent_scope_agency_ids))
     )
     select
       case when bool_or(kind = 'covered') then 'covered'
            when bool_or(kind = 'partial') then 'partial'
            when bool_or(kind = 'withdrawn') then 'withdrawn'
            when bool_or(kind = 'expired') then 'expired'
            else 'not_covered' end,
       (select array_agg(distinct item order by item)
          from applicable p, unnest(p.data_items) item where p.kind = 'partial'),
       max(w_at) filter (where kind = 'withdrawn')
     into state, data_items, withdrawn_at
     from applicable;
     if state = 'covered' then
       data_items := null;
       withdrawn_at := null;
     elsif state = 'partial' then
       withdrawn_at := null;
     end if;
   end $$`,

  // What the acting person may read of one referral: whether they see it at all, and any limit a
  // partial share (data_items) or a consent withdrawal (withdrawn_at) puts on the rest. Null
  // limits mean none. policies/visibility.ts referralAccess is the same function.
  `create type app_case_access as (visible boolean, data_items text[], withdrawn_at timestamptz)`,
  // On the row's own values, because a policy checking a row being inserted cannot look it up.
  `create function app_referral_access(p_referral uuid, p_state text, p_referrer_agency uuid,
       p_referrer_user uuid, p_young_person uuid) returns app_case_access ${definer} as $$
   declare
     v_role text := public.app_actor_role();
     v_agency uuid := public.app_actor_agency_id();
     v_user uuid := public.app_user_id();
     s record;
     v_involved boolean;
     v_emergency boolean;
   begin
     if v_role is null or v_role not in ('practitioner', 'agency_lead', 'partnership_lead') then
       return row(false, null, null)::public.app_case_access;
     end if;
     -- The author reads their own draft to finish it (referral.edit_draft).
     if p_state = 'draft' and p_referrer_user = v_user then
       return row(true, null, null)::public.app_case_access;
     end if;
     if v_role = 'partnership_lead' then
       return row(p_state <> 'draft', null, null)::public.app_case_access;
     end if;
     v_involved := exists (
       select 1 from public.referral_agencies ra
       where ra.referral_id = p_referral and ra.agency_id = v_agency
         and ra.status is distinct from 'declined');
     select * into s from public.app_agency_sharing(p_referral, p_referrer_agency, v_agency);
     v_emergency := p_young_person is not null and exists (
       select 1 from public.emergency_accesses e
       where e.partnership_id = public.app_partnership_id() and e.user_id = v_user
         and e.young_person_id = p_young_person
         and e.opened_at <= now() and now() < e.expires_at);
     if s.state not in ('covered', 'partial', 'withdrawn') then
       -- Emergency access reads the case in full; nothing else reads an uncovered case.
       return row(v_emergency, null, null)::public.app_case_access;
     end if;
     if not ((v_involved and p_state <> 'draft') or v_emergency) then
       return row(false, null, null)::public.app_case_access;
     end if;
     return row(true, s.data_items, s.withdrawn_at)::public.app_case_access;
   end $$`,
  `create function app_case_access(p_referral uuid) returns app_case_access ${definerSql} as $$
     select coalesce(
       (select public.app_referral_access(r.id, r.state, r.referrer_agency_id, r.referrer_user_id,
                 r.young_person_id)
        from public.referrals r where r.id = p_referral),
       row(false, null, null)::public.app_case_access) $$`,

  // One row of a referral's content: its referral visible, within a partial share's items (a null
  // item is not limited by items) and, after a withdrawal, no newer than the withdrawal.
  `create function app_case_item_visible(p_referral uuid, p_item text, p_at timestamptz)
     returns boolean ${definerSql} as $$
     select a.visible
       and (a.data_items is null or p_item is null or p_item = any (a.data_items))
       and (a.withdrawn_at is null or p_at <= a.withdrawn_at)
     from public.app_case_access(p_referral) a $$`,

  // A decision to share: with its referral; a decision not to share only for the referrer's
  // agency and partnership leads (it must not tell an agency it was left out).
  `create function app_decision_visible(p_referral uuid, p_decision text) returns boolean
     ${definerSql} as $$
     select (public.app_case_access(p_referral)).visible
       and (p_decision <> 'not_share'
            or public.app_actor_role() = 'partnership_lead'
            or exists (select 1 from public.referrals r
                       where r.id = p_referral
                         and r.referrer_agency_id = public.app_actor_agency_id())) $$`,

  // A young person's record: policies' young_person.view.
  `create function app_young_person_visible(p_young_person uuid, p_created_by_agency uuid)
     returns boolean ${definer} as $$
   declare
     v_role text := public.app_actor_role();
     v_agency uuid := public.app_actor_agency_id();
   begin
     if v_role = 'partnership_lead' then
       return true;
     end if;
     if v_role is null or v_role not in ('practitioner', 'agency_lead') then
       return false;
     end if;
     if p_created_by_agency = v_agency then
       return true;
     end if;
     if exists (
       select 1 from public.emergency_accesses e
       where e.partnership_id = public.app_partnership_id() and e.user_id = public.app_user_id()
         and e.young_person_id = p_young_person
         and e.opened_at <= now() and now() < e.expires_at) then
       return true;
     end if;
     return exists (
       select 1 from public.referrals r
       join public.referral_agencies ra on ra.referral_id = r.id
       where r.young_person_id = p_young_person
         and r.state not in ('draft', 'discarded')
         and ra.agency_id = v_agency and ra.status is distinct from 'declined'
         and (select s.state from public.app_agency_sharing(r.id, r.referrer_agency_id, v_agency) s)
             in ('covered', 'partial', 'withdrawn'));
   end $$`,

  // The restrictive policies. CASE on the role, read once per statement (an InitPlan), keeps a
  // partnership lead's aggregate reads from calling a function per row.
  `create policy young_people_need_to_know on young_people as restrictive for select to crosswalk_app
     using (case (select app_actor_role())
              when 'partnership_lead' then true
              when 'practitioner' then app_young_person_visible(id, created_by_agency_id)
              when 'agency_lead' then app_young_person_visible(id, created_by_agency_id)
              else false end)`,
  `create policy young_person_revisions_need_to_know on young_person_revisions as restrictive
     for select to crosswalk_app
     using (exists (select 1 from young_people yp where yp.id = young_person_id))`,

  `create policy referrals_need_to_know on referrals as restrictive for select to crosswalk_app
     using (case (select app_actor_role())
              when 'partnership_lead' then state <> 'draft' or referrer_user_id = (select app_user_id())
              when 'practitioner' then
                (app_referral_access(id, state, referrer_agency_id, referrer_user_id, young_person_id)).visible
              when 'agency_lead' then
                (app_referral_access(id, state, referrer_agency_id, referrer_user_id, young_person_id)).visible
              else false end)`,
  `create policy referral_agencies_need_to_know on referral_agencies as restrictive
     for select to crosswalk_app
     using (case (select app_actor_role())
              when 'partnership_lead' then exists (select 1 from referrals r where r.id = referral_id)
              else (app_case_access(referral_id)).visible end)`,
  `create policy referral_transitions_need_to_know on referral_transitions as restrictive
     for select to crosswalk_app
     using (case (select app_actor_role())
              when 'partnership_lead' then exists (select 1 from referrals r where r.id = referral_id)
              else app_case_item_visible(referral_id, null, occurred_at) end)`,

  // Notes: a note kept within an agency only in that agency (note.view_agency_only).
  `create policy case_notes_need_to_know on case_notes as restrictive for select to crosswalk_app
     using ((visibility = 'shared' or agency_id = (select app_actor_agency_id()))
            and case (select app_actor_role())
                  when 'partnership_lead' then exists (select 1 from referrals r where r.id = referral_id)
                  else app_case_item_visible(referral_id, 'case_notes', created_at) end)`,
  `create policy case_note_revisions_need_to_know on case_note_revisions as restrictive
     for select to crosswalk_app
     using (exists (select 1 from case_notes n where n.id = note_id))`,
  `create policy case_actions_need_to_know on case_actions as restrictive for select to crosswalk_app
     using (case (select app_actor_role())
              when 'partnership_lead' then exists (select 1 from referrals r where r.id = referral_id)
              else app_case_item_visible(referral_id, 'actions', created_at) end)`,
  `create policy case_action_updates_need_to_know on case_action_updates as restrictive
     for select to crosswalk_app
     using (exists (select 1 from case_actions a where a.id = action_id))`,

  `create policy decisions_to_share_need_to_know on decisions_to_share as restrictive
     for select to crosswalk_app
     using (case (select app_actor_role())
              when 'partnership_lead' then exists (select 1 from referrals r where r.id = referral_id)
              else app_decision_visible(referral_id, decision) end)`,
  `create policy consent_withdrawals_need_to_know on consent_withdrawals as restrictive
     for select to crosswalk_app
     using (exists (select 1 from decisions_to_share d where d.id = decision_id))`,

  // Emergency accesses: the person who opened one, the partnership leads who review them, and the
  // auditors whose reports list them.
  `create policy emergency_accesses_need_to_know on emergency_accesses as restrictive
     for select to crosswalk_app
     using (user_id = (select app_user_id())
            or (select app_actor_role()) in ('partnership_lead', 'auditor'))`,

  // The facts a refusal is decided and recorded on, for a referral the person cannot see: its
  // lifecycle, who is involved and the decisions' coverage, never what the case says.
  `create function app_referral_facts(p_referral uuid) returns jsonb ${definerSql} as $$
     select jsonb_build_object(
       'id', r.id, 'partnership_id', r.partnership_id, 'state', r.state,
       'young_person_id', r.young_person_id, 'referrer_user_id', r.referrer_user_id,
       'referrer_agency_id', r.referrer_agency_id, 'version', r.version,
       'agencies', coalesce((
         select jsonb_agg(jsonb_build_object('agency_id', ra.agency_id,
                  'involvement', ra.involvement, 'status', ra.status,
                  'allocated_user_id', ra.allocated_user_id))
         from public.referral_agencies ra where ra.referral_id = r.id), '[]'::jsonb),
       'decisions', coalesce((
         select jsonb_agg(jsonb_build_object('id', d.id, 'supersedes_id', d.supersedes_id,
                  'decision', d.decision, 'recipient_agency_ids', d.recipient_agency_ids,
                  'data_items', d.data_items, 'consent_relied_on', d.consent_relied_on,
                  'consent_scope_agency_ids', d.consent_scope_agency_ids,
                  'consent_expires_on', d.consent_expires_on, 'withdrawn_at', w.withdrawn_at)
                  order by d.decided_at)
         from public.decisions_to_share d
         left join public.consent_withdrawals w on w.decision_id = d.id
         where d.referral_id = r.id), '[]'::jsonb))
     from public.referrals r
     where r.id = p_referral and public.app_actor_role() is not null $$`,

  // A young person's key, for deciding about a record the person cannot see.
  `create function app_young_person_key(p_young_person uuid)
     returns table (id uuid, partnership_id uuid, created_by_agency_id uuid) ${definerSql} as $$
     select yp.id, yp.partnership_id, yp.created_by_agency_id from public.young_people yp
     where yp.id = p_young_person and public.app_actor_role() is not null $$`,

  // Search and signpost: the agencies that know each young person (who recorded them, and every
  // agency involved in a submitted referral about them), for the case roles only.
  `create function app_young_person_agencies(p_young_people uuid[])
     returns table (young_person_id uuid, agency_id uuid) ${definerSql} as $$
     select known.young_person_id, known.agency_id from (
       select yp.id as young_person_id, yp.created_by_agency_id as agency_id
         from public.young_people yp where yp.id = any (p_young_people)
       union
       select r.young_person_id, ra.agency_id
         from public.referrals r join public.referral_agencies ra on ra.referral_id = r.id
         where r.young_person_id = any (p_young_people)
           and r.state not in ('draft', 'discarded') and ra.status is distinct from 'declined'
     ) known
     where public.app_actor_role() in ('practitioner', 'agency_lead', 'partnership_lead') $$`,

  // The duplicate check's matching, over every young person of the partnership: only ids and how
  // well they match, for the case roles; the service reads what the person may see of each.
  `create function app_young_person_matches(p_given text, p_family text, p_birth date,
       p_swapped_birth date, p_district text)
     returns table (id uuid, partnership_id uuid, created_by_agency_id uuid, name_score float8,
       same_birth_date boolean, same_district boolean) ${definerSql} as $$
     with scored as (
       select yp.id, yp.partnership_id, yp.created_by_agency_id, yp.given_name, yp.family_name,
         greatest(
           similarity(lower(yp.given_name || ' ' || yp.family_name), p_given || ' ' || p_family),
           similarity(lower(yp.family_name || ' ' || yp.given_name), p_given || ' ' || p_family),
           case when dmetaphone(yp.family_name) = dmetaphone(p_family)
                 and (dmetaphone(yp.given_name) = dmetaphone(p_given)
                      or lower(yp.given_name) like p_given || '%'
                      or lower(coalesce(yp.known_as, '')) = p_given)
                then 0.9
                when levenshtein(lower(yp.family_name), p_family) <= 2
                 and (lower(yp.given_name) like left(p_given, 2) || '%'
                      or lower(coalesce(yp.known_as, '')) = p_given)
                then 0.7
                when dmetaphone(yp.family_name) = dmetaphone(p_family) then 0.5
                else 0 end
         )::float8 as name_score,
         coalesce(yp.date_of_birth = p_birth or yp.date_of_birth = p_swapped_birth, false)
           as same_birth_date,
         coalesce(yp.postcode_district = p_district, false) as same_district
       from public.young_people yp
       where public.app_actor_role() in ('practitioner', 'agency_lead', 'partnership_lead')
     )
     select id, partnership_id, created_by_agency_id, name_score, same_birth_date, same_district
     from scored
     where name_score >= 0.45
        or (name_score >= 0.25 and (same_birth_date or same_district))
        or (same_birth_date and same_district)
     order by name_score + (case when same_birth_date then 0.5 else 0 end)
              + (case when same_district then 0.2 else 0 end) desc, family_name, given_name
     limit 10 $$`,

  // The auditor's ways in: names and involvement history for the access log and its reports, no
  // narrative. Views run with their owner's rights (under the owner's tenant policies); each
  // shows rows to auditors only.
  `create view audit_young_people with (security_barrier) as
     select id, partnership_id, given_name, family_name, known_as, date_of_birth,
       postcode_district, created_by_agency_id, created_at
     from young_people where (select app_actor_role()) = 'auditor'`,
  `create view audit_referrals with (security_barrier) as
     select id, partnership_id, young_person_id, created_at
     from referrals where (select app_actor_role()) = 'auditor'`,
  `create view audit_referral_agencies with (security_barrier) as
     select partnership_id, referral_id, agency_id, involvement
     from referral_agencies where (select app_actor_role()) = 'auditor'`,
  `create view audit_referral_transitions with (security_barrier) as
     select partnership_id, referral_id, transition, occurred_at,
       case when transition in ('route', 'decline') then details else '{}'::jsonb end as details
     from referral_transitions where (select app_actor_role()) = 'auditor'`,
  `create view audit_decisions_to_share with (security_barrier) as
     select id, partnership_id, referral_id, young_person_id, decision, decided_at,
       recipient_agency_ids
     from decisions_to_share where (select app_actor_role()) = 'auditor'`,
  `create view audit_consent_withdrawals with (security_barrier) as
     select partnership_id, decision_id, withdrawn_at
     from consent_withdrawals where (select app_actor_role()) = 'auditor'`,
  `grant select on audit_young_people, audit_referrals, audit_referral_agencies,
     audit_referral_transitions, audit_decisions_to_share, audit_consent_withdrawals
     to crosswalk_app`,

  // Indexes the policies' lookups use.
  `create index emergency_accesses_young_person_idx on emergency_accesses
     (young_person_id, user_id, expires_at)`,
  `create index decisions_to_share_supersedes_idx on decisions_to_share (supersedes_id)
     where supersedes_id is not null`,
  `create index consent_withdrawals_decision_idx on consent_withdrawals (decision_id)`,

  `revoke all on function app_user_id(), app_actor_agency_id(), app_actor_role(),
     app_agency_sharing(uuid, uuid, uuid), app_referral_access(uuid, text, uuid, uuid, uuid),
     app_case_access(uuid),
     app_case_item_visible(uuid, text, timestamptz), app_decision_visible(uuid, text),
     app_young_person_visible(uuid, uuid), app_referral_facts(uuid), app_young_person_key(uuid),
     app_young_person_agencies(uuid[]), app_young_person_matches(text, text, date, date, text)
     from public`,
  `grant execute on function app_user_id(), app_actor_agency_id(), app_actor_role(),
     app_agency_sharing(uuid, uuid, uuid), app_referral_access(uuid, text, uuid, uuid, uuid),
     app_case_access(uuid),
     app_case_item_visible(uuid, text, timestamptz), app_decision_visible(uuid, text),
     app_young_person_visible(uuid, uuid), app_referral_facts(uuid), app_young_person_key(uuid),
     app_young_person_agencies(uuid[]), app_young_person_matches(text, text, date, date, text)
     to crosswalk_app`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "young_people",
    "young_person_revisions",
    "referrals",
    "referral_agencies",
    "referral_transitions",
    "case_notes",
    "case_note_revisions",
    "case_actions",
    "case_action_updates",
    "decisions_to_share",
    "consent_withdrawals",
    "emergency_accesses",
  ]) {
    await sql.raw(`drop policy ${table}_need_to_know on ${table}`).execute(db);
  }
  await sql
    .raw(
      `drop view audit_young_people, audit_referrals, audit_referral_agencies,
         audit_referral_transitions, audit_decisions_to_share, audit_consent_withdrawals`,
    )
    .execute(db);
  await sql
    .raw(
      `drop function app_young_person_matches(text, text, date, date, text),
         app_young_person_agencies(uuid[]), app_young_person_key(uuid), app_referral_facts(uuid),
         app_young_person_visible(uuid, uuid), app_decision_visible(uuid, text),
         app_case_item_visible(uuid, text, timestamptz), app_case_access(uuid),
         app_referral_access(uuid, text, uuid, uuid, uuid),
         app_agency_sharing(uuid, uuid, uuid), app_actor_role(), app_actor_agency_id(), app_user_id()`,
    )
    .execute(db);
  await sql.raw(`drop type app_case_access`).execute(db);
}
