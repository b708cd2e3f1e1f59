import { randomBytes, randomUUID } from "node:crypto";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { hashSessionId } from "../../app/auth/lucia.server";
import { PASSWORD_MESSAGES } from "../../app/auth/password-policy.server";
import { issueSetPasswordLink } from "../../app/auth/set-password-links.server";
import { loader as rootLoader } from "../../app/root";
import * as changePasswordPage from "../../app/routes/account.password";
import * as signInsPage from "../../app/routes/account.sessions";
import * as staySignedIn from "../../app/routes/account.stay-signed-in";
import * as userPage from "../../app/routes/admin.users.$userId";
import * as setPasswordPage from "../../app/routes/set-password.$token";
import { auditedTransaction } from "../../app/services/audit.server";
import { setLocal, setTenant } from "../../db/tenant";
import type { User } from "../../db/types";
import { useTestDatabase } from "../support/database";
import { createUser, createWorld, TEST_PASSWORD } from "../support/factories";
import { formRequest, getRequest, loadContext, settle, statusOf } from "../support/remix";
import { openHome, passwordCookie, signInCookie } from "../support/session";

const db = useTestDatabase();

type Loader = (args: LoaderFunctionArgs) => unknown;
type Action = (args: ActionFunctionArgs) => unknown;

const CHROME_ON_WINDOWS =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

function load(loader: Loader, path: string, cookie?: string, params: Record<string, string> = {}) {
  return settle(() =>
    loader({ request: getRequest(path, cookie), params, context: loadContext(db.app) }),
  );
}

function submit(
  action: Action,
  path: string,
  fields: Record<string, string>,
  cookie: string,
  params: Record<string, string> = {},
) {
  return settle(() =>
    action({ request: formRequest(path, fields, cookie), params, context: loadContext(db.app) }),
  );
}

function bodyOf<T>(result: unknown): T {
  const reply = result as { type?: string; data?: T };
  return (reply?.type === "DataWithResponseInit" ? reply.data : result) as T;
}

function locationOf(result: unknown): string | null {
  return result instanceof Response ? result.headers.get("Location") : null;
}

async function events(partnershipId: string, action: string) {
  return db.superuser
    .selectFrom("audit_events")
    .select(["outcome", "actor_user_id", "record_type", "record_id", "details"])
    .where("partnership_id", "=", partnershipId)
    .where("action", "=", action)
    .execute();
}

/** A session row made directly, as another browser's sign-in would leave it. */
async function anotherSession(
  person: Pick<User, "id" | "partnership_id">,
  overrides: { wholeSignIn?: boolean; expiresInMs?: number; userAgent?: string } = {},
): Promise<string> {
  return db.owner.transaction().execute(async (trx) => {
    await setTenant(trx, person.partnership_id);
    const now = new Date();
    const { public_id } = await trx
      .insertInto("sessions")
      .values({
        id_hash: hashSessionId(randomBytes(20).toString("hex")),
        user_id: person.id,
        partnership_id: person.partnership_id,
        created_at: now,
        expires_at: new Date(now.getTime() + (overrides.expiresInMs ?? 10 * 60_000)),
        second_factor_at: overrides.wholeSignIn === false ? null : now,
        second_factor_method: overrides.wholeSignIn === false ? null : "totp",
        user_agent: overrides.userAgent ?? CHROME_ON_WINDOWS,
        client_address: "198.51.100.7",
        last_active_at: now,
      })
      .returning("public_id")
      .executeTakeFirstOrThrow();
    return public_id;
  });
}

async function sessionCount(person: Pick<User, "id" | "partnership_id">): Promise<number> {
  return db.owner.transaction().execute(async (trx) => {
    await setTenant(trx, person.partnership_id);
    const rows = await trx
      .selectFrom("sessions")
      .select("id_hash")
      .where("user_id", "=", person.id)
      .execute();
    return rows.length;
  });
}

/** How many authenticator keys, recovery codes and passkeys a person has (read as the owner). */
async function secondFactorRows(person: Pick<User, "id" | "partnership_id">) {
  return db.owner.transaction().execute(async (trx) => {
    await setTenant(trx, person.partnership_id);
    const count = async (table: "totp_authenticators" | "recovery_codes" | "passkeys") =>
      (await trx.selectFrom(table).select("user_id").where("user_id", "=", person.id).execute())
        .length;
    return {
      totp: await count("totp_authenticators"),
      recoveryCodes: await count("recovery_codes"),
      passkeys: await count("passkeys"),
    };
  });
}

async function giveRecoveryCodes(person: Pick<User, "id" | "partnership_id">, count: number) {
  await db.owner.transaction().execute(async (trx) => {
    await setTenant(trx, person.partnership_id);
    await trx
      .insertInto("recovery_codes")
      .values(
        Array.from({ length: count }, () => ({
          partnership_id: person.partnership_id,
          user_id: person.id,
          code_hash: "not-a-real-hash",
        })),
      )
      .execute();
  });
}

type SignInsView = Awaited<ReturnType<typeof signInsPage.loader>>;

describe("Your sign-ins", () => {
  it("lists the person's whole sign-ins, this browser first and marked, and nothing else", async () => {
    const { user, agency } = await createWorld(db.owner);
    const cookie = await signInCookie(db.app, user.email);
    await anotherSession(user);
    await anotherSession(user, { wholeSignIn: false });
    await anotherSession(user, { expiresInMs: -60_000 });
    await anotherSession(await createUser(db.owner, agency));

    const view = bodyOf<SignInsView>(await load(signInsPage.loader, "/account/sessions", cookie));

    expect(view.sessions).toHaveLength(2);
    expect(view.sessions.map((session) => session.current)).toEqual([true, false]);
    expect(view.sessions[1]).toMatchObject({
      browser: "Chrome on Windows",
      address: "198.51.100.7",
      method: "Password and authenticator app",
    });
  });

  it("ends another of the person's sign-ins, recorded once, and keeps this browser signed in", async () => {
    const { user, partnership } = await createWorld(db.owner);
    const cookie = await signInCookie(db.app, user.email);
    const other = await anotherSession(user);

    const result = await submit(
      signInsPage.action,
      "/account/sessions",
      { session: other },
      cookie,
    );

    expect(locationOf(result)).toBe("/account/sessions?done=session-ended");
    expect(await sessionCount(user)).toBe(1);
    expect(await events(partnership.id, "auth.session_ended")).toEqual([
      expect.objectContaining({ outcome: "allowed", record_type: "session", record_id: other }),
    ]);
    expect(await openHome(db.app, cookie)).toMatchObject({ email: user.email });
  });

  it("ending this browser's sign-in signs the person out", async () => {
    const { user } = await createWorld(db.owner);
    const cookie = await signInCookie(db.app, user.email);
    const view = bodyOf<SignInsView>(await load(signInsPage.loader, "/account/sessions", cookie));
    const current = view.sessions.find((session) => session.current)?.publicId ?? "";

    const result = await submit(
      signInsPage.action,
      "/account/sessions",
      { session: current },
      cookie,
    );

    expect(locationOf(result)).toBe("/signed-out");
    expect((result as Response).headers.get("Set-Cookie")).toMatch(/^crosswalk_session=;/);
    expect(locationOf(await openHome(db.app, cookie))).toMatch(/^\/sign-in/);
  });

  it("answers another person's sign-in with a 404, leaves it open and records the attempt", async () => {
    const { user, agency, partnership } = await createWorld(db.owner);
    const someoneElse = await createUser(db.owner, agency);
    const theirs = await anotherSession(someoneElse);
    const cookie = await signInCookie(db.app, user.email);

    const result = await submit(
      signInsPage.action,
      "/account/sessions",
      { session: theirs },
      cookie,
    );

    expect(statusOf(result)).toBe(404);
    expect(await sessionCount(someoneElse)).toBe(1);
    expect(await events(partnership.id, "auth.session_ended")).toEqual([
      expect.objectContaining({ outcome: "refused", actor_user_id: user.id, record_id: theirs }),
    ]);
  });

  it("restarts the idle clock when the person chooses to stay signed in", async () => {
    const { user } = await createWorld(db.owner);
    const cookie = await signInCookie(db.app, user.email);
    const soon = new Date(Date.now() + 2 * 60_000);
    await db.owner.transaction().execute(async (trx) => {
      await setTenant(trx, user.partnership_id);
      await trx
        .updateTable("sessions")
        .set({ expires_at: soon })
        .where("user_id", "=", user.id)
        .execute();
    });

    const result = await submit(staySignedIn.action, "/account/stay-signed-in", {}, cookie);

    expect(statusOf(result)).toBe(204);
    const [session] = await db.owner.transaction().execute(async (trx) => {
      await setTenant(trx, user.partnership_id);
      return trx
        .selectFrom("sessions")
        .select("expires_at")
        .where("user_id", "=", user.id)
        .execute();
    });
    // The test context's idle timeout is 30 minutes.
    expect(session?.expires_at.getTime()).toBeGreaterThan(Date.now() + 25 * 60_000);
  });

  it("hands the idle timeout to the browser for signed-in pages only", async () => {
    const { user } = await createWorld(db.owner);
    const cookie = await signInCookie(db.app, user.email);

    expect(await load(rootLoader, "/home", cookie)).toMatchObject({ idleTimeoutMs: 30 * 60_000 });
    expect(await load(rootLoader, "/home")).toMatchObject({ idleTimeoutMs: null });
  });
});

async function signedInAdministrator() {
  const world = await createWorld(db.owner, "administrator");
  return { ...world, cookie: await signInCookie(db.app, world.user.email) };
}

type UserPageView = Awaited<ReturnType<typeof userPage.loader>>;

describe("an administrator and a person's sign-in", () => {
  it("sees whether a person has a second factor and of which kind, and that one has none", async () => {
    const { agency, cookie } = await signedInAdministrator();
    const enrolled = await createUser(db.owner, agency);
    await giveRecoveryCodes(enrolled, 3);
    const notEnrolled = await createUser(db.owner, agency, { secondFactor: false });

    const open = async (person: User) =>
      bodyOf<UserPageView>(
        await load(userPage.loader, `/admin/users/${person.id}`, cookie, { userId: person.id }),
      );

    expect(await open(enrolled)).toMatchObject({
      secondFactor: "Authenticator app (3 recovery codes left)",
    });
    expect(await open(notEnrolled)).toMatchObject({
      secondFactor: "Not set up: they will set one up when they next sign in",
    });
  });

  it("ends all of a person's sessions, recorded once", async () => {
    const { agency, partnership, user: admin, cookie } = await signedInAdministrator();
    const person = await createUser(db.owner, agency);
    const theirCookie = await signInCookie(db.app, person.email);
    await anotherSession(person);

    const result = await submit(
      userPage.action,
      `/admin/users/${person.id}`,
      { intent: "end-sessions" },
      cookie,
      { userId: person.id },
    );

    expect(locationOf(result)).toBe(`/admin/users/${person.id}?done=sessions-ended`);
    expect(locationOf(await openHome(db.app, theirCookie))).toMatch(/^\/sign-in/);
    expect(await sessionCount(person)).toBe(0);
    expect(await events(partnership.id, "user.sessions_ended")).toEqual([
      expect.objectContaining({
        outcome: "allowed",
        actor_user_id: admin.id,
        record_id: person.id,
        details: { sessionsEnded: 2 },
      }),
    ]);
  });

  it("resets a person's second factor: their sessions end and they set one up at next sign-in", async () => {
    const { agency, partnership, user: admin, cookie } = await signedInAdministrator();
    const person = await createUser(db.owner, agency);
    await giveRecoveryCodes(person, 10);
    const theirCookie = await signInCookie(db.app, person.email);

    const result = await submit(
      userPage.action,
      `/admin/users/${person.id}`,
      { intent: "reset-second-factor" },
      cookie,
      { userId: person.id },
    );

    expect(locationOf(result)).toBe(`/admin/users/${person.id}?done=second-factor-reset`);
    expect(await secondFactorRows(person)).toEqual({ totp: 0, recoveryCodes: 0, passkeys: 0 });
    expect(await secondFactorRows(admin)).toMatchObject({ totp: 1 });
    expect(locationOf(await openHome(db.app, theirCookie))).toMatch(/^\/sign-in/);
    expect((await passwordCookie(db.app, person.email)).location).toMatch(/^\/sign-in\/enrol/);
    expect(await events(partnership.id, "auth.second_factor_reset")).toEqual([
      expect.objectContaining({
        outcome: "allowed",
        actor_user_id: admin.id,
        record_type: "user",
        record_id: person.id,
        details: {
          removed: { authenticatorApp: 1, passkeys: 0, recoveryCodes: 10 },
          sessionsEnded: 1,
        },
      }),
    ]);
  });

  it("cannot reset their own second factor", async () => {
    const { user: admin, cookie } = await signedInAdministrator();

    const result = await submit(
      userPage.action,
      `/admin/users/${admin.id}`,
      { intent: "reset-second-factor" },
      cookie,
      { userId: admin.id },
    );

    expect(statusOf(result)).toBe(403);
    expect(await secondFactorRows(admin)).toMatchObject({ totp: 1 });
  });

  it.each([
    ["a practitioner on someone else", "practitioner", "other"],
    ["an administrator on themselves", "administrator", "self"],
  ] as const)(
    "the database refuses a reset by %s, whatever the application asks",
    async (_name, role, target) => {
      const { user, agency } = await createWorld(db.owner, role);
      const other = await createUser(db.owner, agency);
      const victim = target === "self" ? user : other;

      const attempt = auditedTransaction(db.app, async (trx) => {
        await setTenant(trx, user.partnership_id);
        await setLocal(trx, "app.user_id", user.id);
        await sql`select * from app_reset_second_factor(${victim.id})`.execute(trx);
      });

      await expect(attempt).rejects.toMatchObject({ code: "42501" });
      expect(await secondFactorRows(victim)).toMatchObject({ totp: 1 });
    },
  );

  it("cannot read a person's authenticator key as the application role", async () => {
    const { user: admin, agency } = await createWorld(db.owner, "administrator");
    const person = await createUser(db.owner, agency);

    const keys = await db.app.transaction().execute(async (trx) => {
      await setTenant(trx, admin.partnership_id);
      await setLocal(trx, "app.user_id", admin.id);
      return trx
        .selectFrom("totp_authenticators")
        .select("secret")
        .where("user_id", "=", person.id)
        .execute();
    });

    expect(keys).toEqual([]);
  });
});

describe("changing a password", () => {
  async function signedIn() {
    const world = await createWorld(db.owner);
    return { ...world, cookie: await signInCookie(db.app, world.user.email) };
  }

  const change = (cookie: string, fields: Record<string, string>) =>
    submit(changePasswordPage.action, "/account/password", fields, cookie);

  const errorsOf = (result: unknown) =>
    bodyOf<{ errors: { field: string; message: string }[] }>(result).errors;

  it("refuses a new password shorter than 12 characters", async () => {
    const { cookie } = await signedIn();
    const result = await change(cookie, {
      currentPassword: TEST_PASSWORD,
      password: "short one",
      confirm: "short one",
    });
    expect(statusOf(result)).toBe(400);
    expect(errorsOf(result)).toEqual([{ field: "password", message: PASSWORD_MESSAGES.short }]);
  });

  it("refuses a commonly used password, whatever its capitals", async () => {
    const { cookie } = await signedIn();
    const result = await change(cookie, {
      currentPassword: TEST_PASSWORD,
      password: "QAZwsxEDCrfv",
      confirm: "QAZwsxEDCrfv",
    });
    expect(errorsOf(result)).toEqual([
      {
        field: "password",
        message:
          "Choose a password that is harder to guess: this one is among the most commonly used passwords",
      },
    ]);
  });

  it("refuses a confirmation that does not match, and sends no password back", async () => {
    const { cookie } = await signedIn();
    const result = await change(cookie, {
      currentPassword: TEST_PASSWORD,
      password: "lantern orbit pickle",
      confirm: "lantern orbit pickles",
    });
    expect(errorsOf(result)).toEqual([{ field: "confirm", message: PASSWORD_MESSAGES.mismatch }]);
    expect(JSON.stringify(bodyOf(result))).not.toContain("lantern");
  });

  it("refuses a wrong current password, records the refusal and keeps the old password", async () => {
    const { user, partnership, cookie } = await signedIn();
    const result = await change(cookie, {
      currentPassword: "not my password at all",
      password: "lantern orbit pickle",
      confirm: "lantern orbit pickle",
    });
    expect(errorsOf(result)).toEqual([expect.objectContaining({ field: "currentPassword" })]);
    expect(await events(partnership.id, "auth.password_changed")).toEqual([
      expect.objectContaining({ outcome: "refused" }),
    ]);
    expect((await passwordCookie(db.app, user.email)).location).toMatch(
      /^\/sign-in\/second-factor/,
    );
  });

  it("changes the password, ends every other session, keeps this one and records it once", async () => {
    const { user, partnership, cookie } = await signedIn();
    await anotherSession(user);
    await anotherSession(user);
    const newPassword = `lantern orbit ${randomUUID().slice(0, 8)}`;

    const result = await change(cookie, {
      currentPassword: TEST_PASSWORD,
      password: newPassword,
      confirm: newPassword,
    });

    expect(locationOf(result)).toBe("/account/password?done=password-changed");
    expect(await sessionCount(user)).toBe(1);
    expect(await openHome(db.app, cookie)).toMatchObject({ email: user.email });
    expect(await events(partnership.id, "auth.password_changed")).toEqual([
      expect.objectContaining({ outcome: "allowed", details: { otherSessionsEnded: 2 } }),
    ]);
    await expect(passwordCookie(db.app, user.email)).rejects.toThrow(/could not sign in/);
    expect((await passwordCookie(db.app, user.email, newPassword)).location).toMatch(
      /^\/sign-in\/second-factor/,
    );
  });

  it("refuses a commonly used password through a set-password link too", async () => {
    const { agency, user: admin } = await createWorld(db.owner, "administrator");
    const person = await createUser(db.owner, agency, { password: null });
    const { token } = await auditedTransaction(db.app, async (trx) => {
      await setTenant(trx, person.partnership_id);
      await setLocal(trx, "app.user_id", admin.id);
      return issueSetPasswordLink(
        trx,
        { id: person.id, partnershipId: person.partnership_id },
        admin.id,
      );
    });

    const result = await settle(() =>
      setPasswordPage.action({
        request: formRequest(`/set-password/${token}`, {
          password: "PASSWORD1234",
          confirm: "PASSWORD1234",
        }),
        params: { token },
        context: loadContext(db.app),
      }),
    );

    expect(statusOf(result)).toBe(400);
    expect(errorsOf(result)).toEqual([{ field: "password", message: PASSWORD_MESSAGES.common }]);
  });
});
