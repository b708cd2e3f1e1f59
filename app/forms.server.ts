import { data } from "@remix-run/node";
import { z } from "zod";
import type { SubmissionResult } from "@conform-to/react";

/**
 * Read a submitted form. A body that is not a form (wrong content type, truncated, too large) is
 * the client's mistake: a 400, never a 500.
 */
export async function readForm(request: Request): Promise<FormData> {
  try {
    return await request.formData();
  } catch {
    throw data("The form could not be read.", { status: 400 });
  }
}

/** The first error message for each field, in form order, for the GOV.UK error summary. */
export function fieldErrors(
  result: SubmissionResult<string[]> | undefined,
  order: readonly string[],
): { field: string; message: string }[] {
  const errors = result?.error ?? {};
  return order.flatMap((field) => {
    const message = errors[field]?.[0];
    return message ? [{ field, message }] : [];
  });
}

const Uuid = z.uuid();

/**
 * A record id from the URL. Ids in URLs are UUIDs; anything else names no record, so it is the
 * same 404 as a record that does not exist.
 */
export function uuidParam(params: Record<string, string | undefined>, name: string): string {
  const parsed = Uuid.safeParse(params[name]);
  if (!parsed.success) throw data(null, { status: 404 });
  return parsed.data;
}

/**
 * The first message for each field a zod parse refused, in the order found, for the GOV.UK error
 * summary. An issue with no path is put against `fallback`.
 */
export function zodFieldErrors(
  error: z.ZodError,
  fallback: string,
): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  for (const issue of error.issues) {
    const field = String(issue.path[0] ?? fallback);
    if (!errors.some((known) => known.field === field)) {
      errors.push({ field, message: issue.message });
    }
  }
  return errors;
}

/**
 * A whole number typed into one field of a settings form, within its range: the number, or the
 * answer as typed with the message to show (empty or out of range).
 */
export function wholeNumberField(
  form: FormData,
  field: string,
  range: { min: number; max: number; empty: string; invalid: string },
): { value: number } | { answer: string; errors: { field: string; message: string }[] } {
  const raw = form.get(field);
  const answer = typeof raw === "string" ? raw.trim() : "";
  const value = Number(answer);
  if (/^\d+$/.test(answer) && value >= range.min && value <= range.max) return { value };
  const message = answer === "" ? range.empty : range.invalid;
  // Shown again no longer than a number could be.
  return { answer: answer.slice(0, 20), errors: [{ field, message }] };
}
