import { useEffect, useState } from "react";

/**
 * What the passkey buttons share: whether this browser can use passkeys at all, calling
 * Crosswalk's passkey endpoints from script, and the words for each way a passkey can fail.
 */

/** Why a passkey was not accepted or could not be used, as the server or the browser says. */
export type PasskeyProblem =
  | "throttled"
  | "no_passkeys"
  | "expired"
  | "unknown_passkey"
  | "invalid"
  | "sign_count"
  | "unavailable"
  | "cancelled"
  | "already_added"
  | "failed";

/**
 * Null until the page has hydrated (without JavaScript it never does), then whether the browser
 * has WebAuthn. Passkey controls render nothing until it is true, so no page offers a button that
 * cannot work.
 */
export function usePasskeySupport(): boolean | null {
  const [supported, setSupported] = useState<boolean | null>(null);
  useEffect(() => {
    setSupported(typeof window.PublicKeyCredential === "function");
  }, []);
  return supported;
}

/** The message for a passkey that could not be used, in words for the person holding it. */
export function passkeyProblemMessage(problem: PasskeyProblem, retryAfterSeconds?: number): string {
  switch (problem) {
    case "throttled": {
      const minutes = Math.max(1, Math.ceil((retryAfterSeconds ?? 60) / 60));
      return `Too many failed attempts. Wait ${minutes} minute${minutes > 1 ? "s" : ""} and try again`;
    }
    case "no_passkeys":
      return "You have not added a passkey to your account. Enter a code from your authenticator app instead";
    case "expired":
      return "Your passkey took too long to answer. Try again";
    case "unknown_passkey":
      return "That passkey has not been added to your Crosswalk account. Use a passkey you have added, or your authenticator app";
    case "sign_count":
      return "That passkey cannot be accepted because it may have been copied. Use your authenticator app, and remove the passkey from your account";
    case "unavailable":
      return "Passkeys cannot be used at this web address. Use your authenticator app";
    case "cancelled":
      return "Your passkey was not used. Try again, or use your authenticator app";
    case "already_added":
      return "That passkey has already been added to your account";
    default:
      return "Your passkey could not be checked. Try again, or use your authenticator app";
  }
}

/** What a passkey endpoint answered: its JSON, or the problem to show. */
export type EndpointAnswer<T> =
  { ok: true; body: T } | { ok: false; problem: PasskeyProblem; body: Record<string, unknown> };

/**
 * POST a form to one of Crosswalk's passkey endpoints and read its JSON answer. An answer that was
 * redirected means the session has ended (or is not the kind the endpoint serves): the page is
 * reloaded, so its own loader sends the person where they belong, and the promise never settles.
 */
export async function postForm<T>(
  path: string,
  fields: Record<string, string>,
): Promise<EndpointAnswer<T>> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { Accept: "application/json" },
      body: new URLSearchParams(fields),
      credentials: "same-origin",
    });
  } catch {
    return { ok: false, problem: "failed", body: {} };
  }
  if (response.redirected) {
    window.location.reload();
    return new Promise(() => undefined);
  }
  const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.ok) return { ok: true, body: json as T };
  const problem = typeof json.problem === "string" ? (json.problem as PasskeyProblem) : "failed";
  return { ok: false, problem, body: json };
}
