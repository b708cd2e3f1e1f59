import { sql, type Transaction } from "kysely";
import type { Database } from "../../db/types";
import {
  decide,
  decideTransition,
  rulesFor,
  TRANSITIONS,
  type Action,
  type Decision,
  type Facts,
  type ReferralState,
  type TransitionName,
} from "../../policies";
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
  await enforce(trx, ctx, action, decide(ctx.actor, action, facts), options);
}

/**
 * Authorize a step in a referral's lifecycle: who may take it (its policy action) and whether the
 * referral's state allows it. A refusal is explained (403) with the reason, and recorded.
 */
export function authorizeTransition(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  transition: TransitionName,
  facts: Facts & { state: ReferralState },
  audit: Omit<AuditEntry, "action" | "outcome">,
): Promise<void> {
  const { action } = TRANSITIONS[transition];
  return enforce(trx, ctx, action, decideTransition(ctx.actor, transition, facts), {
    refusal: "explain",
    audit: { ...audit, details: { ...audit.details, transition } },
  });
}

async function enforce(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  action: Action,
  decision: Decision,
  options: AuthorizeOptions,
): Promise<void> {
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
 * Authorize an action on the actor's partnership as a whole (a list, a form, an administrative
 * change), where the only fact is the partnership. Refusals are explained (403), not hidden.
 */
export function authorizeInPartnership(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  action: Action,
): Promise<void> {
  return authorize(
    trx,
    ctx,
    action,
    { partnershipId: ctx.actor.partnershipId },
    { refusal: "explain" },
  );
}

/**
 * The check at a page's door, before its form is even read: refuse (403, recorded) a role that no
 * rule ever lets take any of the page's actions. Record-level decisions still happen in the
 * service that does the work.
 */
export async function assertRoleMayEver(
  ctx: ServiceContext,
  actions: readonly Action[],
  options: {
    /** `hide` for a page about one record: the refusal is the same 404 as a missing record. */
    refusal: "hide" | "explain";
    audit?: Omit<AuditEntry, "action" | "outcome">;
  } = { refusal: "explain" },
): Promise<void> {
  if (actions.some((action) => rulesFor(ctx.actor.role, action).length > 0)) return;
  const [first] = actions;
  if (!first) return;
  const decision = decide(ctx.actor, first, { partnershipId: ctx.actor.partnershipId });
  // inActorTransaction records the refusal after the (empty) work rolls back.
  await inActorTransaction(ctx, async (trx) => {
    const youngPersonId =
      options.audit?.youngPersonId ?? (await youngPersonOfRecord(trx, options.audit));
    throw new AccessRefused(decision.reason, options.refusal, {
      ...options.audit,
      youngPersonId,
      action: first,
      outcome: "refused",
      reason: decision.reason,
      details: { ...options.audit?.details, rule: decision.rule },
    });
  });
}

/**
 * The young person a refused referral is about, so that an attempt refused before the referral was
 * read still shows in that young person's access history. Undefined for a draft not yet about
 * anyone, a missing referral, or any other kind of record.
 */
async function youngPersonOfRecord(
  trx: Transaction<Database>,
  audit: AuthorizeOptions["audit"],
): Promise<string | undefined> {
  if (audit?.recordType !== "referral" || !audit.recordId) return undefined;
  // The person may not read the referral itself: its facts come through the database's own function.
  const { rows } = await sql<{ young_person_id: string | null }>`
    select app_referral_facts(${audit.recordId}::uuid) ->> 'young_person_id' as young_person_id
  `.execute(trx);
  return rows[0]?.young_person_id ?? undefined;
}

/**
 * The refusal to raise when the policies allowed a read that row-level security did not: the two
 * locks disagree, so the stricter wins. It is a 404 like any hidden record, and the access log
 * records it under its own rule so that an auditor (and the differential test) can see it.
 */
export function concealedByRowSecurity(
  action: Action,
  recordType: string,
  recordId: string,
  youngPersonId: string | undefined,
): AccessRefused {
  const reason = "Row-level security does not let you read this record";
  return new AccessRefused(reason, "hide", {
    action,
    outcome: "refused",
    recordType,
    recordId,
    youngPersonId,
    reason,
    details: { rule: "row-level-security" },
  });
}

/**
 * The refusal for an id that names nothing the person can reach: a record that does not exist,
 * one of another partnership, or one row-level security hid. It is the same 404 as every hidden
 * record, and it is recorded, so that someone trying ids shows in the access log.
 */
export function refusedAsMissing(
  action: Action,
  recordType: string,
  recordId: string,
  youngPersonId?: string,
): AccessRefused {
  const reason = "There is no such record that you may see";
  return new AccessRefused(reason, "hide", {
    action,
    outcome: "refused",
    recordType,
    recordId,
    youngPersonId,
    reason,
    details: { rule: "no-such-record" },
  });
}
