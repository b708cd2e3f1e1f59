import { sql, type Kysely } from "kysely";
import nodemailer, { type Transporter } from "nodemailer";
import type { Logger } from "pino";
import { setTenant } from "../db/tenant";
import type { Database } from "../db/types";
import { auditedTransaction, record } from "../app/services/audit.server";
import { NOTIFICATION_KINDS, type NotificationKind } from "../app/services/notification-kinds";
import { referralReference } from "../app/services/referral-access.server";
import { startRepeatingJob, type Clock, type RepeatingJob } from "./audit-jobs";

/**
 * The notifications' email sender (issue 17): the outbox is the notifications table (migration
 * 0017), written in the transaction of the change that caused each notification, so nothing is
 * sent for work that rolled back. This loop claims due rows under a lease through
 * notification_email_claim (skip locked: two servers never claim the same row), sends each, and
 * settles it: sent; not sent (the person was deactivated); tried again later with backoff; or,
 * after MAX_ATTEMPTS, left on the dead-letter list for an administrator.
 *
 * Exactly once: the notification's id is the email's Message-ID, its idempotency key. A sender
 * that crashes before the SMTP server accepts leaves the row leased; after the lease the row is
 * claimed and sent again, once. The row is settled straight after the server's acceptance.
 *
 * An email never carries a young person's name, date of birth, address or any narrative: only
 * the kind, the referral's reference, agency names (in the notification's reason, which the
 * service composes from them alone) and a link. Sends and failures are recorded in the access
 * log, without content.
 */

export const MAX_ATTEMPTS = 6;
const LEASE_SECONDS = 120;
const BATCH = 50;

export interface MailSettings {
  /** SMTP_URL, e.g. smtp://user:pass@mail.example.org:587 or smtps://... */
  smtpUrl: string;
  /** MAIL_FROM, e.g. "Crosswalk <crosswalk@example.org>". */
  from: string;
  /** How often due emails are looked for. */
  intervalMs: number;
}

/** The wait before attempt n+1 after n failed: 1, 2, 4 … minutes, at most an hour. */
export function backoffMs(attempts: number): number {
  return Math.min(60 * 60_000, 60_000 * 2 ** Math.max(0, attempts - 1));
}

/** One email, from a notification: only its kind, reference, reason (agency names) and link. */
export function composeEmail(input: {
  kind: string;
  referralId: string | null;
  reason: string;
  link: string;
  publicUrl: string;
}): { subject: string; text: string; html: string } {
  const label = NOTIFICATION_KINDS[input.kind as NotificationKind] ?? "Notification";
  const reference = input.referralId ? referralReference(input.referralId) : null;
  const href = `${input.publicUrl}${input.link}`;
  // Plain ASCII, so every mail client shows it as written.
  const subject = `Crosswalk: ${label}${reference ? ` - ${reference}` : ""}`;
  const text = [
    label,
    "",
    input.reason,
    "",
    `Sign in to Crosswalk to see it: ${href}`,
    "",
    "This email never includes a young person's details. Do not reply to it.",
  ].join("\n");
  const escape = (value: string) =>
    value.replace(
      /[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
    );
  const html = `<!doctype html><html lang="en-GB"><body style="font-family: arial, sans-serif; font-size: 19px; line-height: 1.3; color: #0b0c0c;">
<h1 style="font-size: 27px;">${escape(label)}</h1>
<p>${escape(input.reason)}</p>
<p><a href="${escape(href)}" style="color: #1d70b8;">Sign in to Crosswalk to see it</a></p>
<p style="font-size: 16px; color: #505a5f;">This email never includes a young person's details. Do not reply to it.</p>
</body></html>`;
  return { subject, text, html };
}

interface Claimed {
  id: string;
  partnership_id: string;
  user_id: string;
  kind: string;
  referral_id: string | null;
  link: string;
  reason: string;
  attempts: number;
}

type Outcome = "sent" | "not_sent" | "retry" | "dead";

async function settle(
  db: Kysely<Database>,
  row: Claimed,
  outcome: Outcome,
  error: string | null,
  retryAt: Date | null,
): Promise<void> {
  await auditedTransaction(db, async (trx) => {
    await setTenant(trx, row.partnership_id);
    await sql`select notification_email_settle(${row.id}, ${outcome}, ${error}, ${retryAt})`.execute(
      trx,
    );
    await record(
      trx,
      { actor: null, partnershipId: row.partnership_id },
      { requestId: `notification-mailer`, clientAddress: null },
      {
        action: outcome === "sent" ? "notification.email_sent" : "notification.email_failed",
        outcome: "allowed",
        recordType: "notification",
        recordId: row.id,
        details: { kind: row.kind, attempt: row.attempts, result: outcome },
      },
    );
  });
}

/** Claim and send what is due now, once. Returns how each went. */
export async function sendDueNotificationEmails(options: {
  db: Kysely<Database>;
  transport: Pick<Transporter, "sendMail">;
  from: string;
  publicUrl: () => string;
  logger: Logger;
  now?: () => Date;
  batch?: number;
}): Promise<Record<Outcome, number>> {
  const { db } = options;
  const now = options.now ?? (() => new Date());
  const counts: Record<Outcome, number> = { sent: 0, not_sent: 0, retry: 0, dead: 0 };
  const claimed = await sql<Claimed>`
    select * from notification_email_claim(${options.batch ?? BATCH}, ${LEASE_SECONDS})
  `.execute(db);
  for (const row of claimed.rows) {
    const recipient = await db.transaction().execute(async (trx) => {
      await setTenant(trx, row.partnership_id);
      return trx
        .selectFrom("users")
        .select(["email", "is_active"])
        .where("id", "=", row.user_id)
        .executeTakeFirst();
    });
    if (!recipient?.is_active) {
      await settle(db, row, "not_sent", "the person is no longer active", null);
      counts.not_sent += 1;
      continue;
    }
    const email = composeEmail({
      kind: row.kind,
      referralId: row.referral_id,
      reason: row.reason,
      link: row.link,
      publicUrl: options.publicUrl(),
    });
    try {
      await options.transport.sendMail({
        from: options.from,
        to: recipient.email,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: `<${row.id}@notifications.crosswalk>`,
        headers: { "X-Crosswalk-Notification": row.id },
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const last = row.attempts >= MAX_ATTEMPTS;
      await settle(
        db,
        row,
        last ? "dead" : "retry",
        message,
        last ? null : new Date(now().getTime() + backoffMs(row.attempts)),
      );
      counts[last ? "dead" : "retry"] += 1;
      options.logger.warn(
        { notificationId: row.id, attempt: row.attempts, err: message },
        last ? "notification email failed for the last time" : "notification email failed",
      );
      continue;
    }
    await settle(db, row, "sent", null, null);
    counts.sent += 1;
  }
  return counts;
}

/** Start sending notification emails every `intervalMs`, when SMTP_URL is set. */
export function startNotificationMailer(options: {
  db: Kysely<Database>;
  settings: MailSettings;
  publicUrl: () => string;
  logger: Logger;
  clock?: Clock;
}): RepeatingJob & { close(): void } {
  const transport = nodemailer.createTransport(options.settings.smtpUrl);
  const job = startRepeatingJob({
    name: "notification emails",
    firstDelayMs: 0,
    intervalMs: options.settings.intervalMs,
    logger: options.logger,
    ...(options.clock ? { clock: options.clock } : {}),
    run: async (run) => {
      for (;;) {
        const counts = await sendDueNotificationEmails({
          db: options.db,
          transport,
          from: options.settings.from,
          publicUrl: options.publicUrl,
          logger: options.logger,
        });
        const handled = counts.sent + counts.not_sent + counts.retry + counts.dead;
        if (handled > 0) options.logger.info(counts, "notification emails");
        if (handled < BATCH || run.stopping) break;
      }
    },
  });
  return {
    ...job,
    close: () => transport.close(),
  };
}
