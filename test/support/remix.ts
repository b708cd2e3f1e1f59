import { randomUUID } from "node:crypto";
import type { AppLoadContext } from "@remix-run/node";
import type { Kysely } from "kysely";
import pino from "pino";
import type { Database } from "../../db/types";

/** The load context the HTTP host would give a loader or action, over a test database. */
export function loadContext(
  db: Kysely<Database>,
  overrides: Partial<AppLoadContext> = {},
): AppLoadContext {
  return {
    db,
    replicaDb: db,
    logger: pino({ level: "silent" }),
    sessions: {
      idleTimeoutMs: 30 * 60_000,
      absoluteLifetimeMs: 12 * 3_600_000,
      stepUpWindowMs: 15 * 60_000,
    },
    requestId: randomUUID(),
    clientAddress: "192.0.2.10",
    secure: false,
    cspNonce: "test-nonce",
    publicUrl: "http://crosswalk.test",
    ...overrides,
  };
}

/** A form POST as a browser on our own pages would send it. */
export function formRequest(
  path: string,
  fields: Record<string, string>,
  cookie?: string,
): Request {
  return new Request(`http://crosswalk.test${path}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "Sec-Fetch-Site": "same-origin",
      ...(cookie ? { Cookie: cookie } : {}),
    },
    body: new URLSearchParams(fields).toString(),
  });
}

/** A GET as a browser would send it, with an optional session cookie. */
export function getRequest(path: string, cookie?: string): Request {
  return new Request(`http://crosswalk.test${path}`, { headers: cookie ? { Cookie: cookie } : {} });
}

/** The `name=value` part of a Set-Cookie header, to send back as a Cookie header. */
export function cookieFrom(setCookie: string | null): string {
  if (!setCookie) throw new Error("no Set-Cookie header");
  return setCookie.split(";")[0] ?? "";
}

/** Run a loader or action and return what it threw or returned as a Response, or its data. */
export async function settle(work: () => unknown): Promise<unknown> {
  try {
    return await work();
  } catch (thrown) {
    return thrown;
  }
}

/** The HTTP status of what a loader or action returned or threw (200 for plain data). */
export function statusOf(result: unknown): number {
  if (result instanceof Response) return result.status;
  const init = (result as { init?: ResponseInit | null } | null)?.init;
  return init?.status ?? 200;
}
