import { sql, type Kysely } from "kysely";

/**
 * Single sign-on by OpenID Connect (decision 016): each agency's identity provider, as its
 * partnership's administrator configures it, and the sign-ins in flight between Crosswalk and a
 * provider.
 *
 * agency_sign_in is partnership data: row-level security enabled and forced with the tenant
 * policy, plus one narrow lookup for the callback from a provider, which arrives before the
 * partnership is known: the row of the one agency that the in-flight sign-in names
 * (app.sign_in_agency) is readable. The client secret is stored sealed (AES-256-GCM under a key
 * kept outside the database), never in the clear.
 *
 * single_sign_on_logins belongs to no partnership until the callback (like sign_in_throttle): it
 * holds a SHA-256 of the `state` sent to the provider as its key, the PKCE verifier and nonce, a
 * SHA-256 of the cookie that binds the sign-in to the browser that started it, and where to return.
 * Rows are used once (deleted when the provider answers) and last minutes. Frozen once landed.
 */
const statements = [
  `create table agency_sign_in (
     agency_id uuid primary key,
     partnership_id uuid not null,
     issuer text not null check (length(issuer) between 1 and 500 and issuer ~ '^https?://'),
     client_id text not null check (length(client_id) between 1 and 500),
     -- "v1.<iv>.<tag>.<ciphertext>" (base64url), sealed by app/auth/client-secrets.server.ts.
     client_secret_sealed text check (length(client_secret_sealed) <= 4000),
     email_claim text not null default 'email' check (email_claim ~ '^[A-Za-z0-9_.:-]{1,100}$'),
     enabled boolean not null default false,
     updated_at timestamptz not null default now(),
     updated_by uuid,
     foreign key (partnership_id, agency_id) references agencies (partnership_id, id)
   )`,
  `alter table agency_sign_in enable row level security`,
  `alter table agency_sign_in force row level security`,
  `create policy agency_sign_in_tenant on agency_sign_in
     using (partnership_id = app_partnership_id()) with check (partnership_id = app_partnership_id())`,
  // The provider's answer arrives before the partnership is known: only the agency that the
  // in-flight sign-in (found by its state) names is reachable.
  `create policy agency_sign_in_callback_lookup on agency_sign_in for select
     using (agency_id = nullif(current_setting('app.sign_in_agency', true), '')::uuid)`,
  `grant select, insert, update on agency_sign_in to crosswalk_app`,

  `create table single_sign_on_logins (
     state_hash text primary key check (state_hash ~ '^[0-9a-f]{64}$'),
     agency_id uuid not null references agencies (id) on delete cascade,
     browser_hash text not null check (browser_hash ~ '^[0-9a-f]{64}$'),
     code_verifier text not null check (length(code_verifier) between 43 and 128),
     nonce text not null check (length(nonce) between 16 and 200),
     return_to text not null check (length(return_to) between 1 and 2000 and left(return_to, 1) = '/'),
     created_at timestamptz not null default now(),
     expires_at timestamptz not null
   )`,
  `create index single_sign_on_logins_expiry_idx on single_sign_on_logins (expires_at)`,
  `grant select, insert, delete on single_sign_on_logins to crosswalk_app`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export function down(): Promise<void> {
  return Promise.reject(
    new Error("Single sign-on cannot be reverted: agencies would lose their configuration."),
  );
}
