import { Link } from "@remix-run/react";
import { Button, TextInput } from "./form";
import { PostForm } from "./post-form";

/** Which second factor the form asks for. */
export type CodeMethod = "totp" | "recovery_code";

/**
 * The code box of the second-factor and step-up pages: a code from the authenticator app, or (a
 * link away, with or without JavaScript) one of the person's recovery codes.
 */
export function SecondFactorCodeForm({
  method,
  error,
  recoveryCodesLeft,
  switchHref,
  hidden = {},
  submitLabel = "Continue",
}: {
  method: CodeMethod;
  error?: string;
  recoveryCodesLeft: number;
  /** The same page asking for the other kind of code. */
  switchHref: (method: CodeMethod) => string;
  hidden?: Record<string, string>;
  submitLabel?: string;
}) {
  return (
    <>
      <PostForm noValidate>
        <input type="hidden" name="method" value={method} />
        {Object.entries(hidden).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        {method === "totp" ? (
          <TextInput
            id="code"
            label="Code from your authenticator app"
            hint="The 6-digit code your authenticator app shows for Crosswalk now."
            autoComplete="one-time-code"
            inputMode="numeric"
            spellCheck={false}
            width={5}
            error={error}
          />
        ) : (
          <TextInput
            id="code"
            label="Recovery code"
            hint="One of the recovery codes you saved when you set up your authenticator app, like abcd-efgh-jkmn. Each works once."
            autoComplete="off"
            spellCheck={false}
            width={10}
            error={error}
          />
        )}
        <Button>{submitLabel}</Button>
      </PostForm>
      {method === "totp" ? (
        recoveryCodesLeft > 0 ? (
          <p className="govuk-body">
            <Link className="govuk-link" to={switchHref("recovery_code")}>
              Use a recovery code instead
            </Link>{" "}
            if you do not have your authenticator app.
          </p>
        ) : null
      ) : (
        <p className="govuk-body">
          <Link className="govuk-link" to={switchHref("totp")}>
            Use a code from your authenticator app instead
          </Link>
        </p>
      )}
      <p className="govuk-body">
        Lost your authenticator app and your recovery codes? Ask your partnership&apos;s
        administrator to reset your second factor; you will then set it up again when you sign in.
      </p>
    </>
  );
}

/** The message for a code that was not accepted, in words for the person typing it. */
export function codeProblemMessage(
  problem: "wrong" | "replayed" | "throttled" | "not_enrolled" | "enrolled" | "empty",
  method: CodeMethod,
  retryAfterSeconds?: number,
): string {
  switch (problem) {
    case "empty":
      return method === "totp"
        ? "Enter the 6-digit code from your authenticator app"
        : "Enter a recovery code";
    case "replayed":
      return "That code has already been used. Wait for your authenticator app to show a new code, then enter it";
    case "throttled": {
      const minutes = Math.max(1, Math.ceil((retryAfterSeconds ?? 60) / 60));
      return `Too many wrong codes. Wait ${minutes} minute${minutes > 1 ? "s" : ""} and try again`;
    }
    case "not_enrolled":
      return "You have no authenticator app set up. Sign in again to set one up";
    case "enrolled":
      return "Your authenticator app is already set up. Sign in again and enter a code from it";
    case "wrong":
      return method === "totp"
        ? "The code is not right. Enter the code your authenticator app shows now"
        : "The recovery code is not right, or it has been used. Enter an unused code exactly as it was shown";
  }
}
