import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setTenant } from "../../db/tenant";
import type { Agency, User } from "../../db/types";
import * as agencySignInPage from "../../app/routes/admin.agencies.$agencyId_.sign-in";
import { loader as callbackLoader } from "../../app/routes/sign-in_.oidc.callback";
import { action as organisationAction } from "../../app/routes/sign-in_.organisation";
import { action as secondFactorAction } from "../../app/routes/sign-in_.second-factor";
import { useTestDatabase } from "../support/database";
import { createAgency, createPartnership, createUser, TEST_TOTP_KEY } from "../support/factories";
import { startIdentityProvider, type TestIdentityProvider } from "../support/oidc-provider";
import { cookieFrom, formRequest, getRequest, loadContext, settle } from "../support/remix";
import { openHome, signInCookie } from "../support/session";
import { freshTotpCode } from "../support/totp";

/**
 * Single sign-on against a real OpenID provider (node-oidc-provider, in this process on a loopback
 * port): the administrator sets an agency up through its page, people start at "Sign in with your
 * organisation", the provider's own login and consent run over HTTP, and its answer comes back to
 * Crosswalk's callback as a browser would bring it.
 */

const db = useTestDatabase();
const CROSSWALK = "http://crosswalk.test";
const CALLBACK = `${CROSSWALK}/sign-in/oidc/callback`;
const clientSecretKey = randomBytes(32);
const context = () => loadContext(db.app, { clientSecretKey, publicUrl: CROSSWALK });

let idp: TestIdentityProvider;
let partnershipId: string;
let agency: Agency;
let administrator: User;

interface Reply<T> {
  type?: string;
  data?: T;
  init?: ResponseInit | null;
}

function bodyOf<T>(result: unknown): T {
  const reply = result as Reply<T>;
  return (reply?.type === "DataWithResponseInit" ? reply.data : result) as T;
}

function statusOf(result: unknown): number {
  if (result instanceof Response) return result.status;
  return (result as Reply<unknown>).init?.status ?? 200;
}

function setCookieOf(result: unknown): string | null {
  if (result instanceof Response) return result.headers.get("Set-Cookie");
  return new Headers((result as Reply<unknown>).init?.headers).get("Set-Cookie");
}

async function auditEvents(partnership: string | null, since: Date) {
  return db.superuser
    .selectFrom("audit_events")
    .select(["action", "outcome", "reason", "record_type", "record_id", "details"])
    .where((eb) =>
      partnership ? eb("partnership_id", "=", partnership) : eb("partnership_id", "is", null),
    )
    .where("occurred_at", ">=", since)
    .where("action", "like", "auth.%")
    .orderBy("entry_seq")
    .execute();
}

function configure(fields: Record<string, string>, cookie: string, agencyId = agency.id) {
  return settle(() =>
    agencySignInPage.action({
      request: formRequest(`/admin/agencies/${agencyId}/sign-in`, fields, cookie),
      params: { agencyId },
      context: context(),
    }),
  );
}

/** A cookie jar for the provider's own cookies, as the browser keeps them. */
function providerBrowser() {
  const jar = new Map<string, string>();
  return async (url: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set("Cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const cookie of response.headers.getSetCookie()) {
      const pair = cookie.split(";")[0] ?? "";
      const at = pair.indexOf("=");
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  };
}

/** Type the email at Crosswalk: the provider's address and the cookie binding this browser. */
async function startAtCrosswalk(email: string, returnTo = "") {
  const result = await settle(() =>
    organisationAction({
      request: formRequest("/sign-in/organisation", { email, returnTo }),
      params: {},
      context: context(),
    }),
  );
  return {
    status: statusOf(result),
    body: bodyOf<{ outcome: string; location: string | null }>(result),
    cookie: setCookieOf(result),
  };
}

/** Sign in at the provider as `login`: where the provider sends the browser back to. */
async function signInAtProvider(authorizationUrl: string, login: string): Promise<string> {
  const browse = providerBrowser();
  const follow = (response: Response) =>
    new URL(response.headers.get("Location") ?? "", idp.issuer).href;
  const interaction = follow(await browse(authorizationUrl));
  expect(new URL(interaction).pathname).toMatch(/^\/interaction\//);
  const resume = follow(
    await browse(interaction, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ login }).toString(),
    }),
  );
  return follow(await browse(resume));
}

function callback(url: string, cookie: string | null) {
  return settle(() =>
    callbackLoader({
      request: new Request(url, { headers: cookie ? { Cookie: cookie } : {} }),
      params: {},
      context: context(),
    }),
  );
}

/** The whole journey: type `email` at Crosswalk, sign in at the provider as `login`, come back. */
async function signInThroughProvider(email: string, login = email, returnTo = "") {
  const start = await startAtCrosswalk(email, returnTo);
  expect(start.body.outcome).toBe("continue");
  const browserCookie = cookieFrom(start.cookie);
  const returned = await signInAtProvider(start.body.location ?? "", login);
  expect(returned.startsWith(`${CALLBACK}?`)).toBe(true);
  return { returned, browserCookie, result: await callback(returned, browserCookie) };
}

async function person(
  overrides: Partial<{ amr: string[]; acr: string; emailVerified: boolean; inAgency: Agency }> = {},
) {
  const user = await createUser(db.owner, overrides.inAgency ?? agency, {
    email: `person-${randomUUID().slice(0, 8)}@agency.example`,
  });
  idp.addAccount({
    email: user.email,
    amr: overrides.amr,
    acr: overrides.acr,
    emailVerified: overrides.emailVerified,
  });
  return user;
}

beforeAll(async () => {
  idp = await startIdentityProvider({ redirectUri: CALLBACK });
  const partnership = await createPartnership(db.owner);
  partnershipId = partnership.id;
  agency = await createAgency(db.owner, partnershipId);
  administrator = await createUser(db.owner, agency, {
    role: "administrator",
    email: `admin-${randomUUID().slice(0, 8)}@agency.example`,
  });
  const cookie = await signInCookie(db.app, administrator.email);
  const saved = await configure(
    {
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      emailClaim: "email",
      enabled: "yes",
    },
    cookie,
  );
  expect(statusOf(saved)).toBe(302);
});

afterAll(async () => {
  await idp?.close();
});

describe("the administrator sets up an agency's single sign-on", () => {
  it("keeps the client secret sealed, never shows it, and logs the change without it", async () => {
    const row = await db.superuser
      .selectFrom("agency_sign_in")
      .selectAll()
      .where("agency_id", "=", agency.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ issuer: idp.issuer, client_id: idp.clientId, enabled: true });
    expect(row.client_secret_sealed).toMatch(/^v1\./);
    expect(row.client_secret_sealed).not.toContain(idp.clientSecret);

    const cookie = await signInCookie(db.app, administrator.email);
    const page = await settle(() =>
      agencySignInPage.loader({
        request: getRequest(`/admin/agencies/${agency.id}/sign-in`, cookie),
        params: { agencyId: agency.id },
        context: context(),
      }),
    );
    expect(page).toMatchObject({ clientSecretSet: true, redirectUri: CALLBACK, enabled: true });
    expect(JSON.stringify(page)).not.toContain(idp.clientSecret);

    const events = await db.superuser
      .selectFrom("audit_events")
      .select(["details", "actor_user_id", "record_id"])
      .where("partnership_id", "=", partnershipId)
      .where("action", "=", "agency.sign_in_update")
      .execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      actor_user_id: administrator.id,
      record_id: agency.id,
      details: {
        before: null,
        after: { issuer: idp.issuer, clientId: idp.clientId, emailClaim: "email", enabled: true },
        clientSecretReplaced: true,
      },
    });
    expect(JSON.stringify(events)).not.toContain(idp.clientSecret);
  });

  it("keeps the secret when the field is left blank, and refuses a plain-http issuer elsewhere", async () => {
    const cookie = await signInCookie(db.app, administrator.email);
    const other = await createAgency(db.owner, partnershipId);
    const refused = await configure(
      { issuer: "http://idp.example.org", clientId: "c", clientSecret: "s", enabled: "yes" },
      cookie,
      other.id,
    );
    expect(statusOf(refused)).toBe(400);
    expect(bodyOf<{ errors: { field: string }[] }>(refused).errors).toEqual([
      expect.objectContaining({ field: "issuer" }),
    ]);
    const noSecret = await configure(
      { issuer: "https://idp.example.org", clientId: "c", clientSecret: "", enabled: "yes" },
      cookie,
      other.id,
    );
    expect(bodyOf<{ errors: { field: string }[] }>(noSecret).errors).toEqual([
      expect.objectContaining({ field: "clientSecret" }),
    ]);

    const before = await db.superuser
      .selectFrom("agency_sign_in")
      .select("client_secret_sealed")
      .where("agency_id", "=", agency.id)
      .executeTakeFirstOrThrow();
    const kept = await configure(
      { issuer: idp.issuer, clientId: idp.clientId, clientSecret: "", enabled: "yes" },
      cookie,
    );
    expect(statusOf(kept)).toBe(302);
    const after = await db.superuser
      .selectFrom("agency_sign_in")
      .select("client_secret_sealed")
      .where("agency_id", "=", agency.id)
      .executeTakeFirstOrThrow();
    expect(after.client_secret_sealed).toBe(before.client_secret_sealed);
  });
});

describe("signing in through the agency's identity provider", () => {
  it("signs in a person whose provider asserts multi-factor, with a new session", async () => {
    const since = new Date();
    const user = await person({ amr: ["pwd", "mfa"] });
    const { result } = await signInThroughProvider(user.email, user.email, "/cases");

    expect(result).toBeInstanceOf(Response);
    const response = result as Response;
    expect(response.status).toBe(302);
    expect(response.headers.get("Location")).toBe("/cases");
    const sessionCookie = response.headers
      .getSetCookie()
      .find((cookie) => cookie.startsWith("crosswalk_session="));
    expect(response.headers.getSetCookie()).toContainEqual(
      expect.stringMatching(/^crosswalk_sso=; .*Max-Age=0/),
    );
    const home = await openHome(db.app, cookieFrom(sessionCookie ?? null));
    expect(home).toMatchObject({ email: user.email });

    const sessions = await db.superuser
      .selectFrom("sessions")
      .select(["second_factor_method", "second_factor_at"])
      .where("user_id", "=", user.id)
      .execute();
    // The half session the answer opened was replaced, not promoted.
    expect(sessions).toEqual([
      { second_factor_method: "identity_provider", second_factor_at: expect.any(Date) as unknown },
    ]);
    const events = await auditEvents(partnershipId, since);
    expect(events.map((event) => `${event.action}:${event.outcome}`)).toEqual([
      "auth.single_sign_on_started:allowed",
      "auth.identity_provider_accepted:allowed",
      "auth.sign_in:allowed",
    ]);
    expect(events[2]).toMatchObject({
      record_id: user.id,
      details: { method: "identity_provider", amr: ["pwd", "mfa"] },
    });
  });

  it("honours an acr that asserts multi-factor", async () => {
    const user = await person({
      amr: ["pwd"],
      acr: "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
    });
    const { result } = await signInThroughProvider(user.email);
    expect((result as Response).headers.get("Location")).toBe("/home");
  });

  it("asks a person whose provider asserts only a password for Crosswalk's own code", async () => {
    const since = new Date();
    const user = await person({ amr: ["pwd"] });
    const { result } = await signInThroughProvider(user.email);

    const response = result as Response;
    expect(response.headers.get("Location")).toBe("/sign-in/second-factor");
    const halfCookie = cookieFrom(
      response.headers.getSetCookie().find((cookie) => cookie.startsWith("crosswalk_session=")) ??
        null,
    );
    // Half signed in: the home page sends them on to give their code.
    const home = await openHome(db.app, halfCookie);
    expect((home as Response).headers.get("Location")).toMatch(/^\/sign-in\/second-factor/);

    const { code } = await freshTotpCode(TEST_TOTP_KEY, null);
    const coded = await settle(() =>
      secondFactorAction({
        request: formRequest("/sign-in/second-factor", { method: "totp", code }, halfCookie),
        params: {},
        context: context(),
      }),
    );
    expect((coded as Response).headers.get("Location")).toBe("/home");
    const events = await auditEvents(partnershipId, since);
    expect(events.map((event) => `${event.action}:${event.outcome}`)).toEqual([
      "auth.single_sign_on_started:allowed",
      "auth.identity_provider_accepted:allowed",
      "auth.sign_in:allowed",
    ]);
    expect(events[2]?.details).toMatchObject({ method: "totp" });
  });

  it("refuses, and logs, a provider identity whose email matches no account", async () => {
    const since = new Date();
    const user = await person({ amr: ["mfa"] });
    const stranger = `stranger-${randomUUID().slice(0, 8)}@agency.example`;
    idp.addAccount({ email: stranger, amr: ["mfa"] });
    const { result } = await signInThroughProvider(user.email, stranger);

    expect(statusOf(result)).toBe(403);
    expect(bodyOf(result)).toEqual({ problem: "no_account" });
    expect(setCookieOf(result)).toMatch(/^crosswalk_sso=; /);
    const refused = (await auditEvents(partnershipId, since)).filter(
      (event) => event.outcome === "refused",
    );
    expect(refused).toEqual([
      expect.objectContaining({
        action: "auth.sign_in",
        reason: "No account has this email",
        record_type: "agency",
        record_id: agency.id,
      }),
    ]);
  });

  it.each([
    ["another agency of the partnership", false],
    ["an agency of another partnership", true],
  ])("refuses a provider identity whose email is an account of %s", async (_where, elsewhere) => {
    const since = new Date();
    const user = await person({ amr: ["mfa"] });
    const otherAgency = elsewhere
      ? await createAgency(db.owner, (await createPartnership(db.owner)).id)
      : await createAgency(db.owner, partnershipId);
    const colleague = await person({ amr: ["mfa"], inAgency: otherAgency });
    const { result } = await signInThroughProvider(user.email, colleague.email);

    expect(statusOf(result)).toBe(403);
    expect(bodyOf(result)).toEqual({ problem: "no_account" });
    const refused = (await auditEvents(partnershipId, since)).filter(
      (event) => event.outcome === "refused",
    );
    expect(refused).toEqual([
      expect.objectContaining({
        action: "auth.sign_in",
        reason: "The account with this email belongs to another agency",
      }),
    ]);
    const sessions = await db.superuser
      .selectFrom("sessions")
      .select("id_hash")
      .where("user_id", "=", colleague.id)
      .execute();
    expect(sessions).toEqual([]);
  });

  it("refuses an email the provider has not verified", async () => {
    const since = new Date();
    const user = await person({ amr: ["mfa"], emailVerified: false });
    const { result } = await signInThroughProvider(user.email);
    expect(bodyOf(result)).toEqual({ problem: "no_account" });
    const refused = (await auditEvents(partnershipId, since)).filter(
      (event) => event.outcome === "refused",
    );
    expect(refused[0]?.reason).toBe(
      "The identity provider has not verified the email address it sent",
    );
  });

  it("refuses a deactivated account", async () => {
    const user = await person({ amr: ["mfa"] });
    const start = await startAtCrosswalk(user.email);
    await db.owner.transaction().execute(async (trx) => {
      await setTenant(trx, partnershipId);
      await trx.updateTable("users").set({ is_active: false }).where("id", "=", user.id).execute();
    });
    const returned = await signInAtProvider(start.body.location ?? "", user.email);
    const result = await callback(returned, cookieFrom(start.cookie));
    expect(bodyOf(result)).toEqual({ problem: "deactivated" });
  });

  it("refuses an answer whose state was tampered with, and logs it", async () => {
    const since = new Date();
    const user = await person({ amr: ["mfa"] });
    const start = await startAtCrosswalk(user.email);
    const returned = new URL(await signInAtProvider(start.body.location ?? "", user.email));
    returned.searchParams.set("state", `${returned.searchParams.get("state")}x`);
    const result = await callback(returned.href, cookieFrom(start.cookie));

    expect(statusOf(result)).toBe(400);
    expect(bodyOf(result)).toEqual({ problem: "start_again" });
    const refused = await auditEvents(null, since);
    expect(refused).toContainEqual(
      expect.objectContaining({
        action: "auth.sign_in",
        outcome: "refused",
        reason:
          "An answer from an identity provider for a sign-in Crosswalk did not start, or one already used",
      }),
    );
    const sessions = await db.superuser
      .selectFrom("sessions")
      .select("id_hash")
      .where("user_id", "=", user.id)
      .execute();
    expect(sessions).toEqual([]);
  });

  it("refuses a callback replayed after it signed someone in", async () => {
    const user = await person({ amr: ["mfa"] });
    const { returned, browserCookie, result } = await signInThroughProvider(user.email);
    expect((result as Response).status).toBe(302);

    const replayed = await callback(returned, browserCookie);
    expect(statusOf(replayed)).toBe(400);
    expect(bodyOf(replayed)).toEqual({ problem: "start_again" });
    const sessions = await db.superuser
      .selectFrom("sessions")
      .select("id_hash")
      .where("user_id", "=", user.id)
      .execute();
    expect(sessions).toHaveLength(1);
  });

  it("refuses the provider's answer in a browser other than the one that started", async () => {
    const since = new Date();
    const user = await person({ amr: ["mfa"] });
    const start = await startAtCrosswalk(user.email);
    const returned = await signInAtProvider(start.body.location ?? "", user.email);
    const result = await callback(returned, "crosswalk_sso=someone-elses");

    expect(bodyOf(result)).toEqual({ problem: "start_again" });
    const refused = (await auditEvents(partnershipId, since)).filter(
      (event) => event.outcome === "refused",
    );
    expect(refused[0]?.reason).toBe(
      "The identity provider's answer reached a browser other than the one that started the sign-in",
    );
  });

  it("gives the same answer for an email with no account as for one whose agency has no single sign-on", async () => {
    const elsewhere = await createAgency(db.owner, partnershipId);
    const withoutSso = await createUser(db.owner, elsewhere);
    const answers = await Promise.all(
      [`nobody-${randomUUID().slice(0, 8)}@agency.example`, withoutSso.email].map(async (email) => {
        const { status, body, cookie } = await startAtCrosswalk(email);
        return { status, outcome: body.outcome, location: body.location, cookie };
      }),
    );
    expect(answers).toEqual([
      { status: 200, outcome: "password", location: null, cookie: null },
      { status: 200, outcome: "password", location: null, cookie: null },
    ]);
  });
});
