import { z } from "zod";
import { COMMON_PASSWORDS } from "./common-passwords";

/**
 * What a new password must be (OWASP ASVS 5.0 V6.2, NCSC and NIST SP 800-63B): long enough, and not
 * one that attackers try first. No composition rules (a digit, a capital, a symbol): they make
 * passwords harder to remember and barely harder to guess. Checked wherever a password is chosen
 * (a set-password link, the change-password page); never at sign-in, so an older password keeps
 * working until its owner changes it.
 */

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 256;

/** The hint under every new-password field. */
export const NEW_PASSWORD_HINT = `At least ${MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong password that is easy to remember. Common passwords are not accepted.`;

export const PASSWORD_MESSAGES = {
  missing: "Enter a new password",
  short: `Password must be ${MIN_PASSWORD_LENGTH} characters or more`,
  long: `Password must be ${MAX_PASSWORD_LENGTH} characters or fewer`,
  common:
    "Choose a password that is harder to guess: this one is among the most commonly used passwords",
  commonWithSuffix:
    "Choose a password that is harder to guess: this one is a commonly used password with numbers or symbols added",
  repeated: "Choose a password that is harder to guess: this one repeats the same few characters",
  email: "Password must not contain your email address",
  confirmMissing: "Enter the password again",
  mismatch: "The passwords do not match",
} as const;

// Built once, on first use: about 10,000 passwords (see scripts/common-passwords.js).
let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(COMMON_PASSWORDS.split("\n"));
  return common;
}

/** Whether the password (in any case) is on the bundled list of common breached passwords. */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.toLowerCase());
}

/** "password123!" and "dragon2024": a common password with digits or symbols put after it. */
function isCommonWithSuffix(lower: string): boolean {
  const stem = lower.replace(/[\d\W_]+$/u, "");
  return stem !== lower && stem.length >= 4 && commonPasswords().has(stem);
}

/** "aaaaaaaaaaaa", "abcabcabcabc", "12121212121212": one to four characters, over and over. */
function isRepeated(lower: string): boolean {
  return /^(.{1,4})\1+$/su.test(lower);
}

/**
 * What is wrong with a password someone has chosen, in words for them, or null when it will do.
 * `email` is the account's: a password made of the address's name is the first an attacker tries.
 */
export function passwordProblem(password: string, account: { email: string }): string | null {
  if (password.length === 0) return PASSWORD_MESSAGES.missing;
  if (password.length < MIN_PASSWORD_LENGTH) return PASSWORD_MESSAGES.short;
  if (password.length > MAX_PASSWORD_LENGTH) return PASSWORD_MESSAGES.long;
  const lower = password.toLowerCase();
  if (isCommonPassword(lower)) return PASSWORD_MESSAGES.common;
  if (isRepeated(lower)) return PASSWORD_MESSAGES.repeated;
  if (isCommonWithSuffix(lower)) return PASSWORD_MESSAGES.commonWithSuffix;
  // A name of one to three letters ("jo@") is inside too many good passwords to refuse them all.
  const name = account.email.toLowerCase().split("@")[0] ?? "";
  if (name.length >= 4 && lower.includes(name)) return PASSWORD_MESSAGES.email;
  return null;
}

/**
 * The new-password fields of a form (`password` and `confirm`), checked against the policy for
 * this account. Messages are GOV.UK's, for the error summary.
 */
export function newPasswordSchema(account: { email: string }) {
  return z
    .object({
      password: z.string({ error: PASSWORD_MESSAGES.missing }),
      confirm: z.string({ error: PASSWORD_MESSAGES.confirmMissing }),
    })
    .superRefine((form, issues) => {
      const problem = passwordProblem(form.password, account);
      if (problem) issues.addIssue({ code: "custom", path: ["password"], message: problem });
      else if (form.password !== form.confirm) {
        issues.addIssue({ code: "custom", path: ["confirm"], message: PASSWORD_MESSAGES.mismatch });
      }
    });
}
