import type { PublicKeyCredentialCreationOptionsJSON } from "@simplewebauthn/browser";
import { startRegistration } from "@simplewebauthn/browser";
import { useNavigate } from "@remix-run/react";
import { useState, type FormEvent } from "react";
import { Button, TextInput, type FieldError } from "./form";
import { passkeyProblemMessage, postForm, usePasskeySupport } from "./passkeys";
import { SubmissionIdField } from "./post-form";

/**
 * "Add a passkey" on the person's passkeys page. Making a passkey needs JavaScript and a browser
 * with WebAuthn: without them the page says so (and the authenticator app keeps working). With
 * them: the name the person types, then the browser makes the passkey against the server's
 * challenge, the server checks and keeps it, and the page reloads its list with a success banner.
 */
export function AddPasskeyForm({
  available,
  onProblem,
  error,
}: {
  /** False when Crosswalk is reached at an address browsers will not make passkeys for. */
  available: boolean;
  onProblem: (problem: FieldError | null) => void;
  /** The message for the name field, if it has one. */
  error?: string;
}) {
  const supported = usePasskeySupport();
  const navigate = useNavigate();
  const [busy, setBusy] = useState(false);

  if (!available) {
    return (
      <p className="govuk-body">
        Passkeys cannot be added at this web address. Your authenticator app keeps working.
      </p>
    );
  }
  if (supported === null) {
    return (
      <p className="govuk-body">
        Adding a passkey needs JavaScript, which is turned off or has not loaded in this browser.
        You can keep signing in with your authenticator app.
      </p>
    );
  }
  if (!supported) {
    return (
      <p className="govuk-body">
        This browser cannot make passkeys. You can keep signing in with your authenticator app.
      </p>
    );
  }

  async function addPasskey(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const typed = new FormData(form).get("passkeyName");
    const name = typeof typed === "string" ? typed.trim() : "";
    onProblem(null);
    if (name === "") {
      onProblem({
        field: "passkeyName",
        message: "Enter a name for this passkey, like Work laptop",
      });
      return;
    }
    setBusy(true);
    try {
      const options = await postForm<{ options: PublicKeyCredentialCreationOptionsJSON }>(
        "/passkeys/registration-options",
        {},
      );
      if (!options.ok) {
        onProblem({ field: "add-passkey", message: passkeyProblemMessage(options.problem) });
        return;
      }
      let response;
      try {
        response = await startRegistration({ optionsJSON: options.body.options });
      } catch (error) {
        const code = (error as { code?: string }).code;
        const problem =
          code === "ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED" ? "already_added" : "cancelled";
        onProblem({ field: "add-passkey", message: passkeyProblemMessage(problem) });
        return;
      }
      const added = await postForm<{ passkey: { id: string } }>("/passkeys/register", {
        name,
        credential: JSON.stringify(response),
      });
      if (!added.ok) {
        const message = added.body.message;
        onProblem(
          added.problem === ("name" as string) && typeof message === "string"
            ? { field: "passkeyName", message }
            : { field: "add-passkey", message: passkeyProblemMessage(added.problem) },
        );
        return;
      }
      form.reset();
      navigate("/account/passkeys?done=added", { replace: true });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form method="post" noValidate onSubmit={(event) => void addPasskey(event)}>
      <SubmissionIdField />
      <TextInput
        id="passkeyName"
        label="Name this passkey"
        hint="So you can tell your passkeys apart, like Work laptop or Phone."
        autoComplete="off"
        spellCheck={false}
        maxLength={100}
        error={error}
      />
      <div className="govuk-button-group" id="add-passkey" tabIndex={-1}>
        <Button>{busy ? "Adding a passkey…" : "Add a passkey"}</Button>
      </div>
    </form>
  );
}
