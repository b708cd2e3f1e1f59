import { describe, expect, it } from "vitest";
import { loader as continueLoader } from "../../app/routes/continue";
import * as newNotePage from "../../app/routes/referrals.$referralId.notes.new";
import { dateAnswerOf } from "../../app/ui/date-input";
import { todayInLondon } from "../../app/ui/dates";
import { hashSessionId } from "../../app/auth/lucia.server";
import { useTestDatabase } from "../support/database";
import { createReferralWorld, createUser, referralAt } from "../support/factories";
import { cookieFrom, formRequest, getRequest, loadContext, settle } from "../support/remix";
import { signInCookie } from "../support/session";

const db = useTestDatabase();

/**
 * A note typed while the session ran out is not lost: it is kept for the person, in their browser,
 * and given back to send once they have signed in again. Nothing is saved meanwhile.
 */

const NOTE = {
  kind: "contact_phone",
  body: `Spoke to his mother at length about the weekend ${Date.now()}`,
  visibility: "shared",
};

async function expire(cookie: string): Promise<void> {
  const sessionId = cookie.split("=")[1] ?? "";
  await db.superuser
    .updateTable("sessions")
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where("id_hash", "=", hashSessionId(sessionId))
    .execute();
}

async function sendNote(referralId: string, cookie: string) {
  const { day, month, year } = dateAnswerOf(todayInLondon());
  const fields = {
    ...NOTE,
    "occurredOn-day": day,
    "occurredOn-month": month,
    "occurredOn-year": year,
  };
  return (await settle(() =>
    newNotePage.action({
      request: formRequest(`/referrals/${referralId}/notes/new`, fields, cookie),
      params: { referralId },
      context: loadContext(db.app),
    }),
  )) as Response;
}

async function openContinue(heldPath: string, cookies: string[]) {
  const result = await continueLoader({
    request: getRequest(heldPath, cookies.join("; ")),
    params: {},
    context: loadContext(db.app),
  });
  return (
    result as unknown as { data: { held: { path: string; fields: [string, string][] } | null } }
  ).data.held;
}

async function notesWith(body: string): Promise<number> {
  const rows = await db.superuser
    .selectFrom("case_notes")
    .select("id")
    .where("body", "=", body)
    .execute();
  return rows.length;
}

describe("a form sent after the session ended", () => {
  it("is kept, and given back to the same person in the same browser after signing in, once", async () => {
    const world = await createReferralWorld(db.owner);
    const { id: referralId } = await referralAt(db, world, "active");
    const worker = world.people.advocacyPractitioner;
    const cookie = await signInCookie(db.app, worker.email);
    await expire(cookie);

    const sent = await sendNote(referralId, cookie);
    expect(sent.status).toBe(302);
    const location = new URL(sent.headers.get("Location") ?? "", "http://crosswalk.test");
    expect(location.pathname).toBe("/sign-in");
    const heldPath = location.searchParams.get("returnTo") ?? "";
    expect(heldPath).toMatch(/^\/continue\?held=[0-9a-f-]{36}$/);
    const setCookies = sent.headers.getSetCookie();
    const heldCookie = cookieFrom(
      setCookies.find((value) => value.startsWith("crosswalk_held=")) ?? null,
    );
    expect(setCookies.find((value) => value.startsWith("crosswalk_held="))).toMatch(/HttpOnly/);
    // Nothing was saved, and the kept form is not in any address.
    expect(await notesWith(NOTE.body)).toBe(0);
    expect(heldPath).not.toContain("Spoke");

    // Someone else signed in in that browser does not get it.
    const colleague = await createUser(db.owner, world.agencies.advocacy);
    const colleagueCookie = await signInCookie(db.app, colleague.email);
    expect(await openContinue(heldPath, [colleagueCookie, heldCookie])).toBeNull();

    // The person, signed in again, without the browser's token, does not get it either.
    const again = await signInCookie(db.app, worker.email, undefined, undefined, { fresh: true });
    expect(await openContinue(heldPath, [again])).toBeNull();

    // In the same browser, they do: what they typed, to send to the page it was for.
    const held = await openContinue(heldPath, [again, heldCookie]);
    expect(held?.path).toBe(`/referrals/${referralId}/notes/new`);
    expect(held?.fields).toContainEqual(["body", NOTE.body]);
    // Once.
    expect(await openContinue(heldPath, [again, heldCookie])).toBeNull();

    // Sent again, it is saved once.
    const resent = await sendNote(referralId, again);
    expect(resent.status).toBe(302);
    expect(await notesWith(NOTE.body)).toBe(1);
  });

  it("from a browser that never had a session is not kept", async () => {
    const world = await createReferralWorld(db.owner);
    const { id: referralId } = await referralAt(db, world, "active");
    const sent = await sendNote(referralId, "crosswalk_session=never-issued-never-issued-never");
    expect(sent.headers.get("Location")).toBe(
      `/sign-in?returnTo=${encodeURIComponent(`/referrals/${referralId}/notes/new`)}`,
    );
    expect(sent.headers.getSetCookie().some((value) => value.startsWith("crosswalk_held="))).toBe(
      false,
    );
    const kept = await db.superuser.selectFrom("held_submissions").select("id").execute();
    expect(kept).toEqual([]);
  });
});
