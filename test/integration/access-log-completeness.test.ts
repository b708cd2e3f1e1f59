import path from "node:path";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { ROLES, rulesFor } from "../../policies";
import { ROUTE_MANIFEST } from "../../app/route-manifest";
import { ROUTE_CASES } from "../support/access-log-routes";
import {
  createWalkWorld,
  walkVisit,
  type RouteCase,
  type RouteModule,
  type WalkWorld,
} from "../support/access-log-walk";
import { useTestDatabase } from "../support/database";

/**
 * Completeness of the access log, by construction: every route in the route manifest is walked as
 * several people, and each request must write exactly the events its entry in
 * test/support/access-log-routes.ts lists (one per access, with the right actor, action, record,
 * young person and outcome) and nothing else, nothing at all when its work rolled back. Then no
 * password, token or narrative submitted during the walk may appear anywhere in the log.
 */

const db = useTestDatabase();
const routesFolder = path.resolve(import.meta.dirname, "../../app/routes");
const files = Object.keys(ROUTE_MANIFEST);
let w: WalkWorld;

beforeAll(async () => {
  w = await createWalkWorld(db);
});

describe("the access log's route walk", () => {
  it("has an entry for every route in the route manifest", () => {
    const missing = files.filter((file) => !Object.hasOwn(ROUTE_CASES, file));
    expect(missing, "routes with no entry in test/support/access-log-routes.ts").toEqual([]);
  });

  it.each(files)("%s records exactly what each request did", async (file) => {
    const entry: RouteCase | undefined = ROUTE_CASES[file];
    if (!entry) throw new Error(`${file} has no entry in test/support/access-log-routes.ts`);
    const route = (await import(path.join(routesFolder, file))) as RouteModule;
    const walked = { signedOut: false, allowed: false, refused: false, count: 0 };
    for await (const visit of entry.visits(w)) {
      const { reply, events } = await walkVisit(w, file, route, visit);
      walked.count += 1;
      if (visit.as === null) walked.signedOut = true;
      if (visit.as !== null && reply.status < 400) walked.allowed = true;
      if (events.some((event) => event.outcome === "refused") || [403, 404].includes(reply.status))
        walked.refused = true;
    }

    const access = ROUTE_MANIFEST[file];
    if (!route.loader && !route.action) {
      expect(entry.nothingToRequest, `${file} says why there is nothing to request`).toMatch(/\w/);
      return;
    }
    expect(walked.count, `${file}: requests walked`).toBeGreaterThan(0);
    if (access?.kind !== "signed_in") return;
    expect(walked.signedOut, `${file}: visited signed out`).toBe(true);
    expect(walked.allowed, `${file}: visited by someone it allows`).toBe(true);
    const someRoleRefused = ROLES.some((role) =>
      access.actions.every((action) => rulesFor(role, action).length === 0),
    );
    if (access.actions.length > 0 && someRoleRefused) {
      expect(walked.refused, `${file}: visited by someone it refuses`).toBe(true);
    }
  });

  it("never holds a password, a token or a case's narrative, in any column of any event", async () => {
    const secrets = w.secrets();
    // Every kind of secret and narrative the walk submitted is among them.
    expect(secrets.length).toBeGreaterThan(30);
    const { rows } = await sql<{ event: string }>`
      select row_to_json(e)::text as event from audit_events e
    `.execute(db.superuser);
    expect(rows.length).toBeGreaterThan(150);
    const leaks = secrets.flatMap((secret) => {
      const found = rows.filter((row) => row.event.toLowerCase().includes(secret.toLowerCase()));
      return found.length > 0 ? [{ secret, event: found[0]?.event }] : [];
    });
    expect(leaks).toEqual([]);
  });
});
