import { randomUUID } from "node:crypto";
import type { FormFields } from "./http";
import type { FormControl, HtmlForm } from "./pages";

/**
 * What a person would send with a form: what the page filled in, a choice where the page left
 * one open, and a plausible answer in every empty required-looking box. Used as the valid
 * starting point that one attack then changes, so the attack reaches the code behind the checks.
 */

const LONDON = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" });

/** Boxes that are optional and checked for format when given: left empty. */
const LEFT_EMPTY =
  /^(knownAs|nhsNumber|uniquePupilNumber|policeReference|youngPersonViews|adviceFrom|competenceAssessment|contactName|contactEmail|immediateAction|school|note|homePostcodeDistrict)$/;

/**
 * Choices a person making a plain, valid submission would make where the first option leads to
 * questions that need more answers (a share resting on consent needs who gave it, its scope…).
 * null leaves the question unanswered.
 */
const PREFERRED: Record<string, string | null> = {
  consentReliedOn: "no",
  consentGivenBy: null,
  consentForm: null,
  consentScopeAgencyIds: null,
  consentScopePurposes: null,
  dataItems: null,
};

function answerFor(control: FormControl): string {
  const { name } = control;
  const [year, month, day] = LONDON.format(new Date()).split("-");
  const part = /-(day|month|year)$/.exec(name)?.[1];
  if (part) {
    if (/birth/i.test(name)) return { day: "14", month: "3", year: "2010" }[part] ?? "";
    if (/^consentExpiresOn/.test(name)) return "";
    return String(Number({ day, month, year }[part]));
  }
  if (LEFT_EMPTY.test(name)) return "";
  if (control.type === "email" || /email/i.test(name))
    return `security-${randomUUID().slice(0, 8)}@example.test`;
  if (control.type === "number" || /amount$/.test(name)) return "2";
  if (name === "minutes") return "60";
  if (name === "threshold") return "5";
  if (name === "postcodeDistrict") return "NG7";
  if (name === "givenName") return "Sectest";
  if (name === "familyName") return "Fuzzperson";
  if (name === "displayName" || name === "name") return "Sec Tester";
  if (name === "password" || name === "confirm") return "";
  return "Written by the security tests.";
}

/** The submit buttons that name an intent: each is a way to send the form. */
export function submittersOf(form: HtmlForm): FormControl[] {
  return form.controls.filter(
    (control) => control.tag === "button" && control.type === "submit" && control.name,
  );
}

/**
 * The fields a browser sends for the form with this submit button, with open choices made and
 * empty boxes answered; `overrides` replace fields by name (an array sends the name repeatedly).
 */
export function baselineOf(
  form: HtmlForm,
  submitter: FormControl | null = submittersOf(form)[0] ?? null,
  overrides: Record<string, string | string[]> = {},
): FormFields {
  // A search or filter form's empty boxes are filters not chosen: a person leaves them empty.
  const answer = (control: FormControl) => (form.method === "get" ? "" : answerFor(control));
  const fields: [string, string][] = [];
  const chosen = new Set<string>();
  const groups = new Map<string, FormControl[]>();
  for (const control of form.controls) {
    if (control.type === "checkbox" || control.type === "radio") {
      groups.set(control.name, [...(groups.get(control.name) ?? []), control]);
    }
  }
  for (const control of form.controls) {
    const { name } = control;
    if (Object.hasOwn(overrides, name)) {
      if (chosen.has(name)) continue;
      chosen.add(name);
      const value = overrides[name] as string | string[];
      for (const one of Array.isArray(value) ? value : [value]) fields.push([name, one]);
      continue;
    }
    if (control.tag === "button") {
      if (control === submitter) fields.push([name, control.value]);
      continue;
    }
    if (control.type === "submit" || control.type === "file") continue;
    if (control.type === "checkbox" || control.type === "radio") {
      const group = groups.get(name) ?? [];
      const ticked = group.filter((member) => member.checked);
      if (ticked.length === 0 && Object.hasOwn(PREFERRED, name)) {
        const preferred = PREFERRED[name];
        if (preferred !== null && control.value === preferred) fields.push([name, control.value]);
        continue;
      }
      // Leave an open choice to the first option, as a person answering the question would.
      if (control.checked || (ticked.length === 0 && group[0] === control))
        fields.push([name, control.value]);
      continue;
    }
    if (control.tag === "select") {
      fields.push([name, control.value || (control.options.find((option) => option !== "") ?? "")]);
      continue;
    }
    fields.push([
      name,
      control.value !== "" || control.type === "hidden" ? control.value : answer(control),
    ]);
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (chosen.has(name)) continue;
    for (const one of Array.isArray(value) ? value : [value]) fields.push([name, one]);
  }
  return fields;
}

/** The form's fields with one name's values replaced (all of them) by `value`. */
export function withField(fields: FormFields, name: string, value: string): FormFields {
  let replaced = false;
  const out: [string, string][] = [];
  for (const [field, current] of fields) {
    if (field !== name) out.push([field, current]);
    else if (!replaced) {
      out.push([field, value]);
      replaced = true;
    }
  }
  if (!replaced) out.push([name, value]);
  return out;
}

/** Where a form is sent: its action, or the page it is on. */
export function targetOf(form: HtmlForm, pagePath: string): string {
  if (!form.action) return pagePath;
  return form.action;
}
