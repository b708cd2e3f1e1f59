import { describe, expect, it } from "vitest";
import * as stepPage from "../../app/routes/referrals.$referralId.draft.$step";
import { startReferral } from "../../app/services/referrals.server";
import type { User } from "../../db/types";
import { useTestDatabase } from "../support/database";
import { contextFor, createReferralWorld } from "../support/factories";
import { formRequest, loadContext, settle, statusOf } from "../support/remix";
import { signInCookie } from "../support/session";

const db = useTestDatabase();

async function post(user: User, referralId: string, step: string, fields: [string, string][]) {
  const cookie = await signInCookie(db.app, user.email);
  const path = `/referrals/${referralId}/draft/${step}`;
  const request = formRequest(path, {}, cookie);
  const body = new URLSearchParams(fields).toString();
  return settle(() =>
    stepPage.action({
      request: new Request(request.url, { method: "POST", headers: request.headers, body }),
      params: { referralId, step },
      context: loadContext(db.app),
    }),
  );
}

async function draftRow(id: string) {
  return db.superuser
    .selectFrom("referrals")
    .select(["concern", "themes", "concern_roles", "state"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

describe("a referral's question pages", () => {
  it("save a page in the background without checking it, so a closed tab loses nothing", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await startReferral(contextFor(db.app, world.people.schoolPractitioner));
    const result = await post(world.people.schoolPractitioner, id, "concern", [
      ["concern", "Half-written: seen with older boys near the station"],
      ["autosave", "yes"],
    ]);
    expect(statusOf(result)).toBe(200);
    expect(await draftRow(id)).toMatchObject({
      concern: "Half-written: seen with older boys near the station",
      themes: [],
      state: "draft",
    });
  });

  it("show every wrong answer again with one error each, keeping what was typed and saving what can be kept", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await startReferral(contextFor(db.app, world.people.schoolPractitioner));
    const tooLong = "x".repeat(10_001);
    const result = (await post(world.people.schoolPractitioner, id, "concern", [
      ["concern", tooLong],
    ])) as { data: { errors: { field: string }[]; answers: { concern: string } } };
    expect(statusOf(result)).toBe(400);
    // In page order: the roles, the themes, then the concern.
    expect(result.data.errors.map((error) => error.field)).toEqual([
      "concernRoles",
      "themes",
      "concern",
    ]);
    // Shown again up to its limit: an oversized answer is never sent back in full.
    expect(result.data.answers.concern).toBe(tooLong.slice(0, 10_000));
    // The answer too long to keep was not saved; nothing was half-written.
    expect((await draftRow(id)).concern).toBeNull();
  });

  it("refuse a value no form of ours sends with a 400, not a 500", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await startReferral(contextFor(db.app, world.people.schoolPractitioner));
    const result = await post(world.people.schoolPractitioner, id, "concern", [
      ["themes", "not_a_theme"],
    ]);
    expect(statusOf(result)).toBe(400);
  });

  it("are a 404 for anyone but the draft's author", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await startReferral(contextFor(db.app, world.people.schoolPractitioner));
    const result = await post(world.people.lead, id, "concern", [["concern", "Not mine"]]);
    expect(statusOf(result)).toBe(404);
    expect((await draftRow(id)).concern).toBeNull();
  });
});
