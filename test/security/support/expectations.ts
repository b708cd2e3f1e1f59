import { readFileSync } from "node:fs";
import path from "node:path";
import type { Kysely } from "kysely";
import type { Database } from "../../../db/types";
import {
  decide,
  decideTransition,
  rulesFor,
  type Action,
  type Decision,
  type Facts,
  type TransitionName,
} from "../../../policies";
import { policyActor, type Actor } from "./actors";
import { referralFacts, referralRecord, youngPersonFacts } from "./facts";
import type { RouteFile } from "./routes";

/** What a request must answer, and why (for the failure message). */
export interface Expectation {
  status: number;
  /** A redirect's Location must match this. */
  location?: RegExp;
  /** The refusal must be in the access log: a policy refused an existing record or the page. */
  logged: boolean;
  why: string;
}

const ROUTES_FOLDER = path.resolve(import.meta.dirname, "../../../app/routes");

/** Which methods a route module serves: a loader answers GET, an action POST. */
export function methodsOf(route: RouteFile): { get: boolean; post: boolean } {
  const source = readFileSync(path.join(ROUTES_FOLDER, route.file), "utf8");
  return {
    get: /export\s+(async\s+)?function\s+loader\b/.test(source),
    post: /export\s+(async\s+)?function\s+action\b/.test(source),
  };
}

/**
 * The public routes' answers, which no policy decides: to nobody signed in, and to someone who is.
 * A public route missing here fails the table, so a new one is given its expectation.
 */
const PUBLIC_GET: Record<string, { anonymous: Expectation; signedIn: Expectation }> = {
  "_index.tsx": {
    anonymous: { status: 302, location: /^\/sign-in$/, logged: false, why: "start page" },
    signedIn: { status: 302, location: /^\/home$/, logged: false, why: "start page" },
  },
  "$.tsx": {
    anonymous: { status: 404, logged: false, why: "no such page" },
    signedIn: { status: 404, logged: false, why: "no such page" },
  },
  "sign-in.tsx": {
    anonymous: { status: 200, logged: false, why: "the sign-in form" },
    signedIn: { status: 302, location: /^\/home$/, logged: false, why: "already signed in" },
  },
  "sign-in_.second-factor.tsx": {
    anonymous: { status: 302, location: /^\/sign-in$/, logged: false, why: "no password given" },
    signedIn: { status: 302, location: /^\/home$/, logged: false, why: "already signed in" },
  },
  "sign-in_.enrol.tsx": {
    anonymous: { status: 302, location: /^\/sign-in$/, logged: false, why: "no password given" },
    signedIn: { status: 302, location: /^\/home$/, logged: false, why: "already signed in" },
  },
  "sign-in_.organisation.tsx": {
    anonymous: { status: 200, logged: false, why: "the sign-in-with-your-organisation form" },
    signedIn: { status: 302, location: /^\/home$/, logged: false, why: "already signed in" },
  },
  "sign-in_.oidc.callback.tsx": {
    anonymous: { status: 400, logged: false, why: "no sign-in this browser started" },
    signedIn: { status: 400, logged: false, why: "no sign-in this browser started" },
  },
  "sign-out.tsx": {
    anonymous: { status: 302, location: /^\/home$/, logged: false, why: "sign-out is a POST" },
    signedIn: { status: 302, location: /^\/home$/, logged: false, why: "sign-out is a POST" },
  },
  "signed-out.tsx": {
    anonymous: { status: 200, logged: false, why: "the signed-out page" },
    signedIn: { status: 200, logged: false, why: "the signed-out page" },
  },
  "set-password.$token.tsx": {
    anonymous: { status: 410, logged: false, why: "a link no one was given" },
    signedIn: { status: 410, logged: false, why: "a link no one was given" },
  },
};

/**
 * Pages whose GET shows a record to anyone who may see it, while the manifest's action is what
 * their form does (checked when the form is sent): an action's own page shows the action read-only.
 */
const READ_ONLY_GET = new Set(["referrals.$referralId.actions.$actionId.tsx"]);

const RECORD_PARAMS = new Set(["referralId", "youngPersonId"]);

/**
 * Whether a refusal at the page's door is the same 404 as a missing page: for pages about one
 * record (which must not say the record exists) and the dashboards (which must not say they do).
 */
export function hidesAtDoor(route: RouteFile): boolean {
  return (
    route.params.some((param) => RECORD_PARAMS.has(param)) || route.file.startsWith("oversight.")
  );
}

const ok = (why: string): Expectation => ({ status: 200, logged: false, why });
const refused = (status: 403 | 404, decision: Decision | string): Expectation => ({
  status,
  logged: true,
  why: typeof decision === "string" ? decision : `${decision.rule}: ${decision.reason}`,
});
const missing = (why: string): Expectation => ({ status: 404, logged: false, why });

/**
 * What GET of this route with these values must answer for this actor, from the route manifest
 * and the policies (decide) applied to facts the tests read from the database themselves.
 */
export async function expectedGet(
  db: Kysely<Database>,
  route: RouteFile,
  values: Record<string, string>,
  path: string,
  actor: Actor,
): Promise<Expectation> {
  const { access } = route;
  if (access.kind === "public") {
    const known = PUBLIC_GET[route.file];
    if (!known) throw new Error(`${route.file} is public: give it an expectation in PUBLIC_GET`);
    return actor.role ? known.signedIn : known.anonymous;
  }
  if (!actor.role) {
    return {
      status: 302,
      location: new RegExp(
        `^/sign-in\\?returnTo=${escapeRegExp(encodeURIComponent(path.split("?")[0] ?? path))}$`,
      ),
      logged: false,
      why: "behind sign-in",
    };
  }
  const role = actor.role;
  const mayEver = access.actions.filter((action) => rulesFor(role, action).length > 0);
  if (access.actions.length > 0 && mayEver.length === 0) {
    return refused(
      hidesAtDoor(route) ? 404 : 403,
      `no rule lets a ${role} ${access.actions.join(" or ")}`,
    );
  }
  const who = policyActor(actor);
  // The page's purpose is its first action (the others are what it may also do on the way).
  const main = access.actions[0];

  if (values.referralId !== undefined) {
    const referral = await referralRecord(db, values.referralId);
    if (!referral) return missing("no such referral");
    const facts = await referralFacts(db, referral, actor);
    if (route.file.includes(".draft.")) {
      const edit = decide(who, "referral.edit_draft", facts);
      return edit.allowed ? ok(edit.rule) : refused(404, edit);
    }
    const view = decide(who, "referral.view", facts);
    if (!view.allowed) return refused(404, view);
    if (route.file === "referrals.$referralId._index.tsx" && referral.state === "draft") {
      return {
        status: 302,
        location: /\/draft\/check$/,
        logged: false,
        why: "a draft is worked on its pages",
      };
    }
    const sub = await subRecord(db, values, referral.id, actor);
    if (sub) return sub;
    if (values.transition !== undefined) {
      const transition: TransitionName =
        values.transition === "screen" && referral.state !== "submitted"
          ? "rerate"
          : (values.transition as TransitionName);
      const step = decideTransition(who, transition, facts);
      return step.allowed ? ok(step.rule) : refused(403, step);
    }
    if (READ_ONLY_GET.has(route.file)) return ok(view.rule);
    return decideOn(who, main, await withRecordFacts(db, values, facts), 403);
  }

  if (values.youngPersonId !== undefined) {
    const facts = await youngPersonFacts(db, values.youngPersonId, actor);
    if (!facts) return missing("no such young person");
    const view = decide(who, "young_person.view", facts);
    if (!view.allowed) return refused(404, view);
    return decideOn(who, main, facts, 403);
  }

  if (values.agencyId !== undefined) {
    if (!(await inPartnership(db, "agencies", values.agencyId, actor)))
      return missing("no such agency");
    const facts = { partnershipId: who.partnershipId, scopeAgencyId: values.agencyId };
    return decideOn(who, main, facts, hidesAtDoor(route) ? 404 : 403);
  }

  if (values.userId !== undefined) {
    if (!(await inPartnership(db, "users", values.userId, actor))) return missing("no such user");
    // Looking at an account is not changing it: the page shows even one's own, without its forms.
    return ok("the account's page");
  }

  // A page about the partnership as a whole.
  if (route.file === "oversight._index.tsx" && role === "agency_lead") {
    return {
      status: 302,
      location: new RegExp(`^/oversight/agencies/${actor.agencyId}$`),
      logged: false,
      why: "an agency lead's dashboards are their agency's",
    };
  }
  if (!main) return ok("any signed-in person");
  // A dashboard, or the referrals behind one of its numbers, is the partnership's unless the
  // address names one agency.
  const within = new URLSearchParams(path.split("?")[1] ?? "").get("within");
  if (within && !(await inPartnership(db, "agencies", within, actor)))
    return missing("no such agency");
  const facts = { partnershipId: who.partnershipId, ...(within ? { scopeAgencyId: within } : {}) };
  return decideOn(who, main, facts, hidesAtDoor(route) ? 404 : 403);
}

/** Whether an agency or user with this id is in the actor's own partnership. */
async function inPartnership(
  db: Kysely<Database>,
  table: "agencies" | "users",
  id: string,
  actor: Actor,
): Promise<boolean> {
  const row = await db
    .selectFrom(table)
    .select("partnership_id")
    .where("id", "=", id)
    .executeTakeFirst();
  return row?.partnership_id === actor.partnershipId;
}

function decideOn(
  who: ReturnType<typeof policyActor>,
  action: Action | undefined,
  facts: Facts,
  refusal: 403 | 404,
): Expectation {
  if (!action) return ok("any signed-in person");
  const decision = decide(who, action, facts);
  return decision.allowed ? ok(decision.rule) : refused(refusal, decision);
}

/** The facts of the record below the referral that the route's action is about. */
async function withRecordFacts(
  db: Kysely<Database>,
  values: Record<string, string>,
  facts: Facts,
): Promise<Facts> {
  if (values.noteId !== undefined) {
    const note = await db
      .selectFrom("case_notes")
      .select(["author_user_id", "agency_id"])
      .where("id", "=", values.noteId)
      .executeTakeFirstOrThrow();
    return { ...facts, createdByUserId: note.author_user_id, noteAgencyId: note.agency_id };
  }
  // The form to record a decision is offered whatever the agreement says; each share is checked.
  return { ...facts, agreementPermits: true };
}

/**
 * A note, action or decision named beside the referral: it must be one of the referral's own (or
 * it is as missing as any other id), and an agency-only note of another agency is hidden.
 */
async function subRecord(
  db: Kysely<Database>,
  values: Record<string, string>,
  referralId: string,
  actor: Actor,
): Promise<Expectation | null> {
  if (values.noteId !== undefined) {
    const note = await db
      .selectFrom("case_notes")
      .select(["referral_id", "visibility", "agency_id"])
      .where("id", "=", values.noteId)
      .executeTakeFirst();
    if (!note || note.referral_id !== referralId) return missing("not a note of this referral");
    const read = decide(policyActor(actor), "note.view_agency_only", {
      partnershipId: actor.partnershipId as string,
      noteAgencyId: note.agency_id,
    });
    if (note.visibility === "agency_only" && !read.allowed) return refused(404, read);
  }
  if (values.actionId !== undefined) {
    const action = await db
      .selectFrom("case_actions")
      .select("referral_id")
      .where("id", "=", values.actionId)
      .executeTakeFirst();
    if (!action || action.referral_id !== referralId)
      return missing("not an action of this referral");
  }
  if (values.decisionId !== undefined) {
    const decision = await db
      .selectFrom("decisions_to_share")
      .select("referral_id")
      .where("id", "=", values.decisionId)
      .executeTakeFirst();
    if (!decision || decision.referral_id !== referralId)
      return missing("not a decision of this referral");
  }
  return null;
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
