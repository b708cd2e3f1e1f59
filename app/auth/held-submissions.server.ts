import type { Kysely, Transaction } from "kysely";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import { auditedTransaction } from "../services/audit.server";
import type { Actor } from "../services/context.server";
import { hashSessionId } from "./lucia.server";

/**
 * Requests held for later: while the person gives a fresh second factor (step-up), bound to the
 * session that sent them; or sent after their session ended, bound to the browser by a token in a
 * cookie of its own and released only to the same person once they have signed in again. The path,
 * the method and the form's fields, kept for minutes, handed back once. Nothing is done with them
 * until the person sends them again. `binding` is the session id, or the browser's token: only its
 * SHA-256 is stored.
 */

/** How long a held request waits for its second factor. */
export const HOLD_MS = 15 * 60_000;

export interface HeldSubmission {
  path: string;
  method: "GET" | "POST";
  fields: [string, string][];
}

type Person = Pick<Actor, "partnershipId" | "userId">;

async function asActor(trx: Transaction<Database>, actor: Person): Promise<void> {
  await setTenant(trx, actor.partnershipId);
  await setLocal(trx, "app.user_id", actor.userId);
}

/** Hold a request for this session; returns the id the step-up page is given. */
export function holdSubmission(
  db: Kysely<Database>,
  actor: Person,
  binding: string,
  held: HeldSubmission & { now: Date },
): Promise<string> {
  return auditedTransaction(db, async (trx) => {
    await asActor(trx, actor);
    // A session holds one request at a time, and nothing past its time.
    await trx
      .deleteFrom("held_submissions")
      .where((eb) =>
        eb.or([
          eb("session_id_hash", "=", hashSessionId(binding)),
          eb("expires_at", "<=", held.now),
        ]),
      )
      .execute();
    const row = await trx
      .insertInto("held_submissions")
      .values({
        partnership_id: actor.partnershipId,
        user_id: actor.userId,
        session_id_hash: hashSessionId(binding),
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
  actor: Person,
  binding: string,
  id: string,
  options: { release: boolean },
): Promise<HeldSubmission | null> {
  return auditedTransaction(db, async (trx) => {
    await asActor(trx, actor);
    const row = await trx
      .selectFrom("held_submissions")
      .select(["path", "method", "fields"])
      .where("id", "=", id)
      .where("session_id_hash", "=", hashSessionId(binding))
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

/**
 * Who a session belonged to, read by its token even when it has lapsed (before it is removed), so
 * that a form sent just after it ended can be kept for that person. Null for no such session, or
 * half a sign-in.
 */
export function sessionOwner(db: Kysely<Database>, sessionId: string): Promise<Person | null> {
  return auditedTransaction(db, async (trx) => {
    await setLocal(trx, "app.session_token_hash", hashSessionId(sessionId));
    const row = await trx
      .selectFrom("sessions")
      .select(["user_id", "partnership_id", "second_factor_at"])
      .where("id_hash", "=", hashSessionId(sessionId))
      .executeTakeFirst();
    return row?.second_factor_at
      ? { userId: row.user_id, partnershipId: row.partnership_id }
      : null;
  });
}
