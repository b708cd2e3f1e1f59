import type { Transaction } from "kysely";
import type { AuditOutcome, Database } from "../../db/types";
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

/**
 * Append one event to the access log inside the caller's transaction. If the event cannot be
 * written the transaction fails, so the work it describes cannot happen without it.
 */
export async function record(
  trx: Transaction<Database>,
  subject: AuditSubject,
  meta: RequestMeta,
  entry: AuditEntry,
): Promise<void> {
  const actor = subject.actor;
  await trx
    .insertInto("audit_events")
    .values({
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
    })
    .execute();
}
