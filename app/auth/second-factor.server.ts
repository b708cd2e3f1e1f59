import { randomInt } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import { hashPassword, verifyPassword } from "../../db/password-hash";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database, SecondFactorMethod } from "../../db/types";
import type { Role } from "../../policies";
import { auditedTransaction, record } from "../services/audit.server";
import type { RequestMeta } from "../services/context.server";
import { createLucia, hashSessionId, sessionCookieHeader } from "./lucia.server";
import type { SignInSettings } from "./sign-in.server";
import {
  recordFailure,
  recordSuccess,
  retryAfterMs,
  SECOND_FACTOR_THROTTLE_RULES,
  secondFactorSubject,
} from "./throttle.server";
import {
  formatTotpKey,
  matchTotpStep,
  newTotpSecret,
  totpKeyUri,
  totpQrSvg,
  wasReplayed,
} from "./totp.server";

/**
 * Second factors: setting up an authenticator app, giving its code (or a recovery code) to finish
 * signing in, and giving one again before a sensitive step (step-up). Every enrolment, use,
 * failure and recovery-code use is in the access log; attempts are throttled as passwords are.
 * See docs/decisions/015-second-factors.md.
 */

export const RECOVERY_CODE_COUNT = 10;
/** With STEP_UP_WINDOW_MINUTES=0, how long a fresh code lets the one step it was asked for through. */
export const STEP_UP_GRANT_MS = 5 * 60_000;
const ISSUER = "Crosswalk";
// Letters and digits no one misreads (no 0/o, 1/l/i).
const RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789";

/** The person halfway through signing in: their password was right, their second factor is next. */
export interface PendingSignIn {
  sessionId: string;
  userId: string;
  partnershipId: string;
  agencyId: string;
  role: Role;
  email: string;
}

/** A fully signed-in session asked for a fresh second factor. */
export interface StepUpSession {
  sessionId: string;
  userId: string;
  partnershipId: string;
  agencyId: string;
  role: Role;
}

export type CodeProblem = "wrong" | "replayed" | "throttled" | "not_enrolled" | "enrolled";

export type CodeResult<T> =
  ({ ok: true } & T) | { ok: false; problem: CodeProblem; retryAfterSeconds?: number };

type Executor = Kysely<Database> | Transaction<Database>;

/** The person as the access log names them. */
export function auditActor(person: PendingSignIn | StepUpSession) {
  return {
    actor: {
      userId: person.userId,
      partnershipId: person.partnershipId,
      agencyId: person.agencyId,
      role: person.role,
    },
  };
}

/** Act as the person in this transaction (their own rows, under row-level security). */
export async function asPerson(
  trx: Transaction<Database>,
  person: { partnershipId: string; userId: string },
): Promise<void> {
  await setTenant(trx, person.partnershipId);
  await setLocal(trx, "app.user_id", person.userId);
}

/** Whether the person has a second factor they can sign in with (a confirmed app or a passkey). */
export async function hasSecondFactor(trx: Executor, userId: string): Promise<boolean> {
  const totp = await trx
    .selectFrom("totp_authenticators")
    .select("user_id")
    .where("user_id", "=", userId)
    .where("confirmed_at", "is not", null)
    .executeTakeFirst();
  if (totp) return true;
  const passkey = await trx
    .selectFrom("passkeys")
    .select("id")
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return passkey !== undefined;
}

/** What the second-factor page offers this person. */
export interface SecondFactorOptions {
  totp: boolean;
  passkeys: number;
  recoveryCodesLeft: number;
}

/** The second factors a person has, to offer them on the sign-in and step-up pages. */
export function secondFactorOptions(
  db: Kysely<Database>,
  person: { partnershipId: string; userId: string },
): Promise<SecondFactorOptions> {
  return auditedTransaction(db, async (trx) => {
    await asPerson(trx, person);
    const totp = await trx
      .selectFrom("totp_authenticators")
      .select("confirmed_at")
      .where("user_id", "=", person.userId)
      .executeTakeFirst();
    const passkeys = await trx
      .selectFrom("passkeys")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("user_id", "=", person.userId)
      .executeTakeFirstOrThrow();
    const codes = await trx
      .selectFrom("recovery_codes")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("user_id", "=", person.userId)
      .where("used_at", "is", null)
      .executeTakeFirstOrThrow();
    return {
      totp: Boolean(totp?.confirmed_at),
      passkeys: Number(passkeys.n),
      recoveryCodesLeft: Number(codes.n),
    };
  });
}

/** The key being set up, as the enrolment page shows it. */
export interface Enrolment {
  keyText: string;
  qrSvg: string;
  accountName: string;
}

/**
 * Start (or resume) setting up an authenticator app: a new key, kept unconfirmed until a code
 * from it is given. Null when the person already has one confirmed.
 */
export async function startEnrolment(
  db: Kysely<Database>,
  pending: PendingSignIn,
): Promise<Enrolment | null> {
  const secret = await auditedTransaction(db, async (trx) => {
    await asPerson(trx, pending);
    const existing = await trx
      .selectFrom("totp_authenticators")
      .select(["secret", "confirmed_at"])
      .where("user_id", "=", pending.userId)
      .executeTakeFirst();
    if (existing?.confirmed_at) return null;
    if (existing) return existing.secret;
    const fresh = newTotpSecret();
    await trx
      .insertInto("totp_authenticators")
      .values({ user_id: pending.userId, partnership_id: pending.partnershipId, secret: fresh })
      .execute();
    return fresh;
  });
  if (!secret) return null;
  const uri = totpKeyUri(ISSUER, pending.email, secret);
  return {
    keyText: formatTotpKey(secret),
    qrSvg: await totpQrSvg(uri),
    accountName: pending.email,
  };
}

function newRecoveryCode(): string {
  let code = "";
  for (let i = 0; i < 12; i += 1) code += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`;
}

/** What a person typed as a recovery code, in the form the codes are made in. */
function normaliseRecoveryCode(typed: string): string {
  const letters = typed.toLowerCase().replace(/[^a-z0-9]/g, "");
  return `${letters.slice(0, 4)}-${letters.slice(4, 8)}-${letters.slice(8)}`;
}

/** Replace a person's recovery codes with ten new ones, returned once and stored hashed. */
async function replaceRecoveryCodes(
  trx: Transaction<Database>,
  person: { partnershipId: string; userId: string },
): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const hashes = await Promise.all(codes.map((code) => hashPassword(code)));
  await trx.deleteFrom("recovery_codes").where("user_id", "=", person.userId).execute();
  await trx
    .insertInto("recovery_codes")
    .values(
      hashes.map((code_hash) => ({
        partnership_id: person.partnershipId,
        user_id: person.userId,
        code_hash,
      })),
    )
    .execute();
  return codes;
}

/** Whether attempts are paused; if so the refusal is recorded and its wait returned. */
export async function throttled(
  trx: Transaction<Database>,
  person: PendingSignIn | StepUpSession,
  meta: RequestMeta,
  now: Date,
  action: string,
  method?: SecondFactorMethod,
): Promise<number> {
  const waitMs = await retryAfterMs(
    trx,
    secondFactorSubject(person.userId),
    meta.clientAddress,
    now,
  );
  if (waitMs > 0) {
    await record(trx, auditActor(person), meta, {
      action,
      outcome: "refused",
      reason:
        method === "passkey"
          ? "Too many failed second-factor attempts: attempts paused"
          : "Too many wrong codes: attempts paused",
      recordType: "user",
      recordId: person.userId,
      ...(method ? { details: { method } } : {}),
    });
  }
  return waitMs;
}

async function refuseCode(
  trx: Transaction<Database>,
  person: PendingSignIn | StepUpSession,
  meta: RequestMeta,
  now: Date,
  action: string,
  method: SecondFactorMethod,
  problem: CodeProblem,
): Promise<{ ok: false; problem: CodeProblem }> {
  await recordFailure(
    trx,
    secondFactorSubject(person.userId),
    meta.clientAddress,
    now,
    SECOND_FACTOR_THROTTLE_RULES,
  );
  await record(trx, auditActor(person), meta, {
    action,
    outcome: "refused",
    reason:
      problem === "replayed"
        ? "A code that was already used was given again"
        : method === "recovery_code"
          ? "Wrong or used recovery code"
          : "Wrong authenticator code",
    recordType: "user",
    recordId: person.userId,
    details: { method },
  });
  return { ok: false, problem };
}

/**
 * Check a code from the person's authenticator app (replay-safe: the row is locked and the step
 * recorded, so the same code cannot be accepted twice even by two requests at once), or one of
 * their recovery codes (then used up). Returns the problem, or null when the code is good.
 */
async function checkCode(
  trx: Transaction<Database>,
  person: { userId: string },
  method: "totp" | "recovery_code",
  typed: string,
  now: Date,
  options: { confirmedOnly: boolean },
): Promise<CodeProblem | null> {
  if (method === "recovery_code") {
    const codes = await trx
      .selectFrom("recovery_codes")
      .select(["id", "code_hash"])
      .where("user_id", "=", person.userId)
      .where("used_at", "is", null)
      .forUpdate()
      .execute();
    const code = normaliseRecoveryCode(typed);
    for (const candidate of codes) {
      if (await verifyPassword(candidate.code_hash, code)) {
        await trx
          .updateTable("recovery_codes")
          .set({ used_at: now })
          .where("id", "=", candidate.id)
          .execute();
        return null;
      }
    }
    return "wrong";
  }
  const authenticator = await trx
    .selectFrom("totp_authenticators")
    .select(["secret", "confirmed_at", "last_used_step"])
    .where("user_id", "=", person.userId)
    .forUpdate()
    .executeTakeFirst();
  if (!authenticator) return "not_enrolled";
  if (options.confirmedOnly !== (authenticator.confirmed_at !== null)) {
    return options.confirmedOnly ? "not_enrolled" : "enrolled";
  }
  const lastUsed =
    authenticator.last_used_step === null ? null : Number(authenticator.last_used_step);
  const step = matchTotpStep(authenticator.secret, typed, now, lastUsed);
  if (step === null) {
    return wasReplayed(authenticator.secret, typed, now, lastUsed) ? "replayed" : "wrong";
  }
  await trx
    .updateTable("totp_authenticators")
    .set({ last_used_step: step, ...(options.confirmedOnly ? {} : { confirmed_at: now }) })
    .where("user_id", "=", person.userId)
    .execute();
  return null;
}

/**
 * Turn a half sign-in into a whole one: a new session id (the half session's id is never
 * promoted), the second factor's time and method on it, and the sign-in recorded.
 */
export async function completeSignIn(
  trx: Transaction<Database>,
  settings: SignInSettings,
  meta: RequestMeta,
  pending: PendingSignIn,
  method: SecondFactorMethod,
  now: Date,
  details: Record<string, unknown> = {},
): Promise<string> {
  const lucia = createLucia(trx, settings);
  const previous = await trx
    .selectFrom("sessions")
    .select(["user_agent"])
    .where("id_hash", "=", hashSessionId(pending.sessionId))
    .executeTakeFirst();
  await lucia.invalidateSession(pending.sessionId);
  const session = await lucia.createSession(pending.userId, {
    partnershipId: pending.partnershipId,
    createdAt: now,
    secondFactorAt: now,
    secondFactorMethod: method,
    stepUpGrantUntil: null,
    userAgent: settings.userAgent ?? previous?.user_agent ?? null,
    clientAddress: meta.clientAddress,
  });
  await recordSuccess(trx, secondFactorSubject(pending.userId), meta.clientAddress);
  await record(trx, auditActor(pending), meta, {
    action: "auth.sign_in",
    outcome: "allowed",
    recordType: "user",
    recordId: pending.userId,
    details: { method, ...details },
  });
  return sessionCookieHeader(lucia, session.id);
}

async function recoveryCodesLeft(trx: Transaction<Database>, userId: string): Promise<number> {
  const { n } = await trx
    .selectFrom("recovery_codes")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(n);
}

/**
 * Confirm a new authenticator app with its first code: the sign-in completes. The recovery codes
 * are made next, on the page that shows them (issueRecoveryCodes).
 */
export function confirmEnrolment(
  db: Kysely<Database>,
  meta: RequestMeta,
  settings: SignInSettings,
  pending: PendingSignIn,
  code: string,
  now = new Date(),
): Promise<CodeResult<{ setCookie: string }>> {
  return auditedTransaction(db, async (trx) => {
    await asPerson(trx, pending);
    const waitMs = await throttled(trx, pending, meta, now, "auth.second_factor_enrolled");
    if (waitMs > 0) {
      return { ok: false, problem: "throttled", retryAfterSeconds: Math.ceil(waitMs / 1000) };
    }
    const problem = await checkCode(trx, pending, "totp", code, now, { confirmedOnly: false });
    if (problem === "enrolled" || problem === "not_enrolled") return { ok: false, problem };
    if (problem) {
      return refuseCode(trx, pending, meta, now, "auth.second_factor_enrolled", "totp", problem);
    }
    // Codes from before (an earlier enrolment, since reset) no longer count.
    await trx.deleteFrom("recovery_codes").where("user_id", "=", pending.userId).execute();
    await record(trx, auditActor(pending), meta, {
      action: "auth.second_factor_enrolled",
      outcome: "allowed",
      recordType: "user",
      recordId: pending.userId,
      details: { method: "totp" },
    });
    const setCookie = await completeSignIn(trx, settings, meta, pending, "totp", now);
    return { ok: true, setCookie };
  });
}

/** A person's recovery codes, as their page shows them. */
export type RecoveryCodesView =
  { shown: "new"; codes: string[] } | { shown: "count"; left: number; total: number };

/**
 * The recovery-codes page: a person who has none (just enrolled) gets ten, shown this once;
 * anyone else sees how many they have left. With `replace`, ten new ones replace them all.
 */
export function issueRecoveryCodes(
  db: Kysely<Database>,
  meta: RequestMeta,
  person: StepUpSession,
  options: { replace: boolean },
): Promise<RecoveryCodesView> {
  return auditedTransaction(db, async (trx) => {
    await asPerson(trx, person);
    const rows = await trx
      .selectFrom("recovery_codes")
      .select("used_at")
      .where("user_id", "=", person.userId)
      .forUpdate()
      .execute();
    if (rows.length > 0 && !options.replace) {
      return {
        shown: "count",
        left: rows.filter((row) => row.used_at === null).length,
        total: rows.length,
      };
    }
    if (!(await hasSecondFactor(trx, person.userId))) {
      return { shown: "count", left: 0, total: 0 };
    }
    const codes = await replaceRecoveryCodes(trx, person);
    await record(trx, auditActor(person), meta, {
      action: "auth.recovery_codes_issued",
      outcome: "allowed",
      recordType: "user",
      recordId: person.userId,
      details: { count: codes.length, replacedEarlier: rows.length > 0 },
    });
    return { shown: "new", codes };
  });
}

/** Finish signing in with a code from the authenticator app or a recovery code. */
export function verifySignInCode(
  db: Kysely<Database>,
  meta: RequestMeta,
  settings: SignInSettings,
  pending: PendingSignIn,
  input: { method: "totp" | "recovery_code"; code: string },
  now = new Date(),
): Promise<CodeResult<{ setCookie: string; recoveryCodesLeft: number | null }>> {
  return auditedTransaction(db, async (trx) => {
    await asPerson(trx, pending);
    const waitMs = await throttled(trx, pending, meta, now, "auth.second_factor");
    if (waitMs > 0) {
      return { ok: false, problem: "throttled", retryAfterSeconds: Math.ceil(waitMs / 1000) };
    }
    const problem = await checkCode(trx, pending, input.method, input.code, now, {
      confirmedOnly: true,
    });
    if (problem === "not_enrolled") return { ok: false, problem };
    if (problem) {
      return refuseCode(trx, pending, meta, now, "auth.second_factor", input.method, problem);
    }
    const left =
      input.method === "recovery_code" ? await recoveryCodesLeft(trx, pending.userId) : null;
    const setCookie = await completeSignIn(
      trx,
      settings,
      meta,
      pending,
      input.method,
      now,
      left === null ? {} : { recoveryCodesLeft: left },
    );
    return { ok: true, setCookie, recoveryCodesLeft: left };
  });
}

/** Mark a session as having just given a fresh second factor (step-up), in the caller's transaction. */
export async function markSteppedUp(
  trx: Transaction<Database>,
  sessionId: string,
  now: Date,
): Promise<void> {
  await trx
    .updateTable("sessions")
    .set({
      second_factor_at: now,
      step_up_grant_until: new Date(now.getTime() + STEP_UP_GRANT_MS),
    })
    .where("id_hash", "=", hashSessionId(sessionId))
    .execute();
}

/** Give a fresh code before a sensitive step: the session is then fresh for the step-up window. */
export function verifyStepUpCode(
  db: Kysely<Database>,
  meta: RequestMeta,
  session: StepUpSession,
  input: { method: "totp" | "recovery_code"; code: string },
  now = new Date(),
): Promise<CodeResult<{ recoveryCodesLeft: number | null }>> {
  return auditedTransaction(db, async (trx) => {
    await asPerson(trx, session);
    const waitMs = await throttled(trx, session, meta, now, "auth.step_up");
    if (waitMs > 0) {
      return { ok: false, problem: "throttled", retryAfterSeconds: Math.ceil(waitMs / 1000) };
    }
    const problem = await checkCode(trx, session, input.method, input.code, now, {
      confirmedOnly: true,
    });
    if (problem === "not_enrolled") return { ok: false, problem };
    if (problem) return refuseCode(trx, session, meta, now, "auth.step_up", input.method, problem);
    await markSteppedUp(trx, session.sessionId, now);
    await recordSuccess(trx, secondFactorSubject(session.userId), meta.clientAddress);
    const left =
      input.method === "recovery_code" ? await recoveryCodesLeft(trx, session.userId) : null;
    await record(trx, auditActor(session), meta, {
      action: "auth.step_up",
      outcome: "allowed",
      recordType: "user",
      recordId: session.userId,
      details: { method: input.method, ...(left === null ? {} : { recoveryCodesLeft: left }) },
    });
    return { ok: true, recoveryCodesLeft: left };
  });
}
