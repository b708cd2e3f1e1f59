import { data, redirect } from "@remix-run/node";
import { noteUnavailable, RETRY_AFTER_SECONDS, unavailabilityCode } from "../db/unavailable";
import { AccessRefused, AlreadySaved, ConflictError, RecordNotFound } from "./services/errors";
import { alreadySavedPath } from "./ui/already-saved-notice";

/**
 * Call a service and turn the errors a person can act on into HTTP responses, in this one place:
 * a hidden refusal and a missing record are the same 404; an explained refusal is a 403 carrying
 * its reason; a conflict is a 409; a form sent again after it was saved is a 303 to the page that
 * shows what was saved, with a notice saying so; the database unavailable or too slow is a 503
 * asking to try again later (the host logs it once and gives a form's answers back). Anything else
 * is a bug and surfaces as a 500 without detail.
 */
export async function serviceCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const unavailable = unavailabilityCode(error);
    if (unavailable) throw databaseUnavailable(unavailable);
    if (error instanceof RecordNotFound) throw data(null, { status: 404 });
    if (error instanceof AccessRefused) {
      throw error.visibility === "hide"
        ? data(null, { status: 404 })
        : data(error.reason, { status: 403 });
    }
    if (error instanceof ConflictError) throw data(error.message, { status: 409 });
    if (error instanceof AlreadySaved) throw redirect(alreadySavedPath(error.location), 303);
    throw error;
  }
}

/**
 * The answer when the database is unavailable or too slow: a 503 with Retry-After, noted for the
 * HTTP host (which logs it once, and gives a form's answers back to the person).
 */
export function databaseUnavailable(code: string) {
  noteUnavailable(code);
  return data(null, { status: 503, headers: { "Retry-After": String(RETRY_AFTER_SECONDS) } });
}
