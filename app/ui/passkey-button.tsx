import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/browser";
import { startAuthentication } from "@simplewebauthn/browser";
import { useSubmit } from "@remix-run/react";
import { useState } from "react";
import { passkeyProblemMessage, postForm, usePasskeySupport } from "./passkeys";

/**
 * "Use a passkey", on the second-factor and step-up pages. It needs JavaScript and a browser with
 * WebAuthn, so it renders nothing until the page has hydrated in one. When pressed it asks the
 * server for a challenge, asks the browser for one of the person's passkeys, and sends the answer
 * to the page's own action (with `fields`, such as returnTo or the held request), which checks it
 * and continues exactly as after a code. A problem before the answer is sent goes to `onProblem`
 * for the page's error summary; the action's own refusals come back as its errors.
 */
export function PasskeyButton({
  purpose,
  fields,
  onProblem,
  intro = "Use a passkey you have added to your account.",
}: {
  purpose: "sign-in" | "step-up";
  fields: Record<string, string>;
  onProblem: (message: string | null) => void;
  intro?: string;
}) {
  const supported = usePasskeySupport();
  const submit = useSubmit();
  const [busy, setBusy] = useState(false);
  if (!supported) return null;

  async function askForPasskey() {
    onProblem(null);
    setBusy(true);
    try {
      const answer = await postForm<{ options: PublicKeyCredentialRequestOptionsJSON }>(
        "/passkeys/authentication-options",
        { purpose },
      );
      if (!answer.ok) {
        const wait = answer.body.retryAfterSeconds;
        onProblem(
          passkeyProblemMessage(answer.problem, typeof wait === "number" ? wait : undefined),
        );
        return;
      }
      let credential;
      try {
        credential = await startAuthentication({ optionsJSON: answer.body.options });
      } catch {
        onProblem(passkeyProblemMessage("cancelled"));
        return;
      }
      submit(
        { ...fields, method: "passkey", credential: JSON.stringify(credential) },
        { method: "post" },
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <p className="govuk-body">{intro}</p>
      <button
        type="button"
        id="passkey"
        className="govuk-button govuk-button--secondary"
        data-module="govuk-button"
        disabled={busy}
        aria-disabled={busy}
        onClick={() => void askForPasskey()}
      >
        Use a passkey
      </button>
    </>
  );
}
