import type { Kysely } from "kysely";
import type { Database } from "../../../db/types";
import type { Actor } from "./actors";
import type { Reply } from "./http";

export interface LoggedEvent {
  action: string;
  outcome: string;
  actorUserId: string | null;
  recordType: string | null;
  recordId: string | null;
}

/**
 * The access-log events one request wrote, read past row-level security. The server names each
 * request in X-Request-Id and its events carry the same id; they are written before the response.
 */
export async function eventsOf(db: Kysely<Database>, reply: Reply): Promise<LoggedEvent[]> {
  if (!reply.requestId) throw new Error(`A ${reply.status} reply without X-Request-Id`);
  const rows = await db
    .selectFrom("audit_events")
    .select(["action", "outcome", "actor_user_id", "record_type", "record_id"])
    .where("request_id", "=", reply.requestId)
    .execute();
  return rows.map((row) => ({
    action: row.action,
    outcome: row.outcome,
    actorUserId: row.actor_user_id,
    recordType: row.record_type,
    recordId: row.record_id,
  }));
}

/** Whether the request's refusal is in the access log against the person who made it. */
export async function refusalLogged(
  db: Kysely<Database>,
  reply: Reply,
  actor: Actor,
): Promise<boolean> {
  const events = await eventsOf(db, reply);
  return events.some((event) => event.outcome === "refused" && event.actorUserId === actor.userId);
}
