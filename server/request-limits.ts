import type { ServerBuild } from "@remix-run/node";
import type { RequestHandler } from "express";
import { sendErrorPage } from "./error-page";

type RouteManifest = ServerBuild["routes"];
type ServerRoute = NonNullable<RouteManifest[string]>;

/** One way down the route tree to a route that can match on its own, with its whole path. */
interface Branch {
  /** The routes from the root to the leaf. */
  chain: ServerRoute[];
  pattern: RegExp;
  score: number;
  /** Each route's position among its siblings, root first: the tie-break between equal scores. */
  order: number[];
}

const branchesOf = new WeakMap<RouteManifest, Branch[]>();

/**
 * The pattern a whole route path matches, as react-router reads route paths: `:name` is one
 * segment, a trailing `*` the rest (or nothing), a trailing slash optional, and letters matched
 * regardless of case unless the route says otherwise.
 */
function patternOf(path: string, caseSensitive: boolean): RegExp {
  const splat = path === "*" || path.endsWith("/*");
  const segments = path
    .replace(/\/*\*?$/, "")
    .split("/")
    .filter(Boolean)
    .map((segment) =>
      /^:[\w-]+$/.test(segment)
        ? "/([^\\/]+)"
        : `/${segment.replace(/[\\.*+^$?{}|()[\]]/g, "\\$&")}`,
    );
  let source = `^${segments.join("")}`;
  if (splat) source += segments.length ? "(?:\\/(.+)|\\/*)$" : "(?:\\/(.*))?$";
  else source += "\\/*$";
  return new RegExp(source, caseSensitive ? undefined : "i");
}

/** How specific a path is, as react-router ranks routes: static over dynamic over splat. */
function scoreOf(path: string, index: boolean): number {
  const segments = path.split("/");
  let score = segments.length + (index ? 2 : 0);
  for (const segment of segments) {
    if (segment === "*") score -= 2;
    else if (/^:[\w-]+$/.test(segment)) score += 3;
    else if (segment === "") score += 1;
    else score += 10;
  }
  return score;
}

/**
 * Every branch of the build's route tree, ranked as react-router ranks them (the order Remix
 * matches in), made once per build: matching a request is then a walk down a list of compiled
 * patterns, not a rebuild of the tree and its patterns per request.
 */
function branches(manifest: RouteManifest): Branch[] {
  let ranked = branchesOf.get(manifest);
  if (ranked) return ranked;
  const routes = Object.values(manifest).filter((route): route is ServerRoute => !!route);
  const found: Branch[] = [];
  const walk = (
    parentId: string | undefined,
    parentPath: string,
    chain: ServerRoute[],
    order: number[],
  ) => {
    routes
      .filter((route) => route.parentId === parentId)
      .forEach((route, position) => {
        const path = [parentPath, route.path ?? ""].join("/").replace(/\/\/+/g, "/");
        const here = [...chain, route];
        const at = [...order, position];
        if (!route.index) walk(route.id, path, here, at);
        // A route without a path matches only through its children, unless it is an index route.
        if (route.path === undefined && !route.index) return;
        found.push({
          chain: here,
          pattern: patternOf(path, route.caseSensitive === true),
          score: scoreOf(path, route.index === true),
          order: at,
        });
      });
  };
  walk(undefined, "", [], []);
  ranked = found
    .map((branch, found) => ({ branch, found }))
    .sort(
      (a, b) =>
        b.branch.score - a.branch.score || siblingOrder(a.branch, b.branch) || a.found - b.found,
    )
    .map(({ branch }) => branch);
  branchesOf.set(manifest, ranked);
  return ranked;
}

/** Siblings keep their order; routes under different parents are not compared. */
function siblingOrder(a: Branch, b: Branch): number {
  const siblings =
    a.order.length === b.order.length &&
    a.order.slice(0, -1).every((value, at) => value === b.order[at]);
  return siblings ? (a.order.at(-1) ?? 0) - (b.order.at(-1) ?? 0) : 0;
}

/** A path as routes see it: each segment decoded, an encoded slash left encoded. */
function decodedPath(pathname: string): string {
  return pathname
    .split("/")
    .map((segment) => {
      try {
        return decodeURIComponent(segment).replace(/\//g, "%2F");
      } catch {
        return segment;
      }
    })
    .join("/");
}

/** The routes an address reaches, root first, or null when none does. */
export function matchedRoutes(build: ServerBuild, pathname: string): ServerRoute[] | null {
  const path = decodedPath(pathname);
  return branches(build.routes).find((branch) => branch.pattern.test(path))?.chain ?? null;
}

/**
 * The methods the route an address reaches serves, or null when no route matches: GET and HEAD
 * when it has a page or a loader, POST when the route a form there submits to (as Remix picks it:
 * the deepest route with a path, or the index route for `?index`) has an action. Single-fetch
 * addresses (`/x.data`) are the route's own.
 */
export function allowedMethods(build: ServerBuild, url: URL): string[] | null {
  const pathname = url.pathname.replace(/\.data$/, "").replace(/^\/_root$/, "/");
  const matches = matchedRoutes(build, pathname);
  const leaf = matches?.at(-1);
  if (!matches || !leaf) return null;
  const nakedIndex = url.searchParams.getAll("index").some((value) => value === "");
  const target =
    leaf.index && nakedIndex
      ? leaf
      : matches.filter((route, at) => at === 0 || Boolean(route.path)).at(-1);
  const page = leaf.module;
  const allowed: string[] = [];
  if (page.default || page.loader) allowed.push("GET", "HEAD");
  if (target?.module.action) allowed.push("POST");
  return allowed;
}

/**
 * Only the methods a route serves reach it: PUT, PATCH, DELETE, OPTIONS (and POST to a route
 * without an action, GET to one without a page) are a 405 with an Allow header, so no form's
 * action runs for a method it was not written for.
 */
export function methodsServed(build: () => Promise<ServerBuild>): RequestHandler {
  return (req, res, next) => {
    build().then((resolved) => {
      let url: URL;
      try {
        url = new URL(`http://crosswalk.invalid${req.originalUrl}`);
      } catch {
        res.locals.refusedBecause = "unreadable address";
        return sendErrorPage(res, 400);
      }
      const allowed = allowedMethods(resolved, url);
      if (!allowed || allowed.includes(req.method)) return next();
      res.locals.refusedBecause = "method not allowed";
      res.setHeader("Allow", allowed.join(", "));
      sendErrorPage(res, 405);
    }, next);
  };
}

/**
 * Read a request's body into memory, up to `maxBytes`: counted as it arrives, so a chunked body
 * with no Content-Length is bounded too. Beyond it the request is answered with a 413 page, no
 * more of it is read, and the connection is closed once the answer is sent. The body read is left
 * in `res.locals.body` for the Remix request.
 */
export function boundedBody(maxBytes: number): RequestHandler {
  return (req, res, next) => {
    if (req.method === "GET" || req.method === "HEAD") return next();
    const tooLarge = () => {
      res.locals.refusedBecause = "body too large";
      req.removeAllListeners("data");
      req.pause();
      res.setHeader("Connection", "close");
      res.on("finish", () => req.socket.destroySoon());
      sendErrorPage(res, 413);
    };
    const declared = Number(req.get("content-length") ?? 0);
    if (declared > maxBytes) return tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge();
      else chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > maxBytes) return;
      res.locals.body = Buffer.concat(chunks, size);
      next();
    });
    req.on("error", next);
  };
}
