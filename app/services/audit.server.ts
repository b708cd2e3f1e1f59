import type { Kysely, Transaction } from "kysely";
import type { AuditOutcome, Database, NewAuditEvent } from "../../db/types";
import type { Actor, RequestMeta } from "./context.server";

/** One entry in the access log, as a service describes what it just did or refused. */
export interface AuditEntry {
  /** Dotted verb, e.g. `auth.sign_in`, `referral.view`. */
  action: string;
  outcome: AuditOutcome;
  recordType?: string;
  recordId?: string;
  youngPersonId?: string;
  /** Why, in words: a refusal's reason or a stated purpose. Never case narrative. */
  reason?: string;
  /** Structured detail such as before/after values of an administrative change. Never narrative. */
  details?: Record<string, unknown>;
}

/** The parts of an actor the access log keeps. */
export type AuditActor = Pick<Actor, "userId" | "partnershipId" | "agencyId" | "role">;

/** Who acted: a signed-in actor, or (before sign-in) nobody, in a partnership if one is known. */
export type AuditSubject = { actor: AuditActor } | { actor: null; partnershipId: string | null };

/** Thrown by record() outside a transaction opened by auditedTransaction(), or after it ended. */
export class AuditTransactionRequired extends Error {
  override name = "AuditTransactionRequired";
}

// Events recorded in each open transaction, in order, until the transaction writes them. A
// transaction that has written its events maps to null, so a late record() fails loudly.
const pendingEvents = new WeakMap<Transaction<Database>, NewAuditEvent[] | null>();

/**
 * Open a transaction whose access-log events are written together as its last statement, just
 * before it commits, in the same transaction: if they cannot be written, the work rolls back with
 * them. The events go in unsealed and take no lock; the sealer chains them once they have
 * committed (docs/decisions/009-audit-sealer-and-partitions.md). Every transaction that may
 * record an event is opened here; record() refuses any other.
 */
export function auditedTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
  /**
   * Runs once the work is done, with the events it recorded, before they are written: it may
   * still write (a form's submission id is claimed here), or throw to roll everything back.
   */
  beforeCommit?: (trx: Transaction<Database>, events: readonly NewAuditEvent[]) => Promise<void>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const pending: NewAuditEvent[] = [];
    pendingEvents.set(trx, pending);
    try {
      const result = await work(trx);
      // Closed first: an event recorded while the write runs would otherwise be lost.
      pendingEvents.set(trx, null);
      if (beforeCommit) await beforeCommit(trx, pending);
      if (pending.length > 0) await trx.insertInto("audit_events").values(pending).execute();
      return result;
    } finally {
      pendingEvents.set(trx, null);
    }
  });
}

/**
 * Record one event in the access log as part of the caller's transaction, which must have been
 * opened by auditedTransaction(). The event is written when the transaction's work is done, and
 * only if it commits; if the event cannot be written, neither can the work it describes.
 */
export function record(
  trx: Transaction<Database>,
  subject: AuditSubject,
  meta: RequestMeta,
  entry: AuditEntry,
): Promise<void> {
  const pending = pendingEvents.get(trx);
  if (!pending) {
    return Promise.reject(
      new AuditTransactionRequired(
        pending === null
          ? `The access-log event ${entry.action} was recorded after its transaction's events were written`
          : `The access-log event ${entry.action} was recorded in a transaction not opened by auditedTransaction()`,
      ),
    );
  }
  const actor = subject.actor;
  pending.push({
    partnership_id: actor ? actor.partnershipId : subject.partnershipId,
    actor_user_id: actor?.userId ?? null,
    actor_agency_id: actor?.agencyId ?? null,
    actor_role: actor?.role ?? null,
    action: entry.action,
    outcome: entry.outcome,
    record_type: entry.recordType ?? null,
    record_id: entry.recordId ?? null,
    young_person_id: entry.youngPersonId ?? null,
    reason: entry.reason ?? null,
    details: entry.details ? JSON.stringify(entry.details) : null,
    request_id: meta.requestId,
    client_address: meta.clientAddress,
  });
  return Promise.resolve();
}

/**
 * auditedTransaction for work that only reads, on a database that may not be the one the access
 * log is written to: a streaming read replica, which refuses every write. The work runs in a
 * read-only transaction on `readDb`; the events it recorded are then written on `writeDb` in a
 * transaction of their own, opened by `prepare` (which scopes it as the work's was), before the
 * result is returned. If the events cannot be written, the result is never returned: nothing is
 * shown whose reading was not recorded.
 */
export async function auditedRead<T>(
  readDb: Kysely<Database>,
  writeDb: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<T>,
  prepare: (trx: Transaction<Database>) => Promise<void>,
): Promise<T> {
  const events: NewAuditEvent[] = [];
  const result = await readDb
    .transaction()
    .setAccessMode("read only")
    .execute(async (trx) => {
      pendingEvents.set(trx, events);
      try {
        return await work(trx);
      } finally {
        pendingEvents.set(trx, null);
      }
    });
  if (events.length > 0) {
    await writeDb.transaction().execute(async (trx) => {
      await prepare(trx);
      await trx.insertInto("audit_events").values(events).execute();
    });
  }
  return result;
}
