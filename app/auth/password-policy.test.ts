import { describe, expect, it } from "vitest";
import { PASSWORD_MESSAGES, passwordProblem } from "./password-policy.server";

const account = { email: "jordan.smith@police.example" };

describe("the password policy", () => {
  it.each([
    ["", PASSWORD_MESSAGES.missing],
    ["eleven char", PASSWORD_MESSAGES.short],
    ["x".repeat(257), PASSWORD_MESSAGES.long],
    ["QazWsxEdcRfv", PASSWORD_MESSAGES.common],
    ["1q2w3e4r5t6y", PASSWORD_MESSAGES.common],
    ["password123456!", PASSWORD_MESSAGES.commonWithSuffix],
    ["abcabcabcabc", PASSWORD_MESSAGES.repeated],
    ["my name is jordan.smith", PASSWORD_MESSAGES.email],
  ])("refuses %j", (password, message) => {
    expect(passwordProblem(password, account)).toBe(message);
  });

  it.each(["crosswalk-demo", "correct horse battery staple", "lantern orbit pickle 42"])(
    "accepts %j, with no rule about digits, capitals or symbols",
    (password) => {
      expect(passwordProblem(password, account)).toBeNull();
    },
  );
});
