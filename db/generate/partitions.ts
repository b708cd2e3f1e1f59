import type pg from "pg";
import { DEPLOYMENT_CHAIN_ID } from "../audit/canonical";
import { type ChainState, type Month } from "./access-log";

/**
 * Writing generated history into the access log without disabling anything.
 *
 * The log refuses a backdated event: its stamp trigger sets every new event's time to now() and
 * leaves it unsealed for audit_seal() (migration 0007). A month that has passed and has no
 * partition yet is therefore built beside the log as a plain table, loaded with its events
 * already chained (the hashes audit_seal() would give them, computed as they are written), and
 * then attached as the month's partition (loading and attaching are two transactions on two
 * connections, so one month loads while the one before is attached): its indexes are built first, like the log's own, and on
 * attaching it takes the log's triggers and its foreign key to partnerships (validated), and it is
 * given the row-level security, owner policy and TRUNCATE guard that audit_events_create_month()
 * gives every month. The chain heads move in the same transaction. No trigger is ever disabled,
 * and an attached month is like any other.
 *
 * Validating the foreign key reads partnerships, whose forced row-level security shows the owner
 * one partnership at a time, and a month holds the events of two. Forcing is lifted for the attach
 * statement alone and restored in the same transaction, as migrations 0003 and 0010 do for their
 * backfills: DDL is transactional, so no other transaction ever sees it lifted (they wait for the
 * moment the attach takes).
 *
 * Months that already have a partition (this one above all, where the application writes) get
 * their events through the log's own path: inserted unsealed, timed now() by the stamp trigger,
 * and chained by audit_seal().
 */

/** The sealer's advisory lock (migration 0007; decision 009): holding it keeps other sealers out. */
export const SEAL_LOCK = "7369000001";

/** The partition name of a month, as audit_events_create_month() names it. */
export function partitionName(month: Month): string {
  const date = new Date(month.startUs / 1000);
  return `audit_events_${date.getUTCFullYear()}_${String(date.getUTCMonth() + 1).padStart(2, "0")}`;
}

/**
 * Which of these months can be built: passed (before the database's current month), without a
 * partition, and with no event of theirs in the default partition.
 */
export async function buildableMonths(
  client: pg.ClientBase,
  months: readonly Month[],
): Promise<Set<number>> {
  const now = await client.query<{ month: number }>(
    `select (extract(year from now() at time zone 'UTC')::int * 12
             + extract(month from now() at time zone 'UTC')::int - 1) as month`,
  );
  const current = now.rows[0]?.month ?? 0;
  const names = months.map(partitionName);
  const existing = await client.query<{ name: string }>(
    `select name from unnest($1::text[]) as name where to_regclass('public.' || name) is not null`,
    [names],
  );
  const taken = new Set(existing.rows.map((row) => row.name));
  const stray = await client.query<{ first: Date | null; last: Date | null }>(
    `select min(occurred_at) as first, max(occurred_at) as last from audit_events_default`,
  );
  const { first, last } = stray.rows[0] ?? { first: null, last: null };
  const buildable = new Set<number>();
  for (const month of months) {
    if (month.index >= current || taken.has(partitionName(month))) continue;
    if (
      first &&
      last &&
      first.getTime() * 1000 < month.endUs &&
      last.getTime() * 1000 >= month.startUs
    ) {
      continue;
    }
    buildable.add(month.index);
  }
  return buildable;
}

let parentIndexes: { primary: boolean; definition: string }[] | null = null;

/**
 * The log's indexes, as statements that build the same on `table`, so the attach finds them and
 * builds none itself (and the primary key as a constraint, as the attach requires).
 */
async function indexStatements(client: pg.ClientBase, table: string): Promise<string[]> {
  parentIndexes ??= (
    await client.query<{ primary: boolean; definition: string }>(
      `select x.indisprimary as primary, pg_get_indexdef(i.oid) as definition
       from pg_index x join pg_class i on i.oid = x.indexrelid
       where x.indrelid = 'public.audit_events'::regclass order by i.relname`,
    )
  ).rows;
  return parentIndexes.map(({ primary, definition }) => {
    const on = /^CREATE (UNIQUE )?INDEX \S+ ON ONLY public\.audit_events USING (.*)$/.exec(
      definition,
    );
    if (!on) throw new Error(`unexpected index on the access log: ${definition}`);
    if (primary) {
      const columns = /^btree \(([^)]*)\)$/.exec(on[2] ?? "");
      if (!columns) throw new Error(`unexpected primary key on the access log: ${definition}`);
      return `alter table ${table} add primary key (${columns[1] ?? ""})`;
    }
    return `create ${on[1] ?? ""}index on ${table} using ${on[2] ?? ""}`;
  });
}

/** The heads as they stand, for the chains given (a chain with no head starts at genesis). */
export async function readHead(client: pg.ClientBase, chainId: string): Promise<ChainState | null> {
  const result = await client.query<{ seq: string; hash: Buffer }>(
    "select seq::text as seq, hash from audit_chain_heads where chain_id = $1",
    [chainId],
  );
  const row = result.rows[0];
  return row ? { seq: Number(row.seq), hash: row.hash } : null;
}

/** Move chain heads to where the generator has chained them (in the caller's transaction). */
export async function writeHeads(
  client: pg.ClientBase,
  heads: readonly { chainId: string; state: ChainState }[],
): Promise<void> {
  for (const { chainId, state } of heads) {
    if (chainId === DEPLOYMENT_CHAIN_ID) throw new Error("the deployment chain is not generated");
    if (state.seq === 0) continue;
    await client.query(
      `insert into audit_chain_heads (chain_id, seq, hash) values ($1, $2, $3)
       on conflict (chain_id) do update set seq = excluded.seq, hash = excluded.hash`,
      [chainId, state.seq, state.hash],
    );
  }
}

/** The name a month's table has while it is loaded, before it is attached under its own. */
export function stagingName(month: Month): string {
  return partitionName(month).replace(/^audit_events_/, "generated_audit_events_");
}

/**
 * First stage of building a passed month: in a transaction of its own, a plain table beside the log
 * (the owner's alone: the application role has no privilege on it) is loaded by `load` with the
 * month's sealed events. Another connection attaches it (attachMonth) while this one loads the
 * next month.
 */
export async function loadMonth(
  client: pg.ClientBase,
  month: Month,
  load: (table: string) => Promise<number>,
): Promise<number> {
  const table = `public.${stagingName(month)}`;
  await client.query("begin");
  try {
    await client.query(
      `create table ${table} (like public.audit_events including defaults including constraints)`,
    );
    const rows = await load(table);
    await client.query("commit");
    return rows;
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}

/**
 * Second stage, in one transaction: give the loaded month the log's indexes, attach it as the
 * month's partition, secure it as audit_events_create_month() does, and move the chain heads.
 */
export async function attachMonth(
  client: pg.ClientBase,
  month: Month,
  heads: readonly { chainId: string; state: ChainState }[],
): Promise<void> {
  const name = partitionName(month);
  const from = new Date(month.startUs / 1000).toISOString();
  const to = new Date(month.endUs / 1000).toISOString();
  await client.query("begin");
  try {
    await client.query(`alter table public.${stagingName(month)} rename to ${name}`);
    // The range as a valid constraint lets the attach skip scanning the month for it.
    await client.query(
      `alter table public.${name} add constraint ${name}_range
         check (occurred_at >= '${from}'::timestamptz and occurred_at < '${to}'::timestamptz)`,
    );
    for (const statement of await indexStatements(client, `public.${name}`)) {
      await client.query(statement);
    }
    await client.query("alter table public.partnerships no force row level security");
    await client.query(
      `alter table public.audit_events attach partition public.${name}
         for values from ('${from}') to ('${to}')`,
    );
    await client.query("alter table public.partnerships force row level security");
    await client.query(`alter table public.${name} drop constraint ${name}_range`);
    await client.query(`alter table public.${name} enable row level security`);
    await client.query(`alter table public.${name} force row level security`);
    await client.query(
      `create policy owner_read on public.${name} for select to crosswalk_owner using (true)`,
    );
    await client.query(
      `create trigger audit_events_no_truncate before truncate on public.${name}
         for each statement execute function public.audit_events_refuse_change()`,
    );
    await writeHeads(client, heads);
    await client.query("commit");
  } catch (error) {
    await client.query("rollback").catch(() => undefined);
    throw error;
  }
}
