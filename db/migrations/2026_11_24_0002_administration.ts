import { sql, type Kysely } from "kysely";

/**
 * Partnership administration: one-time set-password links and the information sharing agreement.
 * Frozen once landed.
 */
const statements = [
  `create table set_password_links (
     token_hash text primary key check (token_hash ~ '^[0-9a-f]{64}$'),
     partnership_id uuid not null,
     user_id uuid not null,
     created_by uuid,
     created_at timestamptz not null default now(),
     expires_at timestamptz not null,
     used_at timestamptz,
     revoked_at timestamptz,
     foreign key (partnership_id, user_id) references users (partnership_id, id)
   )`,
  `create index set_password_links_user_idx on set_password_links (partnership_id, user_id)`,
  `alter table set_password_links enable row level security`,
  `alter table set_password_links force row level security`,
  `create policy set_password_links_tenant on set_password_links
     using (partnership_id = app_partnership_id()) with check (partnership_id = app_partnership_id())`,
  // The person following a link is not signed in: only the holder of the token reaches its row.
  `create policy set_password_links_by_token on set_password_links for select
     using (token_hash = nullif(current_setting('app.set_password_token_hash', true), ''))`,

  `create table sharing_agreements (
     partnership_id uuid primary key references partnerships (id),
     review_date date,
     updated_at timestamptz not null default now(),
     updated_by uuid
   )`,
  `alter table sharing_agreements enable row level security`,
  `alter table sharing_agreements force row level security`,
  `create policy sharing_agreements_tenant on sharing_agreements
     using (partnership_id = app_partnership_id()) with check (partnership_id = app_partnership_id())`,

  `create table sharing_agreement_permissions (
     partnership_id uuid not null references sharing_agreements (partnership_id),
     from_kind text not null,
     to_kind text not null,
     purpose text not null check (purpose in ('safeguarding', 'preventing_crime', 'early_intervention',
       'health_and_wellbeing', 'education')),
     primary key (partnership_id, from_kind, to_kind, purpose),
     check (from_kind in ('police', 'school', 'health', 'advocacy', 'youth_justice', 'childrens_social_care',
       'local_authority', 'voluntary')),
     check (to_kind in ('police', 'school', 'health', 'advocacy', 'youth_justice', 'childrens_social_care',
       'local_authority', 'voluntary'))
   )`,
  `alter table sharing_agreement_permissions enable row level security`,
  `alter table sharing_agreement_permissions force row level security`,
  `create policy sharing_agreement_permissions_tenant on sharing_agreement_permissions
     using (partnership_id = app_partnership_id()) with check (partnership_id = app_partnership_id())`,

  `grant select, insert, update on set_password_links to crosswalk_app`,
  `grant select, insert, update on sharing_agreements to crosswalk_app`,
  // Permissions are replaced as a whole when the agreement changes; the access log keeps before and after.
  `grant select, insert, delete on sharing_agreement_permissions to crosswalk_app`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}
