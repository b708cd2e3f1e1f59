import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { Writable } from "node:stream";
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as stepPage from "../../app/routes/referrals.$referralId.steps.$transition";
import { dateAnswerOf } from "../../app/ui/date-input";
import { todayInLondon } from "../../app/ui/dates";
import { createApp } from "../../server/app";
import { createLogger } from "../../server/logger";
import { eventCount, eventsOf } from "../support/access-log-walk";
import { verifyAs } from "../support/audit";
import { useTestDatabase } from "../support/database";
import {
  createReferralWorld,
  referralAt,
  referralVersion,
  type ReferralWorld,
} from "../support/factories";
import { loadContext, settle, statusOf } from "../support/remix";
import { signInCookie } from "../support/session";

/**
 * Work that rolls back leaves nothing of itself in the access log, and an event that cannot be
 * written takes its work down with it (DOMAIN.md section 6, docs/decisions/005 and 006).
 */

const db = useTestDatabase();
let world: ReferralWorld;
let server: Server;
let base: string;

beforeAll(async () => {
  world = await createReferralWorld(db.owner);
  const build = (await import(
    pathToFileURL(path.resolve("build/server/index.js")).href
  )) as ServerBuild;
  const app = createApp({
    db: db.app,
    logger: createLogger("fatal", new Writable({ write: (_chunk, _encoding, done) => done() })),
    sessions: {
      idleTimeoutMs: 30 * 60_000,
      absoluteLifetimeMs: 12 * 3_600_000,
      stepUpWindowMs: 15 * 60_000,
    },
    build,
    mode: "production",
    trustProxy: "loopback",
  });
  await new Promise<void>((resolve) => {
    server = app.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

/** POST a lifecycle step's form as the route would receive it, with a request id of its own. */
async function postStep(
  cookie: string,
  referralId: string,
  transition: string,
  fields: Record<string, string>,
) {
  const requestId = randomUUID();
  const result = await settle(() =>
    stepPage.action({
      request: new Request("http://crosswalk.test/x", {
        method: "POST",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "Sec-Fetch-Site": "same-origin",
          Cookie: cookie,
        },
        body: new URLSearchParams(fields).toString(),
      }),
      params: { referralId, transition },
      context: loadContext(db.app, { requestId }),
    }),
  );
  return { result, requestId };
}

function transitionsOf(referralId: string) {
  return db.superuser
    .selectFrom("referral_transitions")
    .select(["transition"])
    .where("referral_id", "=", referralId)
    .execute();
}

/** A CHECK on the access log that refuses one action: its events can no longer be written. */
async function refuseEventsOf(action: string): Promise<() => Promise<void>> {
  const name = `walk_refuses_${action.replace(/\W/g, "_")}`;
  await sql`alter table audit_events add constraint ${sql.id(name)} check (action <> ${sql.lit(action)}) not valid`.execute(
    db.superuser,
  );
  return async () => {
    await sql`alter table audit_events drop constraint ${sql.id(name)}`.execute(db.superuser);
  };
}

describe("work that rolls back", () => {
  it("leaves no event for the loser when the same step is taken twice at once: one wins, the other is a conflict", async () => {
    const { id } = await referralAt(db, world, "submitted");
    const cookie = await signInCookie(db.app, world.people.lead.email);
    const version = String(await referralVersion(db, id));
    const before = await eventCount(db);
    const attempts = await Promise.all(
      ["red", "green"].map((rag) =>
        postStep(cookie, id, "screen", { version, rag, rationale: `Rated ${rag} at once` }),
      ),
    );

    expect(attempts.map(({ result }) => statusOf(result)).sort()).toEqual([302, 409]);
    const winner = attempts.find(({ result }) => statusOf(result) === 302);
    const loser = attempts.find(({ result }) => statusOf(result) === 409);
    const won = await eventsOf(db, winner?.requestId ?? "");
    expect(won.map((event) => [event.action, event.outcome, event.record_id])).toEqual([
      ["referral.screen", "allowed", id],
    ]);
    expect(await eventsOf(db, loser?.requestId ?? "")).toEqual([]);
    expect((await eventCount(db)) - before).toBe(1);
    expect(await transitionsOf(id)).toHaveLength(2); // submit, and the one screening
  });

  it("leaves neither the change nor an event when the step was taken on a stale version", async () => {
    const { id } = await referralAt(db, world, "submitted");
    const cookie = await signInCookie(db.app, world.people.lead.email);
    const version = await referralVersion(db, id);
    const before = await eventCount(db);

    const { result, requestId } = await postStep(cookie, id, "screen", {
      version: String(version - 1),
      rag: "red",
      rationale: "On an old page",
    });

    expect(statusOf(result)).toBe(409);
    expect(await eventsOf(db, requestId)).toEqual([]);
    expect(await eventCount(db)).toBe(before);
    expect(await referralVersion(db, id)).toBe(version);
    expect(await transitionsOf(id)).toHaveLength(1);
  });

  it("leaves neither the change nor an event when the service finds the input invalid mid-work", async () => {
    const { id } = await referralAt(db, world, "screened");
    const cookie = await signInCookie(db.app, world.people.lead.email);
    const version = await referralVersion(db, id);
    const before = await eventCount(db);

    // The police are not covered by any decision to share: refused after the referral is locked.
    const { result, requestId } = await postStep(cookie, id, "route", {
      version: String(version),
      agencyIds: world.agencies.police.id,
    });

    expect(statusOf(result)).toBe(400);
    expect(await eventsOf(db, requestId)).toEqual([]);
    expect(await eventCount(db)).toBe(before);
    expect(await referralVersion(db, id)).toBe(version);
    const receiving = await db.superuser
      .selectFrom("referral_agencies")
      .select("agency_id")
      .where("referral_id", "=", id)
      .where("involvement", "=", "receiving")
      .execute();
    expect(receiving).toEqual([]);
  });

  it("keeps only the refusal when the policies refuse: the refused work's read is not logged", async () => {
    const { id } = await referralAt(db, world, "submitted");
    const cookie = await signInCookie(db.app, world.people.schoolPractitioner.email);
    const version = await referralVersion(db, id);

    const { result, requestId } = await postStep(cookie, id, "screen", {
      version: String(version),
      rag: "red",
      rationale: "Not mine to rate",
    });

    expect(statusOf(result)).toBe(403);
    const events = await eventsOf(db, requestId);
    expect(events.map((event) => [event.action, event.outcome, event.record_id])).toEqual([
      ["referral.screen", "refused", id],
    ]);
    expect(await referralVersion(db, id)).toBe(version);
  });
});

describe("an event that cannot be written", () => {
  it("takes its step down with it: the referral is not screened", async () => {
    const { id } = await referralAt(db, world, "submitted");
    const cookie = await signInCookie(db.app, world.people.lead.email);
    const version = await referralVersion(db, id);
    const allow = await refuseEventsOf("referral.screen");
    try {
      const { result, requestId } = await postStep(cookie, id, "screen", {
        version: String(version),
        rag: "red",
        rationale: "Needs an advocate today",
      });

      // Not an answer a person can act on: Remix makes it a 500.
      expect(result).toBeInstanceOf(Error);
      expect(result).not.toBeInstanceOf(Response);
      expect(await eventsOf(db, requestId)).toEqual([]);
      const referral = await db.superuser
        .selectFrom("referrals")
        .select(["state", "version", "rag"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();
      expect(referral).toEqual({ state: "submitted", version, rag: null });
      expect(await transitionsOf(id)).toHaveLength(1);
    } finally {
      await allow();
    }
    // With the log writable again, the same step succeeds.
    const again = await postStep(cookie, id, "screen", {
      version: String(version),
      rag: "red",
      rationale: "Needs an advocate today",
    });
    expect(statusOf(again.result)).toBe(302);
  });

  it("takes a note down with it, answering 500 without detail, and leaves the chain whole", async () => {
    const { id, youngPersonId } = await referralAt(db, world, "active");
    // Signed in through the real sign-in and second-factor actions, on the database the server uses.
    const cookie = await signInCookie(db.app, world.people.advocacyPractitioner.email);
    const body = `Met him at the club ${randomUUID()}`;
    const { day, month, year } = dateAnswerOf(todayInLondon());
    const addNote = () =>
      fetch(`${base}/referrals/${id}/notes/new`, {
        method: "POST",
        redirect: "manual",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          "Sec-Fetch-Site": "same-origin",
          Cookie: cookie,
        },
        body: new URLSearchParams({
          kind: "contact_in_person",
          visibility: "shared",
          "occurredOn-day": day,
          "occurredOn-month": month,
          "occurredOn-year": year,
          body,
        }).toString(),
      });
    const notes = () =>
      db.superuser.selectFrom("case_notes").select("id").where("body", "=", body).execute();

    const before = await eventCount(db);
    const allow = await refuseEventsOf("note.add");
    let response: Response;
    try {
      response = await addNote();
    } finally {
      await allow();
    }

    expect(response.status).toBe(500);
    const page = await response.text();
    expect(page).not.toMatch(/at .*\.(js|ts):\d+/);
    expect(page).not.toContain("walk_refuses");
    expect(page).not.toContain("check constraint");
    expect(await notes()).toEqual([]);
    expect(await eventsOf(db, response.headers.get("x-request-id") ?? "")).toEqual([]);
    expect(await eventCount(db)).toBe(before);
    const verified = await verifyAs(db.ownerUrl);
    expect(verified.failure).toBeNull();
    expect(verified.ok).toBe(true);

    // With the log writable again, the same note is added and recorded, once.
    const retried = await addNote();
    expect(retried.status).toBe(302);
    const [note] = await notes();
    const events = await eventsOf(db, retried.headers.get("x-request-id") ?? "");
    expect(events.map((event) => [event.action, event.record_id, event.young_person_id])).toEqual([
      ["note.add", note?.id, youngPersonId],
    ]);
  });
});
