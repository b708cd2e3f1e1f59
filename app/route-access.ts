/**
 * Every route module declares who may reach it, in `export const handle = { access }`. A test reads
 * every module under app/routes and fails when one has no declaration, so a page cannot ship
 * without an access decision.
 */
export type RouteAccess =
  { kind: "public"; why: string } | { kind: "signed_in"; actions: readonly string[] };

/** A route anyone may reach, signed in or not, with the reason it is safe to. */
export function publicRoute(why: string): RouteAccess {
  return { kind: "public", why };
}

/** A route behind requireActor; `actions` are what its loader and action perform. */
export function signedInRoute(...actions: string[]): RouteAccess {
  return { kind: "signed_in", actions };
}
