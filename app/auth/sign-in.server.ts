import type { Kysely } from "kysely";
import { hashPassword, verifyPassword } from "../../db/password-hash";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import { auditedTransaction, record } from "../services/audit.server";
import type { Actor, RequestMeta } from "../services/context.server";
import { createLucia, sessionCookieHeader, setSessionExpiry } from "./lucia.server";
import { hasSecondFactor } from "./second-factor.server";
import { recordFailure, recordSuccess, retryAfterMs } from "./throttle.server";

export interface SignInInput {
  email: string;
  password: string;
}

export interface SignInSettings {
  idleTimeoutMs: number;
  secure: boolean;
  /** The browser's User-Agent, shown to the person on "Your sign-ins". */
  userAgent?: string | null;
}

/** How long a half sign-in (password given, second factor not yet) lasts. */
export const PENDING_SIGN_IN_MS = 10 * 60_000;

export type SignInResult =
  | {
      ok: true;
      setCookie: string;
      actor: Pick<Actor, "userId" | "role">;
      /** What the person does next: give their second factor, or set one up first. */
      next: "second-factor" | "enrol";
    }
  | { ok: false; problem: "credentials" | "throttled" | "deactivated"; retryAfterSeconds?: number };

// Checked when no account matches, so an unknown email takes as long as a wrong password.
const unknownAccountHash = hashPassword("no account has this password");

/**
 * Sign a person in: throttle, check the password, start a new session and record the attempt in
 * the access log, the session and its event in one transaction. The result never says whether an
 * account exists: a wrong password and an unknown email give the same answer, in the same time.
 */
export async function signIn(
  db: Kysely<Database>,
  meta: RequestMeta,
  settings: SignInSettings,
  input: SignInInput,
): Promise<SignInResult> {
  const email = input.email.trim().toLowerCase();
  const now = new Date();

  const { account, waitMs } = await auditedTransaction(db, async (trx) => {
    await setLocal(trx, "app.sign_in_email", email);
    const found = await trx
      .selectFrom("users")
      .select(["id", "partnership_id", "password_hash", "is_active"])
      .where("email", "=", email)
      .executeTakeFirst();
    return { account: found, waitMs: await retryAfterMs(trx, email, meta.clientAddress, now) };
  });

  if (waitMs > 0) {
    await auditedTransaction(db, async (trx) => {
      if (account) await setTenant(trx, account.partnership_id);
      await record(trx, { actor: null, partnershipId: account?.partnership_id ?? null }, meta, {
        action: "auth.sign_in",
        outcome: "refused",
        reason: "Too many failed attempts: sign-in paused",
        ...(account ? { recordType: "user", recordId: account.id } : {}),
      });
    });
    return { ok: false, problem: "throttled", retryAfterSeconds: Math.ceil(waitMs / 1000) };
  }

  const passwordMatches = await verifyPassword(
    account?.password_hash ?? (await unknownAccountHash),
    input.password,
  );

  if (!account || !passwordMatches || !account.is_active) {
    const reason = !account
      ? "No account has this email"
      : !passwordMatches
        ? "Wrong password"
        : "Account deactivated";
    await auditedTransaction(db, async (trx) => {
      if (account) await setTenant(trx, account.partnership_id);
      await recordFailure(trx, email, meta.clientAddress, now);
      await record(trx, { actor: null, partnershipId: account?.partnership_id ?? null }, meta, {
        action: "auth.sign_in",
        outcome: "refused",
        reason,
        ...(account ? { recordType: "user", recordId: account.id } : {}),
      });
    });
    // Only someone who knows the password learns that the account is deactivated.
    return { ok: false, problem: account && passwordMatches ? "deactivated" : "credentials" };
  }

  return auditedTransaction(db, async (trx) => {
    await setTenant(trx, account.partnership_id);
    await setLocal(trx, "app.user_id", account.id);
    const actor = await trx
      .selectFrom("users")
      .select(["id", "agency_id", "role"])
      .where("id", "=", account.id)
      .executeTakeFirstOrThrow();
    const lucia = createLucia(trx, settings);
    await lucia.deleteExpiredSessions();
    // Always a new session id at sign-in: a session fixed before sign-in is never promoted. This
    // one is half a sign-in: it opens only the second-factor pages, for PENDING_SIGN_IN_MS.
    const session = await lucia.createSession(account.id, {
      partnershipId: account.partnership_id,
      createdAt: now,
      secondFactorAt: null,
      secondFactorMethod: null,
      stepUpGrantUntil: null,
      userAgent: settings.userAgent ?? null,
      clientAddress: meta.clientAddress,
    });
    await setSessionExpiry(
      trx,
      session.id,
      new Date(now.getTime() + Math.min(PENDING_SIGN_IN_MS, settings.idleTimeoutMs)),
    );
    await recordSuccess(trx, email, meta.clientAddress);
    const auditActor = {
      userId: actor.id,
      partnershipId: account.partnership_id,
      agencyId: actor.agency_id,
      role: actor.role,
    };
    await record(trx, { actor: auditActor }, meta, {
      action: "auth.password_accepted",
      outcome: "allowed",
      recordType: "user",
      recordId: actor.id,
    });
    return {
      ok: true,
      setCookie: sessionCookieHeader(lucia, session.id),
      actor: { userId: actor.id, role: actor.role },
      next: (await hasSecondFactor(trx, actor.id)) ? "second-factor" : "enrol",
    };
  });
}
