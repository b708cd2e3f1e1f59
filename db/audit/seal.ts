import { sql, type Kysely } from "kysely";
import type pg from "pg";

/**
 * Sealing: chaining committed access-log events (audit_seal() in migration 0007). Events enter
 * the log unsealed, in the same transaction as the work they record and without any lock; the
 * sealer chains them shortly after they commit. See
 * docs/decisions/009-audit-sealer-and-partitions.md.
 */

/** How many events one audit_seal() call chains, at most (give or take its last transaction). */
export const SEAL_BATCH = 5000;

/** One audit_seal(maxEvents) call: returns how many events it sealed (0 if another sealer runs). */
export type SealCall = (maxEvents: number) => Promise<number>;

/** audit_seal() over a pg client, outside any transaction of the caller's. */
export function sealOver(client: pg.ClientBase): SealCall {
  return async (maxEvents) => {
    const result = await client.query<{ sealed: number }>("select audit_seal($1) as sealed", [
      maxEvents,
    ]);
    return result.rows[0]?.sealed ?? 0;
  };
}

/** audit_seal() through a Kysely pool (a connection from the pool, outside any transaction). */
export function sealThrough<DB>(db: Kysely<DB>): SealCall {
  return async (maxEvents) => {
    const result = await sql<{ sealed: number }>`select audit_seal(${maxEvents}) as sealed`.execute(
      db,
    );
    return result.rows[0]?.sealed ?? 0;
  };
}

/**
 * Seal until a call seals fewer than `batch` events: everything committed so far, unless another
 * sealer is running (which then carries on). Returns how many events this sealed.
 */
export async function sealAll(seal: SealCall, batch = SEAL_BATCH): Promise<number> {
  let total = 0;
  for (;;) {
    const sealed = await seal(batch);
    total += sealed;
    if (sealed < batch) return total;
  }
}

/**
 * Seal until every event that had committed when this was called is sealed. If another sealer
 * holds the lock (the server's, every 250 ms), audit_seal() here returns 0 at once while that one
 * is still chaining: wait for it (up to `waitMs`), so that a checkpoint signed next covers what
 * has been written. Returns how many events this call itself sealed.
 */
export async function sealCommitted(client: pg.ClientBase, waitMs = 10_000): Promise<number> {
  const mark = await client.query<{ last: string | null }>(
    "select pg_sequence_last_value('public.audit_events_entry_seq')::text as last",
  );
  const last = mark.rows[0]?.last ?? null;
  const deadline = Date.now() + waitMs;
  let total = 0;
  for (;;) {
    total += await sealAll(sealOver(client));
    if (last === null) return total;
    const waiting = await client.query<{ waiting: boolean }>(
      `select exists (select 1 from audit_events where chain_seq is null and entry_seq <= $1)
         as waiting`,
      [last],
    );
    if (!waiting.rows[0]?.waiting || Date.now() >= deadline) return total;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
