import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { matchRoutes, type RouteObject } from "react-router";
import { describe, expect, it } from "vitest";
import { matchedRoutes } from "./request-limits";

// `npm test` builds first: the real routes, as Remix serves them.
const build = (await import(
  pathToFileURL(path.resolve("build/server/index.js")).href
)) as ServerBuild;

/** The build's routes as react-router's own matcher takes them (what Remix matches with). */
function routeTree(parentId?: string): RouteObject[] {
  return Object.values(build.routes)
    .filter((route) => route?.parentId === parentId)
    .map((route) =>
      route?.index
        ? { id: route.id, path: route.path, index: true, caseSensitive: route.caseSensitive }
        : {
            id: route?.id,
            path: route?.path,
            caseSensitive: route?.caseSensitive,
            children: routeTree(route?.id),
          },
    );
}

const ID = "0b6f4c1e-6a51-4d0c-9c59-1f2a3b4c5d6e";

/** Addresses for every route (each parameter an id or a word), and some no route has. */
function addresses(): string[] {
  const paths = Object.values(build.routes).flatMap((route) => {
    if (route?.path === undefined) return [];
    const filled = route.path.replace(/:[\w-]+/g, ID);
    return [
      `/${filled.replace("*", "a/b")}`,
      `/${filled.replace(/:[\w-]+/g, "new").replace("*", "")}`,
      `/${filled.toUpperCase().replace("*", "x")}/`,
      `/${filled.replace(/:[\w-]+/g, "check")}`,
    ];
  });
  return [
    ...paths,
    "/",
    "//",
    "/referrals/new",
    "/referrals/%7Bx%7D",
    "/referrals/a%2Fb/print",
    "/nowhere/at/all",
    "/cases/extra",
    "/audit/reports/export/more",
  ];
}

describe("matching an address to its routes", () => {
  it("finds the same routes as react-router's matcher for every route of the build", () => {
    const tree = routeTree();
    for (const address of addresses()) {
      const expected = matchRoutes(tree, address)?.map((match) => match.route.id) ?? null;
      const actual = matchedRoutes(build, address)?.map((route) => route.id) ?? null;
      expect({ address, routes: actual }).toEqual({ address, routes: expected });
    }
  });

  it("reaches the catch-all for an address no page has", () => {
    expect(matchedRoutes(build, "/nowhere")?.map((route) => route.id)).toEqual([
      "root",
      "routes/$",
    ]);
  });
});
