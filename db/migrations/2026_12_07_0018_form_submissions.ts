import { sql, type Kysely } from "kysely";

/**
 * One-time submission ids (docs/decisions/018-one-time-submission-ids.md). Every form that writes
 * carries a random id made when its page was rendered; the transaction that saves the form claims
 * the id here, as part of the same transaction, so a form sent twice (a retry after a lost answer,
 * a double click, a form sent again from the "Nothing was saved" page) is saved once. The second
 * sending finds the id claimed, rolls back, and is sent to `result_location`: the page that shows
 * what was saved the first time.
 *
 * A row holds ids, a time and an address on this site: no case content. Row-level security: a
 * person sees, claims and updates only their own ids in their own partnership. Rows older than a
 * week are of no use (a retry comes within minutes): each claim removes the person's own older
 * rows, and form_submissions_expire() removes everyone's, for a scheduled job. Frozen once landed.
 */
const statements = [
  `create table form_submissions (
     partnership_id uuid not null,
     user_id uuid not null,
     submission_id uuid not null,
     created_at timestamptz not null default now(),
     -- A path on this site (never another site's address: a retry is redirected to it).
     result_location text check (length(result_location) between 1 and 2000
       and left(result_location, 1) = '/' and left(result_location, 2) <> '//'),
     primary key (partnership_id, user_id, submission_id),
     foreign key (partnership_id, user_id) references users (partnership_id, id) on delete cascade
   )`,
  `create index form_submissions_created_idx on form_submissions (created_at)`,

  `alter table form_submissions enable row level security`,
  `alter table form_submissions force row level security`,
  `create policy form_submissions_own_read on form_submissions for select
     using (partnership_id = app_partnership_id() and user_id = app_user_id())`,
  `create policy form_submissions_own_claim on form_submissions for insert
     with check (partnership_id = app_partnership_id() and user_id = app_user_id())`,
  `create policy form_submissions_own_update on form_submissions for update
     using (partnership_id = app_partnership_id() and user_id = app_user_id())
     with check (partnership_id = app_partnership_id() and user_id = app_user_id())`,
  `create policy form_submissions_own_expiry on form_submissions for delete
     using (partnership_id = app_partnership_id() and user_id = app_user_id())`,
  `create policy form_submissions_owner_expiry on form_submissions for all to crosswalk_owner
     using (true) with check (true)`,

  `grant select, insert, delete on form_submissions to crosswalk_app`,
  `grant update (result_location) on form_submissions to crosswalk_app`,

  // Remove every partnership's ids older than p_days (at least one day), for a scheduled job; it
  // runs as the owner, across partnerships, as the access log's sealer does.
  `create function form_submissions_expire(p_days integer) returns integer
     language plpgsql volatile security definer set search_path = pg_catalog, public as $$
   declare
     removed integer;
   begin
     if p_days is null or p_days < 1 then
       raise exception 'keep submission ids for at least a day'
         using errcode = 'invalid_parameter_value';
     end if;
     delete from public.form_submissions
      where created_at < now() - make_interval(days => p_days);
     get diagnostics removed = row_count;
     return removed;
   end $$`,
  `revoke all on function form_submissions_expire(integer) from public`,
  `grant execute on function form_submissions_expire(integer) to crosswalk_app`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw(`drop function form_submissions_expire(integer)`).execute(db);
  await sql.raw(`drop table form_submissions`).execute(db);
}
