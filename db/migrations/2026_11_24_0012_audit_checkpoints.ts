import { sql, type Kysely } from "kysely";

/**
 * The database keeps a copy of every numbered checkpoint the signer writes (decision 014), beside
 * the checkpoint folder and the witness: `audit:verify` requires the copies to agree, so that a
 * checkpoint removed from the folder is still found here, and one removed here still in the
 * folder. Only the owner reaches it: the signer writes through the owner's connection, and the
 * application role has no privilege on it. Rows are never changed or deleted, except by someone
 * who switches the triggers off, which the other copies show. Frozen once landed.
 */
const statements = [
  `create table audit_checkpoints (
     chain_id uuid not null,
     number bigint not null check (number >= 1),
     chain_seq bigint not null check (chain_seq >= 0),
     signed_at timestamptz not null,
     note text not null,
     stored_at timestamptz not null default now(),
     primary key (chain_id, number)
   )`,
  `alter table audit_checkpoints enable row level security`,
  `alter table audit_checkpoints force row level security`,
  `create policy audit_checkpoints_owner_read on audit_checkpoints for select to crosswalk_owner
     using (true)`,
  `create policy audit_checkpoints_owner_add on audit_checkpoints for insert to crosswalk_owner
     with check (true)`,
  `revoke all on audit_checkpoints from public`,

  // Append-only for every role, as the access log is: UPDATE, DELETE and TRUNCATE are refused.
  `create function audit_checkpoints_guard() returns trigger
     language plpgsql
     set search_path = pg_catalog, pg_temp
     as $$
     begin
       raise exception 'stored checkpoints are append-only: % is refused', tg_op
         using errcode = 'insufficient_privilege';
     end $$`,
  `create trigger audit_checkpoints_append_only before update or delete on audit_checkpoints
     for each row execute function audit_checkpoints_guard()`,
  `create trigger audit_checkpoints_no_truncate before truncate on audit_checkpoints
     for each statement execute function audit_checkpoints_guard()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export function down(): Promise<void> {
  return Promise.reject(
    new Error("The checkpoints migration cannot be reverted: it would drop the log's evidence."),
  );
}
