import type { Kysely, Transaction } from "kysely";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import type { Role } from "../../policies";
import { auditedTransaction, record } from "./audit.server";
import { AccessRefused } from "./errors";
import {
  claimSubmission,
  refuseClaimedSubmission,
  type FormSubmission,
} from "./submissions.server";

/** The signed-in person, as every service and policy sees them. Loaded fresh on every request. */
export interface Actor {
  userId: string;
  partnershipId: string;
  partnershipName: string;
  agencyId: string;
  agencyName: string;
  role: Role;
  displayName: string;
  email: string;
}

/** Where a request came from, for the access log. */
export interface RequestMeta {
  requestId: string;
  clientAddress: string | null;
}

/** What every service function receives first: the database, who is asking, and from where. */
export interface ServiceContext extends RequestMeta {
  db: Kysely<Database>;
  actor: Actor;
  /** The time now; tests inject a clock so time-limited access is tested without waiting. */
  clock?: () => Date;
  /** The one-time id of the form this request sent, if it had one (a POST's action only). */
  submission?: FormSubmission;
}

/** The time now, by the context's clock. */
export function nowOf(ctx: Pick<ServiceContext, "clock">): Date {
  return ctx.clock ? ctx.clock() : new Date();
}

const LONDON_DATE = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" });

/** Today's date in the UK (ISO), by the context's clock. */
export function todayOf(ctx: Pick<ServiceContext, "clock">): string {
  return LONDON_DATE.format(nowOf(ctx));
}

function scoped(ctx: ServiceContext, trx: Transaction<Database>): Promise<void> {
  return setTenant(trx, ctx.actor.partnershipId).then(() =>
    setLocal(trx, "app.user_id", ctx.actor.userId),
  );
}

/**
 * Run work in one transaction scoped to the actor's partnership, so row-level security applies
 * beneath every query the work makes. Request transactions run at READ COMMITTED.
 *
 * When the policies refuse (AccessRefused), everything the work did rolls back and the refusal is
 * then written to the access log in a transaction of its own: a refusal is always recorded, and
 * nothing of the refused work survives.
 *
 * When the request sent a form with a one-time submission id, the first of its transactions that
 * saves something (by the events it records) claims the id as its last write, and a transaction
 * of a request whose id an earlier sending claimed saves nothing: it throws AlreadySaved
 * (docs/decisions/018-one-time-submission-ids.md).
 */
export async function inActorTransaction<T>(
  ctx: ServiceContext,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  // Once claimed, the request's later transactions are part of the same saving.
  const submission = ctx.submission?.claimedBy ? undefined : ctx.submission;
  const owner = { partnershipId: ctx.actor.partnershipId, userId: ctx.actor.userId };
  let claimed = false;
  try {
    const result = await auditedTransaction(
      ctx.db,
      async (trx) => {
        await scoped(ctx, trx);
        if (submission) await refuseClaimedSubmission(trx, submission, owner);
        return work(trx);
      },
      submission
        ? async (trx, events) => {
            claimed = await claimSubmission(trx, submission, owner, events);
          }
        : undefined,
    );
    if (submission && claimed) submission.claimedBy = owner;
    return result;
  } catch (error) {
    if (error instanceof AccessRefused) {
      await auditedTransaction(ctx.db, async (trx) => {
        await scoped(ctx, trx);
        await record(trx, { actor: ctx.actor }, ctx, error.audit);
      });
    }
    throw error;
  }
}
