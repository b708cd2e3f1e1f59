import { randomBytes, timingSafeEqual } from "node:crypto";
import { decodeBase32IgnorePadding, encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import { createTOTPKeyURI, generateHOTP } from "@oslojs/otp";
import QRCode from "qrcode";

/**
 * Authenticator-app codes (TOTP, RFC 6238): six digits from a 20-byte key and the 30-second step
 * of the clock, as every authenticator app makes them. @oslojs/otp computes the codes; this module
 * only decides which steps are accepted, so that a code can be used once.
 */

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps either side of now that are accepted, for a phone's clock a little out (RFC 6238 §5.2). */
const DRIFT_STEPS = 1;

/** A new random key for an authenticator app. */
export function newTotpSecret(): Buffer {
  return randomBytes(20);
}

/** The 30-second step a moment falls in. */
export function totpStep(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

/** The code an authenticator app shows for a key at a step (for tests and the demo's README). */
export function totpCode(secret: Uint8Array, step: number): string {
  return generateHOTP(secret, BigInt(step), TOTP_DIGITS);
}

/** The key as a person types it into an app by hand: base32, in groups of four. */
export function formatTotpKey(secret: Uint8Array): string {
  return encodeBase32UpperCaseNoPadding(secret).replace(/(.{4})(?=.)/g, "$1 ");
}

/** A key typed or published in base32 (spaces and case ignored), as bytes. */
export function parseTotpKey(text: string): Buffer {
  return Buffer.from(decodeBase32IgnorePadding(text.replace(/\s+/g, "").toUpperCase()));
}

/** The otpauth:// address an app reads from the QR code. */
export function totpKeyUri(issuer: string, accountName: string, secret: Uint8Array): string {
  return createTOTPKeyURI(issuer, accountName, secret, TOTP_PERIOD_SECONDS, TOTP_DIGITS);
}

/** The QR code of an otpauth:// address, drawn on the server as SVG (no script, prints). */
export function totpQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
}

/** What a person typed, as the six digits it must be; null if it cannot be a code. */
export function normaliseTotpCode(typed: string): string | null {
  const digits = typed.replace(/[\s-]/g, "");
  return /^\d{6}$/.test(digits) ? digits : null;
}

/**
 * The step whose code this is, if it is the code of a step near `now` that is newer than the last
 * step used: a code is accepted once, so a replayed one is refused even within its window.
 */
export function matchTotpStep(
  secret: Uint8Array,
  typed: string,
  now: Date,
  lastUsedStep: number | null,
): number | null {
  const code = normaliseTotpCode(typed);
  if (!code) return null;
  const current = totpStep(now);
  let matched: number | null = null;
  // Every candidate is compared, in constant time, so timing does not tell which step matched.
  for (let step = current - DRIFT_STEPS; step <= current + DRIFT_STEPS; step += 1) {
    const expected = Buffer.from(totpCode(secret, step));
    if (timingSafeEqual(expected, Buffer.from(code)) && matched === null) matched = step;
  }
  if (matched === null) return null;
  return lastUsedStep !== null && matched <= lastUsedStep ? null : matched;
}

/** Whether a step was refused only because its code was used already (for the message). */
export function wasReplayed(
  secret: Uint8Array,
  typed: string,
  now: Date,
  lastUsedStep: number | null,
): boolean {
  return (
    lastUsedStep !== null &&
    matchTotpStep(secret, typed, now, null) !== null &&
    matchTotpStep(secret, typed, now, lastUsedStep) === null
  );
}
