import type { Kysely } from "kysely";
import type { Database } from "../../db/types";
import { loader as homeLoader } from "../../app/routes/home";
import { action as signInAction } from "../../app/routes/sign-in";
import { TEST_PASSWORD } from "./factories";
import { cookieFrom, formRequest, getRequest, loadContext, settle } from "./remix";

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

/** Open the home page as the holder of `cookie` (or nobody): its data, or the redirect it threw. */
export function openHome(db: Kysely<Database>, cookie?: string): Promise<unknown> {
  return settle(() =>
    homeLoader({ request: getRequest("/home", cookie), params: {}, context: loadContext(db) }),
  );
}
