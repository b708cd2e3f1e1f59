import { randomBytes } from "node:crypto";
import { redirect } from "@remix-run/node";
import type { AppLoadContext } from "@remix-run/node";
import { setTenant } from "../../db/tenant";
import type { Action } from "../../policies";
import { readForm, uuidParam } from "../forms.server";
import { serviceCall } from "../http.server";
import { auditedTransaction, record } from "../services/audit.server";
import { assertRoleMayEver } from "../services/authorize.server";
import type { Actor, RequestMeta, ServiceContext } from "../services/context.server";
import { HOLD_MS, holdSubmission, sessionOwner, useStepUpGrant } from "./held-submissions.server";
import { createLucia, setSessionExpiry, type CrosswalkLucia } from "./lucia.server";
import type { PendingSignIn, StepUpSession } from "./second-factor.server";
import { PENDING_SIGN_IN_MS, type SignInSettings } from "./sign-in.server";

/** Extend an idle session at most once a minute, not on every request. */
const EXTEND_AFTER_MS = 60_000;

interface ValidatedSession {
  actor: Actor;
  sessionId: string;
  /** Only the password has been given: the session opens the second-factor pages and no other. */
  pending: boolean;
  secondFactorAt: Date | null;
  stepUpGrantUntil: Date | null;
}

// One validation per request, however many loaders ask. Remix hands each loader a Request of its
// own (a copy without the routing parameters) but every loader the same load context, so the
// context is the key: one validation for the action, one shared by the loaders that follow it
// (which see what the action changed), each for the cookie sent.
const validated = new WeakMap<AppLoadContext, Map<string, Promise<ValidatedSession | null>>>();
// The person whose session had just ended when this request (a form) was sent.
const lapsedOwners = new WeakMap<Request, { userId: string; partnershipId: string }>();

/** The cookie that ties a form kept after a session ended to the browser that sent it. */
export const HELD_COOKIE = "crosswalk_held";
const HELD_COOKIE_SECONDS = HOLD_MS / 1000;

function luciaFor(context: AppLoadContext): CrosswalkLucia {
  return createLucia(context.db, {
    idleTimeoutMs: context.sessions.idleTimeoutMs,
    secure: context.secure,
  });
}

/** Where the request came from, for the access log. */
export function requestMeta(context: AppLoadContext): RequestMeta {
  return { requestId: context.requestId, clientAddress: context.clientAddress };
}

async function validate(
  request: Request,
  context: AppLoadContext,
): Promise<ValidatedSession | null> {
  const lucia = luciaFor(context);
  const sessionId = lucia.readSessionCookie(request.headers.get("cookie") ?? "");
  if (!sessionId) return null;
  // Whose session it was, read before a lapsed one is removed: a form sent just after it ended
  // is kept for that person (requireActor).
  const owner = request.method === "POST" ? await sessionOwner(context.db, sessionId) : null;
  const { session, user } = await lucia.validateSession(sessionId);
  if (!session || !user) {
    if (owner) lapsedOwners.set(request, owner);
    return null;
  }

  const now = Date.now();
  const pending = session.secondFactorAt === null;
  const absoluteEnd =
    session.createdAt.getTime() +
    (pending ? PENDING_SIGN_IN_MS : context.sessions.absoluteLifetimeMs);
  if (now >= absoluteEnd) {
    await lucia.invalidateSession(sessionId);
    if (owner) lapsedOwners.set(request, owner);
    return null;
  }
  // Sliding idle timeout: each request (at most once a minute) restarts the idle clock, never
  // past the absolute lifetime.
  const idleEnd = Math.min(now + context.sessions.idleTimeoutMs, absoluteEnd);
  if (!session.fresh && idleEnd - session.expiresAt.getTime() > EXTEND_AFTER_MS) {
    await setSessionExpiry(context.db, sessionId, new Date(idleEnd));
  }
  return {
    sessionId,
    pending,
    secondFactorAt: session.secondFactorAt,
    stepUpGrantUntil: session.stepUpGrantUntil,
    actor: {
      userId: user.id,
      partnershipId: user.partnershipId,
      partnershipName: user.partnershipName,
      agencyId: user.agencyId,
      agencyName: user.agencyName,
      role: user.role,
      displayName: user.displayName,
      email: user.email,
    },
  };
}

function validateOnce(request: Request, context: AppLoadContext): Promise<ValidatedSession | null> {
  let byPhase = validated.get(context);
  if (!byPhase)
    validated.set(context, (byPhase = new Map<string, Promise<ValidatedSession | null>>()));
  const phase = request.method === "GET" || request.method === "HEAD" ? "loaders" : "action";
  const key = `${phase} ${request.headers.get("cookie") ?? ""}`;
  let result = byPhase.get(key);
  if (!result) {
    // Sessions live in the database: when it is unavailable every page says so (a 503), whoever asks.
    result = serviceCall(() => validate(request, context));
    byPhase.set(key, result);
  }
  return result;
}

/** The signed-in person, or null. For pages that look different when signed in (the frame, sign-in). */
export async function getActor(request: Request, context: AppLoadContext): Promise<Actor | null> {
  const current = await validateOnce(request, context);
  return current && !current.pending ? current.actor : null;
}

function returnToQuery(request: Request): string {
  const url = new URL(request.url);
  const path = `${url.pathname}${url.search}`;
  return url.pathname === "/" || url.pathname === "/home"
    ? ""
    : `?returnTo=${encodeURIComponent(path)}`;
}

/**
 * Every loader and action behind sign-in starts here. Without a valid session it redirects to the
 * sign-in page (remembering the path to return to); with one it returns the context that every
 * service function takes.
 */
export async function requireActor(
  request: Request,
  context: AppLoadContext,
): Promise<ServiceContext> {
  const current = await validateOnce(request, context);
  if (current?.pending) {
    // The password was given but not the second factor: that comes first.
    throw redirect(`/sign-in/second-factor${returnToQuery(request)}`);
  }
  if (!current) {
    const url = new URL(request.url);
    const blank = luciaFor(context).createBlankSessionCookie().serialize();
    const owner = lapsedOwners.get(request);
    if (owner) throw await keepSignedOutForm(request, context, owner, blank);
    const returnTo = url.pathname === "/" ? "" : `?returnTo=${encodeURIComponent(url.pathname)}`;
    throw redirect(`/sign-in${returnTo}`, { headers: { "Set-Cookie": blank } });
  }
  // Only an action claims a form's id: the loaders that render its page afterwards see a GET.
  const submission = request.method === "POST" ? context.submission : undefined;
  return {
    db: context.db,
    actor: current.actor,
    ...requestMeta(context),
    ...(submission ? { submission } : {}),
  };
}

/**
 * A form sent just after the person's session ended is not lost: it is kept (server-side, for
 * HOLD_MS, for that person only, tied to this browser by a cookie of its own) and, once they have
 * signed in again, /continue gives it back to them to send, with nothing saved meanwhile.
 */
async function keepSignedOutForm(
  request: Request,
  context: AppLoadContext,
  owner: { userId: string; partnershipId: string },
  blankSessionCookie: string,
): Promise<Response> {
  const url = new URL(request.url);
  let fields: [string, string][];
  try {
    fields = [...(await request.formData()).entries()].flatMap(([name, value]) =>
      typeof value === "string" ? [[name, value] as [string, string]] : [],
    );
  } catch {
    return redirect(`/sign-in?returnTo=${encodeURIComponent(url.pathname)}`, {
      headers: { "Set-Cookie": blankSessionCookie },
    });
  }
  const token = randomBytes(32).toString("base64url");
  const id = await holdSubmission(context.db, owner, token, {
    path: `${url.pathname}${url.search}`,
    method: "POST",
    fields,
    now: new Date(),
  });
  const headers = new Headers();
  headers.append("Set-Cookie", blankSessionCookie);
  headers.append(
    "Set-Cookie",
    `${HELD_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${HELD_COOKIE_SECONDS}${context.secure ? "; Secure" : ""}`,
  );
  return redirect(`/sign-in?returnTo=${encodeURIComponent(`/continue?held=${id}`)}`, { headers });
}

/** The browser's token for forms kept after its session ended, if it has one. */
export function heldToken(request: Request): string | null {
  const cookies = request.headers.get("cookie") ?? "";
  const match = new RegExp(`(?:^|;\\s*)${HELD_COOKIE}=([A-Za-z0-9_-]{43})(?:;|$)`).exec(cookies);
  return match?.[1] ?? null;
}

/**
 * requireActor for a page that performs the given policy actions: a role that no rule ever allows
 * any of them is refused with a 403 (and the refusal recorded) before the page reads its input.
 */
export async function requireActorFor(
  request: Request,
  context: AppLoadContext,
  ...actions: Action[]
): Promise<ServiceContext> {
  const ctx = await requireActor(request, context);
  await serviceCall(() => assertRoleMayEver(ctx, actions));
  return ctx;
}

/**
 * The door check for a page about one record (a referral, a young person): as requireActorFor,
 * but a role that may never take the page's actions gets the same 404 as for a record that does
 * not exist, and the refusal is recorded against the record it asked for. The record id comes
 * from the URL and must be a UUID (anything else is a 404 too).
 */
export async function requireActorForRecord(
  request: Request,
  context: AppLoadContext,
  record: { type: "referral" | "young_person"; id: string | undefined },
  ...actions: Action[]
): Promise<ServiceContext> {
  const ctx = await requireActor(request, context);
  const id = uuidParam({ id: record.id }, "id");
  await serviceCall(() =>
    assertRoleMayEver(ctx, actions, {
      refusal: "hide",
      audit: {
        recordType: record.type,
        recordId: id,
        youngPersonId: record.type === "young_person" ? id : undefined,
      },
    }),
  );
  return ctx;
}

/** Pages only for people not signed in (the sign-in page) send signed-in people home. */
export async function requireAnonymous(request: Request, context: AppLoadContext): Promise<void> {
  if (await getActor(request, context)) throw redirect("/home");
}

/** The settings a sign-in step needs: session lifetimes, the cookie's form, the browser. */
export function signInSettings(request: Request, context: AppLoadContext): SignInSettings {
  return {
    idleTimeoutMs: context.sessions.idleTimeoutMs,
    secure: context.secure,
    userAgent: request.headers.get("user-agent"),
  };
}

/**
 * The second-factor pages: only for someone halfway through signing in. Someone fully signed in
 * goes home; someone with no session (or one that lapsed) goes back to the password.
 */
export async function requirePendingSignIn(
  request: Request,
  context: AppLoadContext,
): Promise<PendingSignIn> {
  const current = await validateOnce(request, context);
  if (!current) throw redirect("/sign-in");
  if (!current.pending) throw redirect("/home");
  return {
    sessionId: current.sessionId,
    userId: current.actor.userId,
    partnershipId: current.actor.partnershipId,
    agencyId: current.actor.agencyId,
    role: current.actor.role,
    email: current.actor.email,
  };
}

/** The signed-in session, for the step-up page. */
export async function requireStepUpSession(
  request: Request,
  context: AppLoadContext,
): Promise<{ ctx: ServiceContext; session: StepUpSession }> {
  const ctx = await requireActor(request, context);
  const current = (await validateOnce(request, context)) as ValidatedSession;
  return {
    ctx,
    session: {
      sessionId: current.sessionId,
      userId: ctx.actor.userId,
      partnershipId: ctx.actor.partnershipId,
      agencyId: ctx.actor.agencyId,
      role: ctx.actor.role,
    },
  };
}

/**
 * Before a sensitive step (an identifiable export, emergency access, creating users, changing
 * roles or the sharing agreement): unless a second factor was given within the step-up window
 * (STEP_UP_WINDOW_MINUTES; 0 asks every time), the request is held and the person is sent to give
 * a fresh code, after which they come back to it with what they had typed. Call it first, before
 * reading the form.
 */
export async function requireStepUp(
  request: Request,
  context: AppLoadContext,
  ctx: ServiceContext,
  /** The form, when the route has already read it (to tell which of its steps was asked for). */
  form?: FormData,
): Promise<void> {
  const current = await validateOnce(request, context);
  if (!current || current.pending) throw new Error("requireStepUp needs a signed-in session");
  const now = new Date();
  const windowMs = context.sessions.stepUpWindowMs;
  if (
    windowMs > 0 &&
    current.secondFactorAt &&
    now.getTime() - current.secondFactorAt.getTime() < windowMs
  ) {
    return;
  }
  if (await useStepUpGrant(context.db, ctx.actor, current.sessionId, now)) return;
  const url = new URL(request.url);
  const fields: [string, string][] = [];
  if (request.method === "POST") {
    for (const [name, value] of (form ?? (await readForm(request))).entries()) {
      if (typeof value === "string") fields.push([name, value]);
    }
  }
  const held = await holdSubmission(context.db, ctx.actor, current.sessionId, {
    path: `${url.pathname}${url.search}`,
    method: request.method === "POST" ? "POST" : "GET",
    fields,
    now,
  });
  throw redirect(`/step-up?held=${held}`);
}

/**
 * End the session on the server and record it, in one transaction. Returns the Set-Cookie header
 * that clears the cookie in the browser.
 */
export async function signOut(request: Request, context: AppLoadContext): Promise<string> {
  const current = await validateOnce(request, context);
  const lucia = luciaFor(context);
  if (current) {
    await auditedTransaction(context.db, async (trx) => {
      await setTenant(trx, current.actor.partnershipId);
      await createLucia(trx, {
        idleTimeoutMs: context.sessions.idleTimeoutMs,
        secure: context.secure,
      }).invalidateSession(current.sessionId);
      await record(trx, { actor: current.actor }, requestMeta(context), {
        action: "auth.sign_out",
        outcome: "allowed",
        recordType: "user",
        recordId: current.actor.userId,
      });
    });
  }
  return lucia.createBlankSessionCookie().serialize();
}

/**
 * A path on this site to return to after sign-in, or the home page. The value is read as a URL
 * against the site's own origin, as a browser would read it (which drops tabs and newlines and
 * takes `\\` for `/`): only a same-origin path and query pass, re-serialised, so `/\t/evil.example`,
 * `/\\evil.example` or `/.//evil.example` cannot send the person to another site, and a control
 * character cannot reach the Location header.
 */
export function safeReturnPath(value: string | null | undefined, origin: string): string {
  const home = "/home";
  if (!value || !value.startsWith("/") || /[\p{Cc}\\]/u.test(value)) return home;
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch {
    return home;
  }
  const path = `${url.pathname}${url.search}`;
  // A path that starts `//` would itself be read as another host.
  if (url.origin !== new URL(origin).origin || path.startsWith("//")) return home;
  return path;
}
