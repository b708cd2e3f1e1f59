import { createHash } from "node:crypto";
import { sql, type Transaction } from "kysely";
import type { Database } from "../../db/types";

/**
 * Sign-in throttling, kept in PostgreSQL so a restart does not reset it. Three counters grow with
 * each failure and block further attempts for a doubling time once past their free allowance:
 *
 * - per account and address: 5 free, then up to 15 minutes. Stops one client guessing one password.
 * - per address: 20 free, then up to 15 minutes. Stops one client spraying many accounts.
 * - per account: 10 free, then at most 60 seconds. Slows a guesser spread over many addresses to
 *   about one try a minute, while an attacker can never lock the real person out for longer than
 *   a minute at a time from addresses other than theirs.
 *
 * Counters forget failures after an hour without one. Keys are SHA-256 hashes, never the values.
 */
export const THROTTLE_RULES = {
  accountAddress: { free: 5, baseBlockMs: 1000, maxBlockMs: 15 * 60_000 },
  address: { free: 20, baseBlockMs: 1000, maxBlockMs: 15 * 60_000 },
  account: { free: 10, baseBlockMs: 1000, maxBlockMs: 60_000 },
} as const;

/**
 * Second-factor codes, counted per account (the person's user id, so the counters never meet a
 * sign-in's) and address. Whoever is guessing already has the password, so the account's own
 * counter blocks hard: after 5 wrong codes, 30 seconds, then a doubling time up to 15 minutes,
 * which keeps a guesser of six-digit codes to a few hundred tries a day.
 */
export const SECOND_FACTOR_THROTTLE_RULES = {
  accountAddress: { free: 5, baseBlockMs: 30_000, maxBlockMs: 15 * 60_000 },
  address: { free: 20, baseBlockMs: 1000, maxBlockMs: 15 * 60_000 },
  account: { free: 5, baseBlockMs: 30_000, maxBlockMs: 15 * 60_000 },
} as const;

export type ThrottleRules = Record<
  keyof typeof THROTTLE_RULES,
  { free: number; baseBlockMs: number; maxBlockMs: number }
>;

/** The subject a person's second-factor attempts are counted under. */
export function secondFactorSubject(userId: string): string {
  return `second-factor:${userId}`;
}

const FORGET_AFTER_MS = 60 * 60_000;

type Scope = keyof typeof THROTTLE_RULES;

function throttleKey(scope: Scope, email: string, address: string): string {
  const subject =
    scope === "account" ? email : scope === "address" ? address : `${email}\u0000${address}`;
  return createHash("sha256").update(`${scope}\u0000${subject}`).digest("hex");
}

function keysFor(email: string, address: string | null): { scope: Scope; key: string }[] {
  const from = address ?? "unknown";
  return (Object.keys(THROTTLE_RULES) as Scope[]).map((scope) => ({
    scope,
    key: throttleKey(scope, email, from),
  }));
}

/** How long until this email may try again from this address; 0 when it may try now. */
export async function retryAfterMs(
  trx: Transaction<Database>,
  email: string,
  address: string | null,
  now: Date,
): Promise<number> {
  const rows = await trx
    .selectFrom("sign_in_throttle")
    .select("blocked_until")
    .where(
      "key",
      "in",
      keysFor(email, address).map(({ key }) => key),
    )
    .execute();
  const until = Math.max(0, ...rows.map((row) => row.blocked_until?.getTime() ?? 0));
  return Math.max(0, until - now.getTime());
}

/** Count a failed attempt against every counter it belongs to. */
export async function recordFailure(
  trx: Transaction<Database>,
  email: string,
  address: string | null,
  now: Date,
  rules: ThrottleRules = THROTTLE_RULES,
): Promise<void> {
  const forgetBefore = new Date(now.getTime() - FORGET_AFTER_MS);
  for (const { scope, key } of keysFor(email, address)) {
    const { free, baseBlockMs, maxBlockMs } = rules[scope];
    await trx
      .insertInto("sign_in_throttle")
      .values({ key, failures: 1, last_failure_at: now, blocked_until: null })
      .onConflict((conflict) =>
        conflict.column("key").doUpdateSet({
          failures: sql`case when sign_in_throttle.last_failure_at < ${forgetBefore} then 1 else sign_in_throttle.failures + 1 end`,
          last_failure_at: now,
        }),
      )
      .execute();
    // Block for 1 s (or the rules' base), 2 s, 4 s … past the free allowance, up to the ceiling.
    await trx
      .updateTable("sign_in_throttle")
      .set({
        blocked_until: sql`case when failures > ${free}
          then ${now}::timestamptz + least(power(2, failures - ${free} - 1) * ${baseBlockMs}, ${maxBlockMs}) * interval '1 millisecond'
          else null end`,
      })
      .where("key", "=", key)
      .execute();
  }
}

/** A successful sign-in clears the counters of that account; the address counter only decays. */
export async function recordSuccess(
  trx: Transaction<Database>,
  email: string,
  address: string | null,
): Promise<void> {
  const keys = keysFor(email, address)
    .filter(({ scope }) => scope !== "address")
    .map(({ key }) => key);
  await trx.deleteFrom("sign_in_throttle").where("key", "in", keys).execute();
}
