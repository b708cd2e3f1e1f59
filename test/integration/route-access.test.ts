import { readdirSync } from "node:fs";
import path from "node:path";
import type { ActionFunction, LoaderFunction } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import type { RouteAccess } from "../../app/route-access";
import { useTestDatabase } from "../support/database";
import { formRequest, getRequest, loadContext, settle } from "../support/remix";

const db = useTestDatabase();
const routesFolder = path.resolve(import.meta.dirname, "../../app/routes");
const routeFiles = readdirSync(routesFolder).filter((file) => /\.tsx?$/.test(file));

interface RouteModule {
  handle?: { access?: RouteAccess };
  loader?: LoaderFunction;
  action?: ActionFunction;
}

const load = (file: string) => import(path.join(routesFolder, file)) as Promise<RouteModule>;

describe("every route", () => {
  it("exists in the folder the test reads", () => {
    expect(routeFiles.length).toBeGreaterThan(0);
  });

  it.each(routeFiles)("%s declares who may reach it", async (file) => {
    const access = (await load(file)).handle?.access;
    expect(access, `${file} has no handle.access`).toBeDefined();
    if (access?.kind === "public") expect(access.why.length).toBeGreaterThan(10);
    else expect(access?.kind).toBe("signed_in");
  });

  it.each(routeFiles)(
    "%s sends an anonymous visitor to sign-in when it is behind sign-in",
    async (file) => {
      const route = await load(file);
      if (route.handle?.access?.kind !== "signed_in") return;
      const attempts = [
        route.loader &&
          (() =>
            route.loader?.({
              request: getRequest("/x"),
              params: {},
              context: loadContext(db.app),
            })),
        route.action &&
          (() =>
            route.action?.({
              request: formRequest("/x", {}),
              params: {},
              context: loadContext(db.app),
            })),
      ].filter(Boolean) as (() => unknown)[];
      expect(attempts.length).toBeGreaterThan(0);
      for (const attempt of attempts) {
        const result = await settle(attempt);
        expect(result).toBeInstanceOf(Response);
        expect((result as Response).headers.get("Location")).toMatch(/^\/sign-in/);
      }
    },
  );
});
