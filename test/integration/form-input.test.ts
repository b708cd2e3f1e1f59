import type { ActionFunctionArgs } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import * as newUserPage from "../../app/routes/admin.users.new";
import * as lookupPage from "../../app/routes/audit.young-people";
import * as draftStepPage from "../../app/routes/referrals.$referralId.draft.$step";
import * as stepPage from "../../app/routes/referrals.$referralId.steps.$transition";
import * as signInPage from "../../app/routes/sign-in";
import { startReferral } from "../../app/services/referrals.server";
import { EMAIL_UNAVAILABLE } from "../../app/services/users.server";
import { useTestDatabase } from "../support/database";
import {
  contextFor,
  createAgency,
  createReferralWorld,
  createUser,
  createWorld,
  referralAt,
  referralVersion,
  TEST_PASSWORD,
} from "../support/factories";
import { formRequest, loadContext, settle, statusOf } from "../support/remix";
import { signInCookie } from "../support/session";

const db = useTestDatabase();
const ORIGIN = "http://crosswalk.test";

type Action = (args: ActionFunctionArgs) => unknown;

function submit(
  action: Action,
  path: string,
  fields: Record<string, string>,
  params: Record<string, string> = {},
  cookie?: string,
) {
  return settle(() =>
    action({ request: formRequest(path, fields, cookie), params, context: loadContext(db.app) }),
  );
}

/** The body of a `data()` reply. */
function bodyOf<T>(result: unknown): T {
  return (result as { data: T }).data;
}

interface FormReply<A> {
  answers: A;
  errors: { field: string; message: string }[];
}

describe("the address to return to after signing in", () => {
  it.each([
    ["a tab after the first slash, which browsers drop", "/\t/evil.example/phish"],
    ["a newline after the first slash", "/\n/evil.example/phish"],
    ["a backslash, which browsers read as a slash", "/\\evil.example"],
    ["two slashes", "//evil.example"],
    ["a dot segment that leaves two slashes", "/.//evil.example"],
    ["a parent segment that leaves two slashes", "/x/..//evil.example"],
    ["another site's address", "https://evil.example/"],
    ["a javascript: address", "javascript:alert(1)"],
  ])("sends the person home when it is %s, never to another site or a 500", async (_, returnTo) => {
    const { user } = await createWorld(db.owner);
    const result = await submit(signInPage.action, "/sign-in", {
      email: user.email,
      password: TEST_PASSWORD,
      returnTo,
    });
    expect(result).toBeInstanceOf(Response);
    const response = result as Response;
    expect(response.status).toBe(302);
    // The second factor comes next, and with nothing to return to it leads home.
    expect(response.headers.get("Location")).toBe("/sign-in/second-factor");
  });

  it.each([
    ["/cases?caseload=agency", "/cases?caseload=agency"],
    ["/referrals/abc#history", "/referrals/abc"],
    ["/%2F%2Fevil.example", "/%2F%2Fevil.example"],
    ["/young-people/Zoë", "/young-people/Zo%C3%AB"],
  ])(
    "keeps a path on this site, with its query, read as a browser reads it: %s",
    async (returnTo, expected) => {
      const { user } = await createWorld(db.owner);
      const response = (await submit(signInPage.action, "/sign-in", {
        email: user.email,
        password: TEST_PASSWORD,
        returnTo,
      })) as Response;
      const location = response.headers.get("Location") ?? "";
      // Passed on through the second factor, as the path it was read as.
      expect(location).toBe(`/sign-in/second-factor?returnTo=${encodeURIComponent(expected)}`);
      // Chromium resolves the Location against the page's own address: it stays on this site.
      expect(new URL(location, ORIGIN).origin).toBe(ORIGIN);
    },
  );
});

describe("adding a user whose email address is already in use", () => {
  async function administrator() {
    const world = await createWorld(db.owner, "administrator");
    return { ...world, cookie: await signInCookie(db.app, world.user.email) };
  }

  function addUser(cookie: string, agencyId: string, email: string) {
    return submit(
      newUserPage.action,
      "/admin/users/new",
      { displayName: "Robin Reyes", email, agencyId, role: "practitioner" },
      {},
      cookie,
    );
  }

  async function accountsWith(email: string): Promise<number> {
    const rows = await db.superuser
      .selectFrom("users")
      .select("id")
      .where("email", "=", email)
      .execute();
    return rows.length;
  }

  it("in the same partnership says the address cannot be used, keeping what was typed", async () => {
    const { agency, cookie } = await administrator();
    const colleague = await createUser(db.owner, agency);
    const result = await addUser(cookie, agency.id, colleague.email.toUpperCase());
    expect(statusOf(result)).toBe(400);
    const reply =
      bodyOf<FormReply<{ displayName: string; email: string; agencyId: string }>>(result);
    expect(reply.errors).toEqual([{ field: "email", message: EMAIL_UNAVAILABLE }]);
    expect(reply.answers).toMatchObject({
      displayName: "Robin Reyes",
      email: colleague.email.toUpperCase(),
      agencyId: agency.id,
    });
    expect(await accountsWith(colleague.email)).toBe(1);
  });

  it("in another partnership says the same, neither failing nor saying where the address is used", async () => {
    const { agency, cookie } = await administrator();
    const elsewhere = await createWorld(db.owner);
    const result = await addUser(cookie, agency.id, elsewhere.user.email);
    expect(statusOf(result)).toBe(400);
    const reply = bodyOf<FormReply<{ email: string }>>(result);
    expect(reply.errors).toEqual([{ field: "email", message: EMAIL_UNAVAILABLE }]);
    expect(reply.answers.email).toBe(elsewhere.user.email);
    expect(await accountsWith(elsewhere.user.email)).toBe(1);
  });

  it("still adds a user whose address is new", async () => {
    const { agency, cookie } = await administrator();
    const other = await createAgency(db.owner, agency.partnership_id);
    const result = await addUser(cookie, other.id, `new-${Date.now()}@example.test`);
    expect(statusOf(result)).toBe(200);
    expect(bodyOf<{ created: { url: string } }>(result).created.url).toMatch(
      /^http:\/\/crosswalk\.test\/set-password\/[A-Za-z0-9_-]{43}$/,
    );
  });
});

describe("a character no one types (NUL) in a free-text answer", () => {
  const NUL = "\u0000";
  const untypable = expect.stringContaining("contains a character that cannot be used") as unknown;

  it("is refused on the decline page with a message, keeping what was typed", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await referralAt(db, world, "allocated");
    const reason = `We have no capacity${NUL} this month.`;
    const result = await submit(
      stepPage.action,
      `/referrals/${id}/steps/decline`,
      { version: String(await referralVersion(db, id)), reason },
      { referralId: id, transition: "decline" },
      await signInCookie(db.app, world.people.advocacyLead.email),
    );
    expect(statusOf(result)).toBe(400);
    const reply = bodyOf<FormReply<{ reason: string }>>(result);
    expect(reply.errors).toEqual([{ field: "reason", message: untypable }]);
    expect(reply.answers.reason).toBe(reason);
  });

  it("is refused on the refer-to-panel page with a message, keeping what was typed", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await referralAt(db, world, "screened");
    const reason = `Several agencies${NUL} are involved.`;
    const result = await submit(
      stepPage.action,
      `/referrals/${id}/steps/refer_to_panel`,
      { version: String(await referralVersion(db, id)), reason },
      { referralId: id, transition: "refer_to_panel" },
      await signInCookie(db.app, world.people.lead.email),
    );
    expect(statusOf(result)).toBe(400);
    const reply = bodyOf<FormReply<{ reason: string }>>(result);
    expect(reply.errors).toEqual([{ field: "reason", message: untypable }]);
    expect(reply.answers.reason).toBe(reason);
  });

  it("is refused in a draft referral's answer, keeping what was typed and saving the rest", async () => {
    const world = await createReferralWorld(db.owner);
    const author = world.people.schoolPractitioner;
    const { id } = await startReferral(contextFor(db.app, author));
    const concern = `Seen with older boys${NUL} near the station.`;
    const request = formRequest(
      `/referrals/${id}/draft/concern`,
      {},
      await signInCookie(db.app, author.email),
    );
    const body = new URLSearchParams([
      ["concernRoles", "at_risk"],
      ["themes", "early_intervention"],
      ["concern", concern],
    ]).toString();
    const result = await settle(() =>
      draftStepPage.action({
        request: new Request(request.url, { method: "POST", headers: request.headers, body }),
        params: { referralId: id, step: "concern" },
        context: loadContext(db.app),
      }),
    );
    expect(statusOf(result)).toBe(400);
    const reply = bodyOf<FormReply<{ concern: string }>>(result);
    expect(reply.errors).toEqual([{ field: "concern", message: untypable }]);
    expect(reply.answers.concern).toBe(concern);
    const saved = await db.superuser
      .selectFrom("referrals")
      .select(["concern", "themes"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(saved).toEqual({ concern: null, themes: ["early_intervention"] });
  });

  it("is refused in the auditor's name lookup with a message, keeping what was typed", async () => {
    const { user } = await createWorld(db.owner, "auditor");
    const name = `Kofi${NUL}`;
    const result = await submit(
      lookupPage.action,
      "/audit/young-people",
      { name },
      {},
      await signInCookie(db.app, user.email),
    );
    expect(statusOf(result)).toBe(400);
    const reply = bodyOf<{ name: string; errors: { field: string; message: string }[] }>(result);
    expect(reply.errors).toEqual([{ field: "name", message: untypable }]);
    expect(reply.name).toBe(name);
  });

  it("is refused at sign-in as a wrong answer, not a 500", async () => {
    const result = await submit(signInPage.action, "/sign-in", {
      email: `someone${NUL}@example.test`,
      password: TEST_PASSWORD,
    });
    expect(statusOf(result)).toBe(400);
    expect(bodyOf<{ errors: { field: string }[] }>(result).errors).toEqual([
      { field: "email", message: untypable },
    ]);
  });
});

describe("an answer far over its limit", () => {
  it("is never sent back in full: sign-in shows at most 320 characters of the email", async () => {
    const result = await submit(signInPage.action, "/sign-in", {
      email: `${"a".repeat(100_000)}@example.test`,
      password: TEST_PASSWORD,
    });
    expect(statusOf(result)).toBe(400);
    expect(bodyOf<{ email: string }>(result).email).toHaveLength(320);
  });
});
