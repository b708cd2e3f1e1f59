import type { ErrorPage } from "./error-pages";

/** The longest answer shown back in full; a longer one is cut, and the page says so. */
export const KEPT_ANSWER_MAX_CHARACTERS = 20_000;
/** At most this many fields are shown back (a form has a few dozen at most). */
const KEPT_FIELDS_MAX = 200;

/** One answer given back to the person: text they can read, copy and send again. */
export interface KeptField {
  name: string;
  value: string;
  /** Ids and other values the page put in the form, sent again but not shown. */
  hidden: boolean;
  /** The answer was longer than KEPT_ANSWER_MAX_CHARACTERS and only its start is shown. */
  cut: boolean;
}

/** What a person sent in a form that was not saved, as far as it is safe to give back. */
export interface KeptSubmission {
  /** Where the form was sent (path and query, same site), for sending it again. */
  action: string;
  fields: KeptField[];
  /** Passwords, codes, tokens and secrets are never echoed: the person types them again. */
  secretsLeftOut: boolean;
  /** Files cannot be given back: the person attaches them again. */
  filesLeftOut: boolean;
}

/**
 * Field names whose values are never shown back: any word of the name (camelCase, snake_case or
 * kebab-case) is one of these, so `newPassword`, `recovery_code` and `otp` are secrets while
 * `postcode` is not.
 */
const SECRET_WORDS = new Set([
  "password",
  "passcode",
  "passphrase",
  "code",
  "token",
  "secret",
  "otp",
  "pin",
]);
/** Fields the page itself puts in a form: sent again as they were, not shown. */
const PAGE_FIELDS = new Set([
  "submissionId",
  "intent",
  "_action",
  "returnTo",
  "redirectTo",
  "held",
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function wordsOf(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[\s_\-.[\]]+/)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
}

/** Whether a field's value must never be echoed back. */
export function isSecretField(name: string): boolean {
  return wordsOf(name).some((word) => SECRET_WORDS.has(word));
}

/**
 * What of a submitted form can be given back: every field, in order, except secrets and files;
 * answers longer than the bound are cut. `action` must be a path on this site.
 */
export function keptSubmission(
  action: string,
  entries: Iterable<[string, unknown]>,
): KeptSubmission {
  const kept: KeptSubmission = {
    action: action.startsWith("/") && !action.startsWith("//") ? action : "/",
    fields: [],
    secretsLeftOut: false,
    filesLeftOut: false,
  };
  for (const [name, value] of entries) {
    if (typeof value !== "string") {
      // A file input sends an empty file when nothing was chosen: that is nothing to attach again.
      if (typeof value === "object" && value !== null && "size" in value && Number(value.size) > 0)
        kept.filesLeftOut = true;
      continue;
    }
    if (isSecretField(name)) {
      if (value !== "") kept.secretsLeftOut = true;
      continue;
    }
    if (kept.fields.length >= KEPT_FIELDS_MAX) continue;
    const cut = value.length > KEPT_ANSWER_MAX_CHARACTERS;
    kept.fields.push({
      name,
      value: cut ? value.slice(0, KEPT_ANSWER_MAX_CHARACTERS) : value,
      hidden: PAGE_FIELDS.has(name) || UUID.test(value),
      cut,
    });
  }
  return kept;
}

/** A field name as a label: `dateOfBirth` is "Date of birth". */
function labelFor(name: string): string {
  const words = wordsOf(name).join(" ");
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : "Answer";
}

/** The first sentence on a page that gives answers back. */
export const NOTHING_SAVED = "Nothing was saved.";

/**
 * The page for a fault (a refusal, an unavailable database, a bug): its heading and what to do,
 * and, when a form was sent and not saved, everything the person typed in a form they can send
 * again, textareas they can also copy from. The HTTP host renders it without JavaScript; the app's
 * error boundary renders the same, from the form the browser kept.
 */
export function FaultPage({
  page,
  reason,
  kept,
}: {
  page: ErrorPage;
  /** The refusal's own explanation, when it has one written for the person. */
  reason?: string | null;
  kept?: KeptSubmission | null;
}) {
  const visible = kept?.fields.filter((field) => !field.hidden) ?? [];
  return (
    <div className="govuk-grid-row">
      <div className="govuk-grid-column-two-thirds">
        <h1 className="govuk-heading-l">{page.title}</h1>
        {reason ? <p className="govuk-body">{reason}</p> : null}
        <p className="govuk-body">{page.body}</p>
        {kept ? (
          <>
            <p className="govuk-body">
              {NOTHING_SAVED} Your answers are below: send them again in a few minutes, or copy them
              somewhere safe first.
            </p>
            {kept.secretsLeftOut ? (
              <p className="govuk-body">
                Passwords and codes are not shown here: you will need to type them again.
              </p>
            ) : null}
            {kept.filesLeftOut ? (
              <p className="govuk-body">Files you attached were not kept: attach them again.</p>
            ) : null}
            <form method="post" action={kept.action} noValidate>
              {kept.fields.map((field, index) =>
                field.hidden ? (
                  <input key={index} type="hidden" name={field.name} value={field.value} />
                ) : null,
              )}
              {visible.map((field, index) => {
                const id = `kept-answer-${index + 1}`;
                return (
                  <div className="govuk-form-group" key={id}>
                    <label className="govuk-label govuk-label--s" htmlFor={id}>
                      {labelFor(field.name)}
                    </label>
                    {field.cut ? (
                      <div className="govuk-hint" id={`${id}-hint`}>
                        This answer was longer than{" "}
                        {KEPT_ANSWER_MAX_CHARACTERS.toLocaleString("en-GB")} characters: only the
                        start is shown, and only the start would be sent again.
                      </div>
                    ) : null}
                    <textarea
                      className="govuk-textarea"
                      id={id}
                      name={field.name}
                      rows={Math.min(12, Math.max(2, field.value.split("\n").length + 1))}
                      defaultValue={field.value}
                      aria-describedby={field.cut ? `${id}-hint` : undefined}
                    />
                  </div>
                );
              })}
              <button type="submit" className="govuk-button" data-module="govuk-button">
                Send again
              </button>
            </form>
          </>
        ) : null}
        <p className="govuk-body">
          <a href="/" className="govuk-link">
            Go to the start page
          </a>
        </p>
      </div>
    </div>
  );
}

let remembered: KeptSubmission | null = null;

/**
 * In the browser, the form last sent through the app's script, so that the error boundary can give
 * the answers back if the save failed (the page is replaced, and with it what was typed).
 */
export function rememberSubmission(kept: KeptSubmission): void {
  remembered = kept;
}

/** The app's script finished a navigation without an error: what was sent was saved. */
export function forgetSubmission(): void {
  remembered = null;
}

/** The form whose sending just failed, if the page at `path` is the one it went to. */
export function failedSubmission(path: string): KeptSubmission | null {
  if (!remembered) return null;
  const [actionPath] = remembered.action.split("?");
  return actionPath === path ? remembered : null;
}
