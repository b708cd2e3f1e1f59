import type { Kysely } from "kysely";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import { loader as homeLoader } from "../../app/routes/home";
import { action as signInAction } from "../../app/routes/sign-in";
import { action as secondFactorAction } from "../../app/routes/sign-in_.second-factor";
import { TEST_PASSWORD } from "./factories";
import { cookieFrom, formRequest, getRequest, loadContext, settle } from "./remix";
import { freshTotpCode, TEST_TOTP_KEY } from "./totp";

/** The newest authenticator step the account has used, read as the person (row-level security). */
async function lastUsedStep(db: Kysely<Database>, email: string): Promise<number | null> {
  return db.transaction().execute(async (trx) => {
    await setLocal(trx, "app.sign_in_email", email);
    const user = await trx
      .selectFrom("users")
      .select(["id", "partnership_id"])
      .where("email", "=", email)
      .executeTakeFirstOrThrow();
    await setTenant(trx, user.partnership_id);
    await setLocal(trx, "app.user_id", user.id);
    const row = await trx
      .selectFrom("totp_authenticators")
      .select("last_used_step")
      .where("user_id", "=", user.id)
      .executeTakeFirst();
    return row?.last_used_step == null ? null : Number(row.last_used_step);
  });
}

/** Give the password through the real sign-in action: the half-signed-in cookie and where next. */
export async function passwordCookie(
  db: Kysely<Database>,
  email: string,
  password = TEST_PASSWORD,
): Promise<{ cookie: string; location: string }> {
  const result = await settle(() =>
    signInAction({
      request: formRequest("/sign-in", { email, password }),
      params: {},
      context: loadContext(db),
    }),
  );
  if (!(result instanceof Response) || result.status !== 302)
    throw new Error(`could not sign in as ${email}`);
  return {
    cookie: cookieFrom(result.headers.get("Set-Cookie")),
    location: result.headers.get("Location") ?? "",
  };
}

/**
 * Sign in through the real sign-in and second-factor actions (the password, then a fresh code of
 * TEST_TOTP_KEY) and return the session cookie to send back.
 */
export async function signInCookie(
  db: Kysely<Database>,
  email: string,
  password = TEST_PASSWORD,
  totpKey = TEST_TOTP_KEY,
): Promise<string> {
  const half = await passwordCookie(db, email, password);
  if (!half.location.startsWith("/sign-in/second-factor"))
    throw new Error(`${email} was sent to ${half.location}, not to give a code`);
  const { code } = await freshTotpCode(totpKey, await lastUsedStep(db, email));
  const result = await settle(() =>
    secondFactorAction({
      request: formRequest("/sign-in/second-factor", { method: "totp", code }, half.cookie),
      params: {},
      context: loadContext(db),
    }),
  );
  if (!(result instanceof Response) || result.status !== 302)
    throw new Error(`${email}'s code was refused`);
  return cookieFrom(result.headers.get("Set-Cookie"));
}

/** Open the home page as the holder of `cookie` (or nobody): its data, or the redirect it threw. */
export function openHome(db: Kysely<Database>, cookie?: string): Promise<unknown> {
  return settle(() =>
    homeLoader({ request: getRequest("/home", cookie), params: {}, context: loadContext(db) }),
  );
}
