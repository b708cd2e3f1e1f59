import type { Reply } from "./http";

/**
 * Reading Crosswalk's server-rendered pages: whether a page is a GOV.UK page, its heading, its
 * error summary, and its forms. React's server rendering writes regular HTML (double-quoted
 * attributes, escaped text), so a small tokenizer reads it; scripts are skipped.
 */

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: "\u00a0",
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === "#") {
      const code =
        entity[1] === "x" || entity[1] === "X"
          ? parseInt(entity.slice(2), 16)
          : parseInt(entity.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

/** Text as React escapes it inside an element or an attribute. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#x27;");
}

/** The page's main heading (its first h1), as text. */
export function headingOf(html: string): string | null {
  const match = /<h1\b[^>]*>([\s\S]*?)<\/h1>/.exec(html);
  if (!match) return null;
  return decodeEntities((match[1] ?? "").replace(/<[^>]*>/g, ""))
    .replace(/\s+/g, " ")
    .trim();
}

const STACK_TRACE =
  /\n\s+at [^\n]+\(?[^\n]*:\d+:\d+\)?|\b(?:TypeError|ReferenceError|SyntaxError|RangeError)\b|node_modules\//;

/** Why this reply is not a GOV.UK page with a heading and no internals; empty when it is. */
export function govukPageProblems(reply: Reply): string[] {
  const problems: string[] = [];
  const type = String(reply.headers["content-type"] ?? "");
  if (!type.startsWith("text/html")) problems.push(`content type is "${type}", not text/html`);
  if (!/<html[^>]*class="[^"]*govuk-template/.test(reply.body))
    problems.push("not in the GOV.UK template");
  if (!headingOf(reply.body)) problems.push("no h1 heading");
  const trace = STACK_TRACE.exec(reply.body);
  if (trace) problems.push(`shows internals: ${JSON.stringify(trace[0].slice(0, 120))}`);
  return problems;
}

/** Whether the page shows a GOV.UK error summary. */
export function hasErrorSummary(html: string): boolean {
  return /class="govuk-error-summary"/.test(html);
}

/**
 * The parts of a page that differ between any two requests (the CSP nonce, the one-time id its
 * forms are sent with, in its forms and in the root's data) and the ids the request itself named,
 * replaced by placeholders, so two refusals can be compared.
 */
export function withoutRequestParts(html: string, ids: readonly string[]): string {
  let text = html.replace(/nonce="[^"]*"/g, 'nonce="…"');
  const submissionIds = [
    ...html.matchAll(/name="submissionId" value="([0-9a-f-]{36})"/g),
    ...html.matchAll(/submissionId[\\"]*,[\\"]*([0-9a-f-]{36})/g),
  ].map((match) => match[1] ?? "");
  for (const id of new Set(submissionIds)) text = text.split(id).join("[submission id]");
  for (const id of ids) text = text.split(id).join("[id]");
  return text;
}

/** One control of a form, as a browser would submit it. */
export interface FormControl {
  tag: "input" | "textarea" | "select" | "button";
  /** input's type; "text" for textarea, "select" for select, "submit" for button. */
  type: string;
  name: string;
  value: string;
  /** Checkboxes and radios: ticked as the page was served. Selects: their options' values. */
  checked: boolean;
  options: string[];
}

export interface HtmlForm {
  method: "get" | "post";
  /** The form's action attribute, decoded; null means the page's own address. */
  action: string | null;
  controls: FormControl[];
}

interface Tag {
  name: string;
  closing: boolean;
  attributes: Record<string, string>;
  end: number;
}

function* tagsOf(html: string): Generator<Tag> {
  const pattern = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>/]+(?:="[^"]*")?)*)\s*\/?>/g;
  for (let match = pattern.exec(html); match; match = pattern.exec(html)) {
    const name = (match[2] ?? "").toLowerCase();
    const attributes: Record<string, string> = {};
    for (const attribute of (match[3] ?? "").matchAll(/([^\s=>/]+)(?:="([^"]*)")?/g)) {
      attributes[(attribute[1] ?? "").toLowerCase()] = decodeEntities(attribute[2] ?? "");
    }
    yield { name, closing: match[1] === "/", attributes, end: pattern.lastIndex };
    if (!match[1] && (name === "script" || name === "style")) {
      const close = html.indexOf(`</${name}`, pattern.lastIndex);
      if (close === -1) return;
      pattern.lastIndex = close;
    }
  }
}

/** Every form on the page, with its controls in document order. */
export function formsOf(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  let form: HtmlForm | null = null;
  let select: FormControl | null = null;
  for (const tag of tagsOf(html)) {
    if (tag.name === "form") {
      if (tag.closing) {
        if (form) forms.push(form);
        form = null;
      } else {
        form = {
          method: tag.attributes.method?.toLowerCase() === "post" ? "post" : "get",
          action: tag.attributes.action ?? null,
          controls: [],
        };
      }
      continue;
    }
    if (!form || tag.closing) {
      if (tag.name === "select" && tag.closing) select = null;
      continue;
    }
    const { name } = tag.attributes;
    if (tag.name === "option" && select) {
      select.options.push(tag.attributes.value ?? "");
      if ("selected" in tag.attributes) select.value = tag.attributes.value ?? "";
      continue;
    }
    if (name === undefined || "disabled" in tag.attributes) continue;
    if (tag.name === "input") {
      const type = (tag.attributes.type ?? "text").toLowerCase();
      form.controls.push({
        tag: "input",
        type,
        name,
        value: tag.attributes.value ?? (type === "checkbox" || type === "radio" ? "on" : ""),
        checked: "checked" in tag.attributes,
        options: [],
      });
    } else if (tag.name === "textarea") {
      const close = html.indexOf("</textarea>", tag.end);
      form.controls.push({
        tag: "textarea",
        type: "text",
        name,
        value: decodeEntities(html.slice(tag.end, close === -1 ? tag.end : close)).replace(
          /^\n/,
          "",
        ),
        checked: false,
        options: [],
      });
    } else if (tag.name === "select") {
      select = { tag: "select", type: "select", name, value: "", checked: false, options: [] };
      form.controls.push(select);
    } else if (tag.name === "button") {
      form.controls.push({
        tag: "button",
        type: (tag.attributes.type ?? "submit").toLowerCase(),
        name,
        value: tag.attributes.value ?? "",
        checked: false,
        options: [],
      });
    }
  }
  for (const control of forms.flatMap((each) => each.controls)) {
    if (control.tag === "select" && control.value === "") control.value = control.options[0] ?? "";
  }
  return forms;
}

/** Every same-site link on the page that carries a query string. */
export function linksWithQueries(html: string): string[] {
  const links = new Set<string>();
  for (const tag of tagsOf(html)) {
    const href = tag.name === "a" && !tag.closing ? tag.attributes.href : undefined;
    if (href?.startsWith("/") && !href.startsWith("//") && href.includes("?")) links.add(href);
  }
  return [...links];
}
