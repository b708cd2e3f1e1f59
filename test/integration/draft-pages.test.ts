import { describe, expect, it } from "vitest";
import * as stepPage from "../../app/routes/referrals.$referralId.draft.$step";
import * as checkPage from "../../app/routes/referrals.$referralId.draft.check";
import * as youngPersonPage from "../../app/routes/referrals.$referralId.draft.young-person";
import * as newPage from "../../app/routes/referrals.new";
import { recordYoungPersonForDraft, startReferral } from "../../app/services/referrals.server";
import type { User } from "../../db/types";
import { useTestDatabase } from "../support/database";
import { contextFor, createReferralWorld, youngPersonDetails } from "../support/factories";
import { formRequest, getRequest, loadContext, settle, statusOf } from "../support/remix";
import { renderPage } from "../support/render";
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

describe("making a referral", () => {
  async function makeAReferral(user: User) {
    const cookie = await signInCookie(db.app, user.email);
    const result = await settle(() =>
      newPage.loader({
        request: getRequest("/referrals/new", cookie),
        params: {},
        context: loadContext(db.app),
      }),
    );
    expect(statusOf(result)).toBe(200);
    const page = result as Awaited<ReturnType<typeof newPage.loader>>;
    return {
      page,
      html: renderPage(newPage.default, { loaderData: page, path: "/referrals/new" }),
    };
  }

  async function start(user: User): Promise<string> {
    const cookie = await signInCookie(db.app, user.email);
    const result = await settle(() =>
      newPage.action({
        request: formRequest("/referrals/new", {}, cookie),
        params: {},
        context: loadContext(db.app),
      }),
    );
    expect(statusOf(result)).toBe(302);
    return (result as Response).headers.get("Location") ?? "";
  }

  async function draftsOf(user: User) {
    return db.superuser
      .selectFrom("referrals")
      .select("id")
      .where("referrer_user_id", "=", user.id)
      .where("state", "=", "draft")
      .execute();
  }

  it("offers the person's unfinished drafts first, each to continue or discard", async () => {
    const world = await createReferralWorld(db.owner);
    const author = world.people.schoolPractitioner;
    const ctx = contextFor(db.app, author);
    const { id } = await startReferral(ctx);
    await recordYoungPersonForDraft(ctx, id, youngPersonDetails(), { confirmedNotAMatch: true });
    const { page, html } = await makeAReferral(author);
    const [draft] = page.drafts;
    expect(draft).toMatchObject({ id, continueAt: "check" });
    const offered = html.indexOf("You have an unfinished referral");
    expect(offered).toBeGreaterThan(-1);
    // Before the button that starts another.
    expect(offered).toBeLessThan(html.indexOf("Start a referral"));
    expect(html).toContain(`href="/referrals/${id}/draft/check"`);
    expect(html).toMatch(
      new RegExp(
        `action="/referrals/${id}/draft/check".*name="version" value="${draft?.version}".*name="intent" value="discard".*>Discard<`,
      ),
    );
    // The discard button is the check page's own, and it discards this draft.
    const cookie = await signInCookie(db.app, author.email);
    const discarded = await settle(() =>
      checkPage.action({
        request: formRequest(
          `/referrals/${id}/draft/check`,
          { intent: "discard", version: String(draft?.version) },
          cookie,
        ),
        params: { referralId: id },
        context: loadContext(db.app),
      }),
    );
    expect((discarded as Response).headers.get("Location")).toBe(
      "/referrals/new?done=draft-discarded",
    );
    expect((await draftRow(id)).state).toBe("discarded");
  });

  it("takes up a draft with no answers yet instead of starting a second one", async () => {
    const world = await createReferralWorld(db.owner);
    const author = world.people.schoolPractitioner;
    const first = await start(author);
    expect(first).toMatch(/^\/referrals\/[0-9a-f-]{36}\/draft\/young-person$/);
    expect(await start(author)).toBe(first);
    expect(await draftsOf(author)).toHaveLength(1);
    // Someone else's empty draft is theirs alone.
    expect(await start(world.people.policePractitioner)).not.toBe(first);
  });

  it("starts a new draft once the untouched one has an answer", async () => {
    const world = await createReferralWorld(db.owner);
    const author = world.people.schoolPractitioner;
    const first = await start(author);
    const id = first.split("/")[2] ?? "";
    await post(author, id, "concern", [
      ["concern", "Seen with older boys"],
      ["autosave", "yes"],
    ]);
    const second = await start(author);
    expect(second).not.toBe(first);
    expect(await draftsOf(author)).toHaveLength(2);
  });

  it("shows a brand-new draft's first question no way back to answers it does not have", async () => {
    const world = await createReferralWorld(db.owner);
    const author = world.people.schoolPractitioner;
    const id = (await start(author)).split("/")[2] ?? "";
    const cookie = await signInCookie(db.app, author.email);
    const open = async (query: string) => {
      const path = `/referrals/${id}/draft/young-person${query}`;
      const data = await youngPersonPage.loader({
        request: getRequest(path, cookie),
        params: { referralId: id },
        context: loadContext(db.app),
      });
      return renderPage(youngPersonPage.default, { loaderData: data, path });
    };
    const backLink = (html: string) => {
      const link = /<a[^>]*govuk-back-link[^>]*>([^<]*)<\/a>/.exec(html);
      return { text: link?.[1], href: /href="([^"]*)"/.exec(link?.[0] ?? "")?.[1] };
    };
    // Back out to "Make a referral", where the draft waits among the unfinished ones.
    expect(backLink(await open(""))).toEqual({ text: "Back", href: "/referrals/new" });
    // Sent from "check your answers", the back link returns there.
    expect(backLink(await open("?returnTo=check"))).toEqual({
      text: "Back to your answers",
      href: `/referrals/${id}/draft/check`,
    });
  });
});
