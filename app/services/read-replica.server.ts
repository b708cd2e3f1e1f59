import { sql, type Kysely, type Transaction } from "kysely";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import { auditedRead, auditedTransaction, record } from "./audit.server";
import { inActorTransaction, type ServiceContext } from "./context.server";
import { AccessRefused } from "./errors";

/**
 * Reads that a streaming read replica may serve (DATABASE_REPLICA_URL; docs/SCALING.md): the
 * partnership's dashboards, the access log's reports and the auditor's searches. Counting and
 * searching are most of the database's reading, and figures a few seconds old change no decision.
 *
 * Everything else stays on the primary: every write, every read of a case (a referral, a young
 * person, the names behind a number), and every decision on access, which must see a withdrawn
 * consent or a deactivated account at once. The reading's own access-log event is written on the
 * primary too, before the result is returned. A route chooses the replica for a service that
 * allows it (readingFrom); a service that allows it reads through inActorReadTransaction, in a
 * read-only transaction, so that not even a misconfigured replica address can take a write.
 */

/** A service context whose reads may go to `readDb`, a replica, where the service allows it. */
export interface ReadingContext extends ServiceContext {
  readDb?: Kysely<Database>;
}

/** `ctx`, reading from `readDb` where its service allows: the route's choice. */
export function readingFrom(ctx: ServiceContext, readDb: Kysely<Database>): ReadingContext {
  return { ...ctx, readDb };
}

async function scoped(ctx: ServiceContext, trx: Transaction<Database>): Promise<void> {
  await setTenant(trx, ctx.actor.partnershipId);
  await setLocal(trx, "app.user_id", ctx.actor.userId);
}

// Errors that say the replica could not answer, not that the read was wrong: the connection was
// refused, lost or timed out, the server is starting or stopping, or a query was cancelled because
// replay needed the rows it was reading (40001 on a standby). The read is then made on the primary.
const REPLICA_UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "08000",
  "08001",
  "08003",
  "08004",
  "08006",
  "40001",
  "57P01",
  "57P02",
  "57P03",
]);

function replicaUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && REPLICA_UNAVAILABLE_CODES.has(code)) return true;
  // pg's own messages for a pool that could not connect in time, or a connection that ended.
  return /timeout exceeded when trying to connect|Connection terminated/i.test(error.message);
}

/**
 * Run a service's reads scoped to the actor's partnership, on the replica when the route chose
 * one (else as inActorTransaction does, on the primary). The events the reads record are written
 * on the primary before the result is returned; a refusal is recorded there as inActorTransaction
 * records it. A replica that cannot answer is read around: the same reads run on the primary.
 */
export async function inActorReadTransaction<T>(
  ctx: ReadingContext,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  const readDb = ctx.readDb;
  if (!readDb || readDb === ctx.db) return inActorTransaction(ctx, work);
  try {
    return await auditedRead(
      readDb,
      ctx.db,
      async (trx) => {
        await scoped(ctx, trx);
        return work(trx);
      },
      (trx) => scoped(ctx, trx),
    );
  } catch (error) {
    if (error instanceof AccessRefused) {
      await auditedTransaction(ctx.db, async (trx) => {
        await scoped(ctx, trx);
        await record(trx, { actor: ctx.actor }, ctx, error.audit);
      });
      throw error;
    }
    if (replicaUnavailable(error)) return inActorTransaction(ctx, work);
    throw error;
  }
}

/**
 * How far behind the primary the reads of `ctx` may be, in whole seconds: 0 when they go to the
 * primary, or to a replica that has replayed everything it has received and is still receiving.
 * Otherwise the time since the replica last replayed a transaction: an upper bound, since nothing
 * committed before then can be missing. (That time alone would grow on an idle primary although
 * nothing is missing, hence the comparison of what was received with what was replayed first.)
 */
export async function readDelaySeconds(ctx: ReadingContext): Promise<number> {
  const readDb = ctx.readDb;
  if (!readDb || readDb === ctx.db) return 0;
  try {
    const { rows } = await sql<{ behind: number | string | null }>`
      select case
        when not pg_is_in_recovery() then 0
        when pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
          and exists (select 1 from pg_stat_wal_receiver) then 0
        else extract(epoch from now() - pg_last_xact_replay_timestamp())
      end as behind
    `.execute(readDb);
    const behind = Number(rows[0]?.behind ?? 0);
    return Number.isFinite(behind) ? Math.max(0, Math.round(behind)) : 0;
  } catch (error) {
    // The reads themselves went to the primary then (inActorReadTransaction): not behind.
    if (replicaUnavailable(error)) return 0;
    throw error;
  }
}
