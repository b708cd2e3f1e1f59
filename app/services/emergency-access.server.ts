import type { Transaction } from "kysely";
import type { Database, EmergencyReason } from "../../db/types";
import { decide } from "../../policies";
import { record } from "./audit.server";
import { authorize, authorizeInPartnership, refusedAsMissing } from "./authorize.server";
import { inActorTransaction, nowOf, type ServiceContext } from "./context.server";
import { notifyOfEmergencyAccess } from "./notifications.server";
import { ConflictError, InvalidInput } from "./errors";
import type { LoadedReferral } from "./referral-access.server";
import {
  loadEmergencyAccesses,
  openEmergencyAccess as openWindowOf,
  type EmergencyAccessWindow,
} from "./sharing-state.server";
import {
  findMatches,
  youngPersonFactsFor,
  youngPersonKey,
  type YoungPersonSearch,
} from "./young-people.server";

/**
 * Emergency access ("break glass", DOMAIN.md section 5): a practitioner whose agency is not
 * involved opens a young person's record by stating why. The access lasts the partnership's
 * configured time, every view during it is marked in the access log, and a partnership lead
 * reviews it.
 */

export type { EmergencyReason };

export {
  EMERGENCY_REASON_CODES,
  EMERGENCY_REASONS,
  REASON_DETAIL_MAX,
  REVIEW_NOTE_MAX,
  REVIEW_OUTCOME_CODES,
  REVIEW_OUTCOMES,
  type ReviewOutcome,
} from "./emergency-access-vocabulary";
import {
  EMERGENCY_REASON_CODES,
  EMERGENCY_REASONS,
  REASON_DETAIL_MAX,
  REVIEW_NOTE_MAX,
  REVIEW_OUTCOMES,
  type ReviewOutcome,
} from "./emergency-access-vocabulary";

/** What the emergency access page tells a person before they search: how long access lasts. */
export interface EmergencyAccessTerms {
  minutes: number;
  reasons: { value: EmergencyReason; label: string; hint: string }[];
}

/**
 * The terms of emergency access in the person's partnership, for someone who may open it. Nothing
 * about any young person is read, so nothing is recorded unless the person is refused.
 */
export function getEmergencyAccessTerms(ctx: ServiceContext): Promise<EmergencyAccessTerms> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "emergency_access.open");
    const partnership = await trx
      .selectFrom("partnerships")
      .select("emergency_access_minutes")
      .where("id", "=", ctx.actor.partnershipId)
      .executeTakeFirstOrThrow();
    return {
      minutes: partnership.emergency_access_minutes,
      reasons: EMERGENCY_REASON_CODES.map((code) => ({ value: code, ...EMERGENCY_REASONS[code] })),
    };
  });
}

/**
 * One possible match found when looking for a young person to open emergency access to. A match
 * the person may not see reveals only which agencies know the young person, with an opaque
 * handle to open access by; one they can already see is named, with no access to open.
 */
export type EmergencyMatch =
  | {
      /** They may open emergency access to this young person. */
      kind: "restricted";
      /** What the open form sends back; reveals nothing about the young person. */
      handle: string;
      knownToAgencies: string[];
    }
  | {
      /** Their agency is already involved, so emergency access is not for this young person. */
      kind: "involved";
      knownToAgencies: string[];
    }
  | {
      /** They can already see the record (perhaps under an emergency access still open). */
      kind: "visible";
      youngPersonId: string;
      name: string;
      emergencyAccessUntil: string | null;
    };

/**
 * Look for a young person to open emergency access to, with the duplicate check's matching. The
 * search is recorded, for the purpose of emergency access, with what was looked for and which
 * records came back shown or only signposted.
 */
export function searchForEmergencyAccess(
  ctx: ServiceContext,
  search: YoungPersonSearch,
): Promise<EmergencyMatch[]> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "young_person.search");
    const rows = await findMatches(trx, search);
    const known = await youngPersonFactsFor(trx, ctx, rows);
    const windows = await loadEmergencyAccesses(
      trx,
      rows.map((row) => row.id),
    );
    const matches: EmergencyMatch[] = [];
    const shown: string[] = [];
    const signposted: string[] = [];
    for (const row of rows) {
      const found = known.get(row.id);
      if (!found) continue;
      const { facts, agencies } = found;
      const knownToAgencies = agencies.map((agency) => agency.name);
      if (decide(ctx.actor, "young_person.view", facts).allowed && row.details) {
        shown.push(row.id);
        matches.push({
          kind: "visible",
          youngPersonId: row.id,
          name: `${row.details.given_name} ${row.details.family_name}`,
          emergencyAccessUntil: openWindowOf(ctx, windows, row.id)?.expiresAt.toISOString() ?? null,
        });
      } else if (decide(ctx.actor, "emergency_access.open", facts).allowed) {
        signposted.push(row.id);
        matches.push({ kind: "restricted", handle: row.id, knownToAgencies });
      } else {
        signposted.push(row.id);
        matches.push({ kind: "involved", knownToAgencies });
      }
    }
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "young_person.search",
      outcome: "allowed",
      recordType: "young_person",
      details: {
        purpose: "emergency_access",
        lookedFor: {
          givenName: search.givenName,
          familyName: search.familyName,
          dateOfBirth: search.dateOfBirth,
          postcodeDistrict: search.postcodeDistrict,
        },
        shown,
        signposted,
      },
    });
    return matches;
  });
}

/** Why a person opens emergency access: one of the listed reasons, and their own words. */
export interface EmergencyAccessRequest {
  reason: EmergencyReason;
  detail: string;
}

/**
 * Open emergency access to a young person, for the partnership's configured time from now (by the
 * context's clock). Only for someone whose agency is not involved (the policies decide); the
 * opening, with the reason given, is recorded, and the access waits for a partnership lead's review.
 * While one is open, asking again returns it and opens nothing new.
 */
export function openEmergencyAccess(
  ctx: ServiceContext,
  youngPersonId: string,
  request: EmergencyAccessRequest,
): Promise<{ youngPersonId: string; expiresAt: string }> {
  const detail = request.detail.trim();
  if (detail.length === 0 || detail.length > REASON_DETAIL_MAX) {
    return Promise.reject(
      new InvalidInput([
        {
          field: "reasonDetail",
          message: `Explain why you need emergency access, in ${REASON_DETAIL_MAX} characters or fewer`,
        },
      ]),
    );
  }
  return inActorTransaction(ctx, async (trx) => {
    // The person cannot read the record yet (that is why they ask): decide on its key alone.
    const person = await youngPersonKey(trx, youngPersonId);
    if (!person) throw refusedAsMissing("emergency_access.open", "young_person", youngPersonId);
    const known = (await youngPersonFactsFor(trx, ctx, [person])).get(person.id);
    const audit = { recordType: "young_person", recordId: person.id, youngPersonId: person.id };
    await authorize(
      trx,
      ctx,
      "emergency_access.open",
      known?.facts ?? { partnershipId: person.partnership_id },
      { refusal: "explain", audit },
    );
    // A second request while the first access is open (a resubmitted form) opens nothing new.
    const already = openWindowOf(ctx, await loadEmergencyAccesses(trx, [person.id]), person.id);
    if (already) return { youngPersonId: person.id, expiresAt: already.expiresAt.toISOString() };
    const partnership = await trx
      .selectFrom("partnerships")
      .select("emergency_access_minutes")
      .where("id", "=", person.partnership_id)
      .executeTakeFirstOrThrow();
    const openedAt = nowOf(ctx);
    const expiresAt = new Date(openedAt.getTime() + partnership.emergency_access_minutes * 60_000);
    const { id } = await trx
      .insertInto("emergency_accesses")
      .values({
        partnership_id: person.partnership_id,
        young_person_id: person.id,
        user_id: ctx.actor.userId,
        agency_id: ctx.actor.agencyId,
        reason: request.reason,
        reason_detail: detail,
        opened_at: openedAt,
        expires_at: expiresAt,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await record(trx, { actor: ctx.actor }, ctx, {
      ...audit,
      action: "emergency_access.open",
      outcome: "allowed",
      // The stated reason is why the access happened: the access log keeps it.
      reason: `${request.reason}: ${detail}`,
      details: {
        emergencyAccessId: id,
        reason: request.reason,
        openedAt: openedAt.toISOString(),
        expiresAt: expiresAt.toISOString(),
        minutes: partnership.emergency_access_minutes,
      },
    });
    await notifyOfEmergencyAccess(trx, ctx, { emergencyAccessId: id });
    return { youngPersonId: person.id, expiresAt: expiresAt.toISOString() };
  });
}

/** One emergency access, as a partnership lead's review queue shows it. */
export interface EmergencyAccessView {
  id: string;
  openedBy: { name: string; agencyName: string };
  youngPerson: { id: string; name: string };
  reason: EmergencyReason;
  reasonLabel: string;
  reasonDetail: string;
  openedAt: string;
  expiresAt: string;
  /** Still open now, by the context's clock. */
  open: boolean;
  review: {
    outcome: ReviewOutcome;
    outcomeLabel: string;
    note: string | null;
    reviewedBy: string;
    reviewedAt: string;
  } | null;
}

/**
 * Every emergency access in the partnership (or those still awaiting review), for a partnership
 * lead: awaiting review first, newest first within each. Reading the list is recorded.
 */
export function listEmergencyAccesses(
  ctx: ServiceContext,
  options: { status: "awaiting_review" | "all" },
): Promise<EmergencyAccessView[]> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "emergency_access.review");
    let query = trx
      .selectFrom("emergency_accesses as e")
      .innerJoin("users as opener", "opener.id", "e.user_id")
      .innerJoin("agencies as agency", "agency.id", "e.agency_id")
      .innerJoin("young_people as yp", "yp.id", "e.young_person_id")
      .leftJoin("users as reviewer", "reviewer.id", "e.reviewed_by")
      .select([
        "e.id",
        "e.young_person_id",
        "e.reason",
        "e.reason_detail",
        "e.opened_at",
        "e.expires_at",
        "e.review_outcome",
        "e.review_note",
        "e.reviewed_at",
        "opener.display_name as opener_name",
        "agency.name as agency_name",
        "yp.given_name",
        "yp.family_name",
        "reviewer.display_name as reviewer_name",
      ])
      .where("e.partnership_id", "=", ctx.actor.partnershipId);
    if (options.status === "awaiting_review") query = query.where("e.reviewed_at", "is", null);
    const rows = await query
      .orderBy((eb) => eb("e.reviewed_at", "is", null), "desc")
      .orderBy("e.opened_at", "desc")
      .orderBy("e.id")
      .execute();
    const now = nowOf(ctx).getTime();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "emergency_access.review",
      outcome: "allowed",
      recordType: "emergency_access",
      details: { list: options.status, shown: rows.map((row) => row.id) },
    });
    return rows.map((row) => ({
      id: row.id,
      openedBy: { name: row.opener_name, agencyName: row.agency_name },
      youngPerson: { id: row.young_person_id, name: `${row.given_name} ${row.family_name}` },
      reason: row.reason,
      reasonLabel: EMERGENCY_REASONS[row.reason].label,
      reasonDetail: row.reason_detail,
      openedAt: row.opened_at.toISOString(),
      expiresAt: row.expires_at.toISOString(),
      open: row.opened_at.getTime() <= now && now < row.expires_at.getTime(),
      review:
        row.review_outcome && row.reviewed_at
          ? {
              outcome: row.review_outcome,
              outcomeLabel: REVIEW_OUTCOMES[row.review_outcome],
              note: row.review_note,
              reviewedBy: row.reviewer_name ?? "Unknown person",
              reviewedAt: row.reviewed_at.toISOString(),
            }
          : null,
    }));
  });
}

/**
 * A partnership lead's review of one emergency access: appropriate or not, with a note. An access
 * is reviewed once; a second review (even one racing the first) is a conflict.
 */
export function reviewEmergencyAccess(
  ctx: ServiceContext,
  id: string,
  review: { outcome: ReviewOutcome; note: string },
): Promise<void> {
  const note = review.note.trim();
  if (note.length === 0 || note.length > REVIEW_NOTE_MAX) {
    return Promise.reject(
      new InvalidInput([
        {
          field: "note",
          message: `Enter a note on the review, in ${REVIEW_NOTE_MAX} characters or fewer`,
        },
      ]),
    );
  }
  return inActorTransaction(ctx, async (trx) => {
    const access = await trx
      .selectFrom("emergency_accesses")
      .select(["id", "partnership_id", "young_person_id", "user_id", "reviewed_at"])
      .where("id", "=", id)
      .executeTakeFirst();
    if (!access) throw refusedAsMissing("emergency_access.review", "emergency_access", id);
    const audit = {
      recordType: "emergency_access",
      recordId: access.id,
      youngPersonId: access.young_person_id,
    };
    await authorize(
      trx,
      ctx,
      "emergency_access.review",
      { partnershipId: access.partnership_id },
      { refusal: "explain", audit },
    );
    // Only a row not yet reviewed is changed, so two leads reviewing at once cannot both succeed.
    const updated = await trx
      .updateTable("emergency_accesses")
      .set({
        review_outcome: review.outcome,
        review_note: note,
        reviewed_by: ctx.actor.userId,
        reviewed_at: nowOf(ctx),
      })
      .where("id", "=", access.id)
      .where("reviewed_at", "is", null)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) {
      throw new ConflictError("This emergency access has already been reviewed.");
    }
    await record(trx, { actor: ctx.actor }, ctx, {
      ...audit,
      action: "emergency_access.review",
      outcome: "allowed",
      details: { outcome: review.outcome, openedBy: access.user_id },
    });
  });
}

/** What a page shows while its viewer holds an open emergency access to the young person. */
export interface EmergencyBanner {
  emergencyAccessId: string;
  expiresAt: string;
}

function bannerOf(window: EmergencyAccessWindow | null): EmergencyBanner | null {
  return window
    ? { emergencyAccessId: window.id, expiresAt: window.expiresAt.toISOString() }
    : null;
}

/**
 * The emergency access banner for a referral page: the viewer's emergency access to the
 * referral's young person open now (by the context's clock), or null.
 */
export function emergencyBannerFor(
  ctx: ServiceContext,
  loaded: LoadedReferral,
): EmergencyBanner | null {
  return bannerOf(openWindowOf(ctx, loaded.emergencyAccesses, loaded.referral.young_person_id));
}

/** The emergency access banner for a young person's record, within the caller's transaction. */
export async function emergencyBannerForYoungPerson(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  youngPersonId: string,
): Promise<EmergencyBanner | null> {
  const windows = await loadEmergencyAccesses(trx, [youngPersonId]);
  return bannerOf(openWindowOf(ctx, windows, youngPersonId));
}
