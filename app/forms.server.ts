import { data } from "@remix-run/node";
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
