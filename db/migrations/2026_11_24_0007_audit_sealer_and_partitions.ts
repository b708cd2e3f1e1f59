import { sql, type Kysely } from "kysely";

/**
 * The access log's chain moves out of the request path, and the log is partitioned by month.
 *
 * - Request transactions no longer take a lock: their events are inserted unsealed (chain_seq,
 *   prev_hash and hash NULL) and audit_seal(), run by one sealer at a time, chains committed events
 *   in batches with the same canonical encoding and hash as migration 0003, so db/audit/canonical.ts
 *   and the verifier are unchanged.
 * - audit_events becomes a table partitioned by range of occurred_at, one partition per calendar
 *   month (UTC) and a DEFAULT partition as a safety net, so that an old month can be detached and
 *   archived without touching the chain that runs through the months after it.
 *
 * Every existing event is copied with its chain fields unchanged. See
 * docs/decisions/009-audit-sealer-and-partitions.md. Frozen once landed.
 */
const ZERO_UUID = "00000000-0000-0000-0000-000000000000";
const GENESIS = `'\\x${"00".repeat(32)}'::bytea`;
/** The advisory lock that lets one sealer run at a time (any fixed number; documented in 009). */
const SEAL_LOCK = 7_369_000_001;
/** Months created ahead of the current one by the migration (the server keeps them ahead). */
const MONTHS_AHEAD = 3;

const statements = [
  // The old table steps aside; its chain functions and trigger go with it.
  `drop trigger audit_events_chain on audit_events`,
  `drop function audit_events_chain()`,
  `drop function audit_event_canonical(audit_events)`,
  `drop index audit_events_time_idx, audit_events_actor_idx, audit_events_record_idx,
     audit_events_young_person_idx, audit_events_chain_idx`,
  `alter table audit_events rename constraint audit_events_pkey to audit_events_before_0007_pkey`,
  `alter table audit_events rename to audit_events_before_0007`,

  // Write order across the deployment: orders a transaction's events, which share one
  // occurred_at, as they were recorded. Not hashed, and with gaps; chain_seq is the chain's order.
  `create sequence audit_events_entry_seq as bigint`,

  `create table audit_events (
     id uuid not null default gen_random_uuid(),
     partnership_id uuid constraint audit_events_partnership_id_fkey references partnerships (id),
     occurred_at timestamptz not null default now(),
     actor_user_id uuid,
     actor_agency_id uuid,
     actor_role text,
     action text not null
       constraint audit_events_action_check check (action ~ '^[a-z_]+(\\.[a-z_]+)*$'),
     record_type text,
     record_id uuid,
     young_person_id uuid,
     outcome text not null
       constraint audit_events_outcome_check check (outcome in ('allowed', 'refused')),
     reason text constraint audit_events_reason_check check (length(reason) <= 2000),
     request_id text constraint audit_events_request_id_check check (length(request_id) <= 100),
     client_address inet,
     details jsonb,
     chain_seq bigint,
     prev_hash bytea,
     hash bytea,
     -- The writing transaction (txid_current(): 64 bits, never wraps) and the write order: the
     -- sealer chains events transaction by transaction, each transaction's events together and in
     -- the order they were recorded. Neither is hashed.
     txid bigint not null default txid_current(),
     entry_seq bigint not null default nextval('audit_events_entry_seq'),
     constraint audit_events_chain_seq_positive check (chain_seq >= 1),
     constraint audit_events_prev_hash_length check (length(prev_hash) = 32),
     constraint audit_events_hash_length check (length(hash) = 32),
     -- An event is unsealed (all three NULL) or sealed (all three set).
     constraint audit_events_sealed_whole check (
       (chain_seq is null) = (prev_hash is null) and (chain_seq is null) = (hash is null)),
     -- A partitioned table's unique keys must include the partition key.
     primary key (id, occurred_at)
   ) partition by range (occurred_at)`,
  `alter sequence audit_events_entry_seq owned by audit_events.entry_seq`,

  // The bytes an event's hash covers after the previous hash: byte for byte the body of
  // audit_event_canonical() in migration 0003, now over the partitioned table's row type.
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

  // The append-only guard, for every role: UPDATE and DELETE are refused, except the one update
  // audit_seal() makes, as the owner, of an unsealed event's three chain columns, and nothing else.
  `create function audit_events_guard() returns trigger
     language plpgsql
     set search_path = public, pg_temp
     as $$
     declare
       unchanged audit_events;
     begin
       if tg_op = 'UPDATE' and current_user = 'crosswalk_owner'
          and old.chain_seq is null and old.prev_hash is null and old.hash is null
          and new.chain_seq is not null and new.prev_hash is not null and new.hash is not null then
         unchanged := new;
         unchanged.chain_seq := null;
         unchanged.prev_hash := null;
         unchanged.hash := null;
         -- Compared as text: equal values with different text forms (1 and 1.0 in JSON) would
         -- hash differently.
         if unchanged::text = old::text then
           return new;
         end if;
       end if;
       raise exception 'the access log is append-only: % is refused', tg_op
         using errcode = 'insufficient_privilege';
     end $$`,

  // A new event is stamped with the transaction's time, the transaction and its place in the write
  // order (by which the sealer orders it), and enters unsealed, whatever the inserter supplied; no
  // lock is taken. The time is the partition key: PostgreSQL routes the row before
  // this trigger runs, so a supplied time in another month than now() is refused outright
  // ("moving row to another partition"), and one in this month is overwritten.
  `create function audit_events_stamp() returns trigger
     language plpgsql
     as $$
     begin
       new.occurred_at := pg_catalog.now();
       new.chain_seq := null;
       new.prev_hash := null;
       new.hash := null;
       new.txid := pg_catalog.txid_current();
       new.entry_seq := pg_catalog.nextval('public.audit_events_entry_seq'::regclass);
       return new;
     end $$`,

  // One month's partition, created beside the table and attached (which takes a SHARE UPDATE
  // EXCLUSIVE lock on audit_events, so appends carry on), with its own row-level security and
  // TRUNCATE guard: nobody but the owner can reach a partition directly. A month whose events
  // already sit in the DEFAULT partition is left alone with a warning: attaching it would fail.
  `create function audit_events_create_month(month date) returns boolean
     language plpgsql
     set search_path = public, pg_temp
     as $$
     declare
       first_day date := date_trunc('month', month)::date;
       name text := 'audit_events_' || to_char(first_day, 'YYYY_MM');
       from_time timestamptz := first_day::timestamp at time zone 'UTC';
       to_time timestamptz := (first_day + interval '1 month')::timestamp at time zone 'UTC';
     begin
       if to_regclass('public.' || quote_ident(name)) is not null then
         return false;
       end if;
       if to_regclass('public.audit_events_default') is not null then
         if exists (select 1 from audit_events_default
                    where occurred_at >= from_time and occurred_at < to_time) then
           raise warning 'audit_events_default holds events of %: the partition % was not created', to_char(first_day, 'YYYY-MM'), name;
           return false;
         end if;
       end if;
       execute format('create table public.%I (like public.audit_events including defaults including constraints)', name);
       execute format('alter table public.audit_events attach partition public.%I for values from (%L) to (%L)',
         name, from_time, to_time);
       execute format('alter table public.%I enable row level security', name);
       execute format('alter table public.%I force row level security', name);
       execute format('create policy owner_read on public.%I for select to crosswalk_owner using (true)', name);
       execute format('create trigger audit_events_no_truncate before truncate on public.%I
         for each statement execute function public.audit_events_refuse_change()', name);
       return true;
     end $$`,
  `revoke all on function audit_events_create_month(date) from public`,

  // Months from the current one (UTC) to months_ahead after it. Run by the migration, and by the
  // server at start and daily (as crosswalk_app, hence SECURITY DEFINER). The lock timeout keeps a
  // busy table from queueing every request behind the attach.
  `create function audit_ensure_partitions(months_ahead integer) returns integer
     language plpgsql security definer
     set search_path = public, pg_temp
     set lock_timeout = '5s'
     as $$
     declare
       this_month date := date_trunc('month', now() at time zone 'UTC')::date;
       created integer := 0;
     begin
       if months_ahead is null or months_ahead < 0 or months_ahead > 24 then
         raise exception 'months_ahead must be between 0 and 24' using errcode = 'invalid_parameter_value';
       end if;
       for step in 0..months_ahead loop
         if audit_events_create_month((this_month + make_interval(months => step))::date) then
           created := created + 1;
         end if;
       end loop;
       return created;
     end $$`,
  `revoke all on function audit_ensure_partitions(integer) from public`,
  `grant execute on function audit_ensure_partitions(integer) to crosswalk_app`,

  // A partition for every month the existing events fall in, then the safety net, then the months
  // ahead: the default partition starts empty.
  `do $$
   declare
     month date;
   begin
     for month in
       select distinct date_trunc('month', occurred_at at time zone 'UTC')::date
       from audit_events_before_0007 order by 1
     loop
       perform audit_events_create_month(month);
     end loop;
   end $$`,
  `create table audit_events_default partition of audit_events default`,
  `alter table audit_events_default enable row level security`,
  `alter table audit_events_default force row level security`,
  `create policy owner_read on audit_events_default for select to crosswalk_owner using (true)`,
  `create trigger audit_events_no_truncate before truncate on audit_events_default
     for each statement execute function audit_events_refuse_change()`,
  `select audit_ensure_partitions(${MONTHS_AHEAD})`,

  // Every event, with its chain fields as they are: the chain verifies as before. No trigger is on
  // the new table yet, and the owner reads the old one through its owner policy.
  `insert into audit_events (id, partnership_id, occurred_at, actor_user_id, actor_agency_id,
     actor_role, action, record_type, record_id, young_person_id, outcome, reason, request_id,
     client_address, details, chain_seq, prev_hash, hash, entry_seq)
   select id, partnership_id, occurred_at, actor_user_id, actor_agency_id, actor_role, action,
     record_type, record_id, young_person_id, outcome, reason, request_id, client_address,
     details, chain_seq, prev_hash, hash,
     row_number() over (order by coalesce(partnership_id, '${ZERO_UUID}'::uuid), chain_seq)
   from audit_events_before_0007`,
  `select setval('audit_events_entry_seq', greatest((select max(entry_seq) from audit_events), 1))`,
  `drop table audit_events_before_0007`,

  // The auditor's searches, newest first within a partnership, and the verifier's keyset pages.
  `create index audit_events_time_idx on audit_events (partnership_id, occurred_at desc, id desc)`,
  `create index audit_events_actor_idx on audit_events (partnership_id, actor_user_id, occurred_at desc)`,
  `create index audit_events_agency_idx on audit_events (partnership_id, actor_agency_id, occurred_at desc)`,
  `create index audit_events_young_person_idx on audit_events (partnership_id, young_person_id, occurred_at desc)
     where young_person_id is not null`,
  `create index audit_events_record_idx on audit_events (partnership_id, record_id, occurred_at desc)`,
  `create index audit_events_action_idx on audit_events (partnership_id, action, occurred_at desc)`,
  // Not unique: uniqueness across partitions would need the partition key in it. The verifier
  // checks that no seq repeats in a chain, and never relied on this index to say so.
  `create index audit_events_chain_idx
     on audit_events ((coalesce(partnership_id, '${ZERO_UUID}'::uuid)), chain_seq)`,
  // What the sealer reads: the events still waiting, transaction by transaction. Not on
  // occurred_at: the sealer's update finds each event by its primary key, and an index on the
  // time of unsealed events would tempt the planner to scan a whole transaction's events instead.
  `create index audit_events_unsealed_idx on audit_events (txid, entry_seq) where chain_seq is null`,

  `create trigger audit_events_stamp before insert on audit_events
     for each row execute function audit_events_stamp()`,
  `create trigger audit_events_no_update_or_delete before update or delete on audit_events
     for each row execute function audit_events_guard()`,
  `create trigger audit_events_no_truncate before truncate on audit_events
     for each statement execute function audit_events_refuse_change()`,

  `alter table audit_events enable row level security`,
  `alter table audit_events force row level security`,
  `create policy audit_events_read on audit_events for select using (partnership_id = app_partnership_id())`,
  `create policy audit_events_append on audit_events for insert
     with check (partnership_id is not distinct from app_partnership_id())`,
  `create policy audit_events_owner_read on audit_events for select to crosswalk_owner using (true)`,
  // The sealer's update (audit_seal runs as the owner): unsealed events only, and sealed after.
  `create policy audit_events_owner_seal on audit_events for update to crosswalk_owner
     using (chain_seq is null) with check (chain_seq is not null)`,

  `revoke all on audit_events from public`,
  `grant select, insert on audit_events to crosswalk_app`,
  // The column default and the stamp trigger take entry_seq's next value as the inserter.
  `grant usage on sequence audit_events_entry_seq to crosswalk_app`,

  // Chains committed, unsealed events: about max_events of them, transaction by transaction in
  // the order the transactions began writing (txid), each transaction's events together in the
  // order they were recorded (entry_seq), and never a transaction split across two calls. Each
  // event is appended to its chain (its partnership's, or the deployment chain) with chain_seq =
  // head + 1, prev_hash = the head's hash and hash = sha256(prev_hash ||
  // audit_event_canonical(event)), exactly as the trigger of migration 0003 did. The hashes are
  // computed in a loop and written in one update. One sealer at a time: a second caller gets 0 at
  // once. Returns how many events it sealed (more than max_events when the last transaction it
  // takes is larger).
  `create function audit_seal(max_events integer) returns integer
     language plpgsql security definer
     set search_path = public, pg_temp
     as $$
     declare
       event audit_events;
       chain uuid;
       current_chain uuid := null;
       head_seq bigint;
       head_hash bytea;
       ids uuid[] := '{}';
       times timestamptz[] := '{}';
       seqs bigint[] := '{}';
       prevs bytea[] := '{}';
       hashes bytea[] := '{}';
       last_txid bigint;
       sealed integer := 0;
       updated integer;
     begin
       if max_events is null or max_events < 1 or max_events > 100000 then
         raise exception 'max_events must be between 1 and 100000' using errcode = 'invalid_parameter_value';
       end if;
       -- Each statement below must see what has committed since the last seal; at REPEATABLE READ
       -- it would see the snapshot from before this call.
       if current_setting('transaction_isolation') <> 'read committed' then
         raise exception 'audit_seal runs at READ COMMITTED' using errcode = 'invalid_transaction_state';
       end if;
       -- Only committed events are sealed: the caller's own uncommitted events would be visible.
       if txid_current_if_assigned() is not null then
         raise exception 'audit_seal runs in a transaction of its own, before anything is written'
           using errcode = 'invalid_transaction_state';
       end if;
       if not pg_try_advisory_xact_lock(${SEAL_LOCK}) then
         return 0;
       end if;
       -- The transaction of the max_events-th event waiting, if there are that many: the batch
       -- ends with it, whole.
       select txid into last_txid from audit_events where chain_seq is null
         order by txid, entry_seq offset max_events - 1 limit 1;
       last_txid := coalesce(last_txid, 9223372036854775807);
       for event in
         select * from audit_events where chain_seq is null and txid <= last_txid
         order by coalesce(partnership_id, '${ZERO_UUID}'::uuid), txid, entry_seq
       loop
         chain := coalesce(event.partnership_id, '${ZERO_UUID}'::uuid);
         if current_chain is distinct from chain then
           if current_chain is not null then
             update audit_chain_heads set seq = head_seq, hash = head_hash where chain_id = current_chain;
           end if;
           select seq, hash into head_seq, head_hash from audit_chain_heads
             where chain_id = chain for update;
           if not found then
             insert into audit_chain_heads (chain_id, seq, hash) values (chain, 0, ${GENESIS});
             head_seq := 0;
             head_hash := ${GENESIS};
           end if;
           current_chain := chain;
         end if;
         event.chain_seq := head_seq + 1;
         event.prev_hash := head_hash;
         event.hash := sha256(head_hash || audit_event_canonical(event));
         ids := ids || event.id;
         times := times || event.occurred_at;
         seqs := seqs || event.chain_seq;
         prevs := prevs || event.prev_hash;
         hashes := hashes || event.hash;
         head_seq := event.chain_seq;
         head_hash := event.hash;
         sealed := sealed + 1;
       end loop;
       if current_chain is null then
         return 0;
       end if;
       update audit_chain_heads set seq = head_seq, hash = head_hash where chain_id = current_chain;
       update audit_events
         set chain_seq = batch.chain_seq, prev_hash = batch.prev_hash, hash = batch.hash
         from unnest(ids, times, seqs, prevs, hashes)
           as batch (id, occurred_at, chain_seq, prev_hash, hash)
         where audit_events.id = batch.id and audit_events.occurred_at = batch.occurred_at
           and audit_events.chain_seq is null;
       get diagnostics updated = row_count;
       if updated <> sealed then
         raise exception 'sealed % events but updated %: the log changed while it was sealed', sealed, updated;
       end if;
       return sealed;
     end $$`,
  `revoke all on function audit_seal(integer) from public`,
  `grant execute on function audit_seal(integer) to crosswalk_app`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) {
    await sql.raw(statement).execute(db);
  }
}

export function down(): Promise<void> {
  return Promise.reject(
    new Error("The audit sealer migration cannot be reverted: it would drop the log's evidence."),
  );
}
