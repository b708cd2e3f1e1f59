import { hashPassword, verifyPassword } from "../../db/password-hash";
import { record } from "../services/audit.server";
import { inActorTransaction, nowOf, type ServiceContext } from "../services/context.server";
import { hashSessionId } from "./lucia.server";
import { passwordProblem } from "./password-policy.server";
import { revokeSetPasswordLinks } from "./set-password-links.server";
import { recordFailure, recordSuccess, retryAfterMs } from "./throttle.server";

export interface PasswordChangeInput {
  /** The session this request came with: it stays open, every other one ends. */
  currentSessionId: string;
  currentPassword: string;
  newPassword: string;
}

export type PasswordChangeResult =
  | { ok: true; otherSessionsEnded: number }
  | { ok: false; errors: { field: string; message: string }[] };

export const WRONG_CURRENT_PASSWORD = "Your current password is not right. Check it and try again";
export const SAME_PASSWORD = "Your new password must be different from your current password";

/**
 * A signed-in person changes their password: the current one first (a session left open on a
 * shared computer is not enough), then the new one against the password policy. Wrong current
 * passwords count against the same throttle as sign-in, so an open session cannot be used to
 * guess the password faster. On success every other session ends (anyone signed in elsewhere must
 * sign in again, with the new password), unused set-password links stop working, and the change is
 * recorded; the password never is.
 */
export async function changePassword(
  ctx: ServiceContext,
  input: PasswordChangeInput,
): Promise<PasswordChangeResult> {
  const problem = passwordProblem(input.newPassword, ctx.actor);
  if (problem) return { ok: false, errors: [{ field: "password", message: problem }] };
  if (input.newPassword === input.currentPassword) {
    return { ok: false, errors: [{ field: "password", message: SAME_PASSWORD }] };
  }
  const newHash = await hashPassword(input.newPassword);
  const now = nowOf(ctx);
  const email = ctx.actor.email;
  return inActorTransaction(ctx, async (trx) => {
    const refuse = async (reason: string, message: string) => {
      await record(trx, { actor: ctx.actor }, ctx, {
        action: "auth.password_changed",
        outcome: "refused",
        reason,
        recordType: "user",
        recordId: ctx.actor.userId,
      });
      return { ok: false as const, errors: [{ field: "currentPassword", message }] };
    };
    const waitMs = await retryAfterMs(trx, email, ctx.clientAddress, now);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      return refuse(
        "Too many wrong passwords: attempts paused",
        `You have entered a wrong password too many times. Wait ${seconds} ${seconds === 1 ? "second" : "seconds"} and try again`,
      );
    }
    const account = await trx
      .selectFrom("users")
      .select("password_hash")
      .where("id", "=", ctx.actor.userId)
      .forUpdate()
      .executeTakeFirstOrThrow();
    if (
      !account.password_hash ||
      !(await verifyPassword(account.password_hash, input.currentPassword))
    ) {
      await recordFailure(trx, email, ctx.clientAddress, now);
      return refuse("Wrong current password", WRONG_CURRENT_PASSWORD);
    }
    await trx
      .updateTable("users")
      .set({ password_hash: newHash, updated_at: now })
      .where("id", "=", ctx.actor.userId)
      .execute();
    const ended = await trx
      .deleteFrom("sessions")
      .where("user_id", "=", ctx.actor.userId)
      .where("id_hash", "!=", hashSessionId(input.currentSessionId))
      .executeTakeFirst();
    await revokeSetPasswordLinks(trx, ctx.actor.userId, now);
    await recordSuccess(trx, email, ctx.clientAddress);
    const otherSessionsEnded = Number(ended.numDeletedRows);
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "auth.password_changed",
      outcome: "allowed",
      recordType: "user",
      recordId: ctx.actor.userId,
      details: { otherSessionsEnded },
    });
    return { ok: true, otherSessionsEnded };
  });
}
