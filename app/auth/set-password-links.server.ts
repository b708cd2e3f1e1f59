import { createHash, randomBytes } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import { hashPassword } from "../../db/password-hash";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import { auditedTransaction, record } from "../services/audit.server";
import type { RequestMeta } from "../services/context.server";

/** How long a set-password link works. */
export const LINK_LIFETIME_MS = 72 * 3_600_000;

/** A one-time link, as the administrator sees it once. The token is never stored. */
export interface IssuedLink {
  token: string;
  expiresAt: Date;
}

/**
 * The address of a link, as the administrator passes it on: on the configured PUBLIC_URL, never
 * on the request's Host header, which whoever sends the request chooses.
 */
export function setPasswordUrl(publicUrl: string, token: string): string {
  return `${new URL(publicUrl).origin}/set-password/${token}`;
}

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/**
 * Issue a new one-time link for a user, revoking any earlier one, inside the caller's transaction
 * (which must already be scoped to the user's partnership).
 */
export async function issueSetPasswordLink(
  trx: Transaction<Database>,
  user: { id: string; partnershipId: string },
  createdBy: string,
  now = new Date(),
): Promise<IssuedLink> {
  await trx
    .updateTable("set_password_links")
    .set({ revoked_at: now })
    .where("user_id", "=", user.id)
    .where("used_at", "is", null)
    .where("revoked_at", "is", null)
    .execute();
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + LINK_LIFETIME_MS);
  await trx
    .insertInto("set_password_links")
    .values({
      token_hash: hashToken(token),
      partnership_id: user.partnershipId,
      user_id: user.id,
      created_by: createdBy,
      expires_at: expiresAt,
    })
    .execute();
  return { token, expiresAt };
}

/** Revoke every unused link of a user (deactivation), inside the caller's scoped transaction. */
export async function revokeSetPasswordLinks(
  trx: Transaction<Database>,
  userId: string,
  now = new Date(),
): Promise<void> {
  await trx
    .updateTable("set_password_links")
    .set({ revoked_at: now })
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .where("revoked_at", "is", null)
    .execute();
}

export type LinkState = { usable: true; displayName: string; email: string } | { usable: false };

async function findLink(trx: Transaction<Database>, token: string) {
  await setLocal(trx, "app.set_password_token_hash", hashToken(token));
  const link = await trx
    .selectFrom("set_password_links")
    .select(["token_hash", "partnership_id", "user_id", "expires_at", "used_at", "revoked_at"])
    .where("token_hash", "=", hashToken(token))
    .executeTakeFirst();
  if (!link || link.used_at || link.revoked_at || link.expires_at.getTime() <= Date.now())
    return null;
  await setTenant(trx, link.partnership_id);
  const user = await trx
    .selectFrom("users")
    .select(["id", "display_name", "email", "is_active", "agency_id", "role"])
    .where("id", "=", link.user_id)
    .executeTakeFirst();
  if (!user?.is_active) return null;
  return { link, user };
}

/** Whether a link still works, and whose it is (shown on the page so the person knows it is theirs). */
export function checkSetPasswordLink(db: Kysely<Database>, token: string): Promise<LinkState> {
  return auditedTransaction(db, async (trx) => {
    const found = await findLink(trx, token);
    return found
      ? { usable: true, displayName: found.user.display_name, email: found.user.email }
      : { usable: false };
  });
}

/**
 * Set a password through a one-time link. The link is spent, every session of the user ends, and
 * the change is recorded (never the password). Returns false when the link no longer works.
 */
export function setPasswordWithLink(
  db: Kysely<Database>,
  meta: RequestMeta,
  token: string,
  password: string,
): Promise<boolean> {
  return hashPassword(password).then((passwordHash) =>
    auditedTransaction(db, async (trx) => {
      const found = await findLink(trx, token);
      if (!found) return false;
      const spent = await trx
        .updateTable("set_password_links")
        .set({ used_at: new Date() })
        .where("token_hash", "=", found.link.token_hash)
        .where("used_at", "is", null)
        .executeTakeFirst();
      // Two tabs racing with the same link: only one wins.
      if (Number(spent.numUpdatedRows) !== 1) return false;
      await trx
        .updateTable("users")
        .set({ password_hash: passwordHash, updated_at: new Date() })
        .where("id", "=", found.user.id)
        .execute();
      await trx.deleteFrom("sessions").where("user_id", "=", found.user.id).execute();
      await record(
        trx,
        {
          actor: {
            userId: found.user.id,
            partnershipId: found.link.partnership_id,
            agencyId: found.user.agency_id,
            role: found.user.role,
          },
        },
        meta,
        {
          action: "auth.password_set",
          outcome: "allowed",
          recordType: "user",
          recordId: found.user.id,
        },
      );
      return true;
    }),
  );
}
