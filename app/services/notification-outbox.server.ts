import { sql } from "kysely";
import { record } from "./audit.server";
import { authorizeInPartnership } from "./authorize.server";
import { inActorTransaction, type ServiceContext } from "./context.server";
import { NOTIFICATION_KINDS, type NotificationKind } from "./notification-kinds";
import { referralReference } from "./referral-access.server";

/**
 * The notification emails' dead-letter list (decision 017), for the partnership's administrators:
 * emails that failed for good, to whom and the mail server's last answer, never what the
 * notification says. Reading it is administrative and not recorded (unless refused); putting an
 * email back in the outbox is recorded.
 */

/** One email that failed for good, as the administrator's page shows it. */
export interface DeadLetterView {
  id: string;
  kindLabel: string;
  reference: string | null;
  recipient: string;
  attempts: number;
  lastError: string | null;
  createdAt: string;
}

/** The partnership's dead notification emails, newest first. */
export function listDeadLetters(ctx: ServiceContext): Promise<DeadLetterView[]> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "partnership.configure");
    const rows = await sql<{
      id: string;
      kind: string;
      referral_id: string | null;
      user_id: string;
      attempts: number;
      last_error: string | null;
      created_at: Date;
    }>`select * from notification_dead_letters()`.execute(trx);
    const ids = [...new Set(rows.rows.map((row) => row.user_id))];
    const people = ids.length
      ? await trx
          .selectFrom("users")
          .select(["id", "display_name"])
          .where("id", "in", ids)
          .execute()
      : [];
    return rows.rows.map((row) => ({
      id: row.id,
      kindLabel: NOTIFICATION_KINDS[row.kind as NotificationKind] ?? row.kind,
      reference: row.referral_id ? referralReference(row.referral_id) : null,
      recipient: people.find((person) => person.id === row.user_id)?.display_name ?? "Unknown",
      attempts: row.attempts,
      lastError: row.last_error,
      createdAt: row.created_at.toISOString(),
    }));
  });
}

/** Put a dead email back in the outbox, to be tried afresh. False when it is not dead (any more). */
export function retryDeadLetter(ctx: ServiceContext, id: string): Promise<boolean> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "partnership.configure");
    const result = await sql<{
      retried: boolean;
    }>`select notification_email_retry(${id}) as retried`.execute(trx);
    const retried = result.rows[0]?.retried === true;
    if (retried) {
      await record(trx, { actor: ctx.actor }, ctx, {
        action: "notification.email_retry",
        outcome: "allowed",
        recordType: "notification",
        recordId: id,
      });
    }
    return retried;
  });
}
