import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import pg from "pg";
import { auditedTransaction, record } from "../../app/services/audit.server";
import { CANONICAL_TEXT_SELECT_SQL, CHAIN_ID_SQL, eventHash } from "../../db/audit/canonical";
import { verifyAuditLog, type VerifyOptions, type VerifyReport } from "../../db/audit/verify";
import { setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import type { TestDatabase } from "./database";
import { createPartnership } from "./factories";

/** Where test events say they came from. */
export const TEST_META = { requestId: "test-request", clientAddress: "192.0.2.30" };

/**
 * Record `count` events for a partnership, one transaction each, as the application does (through
 * auditedTransaction and record), and return their ids' chain positions as the database gave them.
 */
export async function recordEvents(
  db: Kysely<Database>,
  partnershipId: string,
  count: number,
  action = "test.event",
): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    await auditedTransaction(db, async (trx) => {
      await setTenant(trx, partnershipId);
      await record(trx, { actor: null, partnershipId }, TEST_META, {
        action,
        outcome: "allowed",
        recordType: "test",
        recordId: randomUUID(),
        reason: `event ${index + 1}`,
      });
    });
  }
}

/**
 * Chain every committed event, as the server's sealer does: audit_seal() as the application role
 * until it has nothing left. Returns how many events it sealed.
 */
export async function seal(test: Pick<TestDatabase, "app">): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await sql<{ sealed: number }>`select audit_seal(5000) as sealed`.execute(
      test.app,
    );
    const sealed = result.rows[0]?.sealed ?? 0;
    total += sealed;
    if (sealed < 5000) return total;
  }
}

/** A partnership whose chain holds `count` events, sealed. */
export async function chainOf(
  test: TestDatabase,
  count: number,
): Promise<{ id: string; name: string }> {
  const partnership = await createPartnership(test.owner);
  await recordEvents(test.app, partnership.id, count);
  await seal(test);
  return partnership;
}

/**
 * One chain's events as stored, in chain order, unsealed events last in the order they were
 * written (read as a superuser).
 */
export async function chainEvents(test: TestDatabase, chainId: string) {
  return test.superuser
    .selectFrom("audit_events")
    .selectAll()
    .where(sql<string>`${sql.raw(CHAIN_ID_SQL)}`, "=", chainId)
    .orderBy("chain_seq")
    .orderBy("entry_seq")
    .execute();
}

/** Verify the log (or some chains of it) as the role of `url`, as `npm run audit:verify` does. */
export async function verifyAs(url: string, options: VerifyOptions = {}): Promise<VerifyReport> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await verifyAuditLog(client, options);
  } finally {
    await client.end();
  }
}

/**
 * Verify as the role of `url` with the chains split into stretches of `rangeSize` events verified
 * side by side on `workers` connections (on this thread unless `threads`), and joined at their
 * edges, as `npm run audit:verify` does on a large log.
 */
export function verifyInStretches(
  url: string,
  options: VerifyOptions = {},
  parallel: { workers?: number; rangeSize?: number; threads?: boolean } = {},
): Promise<VerifyReport> {
  return verifyAs(url, {
    ...options,
    parallel: {
      connection: { url, role: null },
      workers: parallel.workers ?? 3,
      rangeSize: parallel.rangeSize ?? 3,
      threads: parallel.threads ?? false,
      minEvents: 0,
    },
  });
}

/**
 * Do what only someone with full control of the database can: change the access log with every
 * trigger switched off (session_replication_role = replica), as a superuser.
 */
export function asAttacker(
  test: TestDatabase,
  work: (trx: Transaction<Database>) => Promise<void>,
): Promise<void> {
  return test.superuser.transaction().execute(async (trx) => {
    await sql`set local session_replication_role = replica`.execute(trx);
    await work(trx);
  });
}

/**
 * Recompute prev_hash and hash of a chain's events from `fromSeq` on, and its head, exactly as the
 * trigger would: a consistent rewrite that only a checkpoint taken before it can expose.
 */
export async function rechainFrom(
  trx: Transaction<Database>,
  chainId: string,
  fromSeq: number,
): Promise<void> {
  const before = await sql<{ hash: Buffer }>`
    select hash from audit_events
    where ${sql.raw(CHAIN_ID_SQL)} = ${chainId} and chain_seq = ${fromSeq - 1}
  `.execute(trx);
  let previous = before.rows[0]?.hash ?? Buffer.alloc(32);
  const rows = await sql<{ fields: (string | null)[] }>`
    select array[${sql.raw(CANONICAL_TEXT_SELECT_SQL)}] as fields from audit_events
    where ${sql.raw(CHAIN_ID_SQL)} = ${chainId} and chain_seq >= ${fromSeq}
    order by chain_seq
  `.execute(trx);
  let seq = fromSeq - 1;
  for (const row of rows.rows) {
    const hash = eventHash(previous, row.fields);
    const [id] = row.fields;
    await sql`update audit_events set prev_hash = ${previous}, hash = ${hash} where id = ${id}`.execute(
      trx,
    );
    previous = hash;
    seq += 1;
  }
  await sql`update audit_chain_heads set seq = ${seq}, hash = ${previous} where chain_id = ${chainId}`.execute(
    trx,
  );
}
