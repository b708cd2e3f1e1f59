import { sql, type Transaction } from "kysely";
import type { Database } from "./types";

/**
 * Scope the rest of a transaction to one partnership. Row-level security reads this setting; it is
 * transaction-local (set_config's third argument), so a pooled connection never carries one
 * request's tenant into the next.
 */
export async function setTenant(trx: Transaction<Database>, partnershipId: string): Promise<void> {
  await sql`select set_config('app.partnership_id', ${partnershipId}, true)`.execute(trx);
}

/** Make one transaction-local setting that a row-level security policy reads. */
export async function setLocal(
  trx: Transaction<Database>,
  name:
    | "app.sign_in_email"
    | "app.session_token_hash"
    | "app.set_password_token_hash"
    | "app.user_id"
    | "app.sign_in_agency",
  value: string,
): Promise<void> {
  await sql`select set_config(${name}, ${value}, true)`.execute(trx);
}
