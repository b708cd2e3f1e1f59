import fs from "node:fs/promises";
import type { Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Database } from "../../db/types";
import { refusalLogged } from "./support/access-log";
import { everyone, type Actor } from "./support/actors";
import { expectedGet, methodsOf, type Expectation } from "./support/expectations";
import { request, type Reply } from "./support/http";
import { govukPageProblems, withoutRequestParts } from "./support/pages";
import { pathOf, routeFiles, type RouteFile } from "./support/routes";
import { demoSamples, instancesOf, queriesOf, randomId, type DemoSamples } from "./support/samples";
import { connectTo } from "./support/server";

/**
 * Every route × everyone: nobody signed in, each demo role (several agencies) and a partnership
 * lead of another partnership. Each expected answer comes from the route manifest and the
 * policies, decided on facts the test reads from the database itself; every refusal must be a
 * GOV.UK page, in the access log, and a hidden record's 404 the same page as a missing record's.
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
// The whole table, written out when CROSSWALK_ROUTE_TABLE names a file, for a person to read.
const table: string[] = [];
afterAll(async () => {
  await db?.destroy();
  const file = process.env.CROSSWALK_ROUTE_TABLE;
  if (file) await fs.writeFile(file, `answered expected who path (why)\n${table.join("\n")}\n`);
});

const getRoutes = routeFiles().filter((route) => methodsOf(route).get);

/** The record ids a path names, so two 404 pages can be compared apart from them. */
const idsIn = (path: string) =>
  path.match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [];

async function check(
  route: RouteFile,
  values: Record<string, string>,
  path: string,
  actor: Actor,
): Promise<string[]> {
  const expected: Expectation = await expectedGet(db, route, values, path, actor);
  const reply = await request(server.baseUrl, { path, cookie: actor.cookie });
  const cell = `${actor.name} GET ${path}`;
  table.push(`${reply.status} ${expected.status} ${actor.name} ${path} (${expected.why})`);
  const problems: string[] = [];
  if (reply.status !== expected.status) {
    problems.push(`${cell}: ${reply.status}, expected ${expected.status} (${expected.why})`);
    return problems;
  }
  if (expected.location && !expected.location.test(reply.location ?? "")) {
    problems.push(`${cell}: redirected to ${reply.location}, expected ${expected.location}`);
  }
  if (reply.status === 403 || reply.status === 404) {
    for (const problem of govukPageProblems(reply))
      problems.push(`${cell}: the refusal is ${problem}`);
    if (expected.logged && !(await refusalLogged(db, reply, actor))) {
      problems.push(`${cell}: refused (${expected.why}) but no refusal in the access log`);
    }
  }
  if (reply.status === 404 && expected.logged && route.params.length > 0) {
    problems.push(...(await sameAsMissing(route, values, path, reply, actor, cell)));
  }
  return problems;
}

/** A hidden record's 404 must be the page a random id gets, apart from the request's own parts. */
async function sameAsMissing(
  route: RouteFile,
  values: Record<string, string>,
  hiddenPath: string,
  hidden: Reply,
  actor: Actor,
  cell: string,
): Promise<string[]> {
  const problems: string[] = [];
  for (const param of route.params) {
    const value = values[param];
    if (!value || idsIn(value).length === 0) continue;
    const query = hiddenPath.includes("?") ? hiddenPath.slice(hiddenPath.indexOf("?")) : "";
    const path = pathOf(route.pattern, { ...values, [param]: randomId() }) + query;
    const random = await request(server.baseUrl, { path, cookie: actor.cookie });
    if (random.status !== 404) {
      problems.push(`${cell}: a random :${param} answers ${random.status}, a hidden one 404`);
    } else if (
      withoutRequestParts(hidden.body, idsIn(hiddenPath)) !==
      withoutRequestParts(random.body, idsIn(path))
    ) {
      problems.push(`${cell}: the hidden record's 404 differs from a random :${param}'s`);
    }
  }
  return problems;
}

describe("every route answers everyone as the policies say", () => {
  it("covers every route that answers GET", () => {
    expect(getRoutes.length).toBeGreaterThan(40);
  });

  it.each(getRoutes.map((route) => [route.file, route] as const))("%s", async (_file, route) => {
    const problems: string[] = [];
    let cells = 0;
    for (const values of instancesOf(route, samples)) {
      for (const query of queriesOf(route, samples)) {
        const path = pathOf(route.pattern, values) + query;
        for (const actor of actors) {
          problems.push(...(await check(route, values, path, actor)));
          cells += 1;
        }
      }
    }
    expect(cells).toBeGreaterThanOrEqual(actors.length);
    expect(problems, problems.join("\n")).toEqual([]);
  });
});
