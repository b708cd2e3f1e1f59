import type { AuditEntry } from "./audit.server";

/**
 * Errors a service raises for the person to act on. Routes never build HTTP errors themselves;
 * app/http.server.ts maps these to responses in one place.
 */

/** The record does not exist, or the person may not know it exists: both look the same (404). */
export class RecordNotFound extends Error {
  override name = "RecordNotFound";
  constructor(readonly recordType: string) {
    super(`${recordType} not found`);
  }
}

/**
 * The policies refused. `hide` refusals (reads of a record) become a 404 indistinguishable from a
 * missing record; the others a 403 that gives the person the reason. The refusal is written to the
 * access log after the refused transaction rolls back (see inActorTransaction).
 */
export class AccessRefused extends Error {
  override name = "AccessRefused";
  constructor(
    readonly reason: string,
    readonly visibility: "hide" | "explain",
    readonly audit: AuditEntry,
  ) {
    super(reason);
  }
}

/** The record changed since the person opened it, or the change conflicts with another record. */
export class ConflictError extends Error {
  override name = "ConflictError";
}

/** Input that passed the form's shape checks but breaks a rule only the service can check. */
export class InvalidInput extends Error {
  override name = "InvalidInput";
  constructor(readonly errors: { field: string; message: string }[]) {
    super(errors.map((error) => error.message).join("; "));
  }
}

/**
 * The form was sent before, and that sending saved it: this one saved nothing. `location` is the
 * page that shows what was saved (docs/decisions/018-one-time-submission-ids.md).
 */
export class AlreadySaved extends Error {
  override name = "AlreadySaved";
  constructor(readonly location: string) {
    super("This form was already saved");
  }
}
