import { createRemixStub } from "@remix-run/testing";
import { createElement, type ComponentType } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { vi } from "vitest";

/** React's warning that a link's layout effect does not run on the server: true, and harmless. */
const SERVER_LAYOUT_EFFECT = /useLayoutEffect does nothing on the server/;

/**
 * A route's page as the server renders it, from the data its loader returned (and its action's,
 * when a form came back with errors), without a browser: what a person without JavaScript gets.
 */
export function renderPage(
  Page: ComponentType,
  data: { loaderData: unknown; actionData?: unknown; path?: string },
): string {
  const path = data.path ?? "/page";
  const Stub = createRemixStub([{ id: "page", path: path.split("?")[0], Component: Page }]);
  // React reports problems while rendering on the console: any but the harmless one fails here.
  const reported = vi.spyOn(console, "error").mockImplementation(() => undefined);
  let html: string;
  try {
    html = renderToStaticMarkup(
      createElement(Stub, {
        initialEntries: [path],
        hydrationData: {
          loaderData: { page: data.loaderData },
          ...(data.actionData === undefined ? {} : { actionData: { page: data.actionData } }),
        },
      }),
    );
  } finally {
    reported.mockRestore();
  }
  const problems = reported.mock.calls
    .map((args) => String(args[0]))
    .filter((message) => !SERVER_LAYOUT_EFFECT.test(message));
  if (problems.length > 0) throw new Error(`Rendering the page reported: ${problems.join("; ")}`);
  return html;
}

/** The text of every link on a rendered page, tags removed and spaces collapsed. */
export function linkTexts(html: string): string[] {
  return [...html.matchAll(/<a\b[^>]*>([\s\S]*?)<\/a>/g)].map((match) =>
    decodeEntities((match[1] ?? "").replace(/<[^>]+>/g, ""))
      .replace(/\s+/g, " ")
      .trim(),
  );
}

/** A rendered page's text, tags removed and spaces collapsed, to look for words in. */
export function textOf(html: string): string {
  return decodeEntities(html.replace(/<[^>]+>/g, " "))
    .replace(/\s+/g, " ")
    .trim();
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}
