import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { setTenant } from "../../db/tenant";
import { action as signInAction } from "../../app/routes/sign-in";
import { action as signOutAction } from "../../app/routes/sign-out";
import { useTestDatabase } from "../support/database";
import { createAgency, createUser, createWorld, TEST_PASSWORD } from "../support/factories";
import { formRequest, loadContext, settle } from "../support/remix";
import { openHome, signInCookie } from "../support/session";

const db = useTestDatabase();

interface FormReply {
  data: { email: string; errors: { field: string; message: string }[] };
  init: { status: number };
}

async function submitSignIn(
  email: string,
  password: string,
  address = "192.0.2.10",
  secure = false,
) {
  const context = loadContext(db.app, { clientAddress: address, secure });
  return settle(() =>
    signInAction({ request: formRequest("/sign-in", { email, password }), params: {}, context }),
  );
}

const signedInCookie = (email: string) => signInCookie(db.app, email);

async function auditEvents(partnershipId: string | null) {
  const events = await db.superuser
    .selectFrom("audit_events")
    .selectAll()
    .where((eb) =>
      partnershipId ? eb("partnership_id", "=", partnershipId) : eb("partnership_id", "is", null),
    )
    .orderBy("occurred_at")
    .execute();
  return events;
}

describe("signing in", () => {
  it("starts a half session and sends the person to give their second factor, with an HttpOnly, SameSite=Lax cookie", async () => {
    const { user } = await createWorld(db.owner);
    const result = await submitSignIn(user.email, TEST_PASSWORD);
    expect(result).toBeInstanceOf(Response);
    const response = result as Response;
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/sign-in/second-factor");
    const setCookie = response.headers.get("Set-Cookie") ?? "";
    expect(setCookie).toMatch(/^crosswalk_session=/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    // A browser-session cookie: closing the browser forgets it.
    expect(setCookie).not.toMatch(/Max-Age|Expires/i);
  });

  it("uses a __Host- prefixed Secure cookie when served over HTTPS", async () => {
    const { user } = await createWorld(db.owner);
    const response = (await submitSignIn(
      user.email,
      TEST_PASSWORD,
      "192.0.2.11",
      true,
    )) as Response;
    const setCookie = response.headers.get("Set-Cookie") ?? "";
    expect(setCookie).toMatch(/^__Host-crosswalk_session=/);
    expect(setCookie).toMatch(/; Secure/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Domain=/i);
  });

  it("stores only a SHA-256 of the session id, never the id itself", async () => {
    const { user } = await createWorld(db.owner);
    const sessionId = (await signedInCookie(user.email)).split("=")[1] ?? "";
    const stored = await db.superuser
      .selectFrom("sessions")
      .select("id_hash")
      .where("user_id", "=", user.id)
      .execute();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.id_hash).toBe(createHash("sha256").update(sessionId).digest("hex"));
    expect(stored[0]?.id_hash).not.toContain(sessionId);
  });

  it("gives a new session id at every sign-in", async () => {
    const { user } = await createWorld(db.owner);
    const first = await signInCookie(db.app, user.email, undefined, undefined, { fresh: true });
    const second = await signInCookie(db.app, user.email, undefined, undefined, { fresh: true });
    expect(first).not.toBe(second);
  });

  it("records the sign-in in the access log with the person, agency and role", async () => {
    const { partnership, agency, user } = await createWorld(db.owner, "agency_lead");
    await signedInCookie(user.email);
    const events = await auditEvents(partnership.id);
    // The password, then the second factor that completes the sign-in.
    expect(events.map((event) => event.action)).toEqual(["auth.password_accepted", "auth.sign_in"]);
    expect(events[1]).toMatchObject({
      action: "auth.sign_in",
      outcome: "allowed",
      actor_user_id: user.id,
      actor_agency_id: agency.id,
      actor_role: "agency_lead",
      record_type: "user",
      record_id: user.id,
      client_address: "192.0.2.10",
    });
    expect(events[1]?.details).toEqual({ method: "totp" });
    expect(events[1]?.request_id).toBeTruthy();
  });

  it("treats the email without regard to case or surrounding spaces", async () => {
    const { user } = await createWorld(db.owner);
    const result = await submitSignIn(`  ${user.email.toUpperCase()} `, TEST_PASSWORD);
    expect(result).toBeInstanceOf(Response);
  });
});

describe("a failed sign-in", () => {
  it("re-displays the form with an error and the email kept, never the password", async () => {
    const { user } = await createWorld(db.owner);
    const reply = (await submitSignIn(user.email, "not the password")) as FormReply;
    expect(reply.init.status).toBe(401);
    expect(reply.data.email).toBe(user.email);
    expect(reply.data.errors).toEqual([
      { field: "email", message: "Enter a correct email address and password" },
    ]);
    expect(JSON.stringify(reply)).not.toContain("not the password");
  });

  it("says the same for an unknown email as for a wrong password", async () => {
    const { user } = await createWorld(db.owner);
    const wrongPassword = (await submitSignIn(user.email, "nope")) as FormReply;
    const unknownEmail = (await submitSignIn("nobody@nowhere.test", "nope")) as FormReply;
    expect(unknownEmail.init.status).toBe(wrongPassword.init.status);
    expect(unknownEmail.data.errors).toEqual(wrongPassword.data.errors);
  });

  it("asks for both fields when they are empty", async () => {
    const reply = (await submitSignIn("", "")) as FormReply;
    expect(reply.init.status).toBe(400);
    expect(reply.data.errors).toEqual([
      { field: "email", message: "Enter your email address" },
      { field: "password", message: "Enter your password" },
    ]);
  });

  it("is recorded against the account, without the password or the email typed", async () => {
    const { partnership, user } = await createWorld(db.owner);
    await submitSignIn(user.email, "guess-one");
    const [event] = await auditEvents(partnership.id);
    expect(event).toMatchObject({
      action: "auth.sign_in",
      outcome: "refused",
      record_id: user.id,
      actor_user_id: null,
    });
    expect(JSON.stringify(event)).not.toContain("guess-one");
  });

  it("for an unknown email is recorded outside every partnership, without the email", async () => {
    const before = (await auditEvents(null)).length;
    await submitSignIn("stranger@nowhere.test", "guess");
    const events = await auditEvents(null);
    expect(events).toHaveLength(before + 1);
    expect(JSON.stringify(events.at(-1))).not.toContain("stranger@nowhere.test");
  });

  it("tells a deactivated person with the right password that their account is deactivated", async () => {
    const partnership = await createWorld(db.owner);
    const user = await createUser(db.owner, partnership.agency, { isActive: false });
    const reply = (await submitSignIn(user.email, TEST_PASSWORD)) as FormReply;
    expect(reply.data.errors[0]?.message).toMatch(/deactivated/);
  });

  it("does not sign in someone whose password has not been set yet", async () => {
    const { agency } = await createWorld(db.owner);
    const user = await createUser(db.owner, agency, { password: null });
    const reply = (await submitSignIn(user.email, "")) as FormReply;
    expect(reply.init.status).toBe(400);
    const second = (await submitSignIn(user.email, "anything")) as FormReply;
    expect(second.init.status).toBe(401);
  });
});

describe("sessions", () => {
  it("let a signed-in person reach pages behind sign-in", async () => {
    const { user } = await createWorld(db.owner);
    const cookie = await signedInCookie(user.email);
    const home = await openHome(db.app, cookie);
    expect(home).toMatchObject({ displayName: user.display_name, email: user.email });
  });

  it("send a visitor without a session to sign-in, remembering where they were going", async () => {
    const result = await openHome(db.app);
    expect(result).toBeInstanceOf(Response);
    expect((result as Response).headers.get("Location")).toBe("/sign-in?returnTo=%2Fhome");
  });

  it("end at once when the person is deactivated", async () => {
    const { user } = await createWorld(db.owner);
    const cookie = await signedInCookie(user.email);
    await db.owner.transaction().execute(async (trx) => {
      await setTenant(trx, user.partnership_id);
      await trx.updateTable("users").set({ is_active: false }).where("id", "=", user.id).execute();
    });
    const result = await openHome(db.app, cookie);
    expect((result as Response).status).toBe(302);
    const remaining = await db.superuser
      .selectFrom("sessions")
      .select("id_hash")
      .where("user_id", "=", user.id)
      .execute();
    expect(remaining).toHaveLength(0);
  });

  it("take a change of role or agency on the next request", async () => {
    const { partnership, user } = await createWorld(db.owner, "practitioner");
    const cookie = await signedInCookie(user.email);
    const otherAgency = await createAgency(db.owner, partnership.id, { name: "Moved-to agency" });
    await db.owner.transaction().execute(async (trx) => {
      await setTenant(trx, partnership.id);
      await trx
        .updateTable("users")
        .set({ role: "agency_lead", agency_id: otherAgency.id })
        .where("id", "=", user.id)
        .execute();
    });
    const home = await openHome(db.app, cookie);
    expect(home).toMatchObject({ roleLabel: "Agency lead", agencyName: "Moved-to agency" });
  });

  it("expire after the idle timeout", async () => {
    const { user } = await createWorld(db.owner);
    const cookie = await signedInCookie(user.email);
    await db.superuser
      .updateTable("sessions")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("user_id", "=", user.id)
      .execute();
    const result = await openHome(db.app, cookie);
    expect((result as Response).status).toBe(302);
  });

  it("slide the idle timeout forward while the person is active", async () => {
    const { user } = await createWorld(db.owner);
    const cookie = await signedInCookie(user.email);
    const soon = new Date(Date.now() + 10 * 60_000);
    await db.superuser
      .updateTable("sessions")
      .set({ expires_at: soon })
      .where("user_id", "=", user.id)
      .execute();
    await openHome(db.app, cookie);
    const session = await db.superuser
      .selectFrom("sessions")
      .select("expires_at")
      .where("user_id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(session.expires_at.getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);
  });

  it("end at the absolute lifetime however active the person is", async () => {
    const { user } = await createWorld(db.owner);
    const cookie = await signedInCookie(user.email);
    await db.superuser
      .updateTable("sessions")
      .set({ created_at: new Date(Date.now() - 12 * 3_600_000 - 1000) } as never)
      .where("user_id", "=", user.id)
      .execute();
    const result = await openHome(db.app, cookie);
    expect((result as Response).status).toBe(302);
    const remaining = await db.superuser
      .selectFrom("sessions")
      .select("id_hash")
      .where("user_id", "=", user.id)
      .execute();
    expect(remaining).toHaveLength(0);
  });

  it("end on the server at sign-out, which is recorded", async () => {
    const { partnership, user } = await createWorld(db.owner);
    const cookie = await signedInCookie(user.email);
    const response = (await settle(() =>
      signOutAction({
        request: formRequest("/sign-out", {}, cookie),
        params: {},
        context: loadContext(db.app),
      }),
    )) as Response;
    expect(response.headers.get("Location")).toBe("/signed-out");
    expect(response.headers.get("Set-Cookie")).toMatch(/crosswalk_session=;/);
    const remaining = await db.superuser
      .selectFrom("sessions")
      .select("id_hash")
      .where("user_id", "=", user.id)
      .execute();
    expect(remaining).toHaveLength(0);
    const actions = (await auditEvents(partnership.id)).map(
      (event) => `${event.action}:${event.outcome}`,
    );
    expect(actions).toEqual([
      "auth.password_accepted:allowed",
      "auth.sign_in:allowed",
      "auth.sign_out:allowed",
    ]);
    // The old cookie no longer works.
    const after = await openHome(db.app, cookie);
    expect((after as Response).status).toBe(302);
  });

  it("are not accepted from a cookie that was never issued", async () => {
    const result = await openHome(db.app, "crosswalk_session=forgedforgedforgedforgedforged");
    expect((result as Response).status).toBe(302);
  });
});

describe("returning after sign-in", () => {
  it("goes to the page the person was sent from, but never off-site", async () => {
    const { user } = await createWorld(db.owner);
    const context = loadContext(db.app);
    const local = (await settle(() =>
      signInAction({
        request: formRequest("/sign-in", {
          email: user.email,
          password: TEST_PASSWORD,
          returnTo: "/home",
        }),
        params: {},
        context,
      }),
    )) as Response;
    // The second factor comes first, and passes the path on.
    expect(local.headers.get("Location")).toBe("/sign-in/second-factor");
    const cases = (await settle(() =>
      signInAction({
        request: formRequest("/sign-in", {
          email: user.email,
          password: TEST_PASSWORD,
          returnTo: "/cases?tab=mine",
        }),
        params: {},
        context: loadContext(db.app),
      }),
    )) as Response;
    expect(cases.headers.get("Location")).toBe(
      `/sign-in/second-factor?returnTo=${encodeURIComponent("/cases?tab=mine")}`,
    );
    for (const returnTo of ["//evil.example/", "https://evil.example/", "/\\evil.example"]) {
      const offSite = (await settle(() =>
        signInAction({
          request: formRequest("/sign-in", {
            email: user.email,
            password: TEST_PASSWORD,
            returnTo,
          }),
          params: {},
          context: loadContext(db.app),
        }),
      )) as Response;
      expect(offSite.headers.get("Location")).toBe("/sign-in/second-factor");
    }
  });
});
