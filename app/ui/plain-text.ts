import { z } from "zod";

/**
 * Characters no keyboard types: control characters other than tab, line feed and carriage return,
 * and halves of a surrogate pair. PostgreSQL refuses NUL in text outright, and the rest only
 * garble records and the access log, so every free-text field refuses them at the form.
 */
const UNTYPABLE = /(?![\t\n\r])[\p{Cc}\p{Cs}]/u;

/** Whether a person could have typed this text (see UNTYPABLE). */
export function isPlainText(value: string): boolean {
  return !UNTYPABLE.test(value);
}

/** The message for a field holding a character no one types, naming the field as the page does. */
export function untypableMessage(what: string): string {
  return `${what} contains a character that cannot be used. Delete it, or type the text again instead of pasting it`;
}

/**
 * A free-text field's zod string: as z.string, refusing characters no one types (with a message
 * naming the field) before any other check, so no such character reaches a service.
 */
export function plainText(what: string, params?: Parameters<typeof z.string>[0]) {
  return z.string(params).refine(isPlainText, { message: untypableMessage(what), abort: true });
}

/**
 * What was typed into a field, to show it again with the errors: no more than the field may hold,
 * so an oversized answer is never sent back in full.
 */
export function asTyped(value: FormDataEntryValue | null | undefined, max: number): string {
  return typeof value === "string" ? value.slice(0, max) : "";
}
