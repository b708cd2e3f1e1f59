import type { ServerBuild } from "@remix-run/node";
import type { RequestHandler } from "express";
import { matchRoutes, type RouteObject } from "react-router";
import { sendErrorPage } from "./error-page";

type RouteManifest = ServerBuild["routes"];

const routeTrees = new WeakMap<RouteManifest, RouteObject[]>();

/** The build's routes as a tree react-router can match, as Remix itself builds it. */
function routeTree(manifest: RouteManifest, parentId?: string): RouteObject[] {
  return Object.values(manifest)
    .filter((route) => route?.parentId === parentId)
    .map((route) =>
      route?.index
        ? { id: route.id, path: route.path, index: true, caseSensitive: route.caseSensitive }
        : {
            id: route?.id,
            path: route?.path,
            caseSensitive: route?.caseSensitive,
            children: routeTree(manifest, route?.id),
          },
    );
}

/**
 * The methods the route an address reaches serves, or null when no route matches: GET and HEAD
 * when it has a page or a loader, POST when the route a form there submits to (as Remix picks it:
 * the deepest route with a path, or the index route for `?index`) has an action. Single-fetch
 * addresses (`/x.data`) are the route's own.
 */
export function allowedMethods(build: ServerBuild, url: URL): string[] | null {
  let routes = routeTrees.get(build.routes);
  if (!routes) {
    routes = routeTree(build.routes);
    routeTrees.set(build.routes, routes);
  }
  const pathname = url.pathname.replace(/\.data$/, "").replace(/^\/_root$/, "/");
  const matches = matchRoutes(routes, pathname);
  const leaf = matches?.at(-1);
  if (!matches || !leaf) return null;
  const nakedIndex = url.searchParams.getAll("index").some((value) => value === "");
  const target =
    leaf.route.index && nakedIndex
      ? leaf
      : matches.filter((match, at) => at === 0 || Boolean(match.route.path)).at(-1);
  const moduleOf = (id: string | undefined) => (id ? build.routes[id]?.module : undefined);
  const page = moduleOf(leaf.route.id);
  const allowed: string[] = [];
  if (page?.default || page?.loader) allowed.push("GET", "HEAD");
  if (moduleOf(target?.route.id)?.action) allowed.push("POST");
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
