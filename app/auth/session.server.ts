import { redirect } from "@remix-run/node";
import type { AppLoadContext } from "@remix-run/node";
import { setTenant } from "../../db/tenant";
import type { Action } from "../../policies";
import { uuidParam } from "../forms.server";
import { serviceCall } from "../http.server";
import { auditedTransaction, record } from "../services/audit.server";
import { assertRoleMayEver } from "../services/authorize.server";
import type { Actor, RequestMeta, ServiceContext } from "../services/context.server";
import { createLucia, setSessionExpiry, type CrosswalkLucia } from "./lucia.server";

/** Extend an idle session at most once a minute, not on every request. */
const EXTEND_AFTER_MS = 60_000;

interface ValidatedSession {
  actor: Actor;
  sessionId: string;
}

// One validation per request, however many loaders ask.
const validated = new WeakMap<Request, Promise<ValidatedSession | null>>();

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
  const { session, user } = await lucia.validateSession(sessionId);
  if (!session) return null;

  const now = Date.now();
  const absoluteEnd = session.createdAt.getTime() + context.sessions.absoluteLifetimeMs;
  if (now >= absoluteEnd) {
    await lucia.invalidateSession(sessionId);
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
  let result = validated.get(request);
  if (!result) {
    result = validate(request, context);
    validated.set(request, result);
  }
  return result;
}

/** The signed-in person, or null. For pages that look different when signed in (the frame, sign-in). */
export async function getActor(request: Request, context: AppLoadContext): Promise<Actor | null> {
  return (await validateOnce(request, context))?.actor ?? null;
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
  const actor = await getActor(request, context);
  if (!actor) {
    const url = new URL(request.url);
    const returnTo = url.pathname === "/" ? "" : `?returnTo=${encodeURIComponent(url.pathname)}`;
    throw redirect(`/sign-in${returnTo}`, {
      headers: { "Set-Cookie": luciaFor(context).createBlankSessionCookie().serialize() },
    });
  }
  return { db: context.db, actor, ...requestMeta(context) };
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
