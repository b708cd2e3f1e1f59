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
