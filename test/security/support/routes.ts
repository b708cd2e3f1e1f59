import { readdirSync } from "node:fs";
import path from "node:path";
import { ROUTE_MANIFEST, type RouteAccess } from "../../../app/route-manifest";

/** One route module, as the browser addresses it. */
export interface RouteFile {
  /** Its file name in app/routes, the key of ROUTE_MANIFEST. */
  file: string;
  access: RouteAccess;
  /** The path with its dynamic segments as `:name` (and `*` for the catch-all). */
  pattern: string;
  /** The names of its dynamic segments, in order. */
  params: string[];
}

const ROUTES_FOLDER = path.resolve(import.meta.dirname, "../../../app/routes");

/**
 * Remix's flat-routes naming: `a.$b._index.tsx` is `/a/:b`, `a_.b.tsx` is `/a/b` outside a's
 * layout, `$.tsx` catches everything else.
 */
export function patternOf(file: string): string {
  const segments = file
    .replace(/\.tsx?$/, "")
    .split(".")
    .filter((segment) => segment !== "_index")
    // A trailing underscore only keeps a route out of its parent's layout: not in the address.
    .map((segment) => segment.replace(/_$/, ""))
    .map((segment) =>
      segment === "$" ? "*" : segment.startsWith("$") ? `:${segment.slice(1)}` : segment,
    );
  return `/${segments.join("/")}`;
}

/**
 * Every route module in app/routes, each with its manifest entry. Fails when the folder and the
 * manifest disagree (test/integration/route-manifest.test.ts says which), so no route is left out.
 */
export function routeFiles(): RouteFile[] {
  const files = readdirSync(ROUTES_FOLDER)
    .filter((file) => /\.tsx?$/.test(file))
    .sort();
  const missing = files.filter((file) => !Object.hasOwn(ROUTE_MANIFEST, file));
  if (missing.length > 0)
    throw new Error(`Routes missing from the manifest: ${missing.join(", ")}`);
  return files.map((file) => {
    const pattern = patternOf(file);
    const access = ROUTE_MANIFEST[file] as RouteAccess;
    const params = [...pattern.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1] as string);
    return { file, access, pattern, params };
  });
}

/** The path for these values of the pattern's segments (each encoded). */
export function pathOf(pattern: string, values: Record<string, string>): string {
  return pattern
    .replace(/:([A-Za-z]+)/g, (_whole, name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`No value for :${name} in ${pattern}`);
      return encodeURIComponent(value);
    })
    .replace("*", values["*"] ?? "no-such-page");
}

/**
 * The route module that answers this path, as Remix ranks them: of the patterns that match, the
 * one with the fewest dynamic segments (a static segment beats a parameter, a parameter the
 * catch-all).
 */
export function routeFor(path: string, routes: readonly RouteFile[] = routeFiles()): RouteFile {
  const bare = path.split(/[?#]/)[0] ?? path;
  const matching = routes.filter((route) => {
    const pattern = route.pattern
      .split("/")
      .map((segment) =>
        segment === "*"
          ? ".*"
          : segment.startsWith(":")
            ? "[^/]+"
            : segment.replace(/[.$]/g, "\\$&"),
      )
      .join("/");
    return new RegExp(`^${pattern}/?$`).test(bare);
  });
  const rank = (route: RouteFile) => (route.pattern.includes("*") ? 1000 : route.params.length);
  const best = matching.sort((a, b) => rank(a) - rank(b))[0];
  if (!best) throw new Error(`No route answers ${path}`);
  return best;
}
