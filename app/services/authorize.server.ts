import type { Transaction } from "kysely";
import type { Database } from "../../db/types";
import { decide, rulesFor, type Action, type Facts } from "../../policies";
import { record, type AuditEntry } from "./audit.server";
import { inActorTransaction, type ServiceContext } from "./context.server";
import { AccessRefused } from "./errors";

export interface AuthorizeOptions {
  /** What the access log says was touched. */
  audit?: Omit<AuditEntry, "action" | "outcome">;
  /**
   * `hide` for reads of a record (a refusal is a 404, as if it did not exist); `explain` for page
   * actions and lists (a refusal is a 403 with the reason).
   */
  refusal: "hide" | "explain";
  /** Also record the allowed access (every read or write of case data is recorded). */
  recordAllowed?: boolean;
}

/**
 * The one enforcement point every service function calls before touching data: asks the policies,
 * records the outcome in the access log within the caller's transaction, and throws AccessRefused
 * on a refusal (whose event inActorTransaction writes after the rollback).
 */
export async function authorize(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  action: Action,
  facts: Facts,
  options: AuthorizeOptions,
): Promise<void> {
  const decision = decide(ctx.actor, action, facts);
  if (!decision.allowed) {
    throw new AccessRefused(decision.reason, options.refusal, {
      ...options.audit,
      action,
      outcome: "refused",
      reason: decision.reason,
      details: { ...options.audit?.details, rule: decision.rule },
    });
  }
  if (options.recordAllowed) {
    await record(trx, { actor: ctx.actor }, ctx, {
      ...options.audit,
      action,
      outcome: "allowed",
      details: { ...options.audit?.details, rule: decision.rule },
    });
  }
}

/**
 * The check at a page's door, before its form is even read: refuse (403, recorded) a role that no
 * rule ever lets take any of the page's actions. Record-level decisions still happen in the
 * service that does the work.
 */
export async function assertRoleMayEver(
  ctx: ServiceContext,
  actions: readonly Action[],
): Promise<void> {
  if (actions.some((action) => rulesFor(ctx.actor.role, action).length > 0)) return;
  const [first] = actions;
  if (!first) return;
  const decision = decide(ctx.actor, first, { partnershipId: ctx.actor.partnershipId });
  const refusal = new AccessRefused(decision.reason, "explain", {
    action: first,
    outcome: "refused",
    reason: decision.reason,
    details: { rule: decision.rule },
  });
  // inActorTransaction records the refusal after the (empty) work rolls back.
  await inActorTransaction(ctx, () => Promise.reject(refusal));
}
