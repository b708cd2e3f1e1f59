import { readdirSync } from "node:fs";
import path from "node:path";
import type { ActionFunction, LoaderFunction } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import { ROLES, rulesFor, type Role } from "../../policies";
import { ROUTE_MANIFEST } from "../../app/route-manifest";
import { useTestDatabase } from "../support/database";
import { createAgency, createPartnership, createUser } from "../support/factories";
import { formRequest, getRequest, loadContext, settle } from "../support/remix";
import { signInCookie } from "../support/session";

const db = useTestDatabase();
const routesFolder = path.resolve(import.meta.dirname, "../../app/routes");
const routeFiles = readdirSync(routesFolder).filter((file) => /\.tsx?$/.test(file));
const signedInRoutes = Object.entries(ROUTE_MANIFEST).filter(
  ([, access]) => access.kind === "signed_in",
);

interface RouteModule {
  loader?: LoaderFunction;
  action?: ActionFunction;
}

const load = (file: string) => import(path.join(routesFolder, file)) as Promise<RouteModule>;
// Any UUID: for a refused role the route must refuse before it ever looks the record up.
const PARAMS = {
  agencyId: "9b0c3f9e-3f0a-4c57-9a55-0d9b6f1f2b11",
  userId: "9b0c3f9e-3f0a-4c57-9a55-0d9b6f1f2b12",
  token: "x",
};

async function cookiesByRole(): Promise<Record<Role, string>> {
  const partnership = await createPartnership(db.owner);
  const agency = await createAgency(db.owner, partnership.id);
  const cookies = {} as Record<Role, string>;
  for (const role of ROLES) {
    const user = await createUser(db.owner, agency, { role });
    cookies[role] = await signInCookie(db.app, user.email);
  }
  return cookies;
}

function outcomeStatus(result: unknown): number {
  if (result instanceof Response) return result.status;
  if (result && typeof result === "object" && "init" in result) {
    return (result as { init: { status?: number } | null }).init?.status ?? 200;
  }
  return 200;
}

describe("the route manifest", () => {
  it("lists every route module, and no route that does not exist", () => {
    expect(Object.keys(ROUTE_MANIFEST).sort()).toEqual([...routeFiles].sort());
  });

  it("gives every public route a reason it is safe to be public", () => {
    for (const [file, access] of Object.entries(ROUTE_MANIFEST)) {
      if (access.kind === "public") expect(access.why.length, file).toBeGreaterThan(15);
    }
  });

  it.each(signedInRoutes)("%s sends an anonymous visitor to sign-in", async (file) => {
    const route = await load(file);
    const attempts = [
      route.loader &&
        (() =>
          route.loader?.({
            request: getRequest("/x"),
            params: PARAMS,
            context: loadContext(db.app),
          })),
      route.action &&
        (() =>
          route.action?.({
            request: formRequest("/x", {}),
            params: PARAMS,
            context: loadContext(db.app),
          })),
    ].filter(Boolean) as (() => unknown)[];
    expect(attempts.length).toBeGreaterThan(0);
    for (const attempt of attempts) {
      const result = await settle(attempt);
      expect(result).toBeInstanceOf(Response);
      expect((result as Response).headers.get("Location")).toMatch(/^\/sign-in/);
    }
  });

  it("refuses every role the policies refuse all of a route's actions", async () => {
    const cookies = await cookiesByRole();
    let checked = 0;
    for (const [file, access] of signedInRoutes) {
      if (access.kind !== "signed_in" || access.actions.length === 0) continue;
      const route = await load(file);
      for (const role of ROLES) {
        const permitted = access.actions.some((action) => rulesFor(role, action).length > 0);
        if (permitted) continue;
        const attempts = [
          route.loader &&
            (() =>
              route.loader?.({
                request: getRequest("/x", cookies[role]),
                params: PARAMS,
                context: loadContext(db.app),
              })),
          route.action &&
            (() =>
              route.action?.({
                request: formRequest("/x", { intent: "anything" }, cookies[role]),
                params: PARAMS,
                context: loadContext(db.app),
              })),
        ].filter(Boolean) as (() => unknown)[];
        for (const attempt of attempts) {
          const status = outcomeStatus(await settle(attempt));
          expect([403, 404], `${role} on ${file} got ${status}`).toContain(status);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
