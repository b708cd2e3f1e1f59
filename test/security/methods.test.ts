import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Database } from "../../db/types";
import { eventsOf } from "./support/access-log";
import { everyone, type Actor } from "./support/actors";
import { methodsOf } from "./support/expectations";
import { request } from "./support/http";
import { govukPageProblems } from "./support/pages";
import { pathOf, routeFiles, type RouteFile } from "./support/routes";
import { demoSamples, instancesOf, type DemoSamples } from "./support/samples";
import { connectTo } from "./support/server";
import { servedBy } from "./support/who";

/**
 * Only the methods a route serves: a form route answers GET (its page) and POST (its form), and
 * PUT, PATCH or DELETE is a 405 that does nothing, never the form's action run under another name.
 */

const { server, second } = inject("security");
let db: Kysely<Database>;
let actors: Actor[];
let samples: DemoSamples;

beforeAll(async () => {
  db = await connectTo(server, "superuser");
  actors = await everyone(server.baseUrl, db, second);
  const lead = actors.find((actor) => actor.email === "lead@northbridge.example");
  samples = await demoSamples(db, server.baseUrl, lead?.cookie ?? "");
});
afterAll(async () => {
  await db?.destroy();
});

const formRoutes = routeFiles().filter((route) => methodsOf(route).post);

function addressOf(route: RouteFile): string {
  const [values] = instancesOf(route, samples);
  return pathOf(route.pattern, values ?? {});
}

describe("methods a form route does not serve", () => {
  it("covers every route with a form", () => {
    expect(formRoutes.length).toBeGreaterThan(25);
  });

  it.each(formRoutes.map((route) => [route.file, route] as const))(
    "%s answers PUT, PATCH and DELETE with 405, and does nothing",
    async (_file, route) => {
      const actor = servedBy(route, actors);
      const path = addressOf(route);
      const problems: string[] = [];
      for (const method of ["PUT", "PATCH", "DELETE"]) {
        const reply = await request(server.baseUrl, {
          method,
          path,
          cookie: actor.cookie,
          form: [
            ["intent", "submit"],
            ["version", "1"],
          ],
        });
        const label = `${actor.name} ${method} ${path}`;
        if (reply.status !== 405) {
          problems.push(`${label}: ${reply.status}, expected 405`);
          continue;
        }
        problems.push(
          ...govukPageProblems(reply).map((problem) => `${label}: the 405 is ${problem}`),
        );
        const events = await eventsOf(db, reply);
        if (events.length > 0)
          problems.push(
            `${label}: wrote ${events.map((event) => event.action).join(", ")} to the access log`,
          );
      }
      expect(problems, problems.join("\n")).toEqual([]);
    },
  );
});

describe("a route that only takes a form", () => {
  const postOnly = routeFiles().filter((route) => methodsOf(route).post && !methodsOf(route).get);

  it.each(postOnly.map((route) => [route.file, route] as const))(
    "%s answers GET with 405",
    async (_file, route) => {
      const actor = servedBy(route, actors);
      const reply = await request(server.baseUrl, { path: addressOf(route), cookie: actor.cookie });
      expect(reply.status).toBe(405);
      expect(govukPageProblems(reply)).toEqual([]);
    },
  );
});

describe("a 405", () => {
  it.each(formRoutes.map((route) => [route.file, route] as const))(
    "%s says in Allow which methods it serves",
    async (_file, route) => {
      const served = methodsOf(route);
      const reply = await request(server.baseUrl, {
        method: "DELETE",
        path: addressOf(route),
        cookie: servedBy(route, actors).cookie,
      });
      const allow = String(reply.headers.allow ?? "")
        .split(",")
        .map((method) => method.trim())
        .filter(Boolean)
        .sort();
      expect(allow).toEqual([...(served.get ? ["GET", "HEAD"] : []), "POST"].sort());
    },
  );
});
