import type { Kysely } from "kysely";
import type { Database } from "../../db/types";
import { action as signInAction } from "../../app/routes/sign-in";
import { TEST_PASSWORD } from "./factories";
import { cookieFrom, formRequest, loadContext, settle } from "./remix";

/** Sign in through the real sign-in action and return the session cookie to send back. */
export async function signInCookie(
  db: Kysely<Database>,
  email: string,
  password = TEST_PASSWORD,
): Promise<string> {
  const result = await settle(() =>
    signInAction({
      request: formRequest("/sign-in", { email, password }),
      params: {},
      context: loadContext(db),
    }),
  );
  if (!(result instanceof Response) || result.status !== 302)
    throw new Error(`could not sign in as ${email}`);
  return cookieFrom(result.headers.get("Set-Cookie"));
}
