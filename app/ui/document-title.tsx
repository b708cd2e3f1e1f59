import type { MetaDescriptor } from "@remix-run/node";
import { UNSAFE_RemixContext, useLocation, useMatches } from "@remix-run/react";
import { useContext } from "react";
import { UNSAFE_DataRouterStateContext } from "react-router";

type MetaModule = {
  meta?: (args: Record<string, unknown>) => MetaDescriptor[] | undefined;
};

/**
 * The page's <title>, taken from the deepest route's `meta` export (as Remix's <Meta> would) and
 * prefixed "Error: " while a form on the page shows errors, as the GOV.UK Design System asks.
 * Remix hands `meta` loader data only, never action data, so the prefix is decided here, where the
 * router's action data is visible — on the server too, so it works without JavaScript.
 */
export function DocumentTitle() {
  const routeModules = useContext(UNSAFE_RemixContext)?.routeModules ?? {};
  const routerState = useContext(UNSAFE_DataRouterStateContext);
  const matches = useMatches();
  const location = useLocation();
  // The error a route boundary is showing, if any: meta functions title error pages from it.
  const error: unknown = Object.values(routerState?.errors ?? {})[0];

  let title = "Crosswalk";
  const metaMatches = matches.map((match) => ({ ...match, meta: [] as MetaDescriptor[], error }));
  for (const match of [...matches].reverse()) {
    const module = routeModules[match.id] as MetaModule | undefined;
    const descriptors = module?.meta?.({
      data: match.data,
      params: match.params,
      location,
      matches: metaMatches,
      error,
    });
    const found = descriptors?.find(
      (descriptor): descriptor is { title: string } => "title" in descriptor,
    );
    if (found) {
      title = String(found.title);
      break;
    }
  }

  const actionData = Object.values(routerState?.actionData ?? {});
  const formHasErrors = actionData.some(
    (result) =>
      typeof result === "object" &&
      result !== null &&
      Array.isArray((result as { errors?: unknown }).errors) &&
      (result as { errors: unknown[] }).errors.length > 0,
  );
  return <title>{formHasErrors && !title.startsWith("Error: ") ? `Error: ${title}` : title}</title>;
}
