import type { Actor } from "./actors";
import type { RouteFile } from "./routes";

/**
 * Someone the route serves, to make requests that get past its door: the administrator for
 * administration, the auditor for the access log, the school's lead for her draft, nobody for
 * public pages, the partnership lead for everything else.
 */
export function servedBy(route: RouteFile, actors: readonly Actor[]): Actor {
  const email =
    route.access.kind === "public"
      ? null
      : route.file.startsWith("admin.")
        ? "admin@northbridge.example"
        : route.file.startsWith("audit.")
          ? "auditor@northbridge.example"
          : route.file.includes(".draft.")
            ? "dsl@school.northbridge.example"
            : "lead@northbridge.example";
  const actor = actors.find((candidate) => candidate.email === email);
  if (!actor) throw new Error(`No one to make requests to ${route.file}`);
  return actor;
}
