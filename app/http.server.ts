import { data } from "@remix-run/node";
import { AccessRefused, ConflictError, RecordNotFound } from "./services/errors";

/**
 * Call a service and turn the errors a person can act on into HTTP responses, in this one place:
 * a hidden refusal and a missing record are the same 404; an explained refusal is a 403 carrying
 * its reason; a conflict is a 409. Anything else is a bug and surfaces as a 500 without detail.
 */
export async function serviceCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RecordNotFound) throw data(null, { status: 404 });
    if (error instanceof AccessRefused) {
      throw error.visibility === "hide"
        ? data(null, { status: 404 })
        : data(error.reason, { status: 403 });
    }
    if (error instanceof ConflictError) throw data(error.message, { status: 409 });
    throw error;
  }
}
