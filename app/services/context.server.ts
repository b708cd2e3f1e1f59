import type { Kysely, Transaction } from "kysely";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import type { Role } from "../../policies";

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
}

/**
 * Run work in one transaction scoped to the actor's partnership, so row-level security applies
 * beneath every query the work makes. Request transactions run at READ COMMITTED.
 */
export function inActorTransaction<T>(
  ctx: ServiceContext,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return ctx.db.transaction().execute(async (trx) => {
    await setTenant(trx, ctx.actor.partnershipId);
    await setLocal(trx, "app.user_id", ctx.actor.userId);
    return work(trx);
  });
}
