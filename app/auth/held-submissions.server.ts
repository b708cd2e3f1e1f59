import type { Kysely, Transaction } from "kysely";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import { auditedTransaction } from "../services/audit.server";
import type { Actor } from "../services/context.server";
import { hashSessionId } from "./lucia.server";

/**
 * Requests held while the person gives a fresh second factor (step-up): the path, the method and
 * the form's fields, bound to the session that sent them, kept for minutes, and handed back only
 * to that session, once. Nothing is done with them until the person sends them again.
 */

/** How long a held request waits for its second factor. */
export const HOLD_MS = 15 * 60_000;

export interface HeldSubmission {
  path: string;
  method: "GET" | "POST";
  fields: [string, string][];
}

async function asActor(trx: Transaction<Database>, actor: Actor): Promise<void> {
  await setTenant(trx, actor.partnershipId);
  await setLocal(trx, "app.user_id", actor.userId);
}

/** Hold a request for this session; returns the id the step-up page is given. */
export function holdSubmission(
  db: Kysely<Database>,
  actor: Actor,
  sessionId: string,
  held: HeldSubmission & { now: Date },
): Promise<string> {
  return auditedTransaction(db, async (trx) => {
    await asActor(trx, actor);
    // A session holds one request at a time, and nothing past its time.
    await trx
      .deleteFrom("held_submissions")
      .where((eb) =>
        eb.or([
          eb("session_id_hash", "=", hashSessionId(sessionId)),
          eb("expires_at", "<=", held.now),
        ]),
      )
      .execute();
    const row = await trx
      .insertInto("held_submissions")
      .values({
        partnership_id: actor.partnershipId,
        user_id: actor.userId,
        session_id_hash: hashSessionId(sessionId),
        path: held.path,
        method: held.method,
        fields: JSON.stringify(held.fields),
        expires_at: new Date(held.now.getTime() + HOLD_MS),
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    return row.id;
  });
}

/** What a session holds under this id, still waiting (null if none: expired, used, or another's). */
export function heldSubmission(
  db: Kysely<Database>,
  actor: Actor,
  sessionId: string,
  id: string,
  options: { release: boolean },
): Promise<HeldSubmission | null> {
  return auditedTransaction(db, async (trx) => {
    await asActor(trx, actor);
    const row = await trx
      .selectFrom("held_submissions")
      .select(["path", "method", "fields"])
      .where("id", "=", id)
      .where("session_id_hash", "=", hashSessionId(sessionId))
      .where("expires_at", ">", new Date())
      .executeTakeFirst();
    if (!row) return null;
    if (options.release) {
      await trx.deleteFrom("held_submissions").where("id", "=", id).execute();
    }
    return { path: row.path, method: row.method, fields: row.fields };
  });
}

/**
 * With a step-up window of 0, a fresh code lets the one step it was asked for through: use that
 * grant up, if the session has one still valid. True when it had.
 */
export function useStepUpGrant(
  db: Kysely<Database>,
  actor: Actor,
  sessionId: string,
  now: Date,
): Promise<boolean> {
  return auditedTransaction(db, async (trx) => {
    await asActor(trx, actor);
    const used = await trx
      .updateTable("sessions")
      .set({ step_up_grant_until: null })
      .where("id_hash", "=", hashSessionId(sessionId))
      .where("step_up_grant_until", ">", now)
      .returning("id_hash")
      .executeTakeFirst();
    return used !== undefined;
  });
}
