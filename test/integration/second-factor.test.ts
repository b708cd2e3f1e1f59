import { describe, expect, it } from "vitest";
import { loader as auditExportLoader } from "../../app/routes/audit.export";
import { loader as recoveryCodesLoader } from "../../app/routes/account.recovery-codes";
import { action as newUserAction } from "../../app/routes/admin.users.new";
import { action as enrolAction, loader as enrolLoader } from "../../app/routes/sign-in_.enrol";
import { action as secondFactorAction } from "../../app/routes/sign-in_.second-factor";
import { action as stepUpAction, loader as stepUpLoader } from "../../app/routes/step-up";
import { SECOND_FACTOR_THROTTLE_RULES } from "../../app/auth/throttle.server";
import { useTestDatabase } from "../support/database";
import { createUser, createWorld } from "../support/factories";
import { cookieFrom, formRequest, getRequest, loadContext, settle } from "../support/remix";
import { openHome, passwordCookie, signInCookie } from "../support/session";
import { currentTotpStep, freshTotpCode, TEST_TOTP_KEY, totpCodeAt } from "../support/totp";

const db = useTestDatabase();

async function events(partnershipId: string, prefix = "auth.") {
  const rows = await db.superuser
    .selectFrom("audit_events")
    .select(["action", "outcome", "reason", "details"])
    .where("partnership_id", "=", partnershipId)
    .where("action", "like", `${prefix}%`)
    .orderBy("occurred_at")
    .execute();
  return rows;
}

async function lastUsedStep(userId: string): Promise<number | null> {
  const row = await db.superuser
    .selectFrom("totp_authenticators")
    .select("last_used_step")
    .where("user_id", "=", userId)
    .executeTakeFirst();
  return row?.last_used_step == null ? null : Number(row.last_used_step);
}

function giveCode(cookie: string, code: string, method = "totp", returnTo = "") {
  return settle(() =>
    secondFactorAction({
      request: formRequest("/sign-in/second-factor", { method, code, returnTo }, cookie),
      params: {},
      context: loadContext(db.app),
    }),
  );
}

/** A data() reply's status and payload, as Remix's data() returns them to a test. */
function reply(result: unknown): { status: number; data: Record<string, unknown> } {
  const value = result as { init?: { status?: number }; data?: Record<string, unknown> };
  return { status: value.init?.status ?? 200, data: value.data ?? (result as never) };
}

describe("the second factor at sign-in", () => {
  it("is asked for after the password: the half session opens no page", async () => {
    const { user } = await createWorld(db.owner);
    const half = await passwordCookie(db.app, user.email);
    expect(half.location).toBe("/sign-in/second-factor");
    const home = (await openHome(db.app, half.cookie)) as Response;
    expect(home.status).toBe(302);
    expect(home.headers.get("Location")).toBe("/sign-in/second-factor");
  });

  it("finishes signing in with the app's code, under a new session id", async () => {
    const { partnership, user } = await createWorld(db.owner);
    const half = await passwordCookie(db.app, user.email);
    const { code } = await freshTotpCode(TEST_TOTP_KEY, null);
    const done = (await giveCode(half.cookie, code)) as Response;
    expect(done.status).toBe(302);
    expect(done.headers.get("Location")).toBe("/home");
    const whole = cookieFrom(done.headers.get("Set-Cookie"));
    expect(whole).not.toBe(half.cookie);
    expect(await openHome(db.app, whole)).not.toBeInstanceOf(Response);
    // The half session's cookie opens nothing afterwards.
    expect(((await openHome(db.app, half.cookie)) as Response).headers.get("Location")).toBe(
      "/sign-in?returnTo=%2Fhome",
    );
    expect((await events(partnership.id)).map((event) => event.action)).toEqual([
      "auth.password_accepted",
      "auth.sign_in",
    ]);
  });

  it("refuses a code already used, even for a new sign-in within its 30 seconds", async () => {
    const { partnership, user } = await createWorld(db.owner);
    const first = await passwordCookie(db.app, user.email);
    const { code } = await freshTotpCode(TEST_TOTP_KEY, null);
    expect(((await giveCode(first.cookie, code)) as Response).status).toBe(302);

    const second = await passwordCookie(db.app, user.email);
    const refused = reply(await giveCode(second.cookie, code));
    expect(refused.status).toBe(401);
    expect(JSON.stringify(refused.data)).toContain("That code has already been used");
    const logged = await events(partnership.id, "auth.second_factor");
    expect(logged).toEqual([
      expect.objectContaining({
        outcome: "refused",
        reason: "A code that was already used was given again",
      }),
    ]);
  });

  it("pauses after six wrong codes, so even the right code then waits", async () => {
    const { partnership, user } = await createWorld(db.owner);
    const half = await passwordCookie(db.app, user.email);
    const right = totpCodeAt(TEST_TOTP_KEY, currentTotpStep());
    const wrong = right === "000000" ? "111111" : "000000";
    const statuses: number[] = [];
    for (let i = 0; i <= SECOND_FACTOR_THROTTLE_RULES.account.free; i += 1) {
      statuses.push(reply(await giveCode(half.cookie, wrong)).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
    const paused = reply(await giveCode(half.cookie, right));
    expect(paused.status).toBe(429);
    expect(JSON.stringify(paused.data)).toContain("Too many wrong codes");
    expect(await lastUsedStep(user.id)).toBeNull();
    const refusals = (await events(partnership.id, "auth.second_factor")).map((e) => e.reason);
    expect(refusals).toEqual([
      ...Array<string>(6).fill("Wrong authenticator code"),
      "Too many wrong codes: attempts paused",
    ]);
  });
});

describe("setting up an authenticator app", () => {
  it("sends a person without one to set it up, then shows ten recovery codes once", async () => {
    const { partnership, agency } = await createWorld(db.owner);
    const person = await createUser(db.owner, agency, { secondFactor: false });
    const half = await passwordCookie(db.app, person.email);
    expect(half.location).toBe("/sign-in/enrol");

    const page = (await enrolLoader({
      request: getRequest("/sign-in/enrol", half.cookie),
      params: {},
      context: loadContext(db.app),
    })) as { keyText: string; qrSvg: string; accountName: string };
    expect(page.qrSvg).toMatch(/^<svg/);
    expect(page.keyText).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    expect(page.accountName).toBe(person.email);

    const wrong = reply(
      await settle(() =>
        enrolAction({
          request: formRequest("/sign-in/enrol", { code: "12345" }, half.cookie),
          params: {},
          context: loadContext(db.app),
        }),
      ),
    );
    expect(wrong.status).toBe(401);

    const { code } = await freshTotpCode(page.keyText, null);
    const done = (await settle(() =>
      enrolAction({
        request: formRequest("/sign-in/enrol", { code }, half.cookie),
        params: {},
        context: loadContext(db.app),
      }),
    )) as Response;
    expect(done.headers.get("Location")).toBe("/account/recovery-codes");
    const whole = cookieFrom(done.headers.get("Set-Cookie"));

    const openCodes = () =>
      recoveryCodesLoader({
        request: getRequest("/account/recovery-codes", whole),
        params: {},
        context: loadContext(db.app),
      }) as unknown as Promise<{ data: { view: { shown: string; codes?: string[] } } }>;
    const first = (await openCodes()).data.view;
    expect(first.shown).toBe("new");
    expect(new Set(first.codes).size).toBe(10);
    // Shown once: the next visit only counts them.
    expect((await openCodes()).data.view).toEqual({ shown: "count", left: 10, total: 10 });
    const stored = await db.superuser
      .selectFrom("recovery_codes")
      .select("code_hash")
      .where("user_id", "=", person.id)
      .execute();
    expect(stored.every((row) => row.code_hash.startsWith("$argon2id$"))).toBe(true);
    expect(stored.some((row) => first.codes?.some((code) => row.code_hash.includes(code)))).toBe(
      false,
    );
    // Events of one transaction share its time: compared as a set of outcomes.
    const logged = (await events(partnership.id)).map((e) => `${e.action}:${e.outcome}`);
    expect(logged.sort()).toEqual(
      [
        "auth.password_accepted:allowed",
        "auth.second_factor_enrolled:refused",
        "auth.second_factor_enrolled:allowed",
        "auth.sign_in:allowed",
        "auth.recovery_codes_issued:allowed",
      ].sort(),
    );

    // A recovery code signs the person in once, and never again.
    const recovery = first.codes?.[0] ?? "";
    const again = await passwordCookie(db.app, person.email);
    const used = (await giveCode(
      again.cookie,
      recovery.toUpperCase(),
      "recovery_code",
    )) as Response;
    expect(used.headers.get("Location")).toBe("/home?recoveryCodesLeft=9");
    const once_more = await passwordCookie(db.app, person.email);
    expect(reply(await giveCode(once_more.cookie, recovery, "recovery_code")).status).toBe(401);
  });
});

describe("step-up before a sensitive step", () => {
  const noWindow = { sessions: { ...loadContext(db.app).sessions, stepUpWindowMs: 0 } };

  it("with a window of 0, asks for a code before the auditor's CSV, then downloads it once", async () => {
    const { partnership, user } = await createWorld(db.owner, "auditor");
    const cookie = await signInCookie(db.app, user.email);
    const exportPath = "/audit/export?outcome=refused";
    const download = () =>
      settle(() =>
        auditExportLoader({
          request: getRequest(exportPath, cookie),
          params: {},
          context: loadContext(db.app, noWindow),
        }),
      ) as Promise<Response>;

    const asked = await download();
    expect(asked.status).toBe(302);
    const stepUp = asked.headers.get("Location") ?? "";
    expect(stepUp).toMatch(/^\/step-up\?held=[0-9a-f-]{36}$/);
    const held = new URL(stepUp, "http://crosswalk.test").searchParams.get("held") ?? "";
    const page = await stepUpLoader({
      request: getRequest(stepUp, cookie),
      params: {},
      context: loadContext(db.app, noWindow),
    });
    expect(page).toMatchObject({ held, method: "totp" });

    const { code } = await freshTotpCode(TEST_TOTP_KEY, await lastUsedStep(user.id));
    const confirmed = (await settle(() =>
      stepUpAction({
        request: formRequest("/step-up", { method: "totp", code, held }, cookie),
        params: {},
        context: loadContext(db.app, noWindow),
      }),
    )) as Response;
    expect(confirmed.headers.get("Location")).toBe(exportPath);

    const csv = await download();
    expect(csv.status).toBe(200);
    expect(csv.headers.get("Content-Type")).toMatch(/text\/csv/);
    // The code let that one download through; the next asks again.
    expect((await download()).headers.get("Location")).toMatch(/^\/step-up\?held=/);
    expect(
      (await events(partnership.id, "auth.step_up")).map((e) => `${e.action}:${e.outcome}`),
    ).toEqual(["auth.step_up:allowed"]);
  });

  it("holds a form sent without a fresh code and gives it back, as typed, after the code", async () => {
    const { agency, user } = await createWorld(db.owner, "administrator");
    const cookie = await signInCookie(db.app, user.email);
    const fields = {
      displayName: "Ada Newcomer",
      email: "ada.newcomer@example.test",
      agencyId: agency.id,
      role: "practitioner",
    };
    const sent = (await settle(() =>
      newUserAction({
        request: formRequest("/admin/users/new", fields, cookie),
        params: {},
        context: loadContext(db.app, noWindow),
      }),
    )) as Response;
    const stepUp = sent.headers.get("Location") ?? "";
    expect(stepUp).toMatch(/^\/step-up\?held=/);
    // Nothing was done yet.
    const before = await db.superuser
      .selectFrom("users")
      .select("id")
      .where("email", "=", fields.email)
      .execute();
    expect(before).toEqual([]);

    const held = new URL(stepUp, "http://crosswalk.test").searchParams.get("held") ?? "";
    const wrong = reply(
      await settle(() =>
        stepUpAction({
          request: formRequest("/step-up", { method: "totp", code: "000000", held }, cookie),
          params: {},
          context: loadContext(db.app, noWindow),
        }),
      ),
    );
    expect(wrong.status).toBe(401);

    const { code } = await freshTotpCode(TEST_TOTP_KEY, await lastUsedStep(user.id));
    const confirmed = await stepUpAction({
      request: formRequest("/step-up", { method: "totp", code, held }, cookie),
      params: {},
      context: loadContext(db.app, noWindow),
    });
    expect(confirmed).toEqual({
      resend: { path: "/admin/users/new", fields: Object.entries(fields) },
    });
    // Handed back once: the same hold cannot be released again.
    const page = await stepUpLoader({
      request: getRequest(stepUp, cookie),
      params: {},
      context: loadContext(db.app, noWindow),
    });
    expect(page).toMatchObject({ held: null });
  });

  it("is not asked again within the window after signing in", async () => {
    const { user } = await createWorld(db.owner, "auditor");
    const cookie = await signInCookie(db.app, user.email);
    const csv = (await settle(() =>
      auditExportLoader({
        request: getRequest("/audit/export", cookie),
        params: {},
        context: loadContext(db.app),
      }),
    )) as Response;
    expect(csv.status).toBe(200);
  });
});
