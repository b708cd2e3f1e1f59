import fc from "fast-check";
import type { Kysely } from "kysely";
import { DEMO_PARTNERSHIP_ID } from "../../../db/seed/demo";
import type { Database } from "../../../db/types";
import type { CrosswalkServer } from "../../e2e/support/server";
import { createAgency, createUser } from "../../support/factories";
import { refusalLogged } from "./access-log";
import { demoActors, type Actor } from "./actors";
import { discoverInputs, type InputTarget } from "./crawl";
import { request, queryOf, type FormFields, type Reply } from "./http";
import { ALWAYS_TRIED, VERY_LONG, hostileValue, placement, type Placement } from "./payloads";
import { escapeHtml, formsOf, govukPageProblems, hasErrorSummary, headingOf } from "./pages";
import { demoSamples, type DemoSamples } from "./samples";
import { addressOf, connectTo, startSecurityServer } from "./server";

/**
 * Property-based fuzzing of every form and every query parameter Crosswalk's pages offer, found
 * by reading the pages as each demo person (and nobody signed in). Each attack starts from a valid
 * submission and changes one field (or repeats it, or adds one), with the hostile values of
 * payloads.ts; fast-check reports the seed and the counterexample of any failure.
 */

/** What the answers to the attacks are checked for; an answer is never a 5xx, whatever the checks. */
export type Check =
  /** Every 4xx page is a GOV.UK page with a heading and no internals. */
  | "pages"
  /** Every 403 is in the access log against the person. */
  | "refusals"
  /** Markup typed comes back escaped. */
  | "escaping"
  /** Bad input in a box comes back with a GOV.UK error summary and what was typed. */
  | "answers"
  /** An over-long answer (100,000 characters) never comes back whole. */
  | "overlong";

/**
 * Longer than this, an answer is over-long for some box (a date's day, a postcode district): it
 * may come back cut to the box's limit, or not at all, but never whole.
 */
const ECHO_LIMIT = 100;

export interface FuzzedServer {
  server: CrosswalkServer;
  db: Kysely<Database>;
  baseUrl: string;
  targets: InputTarget[];
}

/**
 * A server of its own (the attacks submit forms that change the demo data), and every form and
 * query string on its pages.
 */
export async function startFuzzedServer(appDir: string): Promise<FuzzedServer> {
  const server = await startSecurityServer(appDir);
  const address = addressOf(server);
  const db = await connectTo(address, "superuser");
  try {
    return { server, db, baseUrl: server.baseUrl, targets: await inputsOn(server, db) };
  } catch (error) {
    await db.destroy();
    await server.stop();
    throw error;
  }
}

async function inputsOn(server: CrosswalkServer, db: Kysely<Database>): Promise<InputTarget[]> {
  const address = addressOf(server);
  const actors = await demoActors(server.baseUrl, db);
  const lead = actors.find((actor) => actor.role === "partnership_lead");
  const samples: DemoSamples = await demoSamples(db, server.baseUrl, lead?.cookie ?? "");
  // The administration pages are attacked on an account and an agency of their own, so that
  // deactivating them (a valid submission) leaves every demo person able to work.
  const owner = await connectTo(address, "owner");
  try {
    const agency = await createAgency(owner, DEMO_PARTNERSHIP_ID, {
      kind: "voluntary",
      name: "Fuzzed agency",
    });
    const user = await createUser(owner, agency, { role: "practitioner", name: "Fuzzed Account" });
    samples.agency = agency.id;
    samples.user = user.id;
  } finally {
    await owner.destroy();
  }
  return discoverInputs(server.baseUrl, actors, samples, { followForms: true });
}

interface Attack {
  field: string;
  value: string;
  placement: Placement;
}

/** The attack as it can be sent to this target: a query value within what an address holds. */
function fitted(target: InputTarget, attack: Attack): Attack {
  if (target.method !== "GET" || attack.value.length <= LONGEST_QUERY_VALUE) return attack;
  return { ...attack, value: attack.value.slice(0, LONGEST_QUERY_VALUE) };
}

function attacked(fields: FormFields, attack: Attack): FormFields {
  if (attack.placement === "extra") return [...fields, [attack.field, attack.value]];
  if (attack.placement === "repeat") return [...fields, [attack.field, attack.value]];
  let done = false;
  const out: [string, string][] = [];
  for (const [name, value] of fields) {
    if (name !== attack.field) out.push([name, value]);
    else if (!done) {
      out.push([name, attack.value]);
      done = true;
    }
  }
  if (!done) out.push([attack.field, attack.value]);
  return out;
}

/**
 * An address longer than the server reads (16 KB of request line and headers) is refused before
 * any route sees it (the limits test checks that): a query value is kept under that.
 */
const LONGEST_QUERY_VALUE = 6_000;

function send(baseUrl: string, target: InputTarget, fields: FormFields): Promise<Reply> {
  const base = { cookie: target.actor.cookie };
  return target.method === "GET"
    ? request(baseUrl, { ...base, path: target.path + queryOf(fields) })
    : request(baseUrl, { ...base, path: target.path, form: fields });
}

/** A box a person types into (and so expects to see again when the answer is refused). */
function typedInto(target: InputTarget, field: string): boolean {
  return target.controls.some(
    (control) =>
      control.name === field &&
      (control.tag === "textarea" ||
        (control.tag === "input" &&
          ["text", "email", "search", "tel", "number", "url"].includes(control.type))),
  );
}

/**
 * A typed answer as it can fairly be shown again: as the server decoded it (a lone surrogate is
 * U+FFFD), without the characters a page cannot show (control characters, U+FFFD itself), with
 * spacing and case aside.
 */
function comparable(text: string): string {
  return (
    text
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "")
      // Control characters are what this removes.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/g, "")
      // Spacing and case aside: a postcode comes back in capitals and without its spaces.
      .replace(/\s+/g, "")
      .toLowerCase()
  );
}

/**
 * Why the refused form does not show the answer typed into `field` again, or null when it does.
 * The box must hold what was typed, or its start when the answer is longer than the box allows
 * (an answer over a field's limit is cut to it, never echoed whole).
 */
function lostAnswer(html: string, field: string, typed: string): string | null {
  const expected = comparable(typed);
  if (expected === "") return null;
  const box = formsOf(html)
    .flatMap((form) => form.controls)
    .find(
      (control) =>
        control.name === field && (control.tag === "textarea" || control.tag === "input"),
    );
  if (!box) return "the form is not shown again with the box";
  const shown = comparable(box.value);
  if (shown === "") return "the box comes back empty";
  if (!expected.startsWith(shown)) return `the box shows ${JSON.stringify(shown.slice(0, 40))}`;
  return null;
}

/** Whether the page the target was found on still offers a form with this box. */
async function stillOffered(baseUrl: string, target: InputTarget, field: string): Promise<boolean> {
  const page = await request(baseUrl, { path: target.page, cookie: target.actor.cookie });
  if (page.status !== 200) return false;
  return formsOf(page.body).some(
    (form) =>
      (form.action ?? target.page).split("?")[0] === target.path.split("?")[0] &&
      form.controls.some((control) => control.name === field),
  );
}

/** The page without its scripts: loader data is in them, JSON-encoded, never as markup. */
const withoutScripts = (html: string) => html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "");

async function problemsWith(
  fuzzed: FuzzedServer,
  checks: ReadonlySet<Check>,
  target: InputTarget,
  attack: Attack,
  reply: Reply,
  actor: Actor,
): Promise<string[]> {
  const problems: string[] = [];
  const what = `${target.key} as ${actor.name}, ${attack.placement} ${attack.field}=${JSON.stringify(attack.value.slice(0, 60))}${attack.value.length > 60 ? `… (${attack.value.length} characters)` : ""}`;
  if (reply.status >= 500) return [`${what}: answered ${reply.status}`];
  const html = String(reply.headers["content-type"] ?? "").startsWith("text/html");
  if (checks.has("pages") && reply.status >= 400 && reply.status !== 413 && html) {
    problems.push(
      ...govukPageProblems(reply).map(
        (problem) => `${what}: the ${reply.status} page is ${problem}`,
      ),
    );
  }
  if (
    checks.has("refusals") &&
    reply.status === 403 &&
    actor.userId &&
    !(await refusalLogged(fuzzed.db, reply, actor))
  ) {
    problems.push(`${what}: a 403 with no refusal in the access log`);
  }
  if (
    checks.has("escaping") &&
    html &&
    attack.value.includes("<") &&
    attack.value.length >= 8 &&
    withoutScripts(reply.body).includes(attack.value)
  ) {
    problems.push(`${what}: the markup came back unescaped`);
  }
  if (
    checks.has("answers") &&
    reply.status === 400 &&
    attack.placement === "replace" &&
    typedInto(target, attack.field)
  ) {
    const shown: string[] = [];
    if (!hasErrorSummary(reply.body))
      shown.push(`${what}: a 400 without a GOV.UK error summary ("${headingOf(reply.body)}")`);
    const lost =
      attack.value.length <= ECHO_LIMIT ? lostAnswer(reply.body, attack.field, attack.value) : null;
    if (lost) shown.push(`${what}: the answer typed is lost (${lost})`);
    // An earlier attack may have used the form up (the review recorded, the consent's withdrawal
    // recorded): a form its page no longer offers has no answers to show again.
    if (shown.length > 0 && (await stillOffered(fuzzed.baseUrl, target, attack.field))) {
      problems.push(...shown);
    }
  }
  if (
    checks.has("overlong") &&
    attack.value === VERY_LONG &&
    reply.body.includes(escapeHtml(VERY_LONG))
  ) {
    problems.push(`${what}: a 100,000-character answer was echoed back`);
  }
  return problems;
}

/**
 * Forms that end a piece of work are attacked last, in this order: deactivating, discarding or
 * sending; recording that consent was withdrawn (before a new decision to share replaces the one
 * it withdraws); a new decision; a referral's steps and a draft's sending; closing or withdrawing
 * the referral. A valid attack on one changes what the others can do, and bad input in a form is
 * only shown again while the form can still be used.
 */
function inOrderOfAttack(targets: readonly InputTarget[]): InputTarget[] {
  const ends = (target: InputTarget) =>
    target.fields.some(
      ([name, value]) => name === "intent" && /^(deactivate|discard|submit)$/.test(value),
    );
  const rank = (target: InputTarget) => {
    if (/\/steps\/(close|withdraw)$/.test(target.path)) return 5;
    if (/\/steps\/|\/draft\/check$/.test(target.path)) return 4;
    if (/\/sharing\/new$/.test(target.path)) return 3;
    if (/\/withdraw$/.test(target.path)) return 2;
    return ends(target) ? 1 : 0;
  };
  return [...targets].sort((a, b) => rank(a) - rank(b));
}

/**
 * Attack every target `runs` times with random hostile values, after the values every field is
 * always tried with; returns what is wrong, each with fast-check's seed and counterexample.
 */
export async function fuzzEverything(
  fuzzed: FuzzedServer,
  checks: ReadonlySet<Check>,
  runs: number,
): Promise<{ problems: string[]; sent: number }> {
  const problems: string[] = [];
  let sent = 0;
  for (const target of inOrderOfAttack(fuzzed.targets)) {
    const names = [
      ...new Set([
        ...target.fields.map(([name]) => name),
        ...target.controls.map((control) => control.name),
      ]),
    ];
    if (names.length === 0) names.push("q");
    const examples: [Attack][] = names.flatMap((field) =>
      (typedInto(target, field) ? ALWAYS_TRIED : [...ALWAYS_TRIED.slice(0, 2), VERY_LONG]).map(
        (value): [Attack] => [{ field, value, placement: "replace" }],
      ),
    );
    const attack = fc.record({
      field: fc.constantFrom(...names),
      value: hostileValue,
      placement,
    });
    const result = await fc.check(
      fc.asyncProperty(attack, async (generated) => {
        const one = fitted(target, generated);
        const reply = await send(fuzzed.baseUrl, target, attacked(target.fields, one));
        sent += 1;
        const found = await problemsWith(fuzzed, checks, target, one, reply, target.actor);
        problems.push(...found);
        return found.length === 0;
      }),
      { numRuns: runs + examples.length, examples, endOnFailure: true },
    );
    if (result.failed) {
      const error =
        result.errorInstance instanceof Error ? ` (${result.errorInstance.message})` : "";
      problems.push(
        `${target.key}: fast-check seed ${result.seed}, path ${result.counterexamplePath ?? ""}, ` +
          `counterexample ${JSON.stringify(result.counterexample)?.slice(0, 300)}${error}`,
      );
    }
  }
  return { problems: [...new Set(problems)], sent };
}
