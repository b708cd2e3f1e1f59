import type { Actor } from "./actors";
import { methodsOf } from "./expectations";
import { baselineOf, submittersOf } from "./forms";
import { request, type FormFields } from "./http";
import { formsOf, linksWithQueries, type FormControl } from "./pages";
import { pathOf, routeFiles, routeFor } from "./routes";
import { instancesOf, queriesOf, type DemoSamples } from "./samples";

/** A way to send input to Crosswalk, found on its pages: a form, or a link's query string. */
export interface InputTarget {
  /** Who found it (and sends it). */
  actor: Actor;
  /** The page it was found on. */
  page: string;
  method: "GET" | "POST";
  /** Where it is sent, without a query string. */
  path: string;
  /** A valid submission to start from. */
  fields: FormFields;
  /** The form's controls (none for a link): what can be typed where. */
  controls: FormControl[];
  /** For failure messages and de-duplication: method, address pattern, field names. */
  key: string;
}

/** Forms a suite must never send: signing out ends the session every later attack uses. */
const NOT_SENT = new Set(["/sign-out"]);

const idPattern = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** A target's kind: the route it goes to, its field names and its intent (ids and tables aside). */
function keyOf(method: string, path: string, fields: FormFields): string {
  const names = [...new Set(fields.map(([name]) => name.replace(idPattern, ":id")))].sort();
  const intent = fields.find(([name]) => name === "intent")?.[1] ?? "";
  const step =
    routeFor(path).params.includes("step") || routeFor(path).params.includes("transition");
  const where = step ? path.split("?")[0]?.replace(idPattern, ":id") : routeFor(path).pattern;
  return `${method} ${where} [${names.join(",")}]${intent ? ` intent=${intent}` : ""}`;
}

function splitPath(address: string): { path: string; query: FormFields } {
  const [path = address, query = ""] = address.split("?");
  return { path, query: [...new URLSearchParams(query)] };
}

/**
 * Every form and every query-carrying link on every page of the route table (the demo samples'
 * addresses), as each of these people sees them; and, with followForms, the forms that the
 * answers to its searches show (a match to open emergency access to, a new young person's
 * details). Each distinct target once, with the first person who found it.
 */
export async function discoverInputs(
  baseUrl: string,
  actors: readonly Actor[],
  samples: DemoSamples,
  options: { followForms: boolean },
): Promise<InputTarget[]> {
  const targets = new Map<string, InputTarget>();
  const add = (target: Omit<InputTarget, "key">) => {
    if (NOT_SENT.has(target.path)) return null;
    const key = keyOf(target.method, target.path, target.fields);
    if (targets.has(key)) return null;
    const found = { ...target, key };
    targets.set(key, found);
    return found;
  };
  const readPage = (actor: Actor, page: string, html: string) => {
    const found: InputTarget[] = [];
    for (const form of formsOf(html)) {
      // A browser sends a GET form's fields as the query, in place of the action's own; a POST
      // form goes to its action as written, query and all.
      const target =
        form.method === "get" ? splitPath(form.action ?? page) : { path: form.action ?? page };
      const submitters = submittersOf(form);
      for (const submitter of submitters.length ? submitters : [null]) {
        const method = form.method === "post" ? "POST" : "GET";
        const fields = baselineOf(form, submitter);
        const added = add({
          actor,
          page,
          method,
          path: target.path,
          fields,
          controls: form.controls,
        });
        if (added) found.push(added);
      }
    }
    for (const link of linksWithQueries(html)) {
      const { path, query } = splitPath(link);
      add({ actor, page, method: "GET", path, fields: query, controls: [] });
    }
    return found;
  };

  for (const route of routeFiles().filter((candidate) => methodsOf(candidate).get)) {
    for (const values of instancesOf(route, samples)) {
      for (const query of queriesOf(route, samples)) {
        const page = pathOf(route.pattern, values) + query;
        for (const actor of actors) {
          const reply = await request(baseUrl, { path: page, cookie: actor.cookie });
          if (
            reply.status !== 200 ||
            !String(reply.headers["content-type"]).startsWith("text/html")
          )
            continue;
          const found = readPage(actor, page, reply.body);
          if (!options.followForms) continue;
          // Only searches: their answers hold the next forms (a match to open, a young person to
          // record), and sending one changes nothing.
          const searches = found.filter(
            (each) =>
              each.method === "POST" &&
              each.fields.some(([name, value]) => name === "intent" && value === "search"),
          );
          for (const target of searches) {
            const answer = await request(baseUrl, {
              path: target.path,
              cookie: actor.cookie,
              form: target.fields,
            });
            if (answer.status === 200 || answer.status === 400)
              readPage(actor, target.path, answer.body);
          }
        }
      }
    }
  }
  return [...targets.values()];
}
