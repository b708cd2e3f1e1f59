import { sql, type Kysely } from "kysely";

/**
 * Foundation: partnerships, agencies, users, sessions, sign-in throttling and the access log.
 *
 * Frozen once landed: later changes are new migrations. Roles `crosswalk_owner` (runs this) and
 * `crosswalk_app` (what the application connects as) exist before it runs; see db/bootstrap.ts.
 */
const statements = [
  // The tenant of the current transaction, set by the service layer with set_config(..., true).
  `create function app_partnership_id() returns uuid
     language sql stable parallel safe
     as $$ select nullif(current_setting('app.partnership_id', true), '')::uuid $$`,

  `create table partnerships (
     id uuid primary key default gen_random_uuid(),
     name text not null check (length(name) between 1 and 200),
     created_at timestamptz not null default now()
   )`,

  `create table agencies (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null references partnerships (id),
     name text not null check (length(name) between 1 and 200),
     kind text not null check (kind in ('police', 'school', 'health', 'advocacy', 'youth_justice',
       'childrens_social_care', 'local_authority', 'voluntary')),
     contact_name text,
     contact_email text,
     is_active boolean not null default true,
     created_at timestamptz not null default now(),
     updated_at timestamptz not null default now(),
     unique (partnership_id, id),
     unique (partnership_id, name)
   )`,

  `create table users (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null references partnerships (id),
     agency_id uuid not null,
     email text not null unique check (email = lower(email) and position('@' in email) > 1),
     display_name text not null check (length(display_name) between 1 and 200),
     role text not null check (role in ('practitioner', 'agency_lead', 'partnership_lead', 'auditor',
       'administrator')),
     password_hash text,
     is_active boolean not null default true,
     deactivated_at timestamptz,
     created_at timestamptz not null default now(),
     updated_at timestamptz not null default now(),
     unique (partnership_id, id),
     -- A user's agency is always in the user's own partnership.
     foreign key (partnership_id, agency_id) references agencies (partnership_id, id)
   )`,
  `create index users_agency_idx on users (partnership_id, agency_id)`,

  `create table sessions (
     id_hash text primary key check (id_hash ~ '^[0-9a-f]{64}$'),
     user_id uuid not null,
     partnership_id uuid not null,
     created_at timestamptz not null default now(),
     expires_at timestamptz not null,
     foreign key (partnership_id, user_id) references users (partnership_id, id) on delete cascade
   )`,
  `create index sessions_user_idx on sessions (partnership_id, user_id)`,

  // Holds only hashes of emails and addresses: it belongs to no partnership and needs no tenant.
  `create table sign_in_throttle (
     key text primary key check (key ~ '^[0-9a-f]{64}$'),
     failures integer not null check (failures >= 0),
     last_failure_at timestamptz not null,
     blocked_until timestamptz
   )`,

  `create table audit_events (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid references partnerships (id),
     occurred_at timestamptz not null default now(),
     actor_user_id uuid,
     actor_agency_id uuid,
     actor_role text,
     action text not null check (action ~ '^[a-z_]+(\\.[a-z_]+)*$'),
     record_type text,
     record_id uuid,
     young_person_id uuid,
     outcome text not null check (outcome in ('allowed', 'refused')),
     reason text check (length(reason) <= 2000),
     request_id text check (length(request_id) <= 100),
     client_address inet,
     details jsonb
   )`,
  `create index audit_events_time_idx on audit_events (partnership_id, occurred_at desc)`,
  `create index audit_events_actor_idx on audit_events (partnership_id, actor_user_id, occurred_at desc)`,
  `create index audit_events_record_idx on audit_events (partnership_id, record_id)`,
  `create index audit_events_young_person_idx on audit_events (partnership_id, young_person_id)
     where young_person_id is not null`,

  // The access log is append-only, whoever asks: the database refuses to change or remove history.
  `create function audit_events_refuse_change() returns trigger language plpgsql as $$
   begin
     raise exception 'the access log is append-only: % is refused', tg_op using errcode = 'insufficient_privilege';
   end $$`,
  `create trigger audit_events_no_update_or_delete before update or delete on audit_events
     for each row execute function audit_events_refuse_change()`,
  `create trigger audit_events_no_truncate before truncate on audit_events
     for each statement execute function audit_events_refuse_change()`,

  // Row-level security: enabled and forced, so even the owner is filtered unless a policy says otherwise.
  `alter table partnerships enable row level security`,
  `alter table partnerships force row level security`,
  `create policy partnerships_tenant on partnerships using (id = app_partnership_id())`,

  `alter table agencies enable row level security`,
  `alter table agencies force row level security`,
  `create policy agencies_tenant on agencies
     using (partnership_id = app_partnership_id()) with check (partnership_id = app_partnership_id())`,

  `alter table users enable row level security`,
  `alter table users force row level security`,
  `create policy users_tenant on users
     using (partnership_id = app_partnership_id()) with check (partnership_id = app_partnership_id())`,
  // Sign-in happens before the partnership is known: the one row whose email was typed is readable.
  `create policy users_sign_in_lookup on users for select
     using (email = nullif(current_setting('app.sign_in_email', true), ''))`,

  `alter table sessions enable row level security`,
  `alter table sessions force row level security`,
  `create policy sessions_tenant on sessions
     using (partnership_id = app_partnership_id()) with check (partnership_id = app_partnership_id())`,
  // Validating a cookie happens before the partnership is known: only the holder of the token can reach its row.
  `create policy sessions_by_token on sessions
     using (id_hash = nullif(current_setting('app.session_token_hash', true), ''))`,

  `alter table audit_events enable row level security`,
  `alter table audit_events force row level security`,
  `create policy audit_events_read on audit_events for select using (partnership_id = app_partnership_id())`,
  `create policy audit_events_append on audit_events for insert
     with check (partnership_id is not distinct from app_partnership_id())`,

  // The application role owns nothing and gets exactly what it needs.
  `revoke all on all tables in schema public from public`,
  `grant usage on schema public to crosswalk_app`,
  `grant select on partnerships to crosswalk_app`,
  `grant select, insert, update on agencies, users to crosswalk_app`,
  `grant select, insert, update, delete on sessions, sign_in_throttle to crosswalk_app`,
  `grant select, insert on audit_events to crosswalk_app`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export function down(): Promise<void> {
  return Promise.reject(
    new Error("The foundation migration cannot be reverted: it would destroy the access log."),
  );
}
