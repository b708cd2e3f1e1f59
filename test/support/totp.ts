import { setTimeout as sleep } from "node:timers/promises";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";

/**
 * Authenticator codes for tests, as a person's app would show them. Crosswalk accepts each 30-second
 * step's code once, from one step before now to one after, so a test that signs the same person
 * in again picks the next step nobody has used; when all three are used it waits for the clock,
 * as a person would wait for their app's next code.
 */

/** The key every factory-made user is enrolled with (createUser), in base32 as an app takes it. */
export const TEST_TOTP_KEY = "TEST TOTP KEYF ORCR OSSW ALKT ESTS 2345";

const PERIOD_MS = 30_000;

/** The bytes of a base32 key. */
export function totpKeyBytes(key: string): Buffer {
  return Buffer.from(decodeBase32IgnorePadding(key.replace(/\s+/g, "").toUpperCase()));
}

/** The 30-second step of the clock now. */
export function currentTotpStep(): number {
  return Math.floor(Date.now() / PERIOD_MS);
}

/** The code a key gives at a step. */
export function totpCodeAt(key: string, step: number): string {
  return generateHOTP(totpKeyBytes(key), BigInt(step), 6);
}

/**
 * The earliest step after `lastUsed` that the server accepts now (one step either side of the
 * clock), waiting for the clock when the next unused step is still ahead of that window.
 */
export async function unusedTotpStep(lastUsed: number | null): Promise<number> {
  const now = currentTotpStep();
  // Not the step before now: the clock may move on before the server checks it.
  const step = Math.max(now, lastUsed === null ? now : lastUsed + 1);
  if (step > now + 1) {
    // The step before it must be the clock's before the server takes it.
    await sleep((step - 1) * PERIOD_MS - Date.now() + 50);
  }
  return step;
}

/** A fresh code of a key, for someone whose last accepted step was `lastUsed`. */
export async function freshTotpCode(
  key: string,
  lastUsed: number | null,
): Promise<{ code: string; step: number }> {
  const step = await unusedTotpStep(lastUsed);
  return { code: totpCodeAt(key, step), step };
}
