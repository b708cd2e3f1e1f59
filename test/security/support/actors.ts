import type { Kysely } from "kysely";
import { DEMO_ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_KEY } from "../../../db/seed/demo";
import type { Database } from "../../../db/types";
import type { PolicyActor, Role } from "../../../policies";
import { unusedCode } from "../../e2e/support/second-factor";
import { TEST_TOTP_KEY } from "../../support/totp";
import { request, sessionFrom } from "./http";
import type { SecondPartnership } from "./second-partnership";

/** Someone making requests: nobody signed in, a demo account, or the second partnership's lead. */
export interface Actor {
  /** How failure messages name them. */
  name: string;
  role: Role | null;
  email: string | null;
  userId: string | null;
  agencyId: string | null;
  partnershipId: string | null;
  /** The session cookie's value; null for nobody signed in. */
  cookie: string | null;
}

export const ANONYMOUS: Actor = {
  name: "nobody signed in",
  role: null,
  email: null,
  userId: null,
  agencyId: null,
  partnershipId: null,
  cookie: null,
};

/** Give the password over HTTP as a browser would: the reply (a half sign-in's cookie, if right). */
export function givePassword(baseUrl: string, email: string, password: string, returnTo?: string) {
  return request(baseUrl, {
    path: "/sign-in",
    form: [
      ["email", email],
      ["password", password],
      ...(returnTo === undefined ? [] : [["returnTo", returnTo] as [string, string]]),
    ],
  });
}

/** Give a fresh code of `key` for a half sign-in's cookie: the reply (the whole session's cookie). */
export async function giveCode(
  baseUrl: string,
  halfCookie: string,
  email: string,
  key: string,
  returnTo = "",
) {
  return request(baseUrl, {
    path: "/sign-in/second-factor",
    cookie: halfCookie,
    form: [
      ["method", "totp"],
      ["code", await unusedCode(baseUrl, email, key)],
      ["returnTo", returnTo],
    ],
  });
}

/**
 * Sign in over HTTP as a browser would (the password, then a code of the person's authenticator
 * key: the demo key unless given) and return the session cookie's value.
 */
export async function signIn(
  baseUrl: string,
  email: string,
  password: string,
  key = DEMO_TOTP_KEY,
): Promise<string> {
  const half = await givePassword(baseUrl, email, password);
  const halfCookie = sessionFrom(half.setCookies);
  if (half.status !== 302 || !halfCookie)
    throw new Error(`Could not sign in as ${email}: ${half.status} ${half.body.slice(0, 200)}`);
  const whole = await giveCode(baseUrl, halfCookie, email, key);
  const cookie = sessionFrom(whole.setCookies);
  if (whole.status !== 302 || !cookie)
    throw new Error(`${email}'s code was refused: ${whole.status} ${whole.body.slice(0, 200)}`);
  return cookie;
}

/** A signed-in person, with their ids read from the database. */
export async function signedIn(
  baseUrl: string,
  db: Kysely<Database>,
  email: string,
  password: string,
  name = email,
  key = DEMO_TOTP_KEY,
): Promise<Actor> {
  const user = await db
    .selectFrom("users")
    .select(["id", "agency_id", "partnership_id", "role"])
    .where("email", "=", email)
    .executeTakeFirstOrThrow();
  return {
    name,
    role: user.role,
    email,
    userId: user.id,
    agencyId: user.agency_id,
    partnershipId: user.partnership_id,
    cookie: await signIn(baseUrl, email, password, key),
  };
}

/**
 * Everyone the suite attacks as: nobody, each demo account of the README (every role, several
 * agencies) and a partnership lead of the second partnership, each signed in afresh.
 */
export async function everyone(
  baseUrl: string,
  db: Kysely<Database>,
  second: SecondPartnership,
): Promise<Actor[]> {
  const demo = await demoActors(baseUrl, db);
  const outsider = await signedIn(
    baseUrl,
    db,
    second.lead.email,
    second.lead.password,
    "the second partnership's lead",
    TEST_TOTP_KEY,
  );
  return [...demo, outsider];
}

/** Nobody signed in, and each demo account of the README signed in afresh. */
export async function demoActors(baseUrl: string, db: Kysely<Database>): Promise<Actor[]> {
  const demo: Actor[] = [ANONYMOUS];
  for (const account of DEMO_ACCOUNTS) {
    demo.push(await signedIn(baseUrl, db, account.email, DEMO_PASSWORD));
  }
  return demo;
}

/** The actor as the policies see them (only for someone signed in). */
export function policyActor(actor: Actor): PolicyActor {
  if (!actor.role || !actor.userId || !actor.agencyId || !actor.partnershipId)
    throw new Error(`${actor.name} is not signed in`);
  return {
    role: actor.role,
    userId: actor.userId,
    agencyId: actor.agencyId,
    partnershipId: actor.partnershipId,
  };
}
