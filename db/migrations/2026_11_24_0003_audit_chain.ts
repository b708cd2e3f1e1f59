import { sql, type Kysely } from "kysely";

/**
 * The access log becomes tamper-evident: every event is chained to the one before it in its
 * partnership's chain by a SHA-256 hash, assigned by the database under a row lock on the chain's
 * head. See docs/decisions/006-audit-hash-chain.md; db/audit/canonical.ts is the same encoding in
 * TypeScript, and db/audit/verify.ts recomputes every hash with it. Frozen once landed.
 */
const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

const statements = [
  `alter table audit_events
     add column chain_seq bigint,
     add column prev_hash bytea,
     add column hash bytea`,

  // The newest event of each chain: a partnership's id, or the zero uuid for the deployment chain.
  `create table audit_chain_heads (
     chain_id uuid primary key,
     seq bigint not null check (seq >= 0),
     hash bytea not null check (length(hash) = 32)
   )`,
  // Nobody but the owner (and so the chain trigger, which runs as the owner) reaches the heads.
  `alter table audit_chain_heads enable row level security`,
  `alter table audit_chain_heads force row level security`,
  `create policy audit_chain_heads_owner on audit_chain_heads to crosswalk_owner
     using (true) with check (true)`,
  `revoke all on audit_chain_heads from public`,

  // One field of the canonical encoding: its UTF-8 byte length, a colon and its bytes; "-" for NULL.
  // A length never starts with "-", so no two different rows encode the same.
  `create function audit_canonical_field(value text) returns bytea
     language sql stable parallel safe
     as $$
       select case when value is null then '\\x2d'::bytea
         else convert_to(octet_length(convert_to(value, 'UTF8'))::text || ':', 'UTF8')
              || convert_to(value, 'UTF8') end
     $$`,

  // The bytes an event's hash covers, after the previous hash: the fields in a fixed order, each as
  // its PostgreSQL text form (occurred_at as integer microseconds since the Unix epoch).
  `create function audit_event_canonical(event audit_events) returns bytea
     language sql stable parallel safe
     as $$
       select public.audit_canonical_field(event.id::text)
           || public.audit_canonical_field(event.partnership_id::text)
           || public.audit_canonical_field(((extract(epoch from event.occurred_at) * 1000000)::bigint)::text)
           || public.audit_canonical_field(event.actor_user_id::text)
           || public.audit_canonical_field(event.actor_agency_id::text)
           || public.audit_canonical_field(event.actor_role)
           || public.audit_canonical_field(event.action)
           || public.audit_canonical_field(event.record_type)
           || public.audit_canonical_field(event.record_id::text)
           || public.audit_canonical_field(event.young_person_id::text)
           || public.audit_canonical_field(event.outcome)
           || public.audit_canonical_field(event.reason)
           || public.audit_canonical_field(event.request_id)
           || public.audit_canonical_field(event.client_address::text)
           || public.audit_canonical_field(event.details::text)
           || public.audit_canonical_field(event.chain_seq::text)
     $$`,

  // Chains every new event, whoever inserts it and whatever chain fields they supplied. Runs as the
  // owner so it can reach the heads the inserting role cannot. The head's row lock is held until the
  // inserting transaction ends, which is what makes chain_seq gap-free: a rolled-back insert also
  // rolls back its head update.
  `create function audit_events_chain() returns trigger
     language plpgsql security definer
     set search_path = public, pg_temp
     as $$
     declare
       chain uuid := coalesce(new.partnership_id, '${ZERO_UUID}'::uuid);
       head_seq bigint;
       head_hash bytea;
     begin
       select seq, hash into head_seq, head_hash from audit_chain_heads
         where chain_id = chain for update;
       if not found then
         insert into audit_chain_heads (chain_id, seq, hash)
           values (chain, 0, '\\x${"00".repeat(32)}'::bytea)
           on conflict (chain_id) do nothing;
         select seq, hash into head_seq, head_hash from audit_chain_heads
           where chain_id = chain for update;
       end if;
       -- The hashed time is the stored time: an inserter cannot backdate an event.
       new.occurred_at := now();
       new.chain_seq := head_seq + 1;
       new.prev_hash := head_hash;
       new.hash := sha256(head_hash || public.audit_event_canonical(new));
       update audit_chain_heads set seq = new.chain_seq, hash = new.hash where chain_id = chain;
       return new;
     end $$`,
  `revoke all on function audit_events_chain() from public`,

  // Backfill, as the owner: see every existing row and write its chain fields past the append-only
  // trigger, both only inside this migration's transaction.
  `alter table audit_events no force row level security`,
  `alter table audit_events disable trigger audit_events_no_update_or_delete`,
  `do $$
   declare
     event audit_events;
     chain uuid;
     current_chain uuid := null;
     next_seq bigint := 0;
     previous bytea;
   begin
     for event in
       select * from audit_events
       order by coalesce(partnership_id, '${ZERO_UUID}'::uuid), occurred_at, id
     loop
       chain := coalesce(event.partnership_id, '${ZERO_UUID}'::uuid);
       if current_chain is distinct from chain then
         if current_chain is not null then
           insert into audit_chain_heads (chain_id, seq, hash)
             values (current_chain, next_seq, previous);
         end if;
         current_chain := chain;
         next_seq := 0;
         previous := '\\x${"00".repeat(32)}'::bytea;
       end if;
       next_seq := next_seq + 1;
       event.chain_seq := next_seq;
       event.prev_hash := previous;
       event.hash := sha256(previous || audit_event_canonical(event));
       update audit_events set chain_seq = event.chain_seq, prev_hash = event.prev_hash,
         hash = event.hash where id = event.id;
       previous := event.hash;
     end loop;
     if current_chain is not null then
       insert into audit_chain_heads (chain_id, seq, hash)
         values (current_chain, next_seq, previous);
     end if;
   end $$`,
  `alter table audit_events enable trigger audit_events_no_update_or_delete`,
  `alter table audit_events force row level security`,

  `alter table audit_events
     alter column chain_seq set not null,
     alter column prev_hash set not null,
     alter column hash set not null,
     add constraint audit_events_chain_seq_positive check (chain_seq >= 1),
     add constraint audit_events_prev_hash_length check (length(prev_hash) = 32),
     add constraint audit_events_hash_length check (length(hash) = 32)`,
  `create unique index audit_events_chain_idx
     on audit_events ((coalesce(partnership_id, '${ZERO_UUID}'::uuid)), chain_seq)`,

  `create trigger audit_events_chain before insert on audit_events
     for each row execute function audit_events_chain()`,

  // Verification and checkpoints run as the owner and must read every chain, including the
  // deployment chain no partnership's tenant can see. The owner could lift row-level security on
  // its own table anyway; this says so instead.
  `create policy audit_events_owner_read on audit_events for select to crosswalk_owner using (true)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export function down(): Promise<void> {
  return Promise.reject(
    new Error("The audit chain migration cannot be reverted: it would drop the log's evidence."),
  );
}
