import type { Kysely } from "kysely";
import { DEMO_ACCOUNTS, DEMO_PASSWORD } from "../../../db/seed/demo";
import type { Database } from "../../../db/types";
import type { PolicyActor, Role } from "../../../policies";
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

/** Sign in over HTTP as a browser would, and return the session cookie's value. */
export async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  const reply = await request(baseUrl, {
    path: "/sign-in",
    form: [
      ["email", email],
      ["password", password],
    ],
  });
  const cookie = sessionFrom(reply.setCookies);
  if (reply.status !== 302 || !cookie)
    throw new Error(`Could not sign in as ${email}: ${reply.status} ${reply.body.slice(0, 200)}`);
  return cookie;
}

/** A signed-in person, with their ids read from the database. */
export async function signedIn(
  baseUrl: string,
  db: Kysely<Database>,
  email: string,
  password: string,
  name = email,
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
    cookie: await signIn(baseUrl, email, password),
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
