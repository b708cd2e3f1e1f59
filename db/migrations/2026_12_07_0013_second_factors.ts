import { sql, type Kysely } from "kysely";

/**
 * Second factors (decision 015): an authenticator app's key (TOTP, RFC 6238), single-use recovery
 * codes and passkeys (WebAuthn) for every account, and sessions that know whether the second
 * factor was given, when it was last given (for step-up), and what a person may see of them in
 * "Your sign-ins" (browser, address, last active).
 *
 * A session whose second_factor_at is null is half a sign-in: the password was right, the second
 * factor has not been given. It opens no page but the second-factor pages, and lasts minutes.
 *
 * Row-level security: a person's own authenticator key, recovery codes and passkeys are readable
 * and changeable only in a transaction acting as that person (app.user_id); within the
 * partnership, rows may be added (enrolment, the demo seed) and removed (an administrator's
 * reset). No policy lets anyone read another person's key. Frozen once landed.
 */
const statements = [
  `alter table sessions
     add column public_id uuid not null default gen_random_uuid(),
     add column second_factor_at timestamptz,
     add column second_factor_method text check (second_factor_method in
       ('totp', 'recovery_code', 'passkey', 'identity_provider')),
     add column step_up_grant_until timestamptz,
     add column user_agent text check (length(user_agent) <= 400),
     add column client_address inet,
     add column last_active_at timestamptz,
     add column webauthn_challenge text check (length(webauthn_challenge) <= 200),
     add column webauthn_challenge_until timestamptz`,
  `create unique index sessions_public_id_idx on sessions (public_id)`,

  `create table totp_authenticators (
     user_id uuid primary key,
     partnership_id uuid not null,
     -- The shared key (20 random bytes). Readable only as its owner; see decision 015.
     secret bytea not null check (length(secret) between 16 and 64),
     -- Null while the person is enrolling: the key has been shown but no code confirmed it yet.
     confirmed_at timestamptz,
     -- The newest 30-second step whose code was accepted: no code of it or before it is accepted
     -- again, so a code overheard or replayed is refused even within its window.
     last_used_step bigint,
     created_at timestamptz not null default now(),
     foreign key (partnership_id, user_id) references users (partnership_id, id) on delete cascade
   )`,

  `create table recovery_codes (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     user_id uuid not null,
     -- argon2id, as passwords: the codes themselves are shown once and never stored.
     code_hash text not null,
     used_at timestamptz,
     created_at timestamptz not null default now(),
     foreign key (partnership_id, user_id) references users (partnership_id, id) on delete cascade
   )`,
  `create index recovery_codes_user_idx on recovery_codes (partnership_id, user_id)`,

  `create table passkeys (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     user_id uuid not null,
     -- The authenticator's credential id, base64url, as the browser reports it.
     credential_id text not null unique check (length(credential_id) between 16 and 1400),
     public_key bytea not null,
     sign_count bigint not null default 0 check (sign_count >= 0),
     transports text[] not null default '{}',
     name text not null check (length(name) between 1 and 100),
     created_at timestamptz not null default now(),
     last_used_at timestamptz,
     foreign key (partnership_id, user_id) references users (partnership_id, id) on delete cascade
   )`,
  `create index passkeys_user_idx on passkeys (partnership_id, user_id)`,

  // A form sent when the person must first give a fresh second factor (step-up): held here,
  // bound to the session that sent it, for minutes, and handed back only to that session.
  `create table held_submissions (
     id uuid primary key default gen_random_uuid(),
     partnership_id uuid not null,
     user_id uuid not null,
     session_id_hash text not null check (session_id_hash ~ '^[0-9a-f]{64}$'),
     path text not null check (length(path) between 1 and 2000 and left(path, 1) = '/'),
     method text not null check (method in ('GET', 'POST')),
     fields jsonb not null default '[]',
     created_at timestamptz not null default now(),
     expires_at timestamptz not null,
     foreign key (partnership_id, user_id) references users (partnership_id, id) on delete cascade
   )`,
  `create index held_submissions_session_idx on held_submissions (session_id_hash)`,
];

const ownRowTables = ["totp_authenticators", "recovery_codes", "passkeys", "held_submissions"];

function policies(table: string): string[] {
  return [
    `alter table ${table} enable row level security`,
    `alter table ${table} force row level security`,
    `create policy ${table}_own_read on ${table} for select
       using (partnership_id = app_partnership_id() and user_id = app_user_id())`,
    `create policy ${table}_own_change on ${table} for update
       using (partnership_id = app_partnership_id() and user_id = app_user_id())
       with check (partnership_id = app_partnership_id() and user_id = app_user_id())`,
    `create policy ${table}_add on ${table} for insert
       with check (partnership_id = app_partnership_id())`,
    `create policy ${table}_remove on ${table} for delete
       using (partnership_id = app_partnership_id())`,
    `grant select, insert, update, delete on ${table} to crosswalk_app`,
  ];
}

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of [...statements, ...ownRowTables.flatMap(policies)]) {
    await sql.raw(statement).execute(db);
  }
}

export function down(): Promise<void> {
  return Promise.reject(new Error("Second factors cannot be reverted: accounts would lose them."));
}
