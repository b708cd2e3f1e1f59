import type { Request as ExpressRequest } from "express";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/types";
import {
  formSubmissionOf,
  keepResultLocation,
  type FormSubmission,
} from "../app/services/submissions.server";

/**
 * The one-time submission id of the form a request sent (decision 018), from the body the host
 * has already read: a POSTed form's `submissionId` field. Null for anything else, and for an id
 * that is missing or not a UUID, which is served as before, never refused.
 */
export function submissionOf(
  req: ExpressRequest,
  body: Uint8Array | undefined,
): FormSubmission | null {
  if (req.method !== "POST" || !body || !req.is("application/x-www-form-urlencoded")) return null;
  // A form sent by Remix's script goes to the route's `.data` address: the route is the same.
  const path = req.path.replace(/\.data$/, "").replace(/^\/_root$/, "/");
  return formSubmissionOf(new URLSearchParams(Buffer.from(body).toString("utf8")), path);
}

/**
 * Once a request that claimed its form's id has its answer, keep where the answer sends the
 * person (a redirect's Location, which Remix also sets on its script's 202), so that a second
 * sending of the form goes to the same page. Done before the answer is sent, so a retry cannot
 * arrive first. A failure here loses only that: the id stays claimed, and a retry goes to the
 * record the form belongs to instead.
 */
export async function keepWhereItWent(
  db: Kysely<Database>,
  logger: Logger,
  submission: FormSubmission | null,
  response: Response,
): Promise<void> {
  const location = response.headers.get("Location");
  if (!submission?.claimedBy || !location) return;
  try {
    await keepResultLocation(db, submission, location);
  } catch (error) {
    logger.warn({ err: error }, "where a saved form led was not kept");
  }
}
