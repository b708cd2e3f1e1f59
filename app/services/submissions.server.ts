import { randomUUID } from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database, NewAuditEvent } from "../../db/types";
import { auditedTransaction } from "./audit.server";
import { AlreadySaved } from "./errors";

/**
 * One-time submission ids (docs/decisions/018-one-time-submission-ids.md). Every form that writes
 * carries a random id made when its page was rendered. The transaction that saves the form claims
 * the id in the same transaction, so a form sent again (a retry after a lost answer, a double
 * click, the "Nothing was saved" page) finds it claimed, saves nothing, and is sent to the page
 * that shows what was saved the first time.
 */

/** How long a claimed id is kept: retries come within minutes; a week is ample. */
export const SUBMISSION_IDS_KEPT_DAYS = 7;

/** The one-time id a form was sent with, and what became of it while this request is served. */
export interface FormSubmission {
  /** The form's `submissionId` field: a UUID made when its page was rendered. */
  readonly id: string;
  /**
   * The record the form belongs to (its address up to the record's id), where a second sending
   * goes when the first one's answer was never seen by the server.
   */
  readonly recordPath: string;
  /** Whose claim it is, once a transaction of this request has claimed the id and committed. */
  claimedBy: { partnershipId: string; userId: string } | null;
}

/** A fresh id for the forms of a page being rendered. */
export function newSubmissionId(): string {
  return randomUUID();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The submission a form's fields name, sent to `path`; null when the form has no id or one that is
 * not a UUID (such a form is saved as it always was, with no protection against a second sending,
 * and is never refused for it).
 */
export function formSubmissionOf(fields: URLSearchParams, path: string): FormSubmission | null {
  const id = fields.get("submissionId")?.trim() ?? "";
  if (!UUID.test(id)) return null;
  return { id: id.toLowerCase(), recordPath: recordPathOf(path), claimedBy: null };
}

/**
 * The page of the record a form was sent to: its address up to and including the first id in it
 * (`/referrals/<id>/notes/new` belongs to `/referrals/<id>`), or the address itself when it names
 * no record (`/admin/response-targets`).
 */
export function recordPathOf(path: string): string {
  const segments = path.split("/").filter(Boolean);
  const record = segments.findIndex((segment) => UUID.test(segment));
  const kept = record === -1 ? segments : segments.slice(0, record + 1);
  return `/${kept.join("/")}`;
}

/** Access-log events that read, and do not save anything a form was sent to save. */
const READS = new Set([
  "young_person.search",
  "young_person.view",
  "referral.view",
  "note.view_agency_only",
  "caseload.view_own",
  "caseload.view_agency",
  "caseload.view_partnership",
  "oversight.view",
  "export.identifiable",
  "audit.read",
  "audit.export",
  "access_matrix.view",
]);

/**
 * Writes that may be repeated as they are: a draft's answers saved again are the same answers
 * (the background save sends the same form every few seconds), and the steps of signing in and
 * out are their own protection.
 */
const REPEATABLE = new Set([
  "referral.edit_draft",
  "auth.sign_in",
  "auth.password_accepted",
  "auth.single_sign_on_started",
  "auth.identity_provider_accepted",
  "auth.second_factor",
  "auth.step_up",
  "auth.sign_out",
]);

/**
 * Whether an access-log event saves what a form was sent to save, so that its transaction claims
 * the form's id: an allowed event that is neither a read nor a write that may be repeated.
 * Refusals never claim, so a refused attempt leaves the id for the one that is allowed.
 */
export function claimsSubmission(event: Pick<NewAuditEvent, "action" | "outcome">): boolean {
  return event.outcome === "allowed" && !READS.has(event.action) && !REPEATABLE.has(event.action);
}

/** The events that never claim a form's id, for tests of the vocabulary. */
export const NON_CLAIMING_EVENTS: readonly string[] = [...READS, ...REPEATABLE];

/** Whose ids a transaction reads and claims: the actor's own, in their partnership. */
export interface SubmissionOwner {
  partnershipId: string;
  userId: string;
}

function claimedRow(
  trx: Transaction<Database>,
  submission: FormSubmission,
  owner: SubmissionOwner,
) {
  return trx
    .selectFrom("form_submissions")
    .select("result_location")
    .where("partnership_id", "=", owner.partnershipId)
    .where("user_id", "=", owner.userId)
    .where("submission_id", "=", submission.id)
    .executeTakeFirst();
}

/**
 * Before a transaction of a request does its work: when the form's id was claimed by an earlier
 * sending that committed, stop here (AlreadySaved rolls the transaction back). This keeps a
 * second sending from reaching the checks the first one changed the answer to (a referral's
 * version, a step already taken): it is answered with what was saved, not with a conflict.
 */
export async function refuseClaimedSubmission(
  trx: Transaction<Database>,
  submission: FormSubmission,
  owner: SubmissionOwner,
): Promise<void> {
  const claimed = await claimedRow(trx, submission, owner);
  if (claimed) throw new AlreadySaved(claimed.result_location ?? submission.recordPath);
}

/**
 * At the end of a transaction, before its events are written: when the events say it saved what
 * the form was sent to save, claim the form's id in the same transaction. Returns whether it
 * claimed. When another sending of the form holds the claim, this waits for it: if that one
 * commits, AlreadySaved rolls this whole transaction back; if it rolls back, this one claims.
 *
 * A claim also removes the person's own ids older than SUBMISSION_IDS_KEPT_DAYS.
 */
export async function claimSubmission(
  trx: Transaction<Database>,
  submission: FormSubmission,
  owner: SubmissionOwner,
  events: readonly Pick<NewAuditEvent, "action" | "outcome">[],
): Promise<boolean> {
  if (!events.some(claimsSubmission)) return false;
  const claimed = await trx
    .insertInto("form_submissions")
    .values({
      partnership_id: owner.partnershipId,
      user_id: owner.userId,
      submission_id: submission.id,
      result_location: submission.recordPath,
    })
    .onConflict((conflict) => conflict.doNothing())
    .returning("submission_id")
    .executeTakeFirst();
  if (!claimed) {
    const first = await claimedRow(trx, submission, owner);
    throw new AlreadySaved(first?.result_location ?? submission.recordPath);
  }
  await trx
    .deleteFrom("form_submissions")
    .where("partnership_id", "=", owner.partnershipId)
    .where("user_id", "=", owner.userId)
    .where("created_at", "<", sql<Date>`now() - make_interval(days => ${SUBMISSION_IDS_KEPT_DAYS})`)
    .execute();
  return true;
}

/**
 * After the request that claimed a form's id has answered with a redirect: keep where it sent the
 * person, so that a second sending goes to the same page. Only a path on this site is kept.
 */
export async function keepResultLocation(
  db: Kysely<Database>,
  submission: FormSubmission,
  location: string,
): Promise<void> {
  const owner = submission.claimedBy;
  if (!owner || !isSitePath(location)) return;
  await auditedTransaction(db, async (trx) => {
    await setTenant(trx, owner.partnershipId);
    await setLocal(trx, "app.user_id", owner.userId);
    await trx
      .updateTable("form_submissions")
      .set({ result_location: location })
      .where("partnership_id", "=", owner.partnershipId)
      .where("user_id", "=", owner.userId)
      .where("submission_id", "=", submission.id)
      .execute();
  });
}

/** A path on this site, short enough to keep: never another site's address (`//host`, `http:`). */
export function isSitePath(location: string): boolean {
  return (
    location.length <= 2000 &&
    location.startsWith("/") &&
    !location.startsWith("//") &&
    !location.startsWith("/\\") &&
    // eslint-disable-next-line no-control-regex
    !/[\u0000-\u001f\u007f]/.test(location)
  );
}
