import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { expect } from "vitest";
import type { User } from "../../db/types";
import type { Role } from "../../policies";
import { recordDecisionToShare } from "../../app/services/decisions-to-share.server";
import {
  recordYoungPersonForDraft,
  saveDraft,
  startReferral,
} from "../../app/services/referrals.server";
import type { TestDatabase } from "./database";
import {
  COMPLETE_ANSWERS,
  contextFor,
  createReferralWorld,
  createUser,
  referralAt,
  referralVersion,
  shareDecision,
  youngPersonDetails,
  type ReferralWorld,
} from "./factories";
import { loadContext, settle, statusOf } from "./remix";
import { signInCookie } from "./session";

/**
 * The access log's route walk: requests made to every route in app/route-manifest.ts, as several
 * people, each with the exact events it must write to the access log. The cases themselves are in
 * test/support/access-log-routes.ts; this module holds their vocabulary and the runner.
 */

/** One event a request must write, field by field. */
export interface ExpectedEvent {
  action: string;
  outcome: "allowed" | "refused";
  /** Who acted. Defaults to the person making the request; null for an event with no actor. */
  by?: User | null;
  /** The event's partnership when it has no actor (a failed sign-in); null for none. */
  partnershipId?: string | null;
  /** The record the event names: its type and id (null id for a list or a search). */
  record: { type: string; id: string | null } | null;
  youngPersonId: string | null;
  /** The exact reason, or a pattern. Omitted: any reason on a refusal, none on an allowed event. */
  reason?: string | RegExp;
  /** Matched as a subset of the event's details (toMatchObject). */
  details?: Record<string, unknown>;
}

/** What a request came back with, for visits whose expected events depend on it. */
export interface Reply {
  status: number;
  /** The data a loader or action returned or threw (a redirect has none). */
  body: unknown;
  /** A redirect's Location. */
  location: string | null;
}

/** One request to a route: who makes it, what it sends, and what it must come back with and log. */
export interface Visit {
  /** What the request does, in words, for failure messages. */
  name: string;
  /** Who is signed in; null for nobody. */
  as: User | null;
  /** A session cookie to send instead of the person's usual one (for signing out). */
  cookie?: string;
  method: "GET" | "POST";
  /** Defaults to /walk; only the query string matters to the routes that read it. */
  path?: string;
  params?: Record<string, string>;
  form?: Record<string, string | string[] | undefined>;
  status: number;
  /** A redirect's Location must match this. */
  location?: string | RegExp;
  /** The events the request writes, in the order they are written; [] for none. */
  events: ExpectedEvent[] | ((reply: Reply) => ExpectedEvent[] | Promise<ExpectedEvent[]>);
  /** Further checks on the reply and the events as stored. */
  check?: (reply: Reply, events: StoredEvent[]) => void | Promise<void>;
}

/**
 * A route's entry in the walk. `visits` is a generator (async when it awaits): it may set up what it needs (as
 * the owner or through the services) between visits, and each visit runs before the next is
 * asked for, so a form can carry the version the previous visit left.
 */
export interface RouteCase {
  visits: (
    w: WalkWorld,
  ) => AsyncGenerator<Visit, void, undefined> | Generator<Visit, void, undefined>;
  /** Why a route with nothing to request is covered anyway. */
  nothingToRequest?: string;
}

export type StoredEvent = Awaited<ReturnType<typeof eventsOf>>[number];

/** The partnership, its agencies and people, and what a route case needs to set up its records. */
export interface WalkWorld extends ReferralWorld {
  db: TestDatabase;
  auditor: User;
  /** A unique suffix, so names and texts of one case are not mistaken for another's. */
  unique: (text: string) => string;
  /** A case's narrative text: returned unique, and checked never to reach the access log. */
  narrative: (text: string) => string;
  /** A password, token or email that must never reach the access log. */
  secret: (text: string) => string;
  secrets: () => string[];
  /** A referral in this state about a young person of its own, as factories.ts's referralAt. */
  referral: (
    state: "submitted" | "screened" | "allocated" | "active",
    options?: Parameters<typeof referralAt>[3],
  ) => Promise<{ id: string; youngPersonId: string }>;
  /** A draft by the school's practitioner: empty, about a young person, or complete with a decision. */
  draft: (
    stage: "empty" | "about" | "complete",
  ) => Promise<{ id: string; youngPersonId: string | null }>;
  version: (referralId: string) => Promise<number>;
  /** A new person in an agency of the partnership. */
  person: (role: Role, agency?: keyof ReferralWorld["agencies"]) => Promise<User>;
  /** The person's session cookie, signed in once and kept. */
  cookie: (user: User) => Promise<string>;
  /** A new session for the person (one the walk may end). */
  freshCookie: (user: User) => Promise<string>;
  /** The newest row's id in a table, where a column has a value (for ids a request created). */
  newest: (
    table: "case_notes" | "case_actions" | "decisions_to_share" | "agencies" | "users",
    where: { column: string; value: string },
  ) => Promise<string>;
  /** A young person's given name and family name, unique to the case, for searches. */
  names: () => { givenName: string; familyName: string };
}

export async function createWalkWorld(db: TestDatabase): Promise<WalkWorld> {
  const world = await createReferralWorld(db.owner);
  const auditor = await createUser(db.owner, world.agencies.hub, {
    role: "auditor",
    name: "Aud Auditor",
  });
  const forbidden = new Set<string>();
  const cookies = new Map<string, string>();
  let counter = 0;
  const unique = (text: string) => `${text} ${randomUUID().slice(0, 6)}`;
  const keep = (cookie: string) => {
    forbidden.add(cookie.split("=")[1] ?? cookie);
    return cookie;
  };
  const names = () => {
    counter += 1;
    const letters = randomUUID()
      .replace(/[^a-f]/g, "")
      .slice(0, 4);
    return { givenName: `Walker${letters}${counter}`, familyName: `Case${letters}` };
  };
  const w: WalkWorld = {
    ...world,
    db,
    auditor,
    unique,
    narrative: (text) => {
      const value = unique(text);
      forbidden.add(value);
      return value;
    },
    secret: (text) => {
      forbidden.add(text);
      return text;
    },
    secrets: () => [...forbidden],
    referral: (state, options = {}) =>
      referralAt(db, world, state, {
        ...options,
        youngPerson: { ...names(), ...options.youngPerson },
      }),
    draft: async (stage) => {
      const author = contextFor(db.app, world.people.schoolPractitioner);
      const { id } = await startReferral(author);
      if (stage === "empty") return { id, youngPersonId: null };
      const recorded = await recordYoungPersonForDraft(
        author,
        id,
        youngPersonDetails({ ...names() }),
        { confirmedNotAMatch: true },
      );
      if (!("created" in recorded)) throw new Error("the young person was not recorded");
      if (stage === "complete") {
        await saveDraft(author, id, COMPLETE_ANSWERS);
        await recordDecisionToShare(author, id, shareDecision([world.agencies.advocacy.id]));
      }
      return { id, youngPersonId: recorded.created };
    },
    version: (referralId) => referralVersion(db, referralId),
    person: (role, agency = "school") =>
      createUser(db.owner, world.agencies[agency], { role, name: unique(`Walk ${role}`) }),
    cookie: async (user) => {
      const known = cookies.get(user.id);
      if (known) return known;
      const cookie = keep(await signInCookie(db.app, user.email));
      cookies.set(user.id, cookie);
      return cookie;
    },
    freshCookie: async (user) =>
      keep(await signInCookie(db.app, user.email, undefined, undefined, { fresh: true })),
    newest: async (table, where) => {
      const newestFirst = table === "decisions_to_share" ? "decided_at" : "created_at";
      const row = await sql<{ id: string }>`
        select id from ${sql.table(table)} where ${sql.ref(where.column)} = ${where.value}
        order by ${sql.ref(newestFirst)} desc limit 1
      `.execute(db.superuser);
      const id = row.rows[0]?.id;
      if (!id) throw new Error(`no row in ${table} where ${where.column} = ${where.value}`);
      return id;
    },
    names,
  };
  return w;
}

/** Every event a request wrote, as stored, in the order written. */
export function eventsOf(db: TestDatabase, requestId: string) {
  return db.superuser
    .selectFrom("audit_events")
    .selectAll()
    .where("request_id", "=", requestId)
    .orderBy("occurred_at")
    .orderBy("chain_seq")
    .execute();
}

/** How many events the access log holds, in every chain. */
export async function eventCount(db: TestDatabase): Promise<number> {
  const row = await db.superuser
    .selectFrom("audit_events")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// ---- Expected events, by kind -------------------------------------------------------------

interface Case {
  id: string;
  youngPersonId: string | null;
}

const referralRecord = (referral: Case) => ({ type: "referral", id: referral.id });

/** The allowed read of a referral (its page, or a form about it). */
export function viewed(referral: Case, extra: Partial<ExpectedEvent> = {}): ExpectedEvent {
  return {
    action: "referral.view",
    outcome: "allowed",
    record: referralRecord(referral),
    youngPersonId: referral.youngPersonId,
    ...extra,
  };
}

/** A refused read of a referral the person may not see: a 404, recorded against the referral. */
export function refusedView(referral: Case): ExpectedEvent {
  return { ...viewed(referral), outcome: "refused" };
}

/** An action taken (or read, for a draft's and a correction's pages) on a referral, allowed. */
export function onReferral(
  action: string,
  referral: Case,
  extra: Partial<ExpectedEvent> = {},
): ExpectedEvent {
  return {
    action,
    outcome: "allowed",
    record: referralRecord(referral),
    youngPersonId: referral.youngPersonId,
    ...extra,
  };
}

/** The same, refused by the policies (with the reason). */
export function refusedOnReferral(
  action: string,
  referral: Case,
  extra: Partial<ExpectedEvent> = {},
): ExpectedEvent {
  return onReferral(action, referral, { outcome: "refused", ...extra });
}

/**
 * A refusal at the door of a page about one referral, for a role that may never take its actions:
 * recorded against the referral asked for and the young person it is about (none for a draft not
 * yet about anyone, or a referral that does not exist).
 */
export function refusedAtReferralDoor(
  action: string,
  referral: { id: string; youngPersonId: string | null },
): ExpectedEvent {
  return {
    action,
    outcome: "refused",
    record: { type: "referral", id: referral.id },
    youngPersonId: referral.youngPersonId,
  };
}

/** A refusal at the door of a page about one young person. */
export function refusedAtYoungPersonDoor(action: string, youngPersonId: string): ExpectedEvent {
  return {
    action,
    outcome: "refused",
    record: { type: "young_person", id: youngPersonId },
    youngPersonId,
  };
}

/** A refusal of a page about no one record (a list, a form, an administrative page). */
export function refusedPage(action: string): ExpectedEvent {
  return { action, outcome: "refused", record: null, youngPersonId: null };
}

/** An administrative change, allowed, to one record. */
export function changed(
  action: string,
  record: { type: string; id: string },
  details?: Record<string, unknown>,
): ExpectedEvent {
  return { action, outcome: "allowed", record, youngPersonId: null, details };
}

// ---- The runner ----------------------------------------------------------------------------

export interface RouteModule {
  loader?: (args: never) => unknown;
  action?: (args: never) => unknown;
}

const CLIENT_ADDRESS = "192.0.2.10";

function requestFor(visit: Visit, cookie: string | undefined): Request {
  const url = `http://crosswalk.test${visit.path ?? "/walk"}`;
  const headers: Record<string, string> = cookie ? { Cookie: cookie } : {};
  if (visit.method === "GET") return new Request(url, { headers });
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(visit.form ?? {})) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) body.append(name, one);
  }
  return new Request(url, {
    method: "POST",
    headers: {
      ...headers,
      "Content-Type": "application/x-www-form-urlencoded",
      "Sec-Fetch-Site": "same-origin",
    },
    body: body.toString(),
  });
}

function replyOf(result: unknown): Reply {
  if (result instanceof Response) {
    return { status: result.status, body: null, location: result.headers.get("Location") };
  }
  // Anything else thrown is a bug: Remix would answer it with a 500.
  if (result instanceof Error) return { status: 500, body: result, location: null };
  const reply = result as { type?: string; data?: unknown } | null;
  const body = reply?.type === "DataWithResponseInit" ? reply.data : result;
  return { status: statusOf(result), body, location: null };
}

/**
 * Make one visit's request to a route module's loader or action, with a request id of its own,
 * and assert the events it wrote: exactly the expected ones, field by field, and no event in the
 * whole log besides them.
 */
export async function walkVisit(
  w: WalkWorld,
  file: string,
  route: RouteModule,
  visit: Visit,
): Promise<{ reply: Reply; events: StoredEvent[] }> {
  const label = `${file}: ${visit.name}`;
  const handler = visit.method === "GET" ? route.loader : route.action;
  if (!handler)
    throw new Error(`${label}: the route has no ${visit.method === "GET" ? "loader" : "action"}`);
  const cookie = visit.cookie ?? (visit.as ? await w.cookie(visit.as) : undefined);
  const requestId = randomUUID();
  const before = await eventCount(w.db);
  const result = await settle(() =>
    (handler as (args: unknown) => unknown)({
      request: requestFor(visit, cookie),
      params: visit.params ?? {},
      context: loadContext(w.db.app, { requestId, clientAddress: CLIENT_ADDRESS }),
    }),
  );
  const reply = replyOf(result);
  expect(
    reply.status,
    `${label}: status${reply.status === 500 ? ` (${String(reply.body)})` : ""}`,
  ).toBe(visit.status);
  if (visit.location !== undefined) {
    if (typeof visit.location === "string") expect(reply.location, label).toBe(visit.location);
    else expect(reply.location, label).toMatch(visit.location);
  }
  const events = await eventsOf(w.db, requestId);
  const after = await eventCount(w.db);
  expect(after - before, `${label}: events written under another request id`).toBe(events.length);
  const expected = typeof visit.events === "function" ? await visit.events(reply) : visit.events;
  const actor = (event: ExpectedEvent) => (event.by === undefined ? visit.as : event.by);
  expect(
    events.map((event) => ({
      action: event.action,
      outcome: event.outcome,
      actorUserId: event.actor_user_id,
      actorAgencyId: event.actor_agency_id,
      actorRole: event.actor_role,
      partnershipId: event.partnership_id,
      recordType: event.record_type,
      recordId: event.record_id,
      youngPersonId: event.young_person_id,
      clientAddress: event.client_address,
    })),
    `${label}: events`,
  ).toEqual(
    expected.map((event) => {
      const by = actor(event);
      return {
        action: event.action,
        outcome: event.outcome,
        actorUserId: by?.id ?? null,
        actorAgencyId: by?.agency_id ?? null,
        actorRole: by?.role ?? null,
        partnershipId: event.partnershipId !== undefined ? event.partnershipId : w.partnership.id,
        recordType: event.record?.type ?? null,
        recordId: event.record?.id ?? null,
        youngPersonId: event.youngPersonId,
        clientAddress: CLIENT_ADDRESS,
      };
    }),
  );
  expected.forEach((event, index) => {
    const stored = events[index];
    if (!stored) return;
    const at = `${label}: event ${index + 1} (${event.action})`;
    if (event.reason instanceof RegExp) expect(stored.reason, at).toMatch(event.reason);
    else if (event.reason !== undefined) expect(stored.reason, at).toBe(event.reason);
    else if (event.outcome === "refused") expect(stored.reason, at).toMatch(/\S/);
    else expect(stored.reason, at).toBeNull();
    if (event.details) expect(stored.details, at).toMatchObject(event.details);
  });
  await visit.check?.(reply, events);
  return { reply, events };
}
