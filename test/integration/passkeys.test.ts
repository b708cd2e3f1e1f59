import type { PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { describe, expect, it } from "vitest";
import {
  passkeyAuthenticationOptions,
  passkeyRegistrationOptions,
  registerPasskey,
  relyingPartyOf,
  removePasskey,
  verifyPasskeySignIn,
  verifyPasskeyStepUp,
} from "../../app/auth/passkeys.server";
import type { PendingSignIn, StepUpSession } from "../../app/auth/second-factor.server";
import { requirePendingSignIn, requireStepUpSession } from "../../app/auth/session.server";
import { action as removeAction } from "../../app/routes/account.passkeys";
import { action as authenticationOptionsAction } from "../../app/routes/passkeys.authentication-options";
import { action as registerAction } from "../../app/routes/passkeys.register";
import { action as registrationOptionsAction } from "../../app/routes/passkeys.registration-options";
import { action as secondFactorAction } from "../../app/routes/sign-in_.second-factor";
import { AccessRefused } from "../../app/services/errors";
import { setLocal, setTenant } from "../../db/tenant";
import type { User } from "../../db/types";
import { TEST_META } from "../support/audit";
import { useTestDatabase } from "../support/database";
import { contextFor, createAgency, createPartnership, createUser } from "../support/factories";
import {
  cookieFrom,
  formRequest,
  getRequest,
  loadContext,
  settle,
  statusOf,
} from "../support/remix";
import { openHome, passwordCookie, signInCookie } from "../support/session";
import { SoftwareAuthenticator } from "../support/software-authenticator";

const db = useTestDatabase();

// loadContext's PUBLIC_URL: the site the passkeys are made for.
const SITE = { origin: "http://crosswalk.test", rpId: "crosswalk.test" };
const RELYING_PARTY = relyingPartyOf(SITE.origin);
const SETTINGS = { idleTimeoutMs: 30 * 60_000, secure: false, userAgent: "test" };

/** A POST as the page's script sends it: a form, or (to test refusals) a raw body of another type. */
function endpointRequest(path: string, body: Record<string, string> | string, cookie?: string) {
  if (typeof body !== "string") return formRequest(path, body, cookie);
  return new Request(`${SITE.origin}${path}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "Sec-Fetch-Site": "same-origin",
      ...(cookie ? { Cookie: cookie } : {}),
    },
    body,
  });
}

type Route = (args: { request: Request; params: object; context: never }) => unknown;

/** Call a passkey endpoint's action: its status, redirect and JSON answer. */
async function callEndpoint(
  route: Route,
  path: string,
  body: Record<string, string> | string,
  cookie?: string,
) {
  const result = await settle(() =>
    route({
      request: endpointRequest(path, body, cookie),
      params: {},
      context: loadContext(db.app) as never,
    }),
  );
  if (!(result instanceof Response))
    return { status: statusOf(result), location: null, body: null };
  const text = await result.text();
  return {
    status: result.status,
    location: result.headers.get("Location"),
    body: (text ? JSON.parse(text) : null) as Record<string, unknown> | null,
  };
}

const sessionIdOf = (cookie: string) => cookie.slice(cookie.indexOf("=") + 1);

async function person(role: User["role"] = "practitioner") {
  const partnership = await createPartnership(db.owner);
  const agency = await createAgency(db.owner, partnership.id);
  return createUser(db.owner, agency, { role });
}

/** A signed-in person (password and code), their session, and an authenticator holding a passkey of theirs. */
async function withPasskey(options: { startCounter?: number } = {}) {
  const user = await person();
  const cookie = await signInCookie(db.app, user.email);
  const sessionId = sessionIdOf(cookie);
  const ctx = contextFor(db.app, user);
  const authenticator = new SoftwareAuthenticator(SITE, options.startCounter ?? 0);
  const creation = await passkeyRegistrationOptions(ctx, {
    sessionId,
    relyingParty: RELYING_PARTY,
  });
  const added = await registerPasskey(ctx, {
    sessionId,
    relyingParty: RELYING_PARTY,
    name: "Work laptop",
    response: authenticator.create(creation),
  });
  if (!added.ok) throw new Error(`passkey refused: ${added.problem}`);
  return { user, cookie, sessionId, ctx, authenticator, passkeyId: added.passkey.id };
}

/** A new half sign-in (the password given) for the person: its cookie and who it is. */
async function halfSignIn(user: User): Promise<{ cookie: string; pending: PendingSignIn }> {
  const { cookie } = await passwordCookie(db.app, user.email);
  const pending = await requirePendingSignIn(
    getRequest("/sign-in/second-factor", cookie),
    loadContext(db.app),
  );
  return { cookie, pending };
}

async function signInOptions(pending: PendingSignIn, now = new Date()) {
  const result = await passkeyAuthenticationOptions(
    db.app,
    TEST_META,
    pending,
    { relyingParty: RELYING_PARTY },
    now,
  );
  if (!result.ok) throw new Error(`no options: ${result.problem}`);
  return result.options;
}

async function stepUpSession(cookie: string): Promise<StepUpSession> {
  return (await requireStepUpSession(getRequest("/step-up", cookie), loadContext(db.app))).session;
}

async function eventsOf(userId: string, action: string) {
  return db.superuser
    .selectFrom("audit_events")
    .select(["action", "outcome", "reason", "details", "actor_user_id"])
    .where("actor_user_id", "=", userId)
    .where("action", "=", action)
    .orderBy("entry_seq")
    .execute();
}

async function passkeyRow(passkeyId: string) {
  return db.superuser
    .selectFrom("passkeys")
    .select(["sign_count", "last_used_at", "user_id", "name"])
    .where("id", "=", passkeyId)
    .executeTakeFirst();
}

describe("adding a passkey", () => {
  it("adds a passkey through the page's endpoints, bound to this site, and records it once", async () => {
    const user = await person();
    const cookie = await signInCookie(db.app, user.email);
    const authenticator = new SoftwareAuthenticator(SITE);

    const options = await callEndpoint(
      registrationOptionsAction as Route,
      "/passkeys/registration-options",
      {},
      cookie,
    );
    expect(options.status).toBe(200);
    const creation = options.body?.options as Parameters<SoftwareAuthenticator["create"]>[0];
    expect(creation.rp.id).toBe("crosswalk.test");
    expect(creation.authenticatorSelection?.userVerification).toBe("required");
    expect(creation.user.name).toBe(user.email);

    const added = await callEndpoint(
      registerAction as Route,
      "/passkeys/register",
      { name: "  Work laptop ", credential: JSON.stringify(authenticator.create(creation)) },
      cookie,
    );
    expect(added.status).toBe(200);
    const passkey = added.body?.passkey as { id: string; name: string };
    expect(passkey.name).toBe("Work laptop");
    expect(await passkeyRow(passkey.id)).toMatchObject({ user_id: user.id, name: "Work laptop" });

    const events = await eventsOf(user.id, "auth.passkey_added");
    expect(events).toEqual([
      expect.objectContaining({
        outcome: "allowed",
        details: { method: "passkey", passkeyId: passkey.id },
      }),
    ]);
  });

  it("excludes the passkeys a person already has from the next registration", async () => {
    const { ctx, sessionId, authenticator } = await withPasskey();
    const creation = await passkeyRegistrationOptions(ctx, {
      sessionId,
      relyingParty: RELYING_PARTY,
    });
    expect(creation.excludeCredentials?.map((entry) => entry.id)).toEqual(
      authenticator.credentialIds,
    );
  });

  it("refuses a registration answered twice, or from another site, and records each refusal", async () => {
    const user = await person();
    const cookie = await signInCookie(db.app, user.email);
    const sessionId = sessionIdOf(cookie);
    const ctx = contextFor(db.app, user);
    const authenticator = new SoftwareAuthenticator(SITE);
    const register = (response: ReturnType<SoftwareAuthenticator["create"]>) =>
      registerPasskey(ctx, { sessionId, relyingParty: RELYING_PARTY, name: "Phone", response });

    const elsewhere = await passkeyRegistrationOptions(ctx, {
      sessionId,
      relyingParty: RELYING_PARTY,
    });
    expect(
      await register(authenticator.create(elsewhere, { origin: "https://evil.example" })),
    ).toEqual({
      ok: false,
      problem: "invalid",
    });
    const creation = await passkeyRegistrationOptions(ctx, {
      sessionId,
      relyingParty: RELYING_PARTY,
    });
    const response = authenticator.create(creation);
    expect((await register(response)).ok).toBe(true);
    expect(await register(response)).toEqual({ ok: false, problem: "expired" });

    const events = await eventsOf(user.id, "auth.passkey_added");
    expect(events.map((event) => event.outcome)).toEqual(["refused", "allowed", "refused"]);
  });

  it("answers a body that is not a form, or not a passkey, with a 400 and sends a visitor with no session to sign in", async () => {
    const user = await person();
    const cookie = await signInCookie(db.app, user.email);
    expect(
      (await callEndpoint(registerAction as Route, "/passkeys/register", "not json", cookie))
        .status,
    ).toBe(400);
    const notAPasskey = await callEndpoint(
      registerAction as Route,
      "/passkeys/register",
      { name: "Phone", credential: JSON.stringify({ id: "x" }) },
      cookie,
    );
    expect(notAPasskey).toMatchObject({ status: 400, body: { problem: "invalid" } });
    const noName = await callEndpoint(
      registerAction as Route,
      "/passkeys/register",
      { name: " ", credential: "{}" },
      cookie,
    );
    expect(noName.body).toMatchObject({ problem: "name" });
    const anonymous = await callEndpoint(
      registrationOptionsAction as Route,
      "/passkeys/registration-options",
      {},
    );
    expect(anonymous.status).toBe(302);
    expect(anonymous.location).toMatch(/^\/sign-in/);
    const badPurpose = await callEndpoint(
      authenticationOptionsAction as Route,
      "/passkeys/authentication-options",
      {
        purpose: "other",
      },
    );
    expect(badPurpose.status).toBe(400);
  });
});

describe("signing in with a passkey", () => {
  it("finishes a half sign-in through the second-factor page: a new session, and back where the person was going", async () => {
    const { user, authenticator, passkeyId } = await withPasskey();
    const half = await halfSignIn(user);

    const options = await callEndpoint(
      authenticationOptionsAction as Route,
      "/passkeys/authentication-options",
      { purpose: "sign-in" },
      half.cookie,
    );
    expect(options.status).toBe(200);
    const request = options.body?.options as PublicKeyCredentialRequestOptionsJSON;
    expect(request.allowCredentials?.map((entry) => entry.id)).toEqual(authenticator.credentialIds);
    expect(request.userVerification).toBe("required");

    const credential = JSON.stringify(authenticator.get(request));
    const result = await settle(() =>
      secondFactorAction({
        request: formRequest(
          "/sign-in/second-factor",
          { method: "passkey", credential, returnTo: "/cases" },
          half.cookie,
        ),
        params: {},
        context: loadContext(db.app),
      }),
    );
    expect(result).toBeInstanceOf(Response);
    const response = result as Response;
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/cases");
    const whole = cookieFrom(response.headers.get("Set-Cookie"));
    expect(whole).not.toBe(half.cookie);
    expect(await openHome(db.app, whole)).not.toBeInstanceOf(Response);
    // The half session's id is not promoted: it opens nothing.
    expect(await openHome(db.app, half.cookie)).toBeInstanceOf(Response);

    expect((await passkeyRow(passkeyId))?.last_used_at).toBeInstanceOf(Date);
    const signIns = await eventsOf(user.id, "auth.sign_in");
    expect(signIns.at(-1)).toMatchObject({
      outcome: "allowed",
      details: { method: "passkey", passkeyId },
    });
  });

  it("refuses an answer given again: each challenge is used once", async () => {
    const { user, authenticator } = await withPasskey();
    const first = await halfSignIn(user);
    const answer = authenticator.get(await signInOptions(first.pending));
    const input = { relyingParty: RELYING_PARTY, response: answer };
    expect((await verifyPasskeySignIn(db.app, TEST_META, SETTINGS, first.pending, input)).ok).toBe(
      true,
    );

    const second = await halfSignIn(user);
    await signInOptions(second.pending);
    expect(await verifyPasskeySignIn(db.app, TEST_META, SETTINGS, second.pending, input)).toEqual({
      ok: false,
      problem: "invalid",
    });
    const third = await halfSignIn(user);
    expect(await verifyPasskeySignIn(db.app, TEST_META, SETTINGS, third.pending, input)).toEqual({
      ok: false,
      problem: "expired",
    });
  });

  it("refuses an answer to a challenge more than five minutes old", async () => {
    const { user, authenticator } = await withPasskey();
    const { pending } = await halfSignIn(user);
    const issued = new Date();
    const answer = authenticator.get(await signInOptions(pending, issued));
    const later = new Date(issued.getTime() + 5 * 60_000 + 1000);
    const result = await verifyPasskeySignIn(
      db.app,
      TEST_META,
      SETTINGS,
      pending,
      { relyingParty: RELYING_PARTY, response: answer },
      later,
    );
    expect(result).toEqual({ ok: false, problem: "expired" });
  });

  it("refuses an answer made for another site, and records the failure as a passkey second factor refused", async () => {
    const { user, authenticator } = await withPasskey();
    const { pending } = await halfSignIn(user);
    const answer = authenticator.get(await signInOptions(pending), {
      origin: "https://crosswalk.evil.example",
    });
    const result = await verifyPasskeySignIn(db.app, TEST_META, SETTINGS, pending, {
      relyingParty: RELYING_PARTY,
      response: answer,
    });
    expect(result).toEqual({ ok: false, problem: "invalid" });
    const failures = await eventsOf(user.id, "auth.second_factor");
    expect(failures).toEqual([
      expect.objectContaining({
        outcome: "refused",
        details: expect.objectContaining({ method: "passkey" }) as unknown,
      }),
    ]);
  });

  it("refuses an answer without user verification", async () => {
    const { user, authenticator } = await withPasskey();
    const { pending } = await halfSignIn(user);
    const answer = authenticator.get(await signInOptions(pending), { unverified: true });
    const result = await verifyPasskeySignIn(db.app, TEST_META, SETTINGS, pending, {
      relyingParty: RELYING_PARTY,
      response: answer,
    });
    expect(result).toEqual({ ok: false, problem: "invalid" });
  });

  it("refuses a passkey whose signature counter went backwards (a copy of it exists)", async () => {
    const { user, authenticator, passkeyId } = await withPasskey({ startCounter: 10 });
    const first = await halfSignIn(user);
    const used = await verifyPasskeySignIn(db.app, TEST_META, SETTINGS, first.pending, {
      relyingParty: RELYING_PARTY,
      response: authenticator.get(await signInOptions(first.pending)),
    });
    expect(used.ok).toBe(true);
    expect((await passkeyRow(passkeyId))?.sign_count).toBe("11");

    const second = await halfSignIn(user);
    const copy = authenticator.get(await signInOptions(second.pending), { counter: 7 });
    const result = await verifyPasskeySignIn(db.app, TEST_META, SETTINGS, second.pending, {
      relyingParty: RELYING_PARTY,
      response: copy,
    });
    expect(result).toEqual({ ok: false, problem: "sign_count" });
    expect((await passkeyRow(passkeyId))?.sign_count).toBe("11");
    expect((await eventsOf(user.id, "auth.second_factor")).at(-1)).toMatchObject({
      outcome: "refused",
      details: { method: "passkey", passkeyId },
    });
  });

  it("refuses another person's passkey, even one that signs this session's challenge", async () => {
    const mine = await withPasskey();
    const theirs = await withPasskey();
    const { pending } = await halfSignIn(mine.user);
    const options = await signInOptions(pending);
    const answer = theirs.authenticator.get(options, {
      credentialId: theirs.authenticator.credentialIds[0],
    });
    const result = await verifyPasskeySignIn(db.app, TEST_META, SETTINGS, pending, {
      relyingParty: RELYING_PARTY,
      response: answer,
    });
    expect(result).toEqual({ ok: false, problem: "unknown_passkey" });
    expect(await eventsOf(theirs.user.id, "auth.second_factor")).toEqual([]);
  });

  it("counts failures against the second-factor throttle, and then pauses passkey attempts too", async () => {
    const { user, authenticator } = await withPasskey();
    const { pending } = await halfSignIn(user);
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const answer = authenticator.get(await signInOptions(pending), {
        origin: "https://evil.example",
      });
      await verifyPasskeySignIn(db.app, TEST_META, SETTINGS, pending, {
        relyingParty: RELYING_PARTY,
        response: answer,
      });
    }
    const paused = await passkeyAuthenticationOptions(db.app, TEST_META, pending, {
      relyingParty: RELYING_PARTY,
    });
    expect(paused).toMatchObject({ ok: false, problem: "throttled" });
    expect(await eventsOf(user.id, "auth.second_factor")).toHaveLength(6);
  });

  it("offers no passkey sign-in to a person with none", async () => {
    const user = await person();
    const { pending } = await halfSignIn(user);
    const result = await passkeyAuthenticationOptions(db.app, TEST_META, pending, {
      relyingParty: RELYING_PARTY,
    });
    expect(result).toEqual({ ok: false, problem: "no_passkeys" });
  });
});

describe("stepping up with a passkey", () => {
  it("makes the session fresh and records the step-up; the same answer again is refused", async () => {
    const { user, cookie, authenticator } = await withPasskey();
    const session = await stepUpSession(cookie);
    const options = await passkeyAuthenticationOptions(db.app, TEST_META, session, {
      relyingParty: RELYING_PARTY,
    });
    if (!options.ok) throw new Error(options.problem);
    const input = { relyingParty: RELYING_PARTY, response: authenticator.get(options.options) };
    expect(await verifyPasskeyStepUp(db.app, TEST_META, session, input)).toEqual({ ok: true });
    expect(await verifyPasskeyStepUp(db.app, TEST_META, session, input)).toEqual({
      ok: false,
      problem: "expired",
    });
    const events = await eventsOf(user.id, "auth.step_up");
    expect(
      events.map((event) => [event.outcome, (event.details as { method: string }).method]),
    ).toEqual([
      ["allowed", "passkey"],
      ["refused", "passkey"],
    ]);
  });
});

describe("removing a passkey", () => {
  it("asks for a fresh second factor before reading the removal", async () => {
    const { cookie, passkeyId } = await withPasskey();
    const result = await settle(() =>
      removeAction({
        request: formRequest("/account/passkeys", { passkey: passkeyId }, cookie),
        params: {},
        context: loadContext(db.app, {
          sessions: {
            idleTimeoutMs: 30 * 60_000,
            absoluteLifetimeMs: 12 * 3_600_000,
            stepUpWindowMs: 0,
          },
        }),
      }),
    );
    expect(statusOf(result)).toBe(302);
    expect((result as Response).headers.get("Location")).toMatch(/^\/step-up\?held=/);
    expect(await passkeyRow(passkeyId)).toBeDefined();
  });

  it("removes one of the person's passkeys and records it; another's is refused as not found", async () => {
    const { user, ctx, sessionId, authenticator, passkeyId } = await withPasskey();
    const other = await withPasskey();
    await expect(removePasskey(ctx, { passkeyId: other.passkeyId })).rejects.toBeInstanceOf(
      AccessRefused,
    );

    const creation = await passkeyRegistrationOptions(ctx, {
      sessionId,
      relyingParty: RELYING_PARTY,
    });
    await registerPasskey(ctx, {
      sessionId,
      relyingParty: RELYING_PARTY,
      name: "Phone",
      response: authenticator.create(creation),
    });
    expect(await removePasskey(ctx, { passkeyId })).toEqual({ ok: true });
    expect(await passkeyRow(passkeyId)).toBeUndefined();
    expect(await eventsOf(user.id, "auth.passkey_removed")).toEqual([
      expect.objectContaining({
        outcome: "refused",
        details: { method: "passkey", passkeyId: other.passkeyId },
      }),
      expect.objectContaining({ outcome: "allowed", details: { method: "passkey", passkeyId } }),
    ]);
    expect(await passkeyRow(other.passkeyId)).toBeDefined();
  });

  it("refuses removing the last second factor of a person with no authenticator app", async () => {
    const { user, ctx, passkeyId } = await withPasskey();
    await db.superuser.transaction().execute(async (trx) => {
      await setTenant(trx, user.partnership_id);
      await setLocal(trx, "app.user_id", user.id);
      await trx.deleteFrom("totp_authenticators").where("user_id", "=", user.id).execute();
    });
    expect(await removePasskey(ctx, { passkeyId })).toEqual({ ok: false, problem: "last_factor" });
    expect(await passkeyRow(passkeyId)).toBeDefined();
    expect(await eventsOf(user.id, "auth.passkey_removed")).toEqual([
      expect.objectContaining({ outcome: "refused" }),
    ]);
  });
});
