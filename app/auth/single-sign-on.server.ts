import { createHash, randomBytes } from "node:crypto";
import type { Kysely, Transaction } from "kysely";
import * as oidc from "openid-client";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database } from "../../db/types";
import type { Role } from "../../policies";
import { auditedTransaction, record, type AuditEntry } from "../services/audit.server";
import type { RequestMeta } from "../services/context.server";
import { openClientSecret } from "./client-secrets.server";
import { createLucia, sessionCookieHeader, setSessionExpiry } from "./lucia.server";
import { completeSignIn, hasSecondFactor, type PendingSignIn } from "./second-factor.server";
import { PENDING_SIGN_IN_MS, type SignInSettings } from "./sign-in.server";
import { recordFailure, retryAfterMs } from "./throttle.server";

/**
 * Single sign-on by OpenID Connect (decision 016). A person whose agency has an identity provider
 * set up is sent there (authorization code flow with PKCE S256, `state` and `nonce`) and, when the
 * provider vouches for an email address it has verified, is matched to the Crosswalk account with
 * that address in the same agency. No account is ever created by signing in. When the provider
 * asserts that it used more than one factor (`amr`/`acr`), that is the second factor; otherwise
 * the person gives Crosswalk's own, as after a password.
 */

/** Where providers send people back; registered with each provider by the administrator. */
export const CALLBACK_PATH = "/sign-in/oidc/callback";
/** How long a person has at their provider before the sign-in must start again. */
export const LOGIN_TTL_MS = 10 * 60_000;

/** `amr` values (RFC 8176) that say more than one factor was used, or a key held by the person. */
const MULTI_FACTOR_AMR = new Set(["mfa", "otp", "hwk", "swk"]);
/** `acr` values that assert multi-factor authentication (OpenID PAPE policies). */
const MULTI_FACTOR_ACR = new Set([
  "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
  "http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical",
]);

/** The cookie that binds a sign-in in flight to the browser that started it. */
export function loginCookieName(secure: boolean): string {
  return secure ? "__Host-crosswalk_sso" : "crosswalk_sso";
}

function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

function loginCookie(secure: boolean, value: string, maxAgeSeconds: number): string {
  return [
    `${loginCookieName(secure)}=${value}`,
    "Path=/",
    `Max-Age=${maxAgeSeconds}`,
    "HttpOnly",
    "SameSite=Lax",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

/** The Set-Cookie header that forgets the sign-in cookie once the provider has answered. */
export function clearLoginCookie(secure: boolean): string {
  return loginCookie(secure, "", 0);
}

function readLoginCookie(cookieHeader: string | null, secure: boolean): string | null {
  const name = loginCookieName(secure);
  for (const part of (cookieHeader ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=") || null;
  }
  return null;
}

/** Whether an issuer is on this machine's loopback interface (only there may it be plain http). */
export function isLoopbackIssuer(issuer: URL): boolean {
  const host = issuer.hostname;
  return host === "localhost" || host === "[::1]" || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The provider's configuration, by OpenID discovery. Plain http is refused for every issuer but
 * one on loopback (a provider on the same machine, as the tests start): there nothing crosses a
 * network, so allowInsecureRequests is safe; anywhere else a token would cross it in the clear.
 */
async function discover(
  issuer: string,
  clientId: string,
  clientSecret?: string,
): Promise<oidc.Configuration> {
  const url = new URL(issuer);
  return oidc.discovery(
    url,
    clientId,
    undefined,
    clientSecret === undefined ? oidc.None() : oidc.ClientSecretBasic(clientSecret),
    {
      timeout: 10,
      ...(url.protocol === "http:" && isLoopbackIssuer(url)
        ? { execute: [oidc.allowInsecureRequests] }
        : {}),
    },
  );
}

interface AgencySignIn {
  agency_id: string;
  partnership_id: string;
  issuer: string;
  client_id: string;
  client_secret_sealed: string | null;
  email_claim: string;
}

function scopeFor(emailClaim: string): string {
  // Providers send `email` under the email scope; other claims (preferred_username, upn) come with
  // the profile scope.
  return emailClaim === "email" ? "openid email" : "openid email profile";
}

export type SingleSignOnStart =
  | { kind: "redirect"; location: string; setCookie: string }
  /** No single sign-on applies: the person goes on with their password. Says nothing more. */
  | { kind: "password" }
  | { kind: "unavailable" }
  | { kind: "throttled"; retryAfterSeconds: number };

/**
 * "Sign in with your organisation": when the account with this email is active and its agency
 * has single sign-on on, a sign-in is started and the provider's address returned. Otherwise the
 * answer is the same whether or not the account exists (go on with the password), and it counts
 * as a failed attempt against the email and address like a wrong password, so probing addresses
 * here is throttled as it is on the password form.
 */
export async function startSingleSignOn(
  db: Kysely<Database>,
  meta: RequestMeta,
  settings: { publicUrl: string; secure: boolean },
  input: { email: string; returnTo: string },
  now = new Date(),
): Promise<SingleSignOnStart> {
  const email = input.email.trim().toLowerCase();
  const found = await auditedTransaction(db, async (trx) => {
    const waitMs = await retryAfterMs(trx, email, meta.clientAddress, now);
    if (waitMs > 0) return { waitMs };
    await setLocal(trx, "app.sign_in_email", email);
    const user = await trx
      .selectFrom("users")
      .select(["id", "partnership_id", "agency_id", "is_active"])
      .where("email", "=", email)
      .executeTakeFirst();
    if (!user?.is_active) return { waitMs, user: null, config: null };
    await setTenant(trx, user.partnership_id);
    const config = await trx
      .selectFrom("agency_sign_in")
      .select(["agency_id", "partnership_id", "issuer", "client_id", "email_claim"])
      .where("agency_id", "=", user.agency_id)
      .where("enabled", "=", true)
      .executeTakeFirst();
    return { waitMs, user, config: config ?? null };
  });
  if (found.waitMs > 0) {
    return { kind: "throttled", retryAfterSeconds: Math.ceil(found.waitMs / 1000) };
  }
  const { user, config } = found;
  if (!user || !config) {
    await auditedTransaction(db, (trx) => recordFailure(trx, email, meta.clientAddress, now));
    return { kind: "password" };
  }
  // Nobody has shown who they are yet: the events name the account, not an actor.
  const subject = { actor: null, partnershipId: user.partnership_id };

  let configuration: oidc.Configuration;
  try {
    configuration = await discover(config.issuer, config.client_id);
  } catch (error) {
    await auditedTransaction(db, async (trx) => {
      await setTenant(trx, user.partnership_id);
      await record(trx, subject, meta, {
        action: "auth.single_sign_on_started",
        outcome: "refused",
        reason: "The agency's identity provider could not be reached",
        recordType: "user",
        recordId: user.id,
        details: { issuer: config.issuer, error: errorCode(error) },
      });
    });
    return { kind: "unavailable" };
  }

  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const browser = randomBytes(32).toString("base64url");
  const location = oidc.buildAuthorizationUrl(configuration, {
    redirect_uri: `${settings.publicUrl}${CALLBACK_PATH}`,
    scope: scopeFor(config.email_claim),
    response_type: "code",
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: "S256",
    state,
    nonce,
    login_hint: email,
  });
  await auditedTransaction(db, async (trx) => {
    await setTenant(trx, user.partnership_id);
    await trx.deleteFrom("single_sign_on_logins").where("expires_at", "<=", now).execute();
    await trx
      .insertInto("single_sign_on_logins")
      .values({
        state_hash: sha256(state),
        agency_id: config.agency_id,
        browser_hash: sha256(browser),
        code_verifier: codeVerifier,
        nonce,
        return_to: input.returnTo,
        created_at: now,
        expires_at: new Date(now.getTime() + LOGIN_TTL_MS),
      })
      .execute();
    await record(trx, subject, meta, {
      action: "auth.single_sign_on_started",
      outcome: "allowed",
      recordType: "user",
      recordId: user.id,
      details: { issuer: config.issuer },
    });
  });
  return {
    kind: "redirect",
    location: location.href,
    setCookie: loginCookie(settings.secure, browser, LOGIN_TTL_MS / 1000),
  };
}

/** Why a provider's answer did not sign anyone in, as the callback page explains it. */
export type SingleSignOnProblem =
  /** Not a sign-in Crosswalk started here, already used, or too old: start again. */
  | "start_again"
  /** The provider refused, failed, or its answer did not pass the checks. */
  | "provider"
  /** The provider's identity matches no active account of the agency (or says nothing usable). */
  | "no_account"
  | "deactivated";

export type SingleSignOnFinish =
  | {
      ok: true;
      setCookie: string;
      /** Signed in ("home"), or a second factor comes next. */
      next: "home" | "second-factor" | "enrol";
      returnTo: string;
    }
  | { ok: false; problem: SingleSignOnProblem };

export interface CallbackSettings extends SignInSettings {
  publicUrl: string;
  /** Opens the agency's sealed client secret. */
  clientSecretKey: Uint8Array | undefined;
}

function errorCode(error: unknown): string {
  if (error instanceof oidc.AuthorizationResponseError) return `provider:${error.error}`;
  if (error instanceof oidc.ResponseBodyError) return `token:${error.error}`;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : error instanceof Error ? error.name : "unknown";
}

async function refuse(
  db: Kysely<Database>,
  meta: RequestMeta,
  partnershipId: string | null,
  problem: SingleSignOnProblem,
  entry: Omit<AuditEntry, "action" | "outcome">,
): Promise<SingleSignOnFinish> {
  await auditedTransaction(db, async (trx) => {
    if (partnershipId) await setTenant(trx, partnershipId);
    await record(trx, { actor: null, partnershipId }, meta, {
      action: "auth.sign_in",
      outcome: "refused",
      ...entry,
    });
  });
  return { ok: false, problem };
}

/** Whether the provider asserts that more than one factor was used. */
export function assertsMultiFactor(claims: { amr?: unknown; acr?: unknown }): boolean {
  const amr = Array.isArray(claims.amr) ? claims.amr : [];
  return (
    amr.some((method) => typeof method === "string" && MULTI_FACTOR_AMR.has(method)) ||
    (typeof claims.acr === "string" && MULTI_FACTOR_ACR.has(claims.acr))
  );
}

/** The sign-in in flight that this answer is for, used up whatever happens next. */
async function takeLogin(trx: Transaction<Database>, state: string) {
  return trx
    .deleteFrom("single_sign_on_logins")
    .where("state_hash", "=", sha256(state))
    .returningAll()
    .executeTakeFirst();
}

/**
 * The provider's answer (GET /sign-in/oidc/callback): the sign-in it answers is found by its
 * state and used up, checked against the browser's cookie, the code exchanged (PKCE, state, nonce
 * and the ID token checked by openid-client), and the verified email matched to an account of the
 * agency that started it. Every refusal is recorded with its reason.
 */
export async function finishSingleSignOn(
  db: Kysely<Database>,
  meta: RequestMeta,
  settings: CallbackSettings,
  callback: { url: string; cookieHeader: string | null },
  now = new Date(),
): Promise<SingleSignOnFinish> {
  const received = new URL(callback.url);
  const state = received.searchParams.get("state") ?? "";
  const browser = readLoginCookie(callback.cookieHeader, settings.secure);
  const started = await auditedTransaction(db, async (trx) => {
    const login = state ? await takeLogin(trx, state) : undefined;
    if (!login) return null;
    await setLocal(trx, "app.sign_in_agency", login.agency_id);
    const config = await trx
      .selectFrom("agency_sign_in")
      .select([
        "agency_id",
        "partnership_id",
        "issuer",
        "client_id",
        "client_secret_sealed",
        "email_claim",
        "enabled",
      ])
      .where("agency_id", "=", login.agency_id)
      .executeTakeFirst();
    return config ? { login, config } : null;
  });
  if (!started) {
    return refuse(db, meta, null, "start_again", {
      reason:
        "An answer from an identity provider for a sign-in Crosswalk did not start, or one already used",
      details: { method: "identity_provider" },
    });
  }
  const { login, config } = started;
  const agencyRecord = { recordType: "agency", recordId: config.agency_id } as const;
  const refuseFor = (problem: SingleSignOnProblem, reason: string, details = {}) =>
    refuse(db, meta, config.partnership_id, problem, {
      reason,
      ...agencyRecord,
      details: { method: "identity_provider", issuer: config.issuer, ...details },
    });
  if (!browser || sha256(browser) !== login.browser_hash) {
    return refuseFor(
      "start_again",
      "The identity provider's answer reached a browser other than the one that started the sign-in",
    );
  }
  if (login.expires_at.getTime() <= now.getTime()) {
    return refuseFor("start_again", "The sign-in through the identity provider took too long");
  }
  if (!config.enabled || !config.client_secret_sealed) {
    return refuseFor("provider", "Single sign-on was turned off for the agency");
  }

  let claims: Record<string, unknown>;
  try {
    claims = await exchangeCode(config, settings, received, login);
  } catch (error) {
    return refuseFor("provider", "The identity provider's answer did not pass Crosswalk's checks", {
      error: errorCode(error),
    });
  }
  const subject = typeof claims.sub === "string" ? claims.sub : null;
  const asserted = claims[config.email_claim];
  if (typeof asserted !== "string" || !asserted.includes("@")) {
    return refuseFor(
      "no_account",
      `The identity provider sent no email address in the ${config.email_claim} claim`,
      { subject },
    );
  }
  if (config.email_claim === "email" && claims.email_verified !== true) {
    return refuseFor(
      "no_account",
      "The identity provider has not verified the email address it sent",
      { subject },
    );
  }
  return matchAccount(db, meta, settings, config, login.return_to, now, {
    issuer: config.issuer,
    email: asserted.trim().toLowerCase(),
    subject,
    amr: Array.isArray(claims.amr) ? claims.amr : null,
    acr: typeof claims.acr === "string" ? claims.acr : null,
    multiFactor: assertsMultiFactor(claims),
  });
}

/** Exchange the code and return the person's claims: the ID token's, then userinfo's if needed. */
async function exchangeCode(
  config: AgencySignIn,
  settings: CallbackSettings,
  received: URL,
  login: { code_verifier: string; nonce: string },
): Promise<Record<string, unknown>> {
  const secret = openClientSecret(
    settings.clientSecretKey,
    config.agency_id,
    config.client_secret_sealed ?? "",
  );
  const configuration = await discover(config.issuer, config.client_id, secret);
  // The redirect URI sent to the token endpoint must be the one registered: PUBLIC_URL's, not
  // whatever Host header this request arrived with.
  const redirected = new URL(`${settings.publicUrl}${CALLBACK_PATH}`);
  redirected.search = received.search;
  const tokens = await oidc.authorizationCodeGrant(configuration, redirected, {
    pkceCodeVerifier: login.code_verifier,
    expectedState: received.searchParams.get("state") ?? "",
    expectedNonce: login.nonce,
    idTokenExpected: true,
  });
  const idToken = tokens.claims();
  if (!idToken) throw new Error("No ID token");
  const claims: Record<string, unknown> = { ...idToken };
  if (claims[config.email_claim] === undefined) {
    // Providers that issue an access token may send scope claims only from userinfo (OpenID
    // Connect Core 5.4); its subject must be the ID token's.
    const userinfo = await oidc.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
    for (const [name, value] of Object.entries(userinfo)) {
      if (!["sub", "amr", "acr"].includes(name)) claims[name] = value;
    }
  }
  return claims;
}

interface AssertedIdentity {
  issuer: string;
  email: string;
  subject: string | null;
  amr: unknown[] | null;
  acr: string | null;
  multiFactor: boolean;
}

/**
 * Match the provider's identity to an account of the agency that started the sign-in, then start
 * a new session: whole when the provider asserted multi-factor, half (second factor next) if not.
 */
async function matchAccount(
  db: Kysely<Database>,
  meta: RequestMeta,
  settings: CallbackSettings,
  config: AgencySignIn,
  returnTo: string,
  now: Date,
  identity: AssertedIdentity,
): Promise<SingleSignOnFinish> {
  const provider = {
    method: "identity_provider",
    issuer: identity.issuer,
    subject: identity.subject,
  };
  const result = await auditedTransaction(db, async (trx) => {
    await setTenant(trx, config.partnership_id);
    await setLocal(trx, "app.sign_in_email", identity.email);
    const user = await trx
      .selectFrom("users")
      .select(["id", "partnership_id", "agency_id", "role", "email", "is_active"])
      .where("email", "=", identity.email)
      .executeTakeFirst();
    if (
      !user ||
      user.partnership_id !== config.partnership_id ||
      user.agency_id !== config.agency_id
    ) {
      // An account of another agency (or partnership) is never reached through this agency's
      // provider, and the refusal does not name it.
      await record(trx, { actor: null, partnershipId: config.partnership_id }, meta, {
        action: "auth.sign_in",
        outcome: "refused",
        reason: user
          ? "The account with this email belongs to another agency"
          : "No account has this email",
        recordType: "agency",
        recordId: config.agency_id,
        details: provider,
      });
      return { ok: false, problem: "no_account" } as const;
    }
    if (!user.is_active) {
      await record(trx, { actor: null, partnershipId: config.partnership_id }, meta, {
        action: "auth.sign_in",
        outcome: "refused",
        reason: "Account deactivated",
        recordType: "user",
        recordId: user.id,
        details: provider,
      });
      return { ok: false, problem: "deactivated" } as const;
    }
    await setLocal(trx, "app.user_id", user.id);
    return { ok: true, ...(await startSession(trx, meta, settings, user, now, identity)) } as const;
  });
  if (!result.ok) return result;
  return { ...result, returnTo };
}

async function startSession(
  trx: Transaction<Database>,
  meta: RequestMeta,
  settings: CallbackSettings,
  user: { id: string; partnership_id: string; agency_id: string; role: Role; email: string },
  now: Date,
  identity: AssertedIdentity,
): Promise<{ setCookie: string; next: "home" | "second-factor" | "enrol" }> {
  const lucia = createLucia(trx, settings);
  await lucia.deleteExpiredSessions();
  // Always a new session id: nothing from before the provider's answer is promoted.
  const session = await lucia.createSession(user.id, {
    partnershipId: user.partnership_id,
    createdAt: now,
    secondFactorAt: null,
    secondFactorMethod: null,
    stepUpGrantUntil: null,
    userAgent: settings.userAgent ?? null,
    clientAddress: meta.clientAddress,
  });
  await setSessionExpiry(
    trx,
    session.id,
    new Date(now.getTime() + Math.min(PENDING_SIGN_IN_MS, settings.idleTimeoutMs)),
  );
  const actor = {
    userId: user.id,
    partnershipId: user.partnership_id,
    agencyId: user.agency_id,
    role: user.role,
  };
  const asserted = { amr: identity.amr, acr: identity.acr };
  await record(trx, { actor }, meta, {
    action: "auth.identity_provider_accepted",
    outcome: "allowed",
    recordType: "user",
    recordId: user.id,
    details: {
      issuer: identity.issuer,
      subject: identity.subject,
      ...asserted,
      multiFactor: identity.multiFactor,
    },
  });
  if (identity.multiFactor) {
    const pending: PendingSignIn = {
      sessionId: session.id,
      userId: user.id,
      partnershipId: user.partnership_id,
      agencyId: user.agency_id,
      role: user.role,
      email: user.email,
    };
    const setCookie = await completeSignIn(
      trx,
      settings,
      meta,
      pending,
      "identity_provider",
      now,
      asserted,
    );
    return { setCookie, next: "home" };
  }
  return {
    setCookie: sessionCookieHeader(lucia, session.id),
    next: (await hasSecondFactor(trx, user.id)) ? "second-factor" : "enrol",
  };
}
