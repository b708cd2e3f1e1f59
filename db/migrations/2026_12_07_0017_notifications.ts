import { sql, type Kysely } from "kysely";

/**
 * Notifications (issue 17): what a person is told because of a change someone else made, written
 * in the change's own transaction (a transactional outbox), so nothing is told of work that rolled
 * back and nothing is lost in a crash.
 *
 * A notification says what happened in words made only of vocabulary labels, a referral's
 * reference and agency names (app/services/notifications.server.ts composes them): never a young
 * person's name, date of birth, address or any narrative. The columns enforce a length; the
 * service is the one writer.
 *
 * Row-level security: a person reads and marks read only their own notifications; anyone acting
 * within the partnership may add one for anyone of it (the person whose change causes it). The
 * application role may update `read_at` and nothing else.
 *
 * The email outbox is the same row: `email_state` runs pending → sent, or pending → (retried with
 * backoff) → dead after too many attempts, which is the dead-letter list an administrator sees and
 * can put back to pending (notification_dead_letters, notification_email_retry). The sender claims
 * due rows under a lease through two SECURITY DEFINER functions (it works across partnerships, as
 * the sealer does); the notification's id is the email's idempotency key (its Message-ID). Frozen
 * once landed.
 */
const definer = "security definer set search_path = pg_catalog, public";

const statements = [
  `create table notifications (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     user_id uuid not null,
     kind text not null check (kind ~ '^[a-z_]{1,60}$'),
     referral_id uuid,
     record_type text check (record_type ~ '^[a-z_]{1,40}$'),
     record_id uuid,
     link text not null check (length(link) between 1 and 300 and left(link, 1) = '/'),
     reason text not null check (length(reason) between 1 and 400),
     -- Red referrals and missed targets: always emailed at once, never in a digest.
     urgent boolean not null default false,
     created_at timestamptz not null default now(),
     read_at timestamptz,
     email_state text not null default 'pending'
       check (email_state in ('pending', 'sent', 'dead', 'not_sent')),
     email_attempts integer not null default 0 check (email_attempts >= 0),
     email_next_attempt_at timestamptz not null default now(),
     email_lease_until timestamptz,
     email_sent_at timestamptz,
     email_last_error text check (length(email_last_error) <= 500),
     foreign key (partnership_id, user_id) references users (partnership_id, id) on delete cascade,
     foreign key (partnership_id, referral_id) references referrals (partnership_id, id)
       on delete cascade
   )`,
  `create index notifications_person_idx on notifications
     (partnership_id, user_id, (read_at is null) desc, created_at desc)`,
  `create index notifications_outbox_idx on notifications (email_next_attempt_at)
     where email_state = 'pending'`,
  `create index notifications_referral_idx on notifications (referral_id)
     where referral_id is not null`,

  `alter table notifications enable row level security`,
  `alter table notifications force row level security`,
  `create policy notifications_own_read on notifications for select
     using (partnership_id = app_partnership_id() and user_id = app_user_id())`,
  `create policy notifications_own_update on notifications for update
     using (partnership_id = app_partnership_id() and user_id = app_user_id())
     with check (partnership_id = app_partnership_id() and user_id = app_user_id())`,
  `create policy notifications_tenant_insert on notifications for insert
     with check (partnership_id = app_partnership_id())`,
  // The outbox functions run as the owner, across partnerships (as audit_seal does).
  `create policy notifications_owner_outbox_read on notifications for select to crosswalk_owner
     using (true)`,
  `create policy notifications_owner_outbox_update on notifications for update to crosswalk_owner
     using (true) with check (true)`,

  `grant select, insert on notifications to crosswalk_app`,
  `grant update (read_at) on notifications to crosswalk_app`,

  // Claim up to p_limit due emails for p_lease_seconds: a second sender skips them (skip locked,
  // and the lease), and one that crashed mid-send gives them back when the lease runs out.
  `create function notification_email_claim(p_limit integer, p_lease_seconds integer)
     returns table (id uuid, partnership_id uuid, user_id uuid, kind text, referral_id uuid,
       link text, reason text, attempts integer)
     language plpgsql volatile ${definer} as $$
   begin
     if p_limit is null or p_limit < 1 or p_limit > 500 or p_lease_seconds is null
        or p_lease_seconds < 1 or p_lease_seconds > 3600 then
       raise exception 'claim between 1 and 500 emails for 1 to 3600 seconds'
         using errcode = 'invalid_parameter_value';
     end if;
     return query
       update public.notifications n
          set email_lease_until = now() + make_interval(secs => p_lease_seconds),
              email_attempts = n.email_attempts + 1
        where n.id in (select c.id from public.notifications c
                        where c.email_state = 'pending' and c.email_next_attempt_at <= now()
                          and (c.email_lease_until is null or c.email_lease_until < now())
                        order by c.urgent desc, c.email_next_attempt_at
                        limit p_limit for update skip locked)
       returning n.id, n.partnership_id, n.user_id, n.kind, n.referral_id, n.link, n.reason,
         n.email_attempts;
   end $$`,

  // Record how a claimed email went: sent; not to be sent (no address, person deactivated);
  // failed, to be tried again at p_retry_at; or failed for the last time (the dead-letter list).
  `create function notification_email_settle(p_id uuid, p_outcome text, p_error text,
       p_retry_at timestamptz) returns boolean
     language plpgsql volatile ${definer} as $$
   declare
     changed integer;
   begin
     if p_outcome not in ('sent', 'not_sent', 'retry', 'dead') then
       raise exception 'unknown outcome %', p_outcome using errcode = 'invalid_parameter_value';
     end if;
     update public.notifications n
        set email_state = case p_outcome when 'retry' then 'pending' else p_outcome end,
            email_sent_at = case when p_outcome = 'sent' then now() else n.email_sent_at end,
            email_next_attempt_at = coalesce(p_retry_at, n.email_next_attempt_at),
            email_lease_until = null,
            email_last_error = left(p_error, 500)
      where n.id = p_id and n.email_state = 'pending';
     get diagnostics changed = row_count;
     return changed = 1;
   end $$`,

  // The dead-letter list, for the partnership's administrators: which emails failed for good, to
  // whom and why (the SMTP server's answer), never what the notification says.
  `create function notification_dead_letters()
     returns table (id uuid, kind text, referral_id uuid, user_id uuid, attempts integer,
       last_error text, created_at timestamptz)
     language sql stable ${definer} as $$
     select n.id, n.kind, n.referral_id, n.user_id, n.email_attempts, n.email_last_error,
       n.created_at
     from public.notifications n
     where n.partnership_id = public.app_partnership_id() and n.email_state = 'dead'
       and public.app_actor_role() = 'administrator'
     order by n.created_at desc, n.id
     limit 500 $$`,

  // An administrator puts a dead email back in the outbox, to be tried afresh.
  `create function notification_email_retry(p_id uuid) returns boolean
     language plpgsql volatile ${definer} as $$
   begin
     if public.app_actor_role() is distinct from 'administrator' then
       raise exception 'only an administrator may retry a notification email'
         using errcode = 'insufficient_privilege';
     end if;
     update public.notifications n
        set email_state = 'pending', email_attempts = 0, email_next_attempt_at = now(),
            email_lease_until = null
      where n.id = p_id and n.partnership_id = public.app_partnership_id()
        and n.email_state = 'dead';
     return found;
   end $$`,

  `revoke all on function notification_email_claim(integer, integer),
     notification_email_settle(uuid, text, text, timestamptz), notification_dead_letters(),
     notification_email_retry(uuid) from public`,
  `grant execute on function notification_email_claim(integer, integer),
     notification_email_settle(uuid, text, text, timestamptz), notification_dead_letters(),
     notification_email_retry(uuid) to crosswalk_app`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `drop function notification_email_retry(uuid), notification_dead_letters(),
         notification_email_settle(uuid, text, text, timestamptz),
         notification_email_claim(integer, integer)`,
    )
    .execute(db);
  await sql.raw(`drop table notifications`).execute(db);
}
