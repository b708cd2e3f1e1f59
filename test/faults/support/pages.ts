import type { Outcome } from "../../e2e/support/http";
import { formsOf, headingOf } from "../../security/support/pages";

/** The heading of the page Crosswalk shows when the database is unavailable. */
export const UNAVAILABLE_HEADING = "Sorry, the service is unavailable";
export const NOTHING_SAVED = "Nothing was saved.";

/**
 * The fields a browser would send with the POST form on a page whose action is `action`, in
 * order (unticked choices left out), or null when the page has no such form.
 */
export function formToSendAgain(html: string, action: string): [string, string][] | null {
  const form = formsOf(html).find((found) => found.method === "post" && found.action === action);
  if (!form) return null;
  return form.controls
    .filter((control) => control.tag !== "button" && control.type !== "submit")
    .filter((control) => !["radio", "checkbox"].includes(control.type) || control.checked)
    .map((control) => [control.name, control.value]);
}

/** Why an answer is not the "service unavailable" page of a form that was not saved. */
export function unavailablePageProblems(
  outcome: Outcome,
  expected: { action: string; fields: Record<string, string> },
): string[] {
  if (outcome.kind === "failed") return [`no answer: ${outcome.error}`];
  const problems: string[] = [];
  if (outcome.status !== 503) problems.push(`status ${outcome.status}, not 503`);
  const retryAfter = outcome.headers["retry-after"];
  if (typeof retryAfter !== "string" || !/^\d+$/.test(retryAfter))
    problems.push(`Retry-After is ${JSON.stringify(retryAfter)}, not a number of seconds`);
  const heading = headingOf(outcome.body);
  if (heading !== UNAVAILABLE_HEADING) problems.push(`heading is ${JSON.stringify(heading)}`);
  if (!outcome.body.includes(NOTHING_SAVED)) problems.push(`does not say "${NOTHING_SAVED}"`);
  const again = formToSendAgain(outcome.body, expected.action);
  if (!again) {
    problems.push(`no form to send again to ${expected.action}`);
    return problems;
  }
  const sent = new Map(again);
  for (const [name, value] of Object.entries(expected.fields)) {
    if (sent.get(name) !== value)
      problems.push(`the form to send again has ${name} = ${JSON.stringify(sent.get(name))}`);
  }
  return problems;
}
