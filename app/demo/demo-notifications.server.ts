import { sql, type Kysely } from "kysely";
import { setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import type { TransitionName } from "../../policies";
import { auditedTransaction } from "../services/audit.server";
import type { Actor } from "../services/context.server";
import { notifyOfEmergencyAccess, notifyOfStep } from "../services/notifications.server";
import { loadReferral } from "../services/referral-access.server";

/**
 * Notifications of the demo's last month are kept; those of its last two days, and each person's
 * three newest, are left unread.
 */
const KEPT_DAYS = 30;
const UNREAD_DAYS = 2;
const NEWEST_UNREAD = 3;

/**
 * What the demo people would have been told of the seeded history (db/seed/demo-cases.ts writes
 * it directly, not through the services): each lifecycle step of the last fortnight is passed to
 * the services' own notifyOfStep, as the person who took it, and each emergency access awaiting
 * review to notifyOfEmergencyAccess; so every case role finds notifications waiting, the recent
 * ones unread (and each person's three newest). The others count as read and were never emailed; the unread ones
 * are pending, and emailed when SMTP_URL is set. Returns how many were written.
 */
export async function notifyDemoHistory(
  db: Kysely<Database>,
  partnershipId: string,
  partnershipName: string,
  now: Date = new Date(),
): Promise<number> {
  const since = new Date(now.getTime() - KEPT_DAYS * 86_400_000);
  const unreadSince = new Date(now.getTime() - UNREAD_DAYS * 86_400_000);
  return auditedTransaction(db, async (trx) => {
    await setTenant(trx, partnershipId);
    const people = new Map(
      (
        await trx
          .selectFrom("users as u")
          .innerJoin("agencies as a", "a.id", "u.agency_id")
          .select(["u.id", "u.email", "u.display_name", "u.role", "u.agency_id", "a.name"])
          .execute()
      ).map((person) => [person.id, person]),
    );
    const actorOf = (userId: string): Actor | null => {
      const person = people.get(userId);
      return person
        ? {
            userId: person.id,
            partnershipId,
            partnershipName,
            agencyId: person.agency_id,
            agencyName: person.name,
            role: person.role,
            displayName: person.display_name,
            email: person.email,
          }
        : null;
    };
    // Each event's notifications take its time; within this transaction now() is when they were
    // written, so the rows still carrying it are the ones just written.
    const dateLatest = async (at: Date) => {
      await sql`update notifications set created_at = ${at},
          read_at = case when ${at}::timestamptz < ${unreadSince}::timestamptz then ${at}::timestamptz end,
          email_state = case when ${at}::timestamptz < ${unreadSince}::timestamptz
                             then 'not_sent' else 'pending' end
        where partnership_id = ${partnershipId} and created_at = now()`.execute(trx);
    };

    const transitions = await trx
      .selectFrom("referral_transitions")
      .select(["referral_id", "transition", "actor_user_id", "occurred_at", "details"])
      .where("occurred_at", ">=", since)
      .orderBy("occurred_at")
      .execute();
    for (const step of transitions) {
      const actor = actorOf(step.actor_user_id);
      if (!actor) continue;
      const loaded = await loadReferral(trx, step.referral_id);
      await notifyOfStep(
        trx,
        { actor },
        {
          transition: step.transition as TransitionName,
          loaded,
          details: step.details,
        },
      );
      await dateLatest(step.occurred_at);
    }

    const accesses = await trx
      .selectFrom("emergency_accesses")
      .select(["id", "user_id", "opened_at"])
      .where("review_outcome", "is", null)
      .execute();
    for (const access of accesses) {
      const actor = actorOf(access.user_id);
      if (!actor) continue;
      await notifyOfEmergencyAccess(trx, { actor }, { emergencyAccessId: access.id });
      await dateLatest(access.opened_at < since ? now : access.opened_at);
    }

    await sql`update notifications set read_at = null, email_state = 'pending'
      where id in (select id from (select id, row_number() over (partition by user_id
                                     order by created_at desc, id) as newest
                                   from notifications
                                   where partnership_id = ${partnershipId}) ranked
                   where newest <= ${NEWEST_UNREAD})`.execute(trx);

    // The owner reads every partnership's notifications (for the email outbox): count ours only.
    const { count } = await trx
      .selectFrom("notifications")
      .select(sql<string>`count(*)`.as("count"))
      .where("partnership_id", "=", partnershipId)
      .executeTakeFirstOrThrow();
    return Number(count);
  });
}
