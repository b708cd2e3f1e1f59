import { randomUUID } from "node:crypto";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import { setPasswordWithLink } from "../../app/auth/set-password-links.server";
import * as adminIndex from "../../app/routes/admin._index";
import * as agencyPage from "../../app/routes/admin.agencies.$agencyId";
import * as agencyList from "../../app/routes/admin.agencies._index";
import * as newAgency from "../../app/routes/admin.agencies.new";
import * as sharingAgreement from "../../app/routes/admin.sharing-agreement";
import * as userPage from "../../app/routes/admin.users.$userId";
import * as userList from "../../app/routes/admin.users._index";
import * as newUser from "../../app/routes/admin.users.new";
import { loader as homeLoader } from "../../app/routes/home";
import { useTestDatabase } from "../support/database";
import { createAgency, createUser, createWorld, TEST_PASSWORD } from "../support/factories";
import { formRequest, getRequest, loadContext, settle, statusOf } from "../support/remix";
import { signInCookie } from "../support/session";

const db = useTestDatabase();

type Params = Record<string, string>;
type Loader = (args: LoaderFunctionArgs) => unknown;
type Action = (args: ActionFunctionArgs) => unknown;

function signedInCookie(email: string, password = TEST_PASSWORD): Promise<string> {
  return signInCookie(db.app, email, password);
}

/** An administrator, signed in, in a partnership of their own. */
async function signedInAdministrator() {
  const world = await createWorld(db.owner, "administrator");
  return { ...world, cookie: await signedInCookie(world.user.email) };
}

function load(loader: Loader, path: string, cookie: string, params: Params = {}) {
  return settle(() =>
    loader({ request: getRequest(path, cookie), params, context: loadContext(db.app) }),
  );
}

function submit(
  action: Action,
  path: string,
  fields: Record<string, string>,
  cookie: string,
  params: Params = {},
) {
  return settle(() =>
    action({ request: formRequest(path, fields, cookie), params, context: loadContext(db.app) }),
  );
}

/** A form posted with a field repeated (checkboxes). */
function submitEntries(action: Action, path: string, entries: [string, string][], cookie: string) {
  const request = new Request(`http://crosswalk.test${path}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "Sec-Fetch-Site": "same-origin",
      Cookie: cookie,
    },
    body: new URLSearchParams(entries).toString(),
  });
  return settle(() => action({ request, params: {}, context: loadContext(db.app) }));
}

/** The body of a `data()` reply, or the plain object a loader returned. */
function bodyOf<T>(result: unknown): T {
  const reply = result as { type?: string; data?: T };
  return (reply?.type === "DataWithResponseInit" ? reply.data : result) as T;
}

function locationOf(result: unknown): string | null {
  return result instanceof Response ? result.headers.get("Location") : null;
}

interface FormReply<A> {
  answers: A;
  errors: { field: string; message: string }[];
}

const NEW_AGENCY = {
  name: "Riverside Youth Club",
  kind: "voluntary",
  contactName: "Sam Okafor",
  contactEmail: "sam@riverside.example",
};

async function auditActions(partnershipId: string, action: string) {
  return db.superuser
    .selectFrom("audit_events")
    .select(["action", "outcome"])
    .where("partnership_id", "=", partnershipId)
    .where("action", "=", action)
    .execute();
}

describe("agencies", () => {
  it("an administrator adds an agency, which then appears in the list", async () => {
    const { cookie } = await signedInAdministrator();

    const added = await submit(newAgency.action, "/admin/agencies/new", NEW_AGENCY, cookie);

    expect(locationOf(added)).toBe("/admin/agencies?done=agency-created");
    const list = bodyOf<Awaited<ReturnType<typeof agencyList.loader>>>(
      await load(agencyList.loader, "/admin/agencies", cookie),
    );
    expect(list.agencies).toContainEqual(
      expect.objectContaining({
        name: "Riverside Youth Club",
        kindLabel: "Voluntary and community sector",
        contactName: "Sam Okafor",
        contactEmail: "sam@riverside.example",
        activeUsers: 0,
        isActive: true,
      }),
    );
  });

  it("records exactly one access-log event for an added agency", async () => {
    const { partnership, cookie } = await signedInAdministrator();
    await submit(newAgency.action, "/admin/agencies/new", NEW_AGENCY, cookie);
    expect(await auditActions(partnership.id, "agency.create")).toEqual([
      { action: "agency.create", outcome: "allowed" },
    ]);
  });

  it("re-displays the form when the name is missing, with the error and every other answer kept", async () => {
    const { partnership, cookie } = await signedInAdministrator();

    const reply = await submit(
      newAgency.action,
      "/admin/agencies/new",
      { ...NEW_AGENCY, name: "  " },
      cookie,
    );

    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<FormReply<typeof NEW_AGENCY>>(reply)).toEqual({
      answers: { ...NEW_AGENCY, name: "  " },
      errors: [{ field: "name", message: "Enter the agency's name" }],
    });
    expect(await auditActions(partnership.id, "agency.create")).toEqual([]);
  });

  it("shows the service's objection to a duplicate name against the name field", async () => {
    const { agency, cookie } = await signedInAdministrator();

    const reply = await submit(
      newAgency.action,
      "/admin/agencies/new",
      { ...NEW_AGENCY, name: agency.name.toUpperCase() },
      cookie,
    );

    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<FormReply<typeof NEW_AGENCY>>(reply).errors).toEqual([
      { field: "name", message: "An agency with this name already exists in the partnership" },
    ]);
  });

  it("asks for a contact email address in the correct format", async () => {
    const { cookie } = await signedInAdministrator();
    const reply = await submit(
      newAgency.action,
      "/admin/agencies/new",
      { ...NEW_AGENCY, contactEmail: "not an email" },
      cookie,
    );
    expect(bodyOf<FormReply<typeof NEW_AGENCY>>(reply).errors).toEqual([
      {
        field: "contactEmail",
        message: "Enter the contact's email address in the correct format, like name@example.com",
      },
    ]);
  });

  it("an administrator changes an agency's details and deactivates it", async () => {
    const { agency, cookie } = await signedInAdministrator();
    const path = `/admin/agencies/${agency.id}`;
    const params = { agencyId: agency.id };

    const changed = await submit(
      agencyPage.action,
      path,
      { intent: "update", ...NEW_AGENCY, kind: "school", contactName: "", contactEmail: "" },
      cookie,
      params,
    );
    const deactivated = await submit(
      agencyPage.action,
      path,
      { intent: "deactivate" },
      cookie,
      params,
    );

    expect(locationOf(changed)).toBe("/admin/agencies?done=agency-updated");
    expect(locationOf(deactivated)).toBe(`${path}?done=agency-deactivated`);
    const page = bodyOf<Awaited<ReturnType<typeof agencyPage.loader>>>(
      await load(agencyPage.loader, path, cookie, params),
    );
    expect(page).toMatchObject({
      name: NEW_AGENCY.name,
      kindLabel: "School or college",
      contactName: null,
      contactEmail: null,
      isActive: false,
    });
  });
});

describe("user accounts", () => {
  it("an administrator adds a user and gets a one-time link, with which the person sets a password and signs in", async () => {
    const { agency, cookie } = await signedInAdministrator();
    const email = `new.person.${randomUUID().slice(0, 8)}@example.test`;

    const reply = await submit(
      newUser.action,
      "/admin/users/new",
      { displayName: "Jo Mensah", email, agencyId: agency.id, role: "practitioner" },
      cookie,
    );

    expect(statusOf(reply)).toBe(200);
    expect(locationOf(reply)).toBeNull();
    const { created } = bodyOf<{ created: { displayName: string; url: string; expires: string } }>(
      reply,
    );
    expect(created.displayName).toBe("Jo Mensah");
    expect(created.expires).toMatch(
      /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d{1,2} [A-Z][a-z]+ \d{4} at (\d{1,2}(:\d{2})?(am|pm)|midday|midnight)$/,
    );
    const token = /^http:\/\/crosswalk\.test\/set-password\/([\w-]{43})$/.exec(created.url)?.[1];
    expect(token).toBeDefined();

    const newPassword = "a long password of my own choosing";
    const meta = { requestId: randomUUID(), clientAddress: null };
    expect(await setPasswordWithLink(db.app, meta, token ?? "", newPassword)).toBe(true);
    const home = await load(homeLoader, "/home", await signedInCookie(email, newPassword));
    expect(home).toMatchObject({ displayName: "Jo Mensah", roleLabel: "Practitioner" });
  });

  it("shows a new account as waiting for a password until the link is used", async () => {
    const { agency, cookie } = await signedInAdministrator();
    const email = `waiting.${randomUUID().slice(0, 8)}@example.test`;
    await submit(
      newUser.action,
      "/admin/users/new",
      { displayName: "Waiting Person", email, agencyId: agency.id, role: "auditor" },
      cookie,
    );

    const list = bodyOf<Awaited<ReturnType<typeof userList.loader>>>(
      await load(userList.loader, "/admin/users", cookie),
    );

    expect(list.users).toContainEqual(
      expect.objectContaining({ email, roleLabel: "Auditor", status: "waiting" }),
    );
  });

  it("re-displays the add-user form with every error and the answers kept", async () => {
    const { cookie } = await signedInAdministrator();
    const reply = await submit(
      newUser.action,
      "/admin/users/new",
      { displayName: "", email: "nope", agencyId: "", role: "" },
      cookie,
    );
    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<FormReply<Record<string, string>>>(reply)).toMatchObject({
      answers: { displayName: "", email: "nope", agencyId: "", role: "" },
      errors: [
        { field: "displayName", message: "Enter the person's full name" },
        {
          field: "email",
          message: "Enter an email address in the correct format, like name@example.com",
        },
        { field: "agencyId", message: "Select the person's agency" },
        { field: "role", message: "Select the person's role" },
      ],
    });
  });

  it("deactivating a user ends their session: their next request goes to sign-in", async () => {
    const { agency, cookie } = await signedInAdministrator();
    const person = await createUser(db.owner, agency);
    const theirCookie = await signedInCookie(person.email);

    const result = await submit(
      userPage.action,
      `/admin/users/${person.id}`,
      { intent: "deactivate" },
      cookie,
      { userId: person.id },
    );

    expect(locationOf(result)).toBe(`/admin/users/${person.id}?done=user-deactivated`);
    const next = await load(homeLoader, "/home", theirCookie);
    expect(statusOf(next)).toBe(302);
    expect(locationOf(next)).toMatch(/^\/sign-in/);
  });

  it("a new set-password link stops the old password working and is shown once", async () => {
    const { agency, cookie } = await signedInAdministrator();
    const person = await createUser(db.owner, agency);

    const reply = await submit(
      userPage.action,
      `/admin/users/${person.id}`,
      { intent: "reset" },
      cookie,
      { userId: person.id },
    );

    expect(statusOf(reply)).toBe(200);
    expect(bodyOf<{ link: { url: string } }>(reply).link.url).toMatch(
      /^http:\/\/crosswalk\.test\/set-password\/[\w-]{43}$/,
    );
    await expect(signedInCookie(person.email)).rejects.toThrow(/could not sign in/);
  });

  it("an administrator records a home postcode district, and only a district", async () => {
    const { agency, cookie } = await signedInAdministrator();
    const person = await createUser(db.owner, agency, { name: "Dee District" });
    const change = (district: string) =>
      submit(
        userPage.action,
        `/admin/users/${person.id}`,
        {
          intent: "update",
          displayName: "Dee District",
          agencyId: agency.id,
          role: "practitioner",
          homePostcodeDistrict: district,
        },
        cookie,
        { userId: person.id },
      );

    const full = await change("NB3 4XY");
    expect(statusOf(full)).toBe(400);
    expect(JSON.stringify(full)).toContain("Enter the first part of a postcode only");
    expect(locationOf(await change(" nb3 "))).toBe("/admin/users?done=user-updated");
    const stored = () =>
      db.superuser
        .selectFrom("users")
        .select("home_postcode_district")
        .where("id", "=", person.id)
        .executeTakeFirstOrThrow();
    expect(await stored()).toEqual({ home_postcode_district: "NB3" });
    expect(locationOf(await change(""))).toBe("/admin/users?done=user-updated");
    expect(await stored()).toEqual({ home_postcode_district: null });
  });

  it("an administrator changes a person's role, which the list then shows", async () => {
    const { agency, cookie } = await signedInAdministrator();
    const person = await createUser(db.owner, agency, { name: "Role Changer" });

    const result = await submit(
      userPage.action,
      `/admin/users/${person.id}`,
      { intent: "update", displayName: "Role Changer", agencyId: agency.id, role: "agency_lead" },
      cookie,
      { userId: person.id },
    );

    expect(locationOf(result)).toBe("/admin/users?done=user-updated");
    const list = bodyOf<Awaited<ReturnType<typeof userList.loader>>>(
      await load(userList.loader, "/admin/users", cookie),
    );
    expect(list.users).toContainEqual(
      expect.objectContaining({ id: person.id, roleLabel: "Agency lead", status: "active" }),
    );
  });

  it("an administrator's own page offers no changes, and changing themselves is refused", async () => {
    const { user, cookie } = await signedInAdministrator();
    const path = `/admin/users/${user.id}`;
    const params = { userId: user.id };

    const page = bodyOf<Awaited<ReturnType<typeof userPage.loader>>>(
      await load(userPage.loader, path, cookie, params),
    );
    const refused = await submit(userPage.action, path, { intent: "deactivate" }, cookie, params);

    expect(page).toMatchObject({ isSelf: true, agencies: [] });
    expect(statusOf(refused)).toBe(403);
  });
});

describe("pages outside the administrator's reach", () => {
  it.each([
    ["user", userPage.loader, "userId"],
    ["agency", agencyPage.loader, "agencyId"],
  ] as const)(
    "the page of %s in another partnership is not found",
    async (_kind, loader, param) => {
      const { cookie } = await signedInAdministrator();
      const elsewhere = await createWorld(db.owner, "practitioner");
      const id = param === "userId" ? elsewhere.user.id : elsewhere.agency.id;

      const result = await load(loader, `/admin/x/${id}`, cookie, { [param]: id });

      expect(statusOf(result)).toBe(404);
    },
  );

  it("an address with an id that is not a UUID is not found", async () => {
    const { cookie } = await signedInAdministrator();
    const result = await load(userPage.loader, "/admin/users/42", cookie, { userId: "42" });
    expect(statusOf(result)).toBe(404);
  });
});

describe("a practitioner", () => {
  async function signedInPractitioner() {
    const { partnership, agency, user } = await createWorld(db.owner, "practitioner");
    const colleague = await createUser(db.owner, agency);
    return { partnership, agency, user, colleague, cookie: await signedInCookie(user.email) };
  }

  const loaders: [string, Loader, (w: { agencyId: string; userId: string }) => Params][] = [
    ["/admin", adminIndex.loader, () => ({})],
    ["/admin/agencies", agencyList.loader, () => ({})],
    ["/admin/agencies/new", newAgency.loader, () => ({})],
    ["/admin/agencies/:agencyId", agencyPage.loader, (w) => ({ agencyId: w.agencyId })],
    ["/admin/users", userList.loader, () => ({})],
    ["/admin/users/new", newUser.loader, () => ({})],
    ["/admin/users/:userId", userPage.loader, (w) => ({ userId: w.userId })],
    ["/admin/sharing-agreement", sharingAgreement.loader, () => ({})],
  ];

  it.each(loaders)("is refused (403) by the loader of %s", async (path, loader, params) => {
    const { agency, colleague, cookie } = await signedInPractitioner();
    const result = await load(
      loader,
      path,
      cookie,
      params({ agencyId: agency.id, userId: colleague.id }),
    );
    expect(statusOf(result)).toBe(403);
  });

  it("is refused (403) by every administration action, which change nothing", async () => {
    const { partnership, agency, colleague, cookie } = await signedInPractitioner();
    const attempts = [
      () => submit(newAgency.action, "/admin/agencies/new", NEW_AGENCY, cookie),
      () =>
        submit(agencyPage.action, "/x", { intent: "deactivate" }, cookie, { agencyId: agency.id }),
      () =>
        submit(
          newUser.action,
          "/admin/users/new",
          {
            displayName: "Intruder",
            email: "intruder@example.test",
            agencyId: agency.id,
            role: "administrator",
          },
          cookie,
        ),
      () =>
        submit(userPage.action, "/x", { intent: "deactivate" }, cookie, { userId: colleague.id }),
      () =>
        submit(
          sharingAgreement.action,
          "/admin/sharing-agreement",
          { intent: "remove", fromKind: "police", toKind: "school" },
          cookie,
        ),
    ];
    for (const attempt of attempts) expect(statusOf(await attempt())).toBe(403);
    const changes = await db.superuser
      .selectFrom("audit_events")
      .select(["action", "outcome"])
      .where("partnership_id", "=", partnership.id)
      .where("action", "in", ["agency.manage", "user.manage", "agreement.manage"])
      .execute();
    expect(changes).toHaveLength(attempts.length);
    expect(changes.every((event) => event.outcome === "refused")).toBe(true);
  });
});

describe("the information sharing agreement", () => {
  const PATH = "/admin/sharing-agreement";

  async function agreementPage(cookie: string) {
    return bodyOf<Awaited<ReturnType<typeof sharingAgreement.loader>>>(
      await load(sharingAgreement.loader, PATH, cookie),
    );
  }

  it("an administrator adds a permission, merging its purposes into any for the same kinds", async () => {
    const { cookie } = await signedInAdministrator();
    const add = (purposes: string[]) =>
      submitEntries(
        sharingAgreement.action,
        PATH,
        [
          ["intent", "add"],
          ["fromKind", "police"],
          ["toKind", "school"],
          ...purposes.map((purpose): [string, string] => ["purposes", purpose]),
        ],
        cookie,
      );

    expect(locationOf(await add(["safeguarding"]))).toBe(`${PATH}?done=permission-added`);
    await add(["education", "preventing_crime"]);

    const page = await agreementPage(cookie);
    expect(page.groups).toEqual([
      {
        fromKind: "police",
        fromLabel: "Police",
        rows: [
          {
            toKind: "school",
            toLabel: "School or college",
            purposeLabels: [
              "Safeguarding a child",
              "Preventing or detecting crime",
              "Education and attendance",
            ],
          },
        ],
      },
    ]);
  });

  it("removing a permission removes only that pair of kinds", async () => {
    const { cookie } = await signedInAdministrator();
    for (const toKind of ["school", "health"]) {
      await submit(
        sharingAgreement.action,
        PATH,
        { intent: "add", fromKind: "police", toKind, purposes: "safeguarding" },
        cookie,
      );
    }

    const removed = await submit(
      sharingAgreement.action,
      PATH,
      { intent: "remove", fromKind: "police", toKind: "school" },
      cookie,
    );

    expect(locationOf(removed)).toBe(`${PATH}?done=permission-removed`);
    const page = await agreementPage(cookie);
    expect(page.groups.flatMap((group) => group.rows.map((row) => row.toKind))).toEqual(["health"]);
  });

  it("refuses a permission from one kind of agency to the same kind, and one without a purpose", async () => {
    const { cookie } = await signedInAdministrator();
    const reply = await submit(
      sharingAgreement.action,
      PATH,
      { intent: "add", fromKind: "health", toKind: "health" },
      cookie,
    );
    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<FormReply<unknown>>(reply).errors).toEqual([
      { field: "toKind", message: "Select a different kind of agency to share with" },
      { field: "purposes", message: "Select at least one purpose" },
    ]);
  });

  it("saves a real review date and shows when it is overdue", async () => {
    const { cookie } = await signedInAdministrator();

    const saved = await submit(
      sharingAgreement.action,
      PATH,
      {
        intent: "review-date",
        "reviewDate-day": "1",
        "reviewDate-month": "2",
        "reviewDate-year": "2020",
      },
      cookie,
    );

    expect(locationOf(saved)).toBe(`${PATH}?done=review-date-saved`);
    expect(await agreementPage(cookie)).toMatchObject({
      reviewDate: "2020-02-01",
      reviewDateText: "1 February 2020",
      overdue: true,
    });
  });

  it.each([
    [
      { day: "31", month: "2", year: "2027" },
      "The review date must be a real date",
      "reviewDate-day",
      ["day", "month", "year"],
    ],
    [
      { day: "", month: "", year: "" },
      "Enter the review date",
      "reviewDate-day",
      ["day", "month", "year"],
    ],
    [
      { day: "3", month: "", year: "" },
      "The review date must include a month and year",
      "reviewDate-month",
      ["month", "year"],
    ],
    [
      { day: "3", month: "4", year: "27" },
      "Year must include 4 numbers",
      "reviewDate-year",
      ["year"],
    ],
  ])(
    "re-displays %o with the error %s and the answers kept",
    async (date, message, field, parts) => {
      const { cookie } = await signedInAdministrator();
      const reply = await submit(
        sharingAgreement.action,
        PATH,
        {
          intent: "review-date",
          "reviewDate-day": date.day,
          "reviewDate-month": date.month,
          "reviewDate-year": date.year,
        },
        cookie,
      );
      expect(statusOf(reply)).toBe(400);
      expect(bodyOf<Record<string, unknown>>(reply)).toMatchObject({
        errors: [{ field, message }],
        dateParts: parts,
        reviewDate: date,
      });
    },
  );
});

describe("the administration overview", () => {
  it("counts the agencies, accounts and permissions of the administrator's partnership", async () => {
    const { partnership, agency, cookie } = await signedInAdministrator();
    await createAgency(db.owner, partnership.id, { isActive: false });
    await createUser(db.owner, agency, { password: null });
    await createUser(db.owner, agency, { isActive: false });

    const overview = bodyOf<Awaited<ReturnType<typeof adminIndex.loader>>>(
      await load(adminIndex.loader, "/admin", cookie),
    );

    expect(overview).toMatchObject({
      activeAgencies: 1,
      deactivatedAgencies: 1,
      activeUsers: 1,
      awaitingPassword: 1,
      deactivatedUsers: 1,
      permissions: 0,
      reviewDateText: null,
      reviewOverdue: false,
    });
  });
});
