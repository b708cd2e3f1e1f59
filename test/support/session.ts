import type { Kysely } from "kysely";
import { setLocal, setTenant } from "../../db/tenant";
import { DEMO_TOTP_KEY } from "../../db/seed/demo";
import type { Database } from "../../db/types";
import { loader as homeLoader } from "../../app/routes/home";
import { action as signInAction } from "../../app/routes/sign-in";
import { action as enrolAction, loader as enrolLoader } from "../../app/routes/sign-in_.enrol";
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

// Sessions already made, per database and person: a code is accepted once per 30-second step,
// so a test that signs one person in many times reuses their session while it still opens pages.
const sessionsMade = new WeakMap<Kysely<Database>, Map<string, string>>();

/**
 * Sign in through the real sign-in and second-factor actions (the password, then a fresh code of
 * the person's key: the demo key for the demo partnership's people, TEST_TOTP_KEY for everyone the
 * factories make) and return the session cookie to send back. A person already signed in by this
 * helper whose session still opens their home page gets that session again (`fresh` for a new one).
 */
export async function signInCookie(
  db: Kysely<Database>,
  email: string,
  password = TEST_PASSWORD,
  totpKey = email.endsWith("northbridge.example") ? DEMO_TOTP_KEY : TEST_TOTP_KEY,
  options: { fresh?: boolean } = {},
): Promise<string> {
  const made = sessionsMade.get(db) ?? new Map<string, string>();
  sessionsMade.set(db, made);
  const earlier = made.get(email);
  if (earlier && !options.fresh && !((await openHome(db, earlier)) instanceof Response)) {
    return earlier;
  }
  const cookie = await newSessionCookie(db, email, password, totpKey);
  made.set(email, cookie);
  return cookie;
}

async function newSessionCookie(
  db: Kysely<Database>,
  email: string,
  password: string,
  totpKey: string,
): Promise<string> {
  const half = await passwordCookie(db, email, password);
  if (half.location.startsWith("/sign-in/enrol")) return enrolledCookie(db, half.cookie);
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

/** Someone with no second factor yet sets up an app with the key the set-up page shows. */
async function enrolledCookie(db: Kysely<Database>, halfCookie: string): Promise<string> {
  const page = (await enrolLoader({
    request: getRequest("/sign-in/enrol", halfCookie),
    params: {},
    context: loadContext(db),
  })) as { keyText: string };
  const { code } = await freshTotpCode(page.keyText, null);
  const result = await settle(() =>
    enrolAction({
      request: formRequest("/sign-in/enrol", { code }, halfCookie),
      params: {},
      context: loadContext(db),
    }),
  );
  if (!(result instanceof Response) || result.status !== 302)
    throw new Error("setting up an authenticator app failed");
  return cookieFrom(result.headers.get("Set-Cookie"));
}

/** Open the home page as the holder of `cookie` (or nobody): its data, or the redirect it threw. */
export function openHome(db: Kysely<Database>, cookie?: string): Promise<unknown> {
  return settle(() =>
    homeLoader({ request: getRequest("/home", cookie), params: {}, context: loadContext(db) }),
  );
}
