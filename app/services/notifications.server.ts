import { sql, type SqlBool, type Transaction } from "kysely";
import type { Database } from "../../db/types";
import type { RecordedDecision, Role, TransitionName } from "../../policies";
import { inActorTransaction, nowOf, todayOf, type ServiceContext } from "./context.server";
import {
  NOTIFICATION_KINDS,
  URGENT_NOTIFICATION_KINDS,
  type NotificationKind,
} from "./notification-kinds";
import { referralReference, type LoadedReferral } from "./referral-access.server";

export { NOTIFICATION_KINDS, NOTIFICATION_KIND_CODES } from "./notification-kinds";
export type { NotificationKind } from "./notification-kinds";

/**
 * Notifications (issue 17). `notify` is called by the services inside the transaction of the
 * change that causes it, so a change that rolls back tells no one (a transactional outbox: the
 * same row is the email waiting to be sent).
 *
 * What a notification says is composed here from vocabulary labels, the referral's reference and
 * agency names only: never a young person's name, date of birth, address or any narrative (a
 * decline's reason, an outcome's summary, a note's text), so the page and the emails can show it
 * to the person it is for without revealing case content. The link leads to the record, whose
 * page decides and records access as always.
 *
 * The actor is never told of their own change, and deactivated people are told nothing.
 */

/** Who is told: partnership leads, people of an agency by role, or named people. */
export type Audience =
  | { partnershipLeads: true }
  | { agencyId: string; roles: readonly Extract<Role, "agency_lead" | "practitioner">[] }
  | { userIds: readonly (string | null)[] };

export interface NotificationInput {
  kind: NotificationKind;
  audience: readonly Audience[];
  referralId?: string | null;
  recordType?: string;
  recordId?: string;
  link: string;
  reason: string;
}

/** The acting person, as notify needs them: who not to tell, and the tenant to write in. */
type NotifyingContext = Pick<ServiceContext, "actor">;

/** Write one notification per person of the audience, in the caller's transaction. */
export async function notify(
  trx: Transaction<Database>,
  ctx: NotifyingContext,
  input: NotificationInput,
): Promise<number> {
  const recipients = await resolveAudience(trx, ctx, input.audience);
  if (recipients.length === 0) return 0;
  await trx
    .insertInto("notifications")
    .values(
      recipients.map((userId) => ({
        partnership_id: ctx.actor.partnershipId,
        user_id: userId,
        kind: input.kind,
        referral_id: input.referralId ?? null,
        record_type: input.recordType ?? (input.referralId ? "referral" : null),
        record_id: input.recordId ?? input.referralId ?? null,
        link: input.link,
        reason: input.reason.slice(0, 400),
        urgent: URGENT_NOTIFICATION_KINDS.includes(input.kind),
      })),
    )
    .execute();
  return recipients.length;
}

async function resolveAudience(
  trx: Transaction<Database>,
  ctx: NotifyingContext,
  audience: readonly Audience[],
): Promise<string[]> {
  if (audience.length === 0) return [];
  const rows = await trx
    .selectFrom("users")
    .select("id")
    .where("is_active", "=", true)
    .where("id", "!=", ctx.actor.userId)
    .where((eb) =>
      eb.or(
        audience.map((part): ReturnType<typeof eb.and> => {
          if ("partnershipLeads" in part) return eb.and([eb("role", "=", "partnership_lead")]);
          if ("agencyId" in part) {
            return eb.and([eb("agency_id", "=", part.agencyId), eb("role", "in", [...part.roles])]);
          }
          const ids = part.userIds.filter((id): id is string => id !== null);
          return ids.length > 0 ? eb.and([eb("id", "in", ids)]) : eb.and([sql<SqlBool>`false`]);
        }),
      ),
    )
    .orderBy("id")
    .execute();
  return rows.map((row) => row.id);
}

const LEADS_AND_PRACTITIONERS = ["agency_lead", "practitioner"] as const;

/** The referrer and their agency's leads: the closed loop. */
function referrerSide(referral: LoadedReferral["referral"]): Audience[] {
  return [
    { userIds: [referral.referrer_user_id] },
    { agencyId: referral.referrer_agency_id, roles: ["agency_lead"] },
  ];
}

/**
 * What a lifecycle step tells whom, called by takeStep in the step's own transaction once the
 * referral has changed. `details` are the step's recorded details (agencies routed to, the
 * allocated person, the rating).
 */
export async function notifyOfStep(
  trx: Transaction<Database>,
  ctx: NotifyingContext,
  step: {
    transition: TransitionName;
    loaded: LoadedReferral;
    details: Record<string, unknown>;
  },
): Promise<void> {
  const { referral } = step.loaded;
  const reference = referralReference(referral.id);
  const base = { referralId: referral.id, link: `/referrals/${referral.id}` };
  const actorAgency = ctx.actor.agencyName;
  switch (step.transition) {
    case "submit":
      await notify(trx, ctx, {
        ...base,
        kind: "referral_submitted",
        audience: [{ partnershipLeads: true }],
        reason: `${actorAgency} sent referral ${reference}: it is waiting for screening.`,
      });
      return;
    case "screen":
    case "rerate":
      if (step.details.rag === "red" && step.details.previousRag !== "red") {
        await notify(trx, ctx, {
          ...base,
          kind: "referral_red_rated",
          audience: [{ partnershipLeads: true }],
          reason: `Referral ${reference} was rated red: it needs routing within its target.`,
        });
      }
      return;
    case "route": {
      const agencyIds = (step.details.agencyIds as string[] | undefined) ?? [];
      for (const agencyId of agencyIds) {
        await notify(trx, ctx, {
          ...base,
          kind: "referral_routed",
          audience: [{ agencyId, roles: LEADS_AND_PRACTITIONERS }],
          reason: `Referral ${reference} was sent to your agency to accept or decline.`,
        });
      }
      return;
    }
    case "accept": {
      const allocated = step.details.allocatedUserId as string | undefined;
      await notify(trx, ctx, {
        ...base,
        kind: "referral_accepted",
        audience: referrerSide(referral),
        reason: `${actorAgency} accepted referral ${reference} and allocated it to a practitioner.`,
      });
      if (allocated) {
        await notify(trx, ctx, {
          ...base,
          kind: "case_allocated",
          audience: [{ userIds: [allocated] }],
          reason: `${actorAgency} allocated referral ${reference} to you.`,
        });
      }
      return;
    }
    case "decline":
      await notify(trx, ctx, {
        ...base,
        kind: "referral_declined",
        // The partnership leads route it again when no receiving agency is left.
        audience: [...referrerSide(referral), { partnershipLeads: true }],
        reason: `${actorAgency} declined referral ${reference}. Their reason is on the referral.`,
      });
      return;
    case "close":
      await notify(trx, ctx, {
        ...base,
        kind: "referral_closed",
        audience: referrerSide(referral),
        reason: `${actorAgency} closed referral ${reference}. The outcome is on the referral.`,
      });
      return;
    default:
      return;
  }
}

/** An action assigned to an agency: its leads, and whoever the agency allocated the case to. */
export async function notifyOfAction(
  trx: Transaction<Database>,
  ctx: NotifyingContext,
  input: { loaded: LoadedReferral; actionId: string; assignedAgencyId: string; dueOn: string },
): Promise<void> {
  const { referral, agencies } = input.loaded;
  const allocated = agencies.find((agency) => agency.agency_id === input.assignedAgencyId);
  await notify(trx, ctx, {
    kind: "action_assigned",
    referralId: referral.id,
    recordType: "case_action",
    recordId: input.actionId,
    link: `/referrals/${referral.id}`,
    audience: [
      { agencyId: input.assignedAgencyId, roles: ["agency_lead"] },
      { userIds: [allocated?.allocated_user_id ?? null] },
    ],
    reason: `${ctx.actor.agencyName} assigned your agency an action on referral ${referralReference(referral.id)}, due ${input.dueOn}.`,
  });
}

/**
 * A shared note on a case, by someone of another agency: the people the case is allocated to in
 * the other agencies. A note kept within the writer's agency tells no one outside it.
 */
export async function notifyOfNote(
  trx: Transaction<Database>,
  ctx: NotifyingContext,
  input: { loaded: LoadedReferral; noteId: string; shared: boolean },
): Promise<void> {
  if (!input.shared) return;
  const { referral, agencies } = input.loaded;
  const allocated = agencies
    .filter((agency) => agency.agency_id !== ctx.actor.agencyId && agency.status === "accepted")
    .map((agency) => agency.allocated_user_id);
  await notify(trx, ctx, {
    kind: "note_added",
    referralId: referral.id,
    recordType: "case_note",
    recordId: input.noteId,
    link: `/referrals/${referral.id}`,
    audience: [{ userIds: allocated }],
    reason: `${ctx.actor.agencyName} added a note to referral ${referralReference(referral.id)}, allocated to you.`,
  });
}

/**
 * Consent withdrawn: every agency the decision shared with (other than the referrer's, which
 * always reads what it referred) relied on it, so their leads and the people allocated there are
 * told; the referrer, to record a new decision.
 */
export async function notifyOfConsentWithdrawal(
  trx: Transaction<Database>,
  ctx: NotifyingContext,
  input: { loaded: LoadedReferral; decision: Pick<RecordedDecision, "id" | "recipientAgencyIds"> },
): Promise<void> {
  const { referral, agencies } = input.loaded;
  const relied = input.decision.recipientAgencyIds.filter(
    (agencyId) => agencyId !== referral.referrer_agency_id,
  );
  const reference = referralReference(referral.id);
  await notify(trx, ctx, {
    kind: "consent_withdrawn",
    referralId: referral.id,
    recordType: "decision_to_share",
    recordId: input.decision.id,
    link: `/referrals/${referral.id}/sharing`,
    audience: [
      ...relied.map((agencyId) => ({ agencyId, roles: ["agency_lead"] as const })),
      {
        userIds: agencies
          .filter((agency) => relied.includes(agency.agency_id))
          .map((agency) => agency.allocated_user_id),
      },
      { userIds: [referral.referrer_user_id] },
    ],
    reason: `Consent relied on to share referral ${reference} was withdrawn: access that rested on it has ended, and a new decision to share may be needed.`,
  });
}

/** An emergency access opened: the partnership leads, who review it. */
export async function notifyOfEmergencyAccess(
  trx: Transaction<Database>,
  ctx: NotifyingContext,
  input: { emergencyAccessId: string },
): Promise<void> {
  await notify(trx, ctx, {
    kind: "emergency_access_opened",
    recordType: "emergency_access",
    recordId: input.emergencyAccessId,
    link: "/emergency-access/reviews",
    audience: [{ partnershipLeads: true }],
    reason: `Someone at ${ctx.actor.agencyName} opened an emergency access: it is waiting for your review.`,
  });
}

// ——— Reading one's own notifications ———

/** One notification, as its person's page shows it. */
export interface NotificationView {
  id: string;
  kind: NotificationKind;
  kindLabel: string;
  reference: string | null;
  reason: string;
  link: string;
  createdAt: string;
  read: boolean;
}

export interface NotificationsPage {
  notifications: NotificationView[];
  unread: number;
  total: number;
  kind: NotificationKind | null;
  /** The kinds the person has any notifications of, with how many are unread, for the filter. */
  kinds: { kind: NotificationKind; label: string; unread: number; total: number }[];
}

const PAGE_LIMIT = 100;

/**
 * The person's own notifications, unread first then newest, optionally of one kind. Row-level
 * security shows no one else's. Not recorded: a notification holds no case content (see above),
 * and opening its link is recorded by the record's own page.
 */
export function listNotifications(
  ctx: ServiceContext,
  filter: { kind: NotificationKind | null },
): Promise<NotificationsPage> {
  return inActorTransaction(ctx, async (trx) => {
    const counts = await trx
      .selectFrom("notifications")
      .select([
        "kind",
        sql<string>`count(*)`.as("total"),
        sql<string>`count(*) filter (where read_at is null)`.as("unread"),
      ])
      .where("user_id", "=", ctx.actor.userId)
      .groupBy("kind")
      .execute();
    let query = trx
      .selectFrom("notifications")
      .select(["id", "kind", "referral_id", "reason", "link", "created_at", "read_at"])
      .where("user_id", "=", ctx.actor.userId);
    if (filter.kind) query = query.where("kind", "=", filter.kind);
    const rows = await query
      .orderBy(sql`read_at is null`, "desc")
      .orderBy("created_at", "desc")
      .orderBy("id")
      .limit(PAGE_LIMIT)
      .execute();
    const known = counts.filter((row) => row.kind in NOTIFICATION_KINDS);
    const inKind = filter.kind ? known.filter((row) => row.kind === filter.kind) : known;
    return {
      notifications: rows
        .filter((row) => row.kind in NOTIFICATION_KINDS)
        .map((row) => ({
          id: row.id,
          kind: row.kind as NotificationKind,
          kindLabel: NOTIFICATION_KINDS[row.kind as NotificationKind],
          reference: row.referral_id ? referralReference(row.referral_id) : null,
          reason: row.reason,
          link: row.link,
          createdAt: row.created_at.toISOString(),
          read: row.read_at !== null,
        })),
      unread: known.reduce((sum, row) => sum + Number(row.unread), 0),
      total: inKind.reduce((sum, row) => sum + Number(row.total), 0),
      kind: filter.kind,
      kinds: (Object.keys(NOTIFICATION_KINDS) as NotificationKind[]).flatMap((kind) => {
        const row = known.find((candidate) => candidate.kind === kind);
        return row
          ? [
              {
                kind,
                label: NOTIFICATION_KINDS[kind],
                unread: Number(row.unread),
                total: Number(row.total),
              },
            ]
          : [];
      }),
    };
  });
}

/** How many of the person's notifications are unread, for the header of every page. */
export function unreadNotificationCount(ctx: ServiceContext): Promise<number> {
  return inActorTransaction(ctx, async (trx) => {
    const row = await trx
      .selectFrom("notifications")
      .select(sql<string>`count(*)`.as("unread"))
      .where("user_id", "=", ctx.actor.userId)
      .where("read_at", "is", null)
      .executeTakeFirstOrThrow();
    return Number(row.unread);
  });
}

/**
 * Mark one of the person's notifications read, or all of them (of one kind, when given). Someone
 * else's notification is out of reach of row-level security: nothing changes. Returns how many
 * changed.
 */
export function markNotificationsRead(
  ctx: ServiceContext,
  which: { id: string } | { all: true; kind: NotificationKind | null },
): Promise<number> {
  return inActorTransaction(ctx, async (trx) => {
    let query = trx
      .updateTable("notifications")
      .set({ read_at: nowOf(ctx) })
      .where("user_id", "=", ctx.actor.userId)
      .where("read_at", "is", null);
    if ("id" in which) query = query.where("id", "=", which.id);
    else if (which.kind) query = query.where("kind", "=", which.kind);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows);
  });
}

// ——— The home page's work waiting ———

/** One count of work waiting, linking to the list of it. */
export interface WorkWaiting {
  key:
    | "notifications"
    | "to_screen"
    | "to_accept"
    | "overdue_actions"
    | "missed_targets"
    | "emergency_reviews";
  label: string;
  count: number;
  href: string;
}

/**
 * What is waiting for the person, as counts that lead to the lists: numbers only, read through
 * row-level security (so only of what the person may see), and not recorded, as the oversight
 * dashboards' aggregate numbers are not.
 */
export function workWaitingFor(ctx: ServiceContext): Promise<WorkWaiting[]> {
  return inActorTransaction(ctx, async (trx) => {
    const { role, agencyId, userId } = ctx.actor;
    const today = todayOf(ctx);
    const now = nowOf(ctx);
    const count = (value: { count: string | number | bigint } | undefined) =>
      Number(value?.count ?? 0);
    const work: WorkWaiting[] = [];
    const unread = await trx
      .selectFrom("notifications")
      .select(sql<string>`count(*)`.as("count"))
      .where("user_id", "=", userId)
      .where("read_at", "is", null)
      .executeTakeFirst();
    work.push({
      key: "notifications",
      label: "Unread notifications",
      count: count(unread),
      href: "/notifications",
    });
    if (role === "partnership_lead") {
      const toScreen = await trx
        .selectFrom("referrals")
        .select(sql<string>`count(*)`.as("count"))
        .where("state", "=", "submitted")
        .executeTakeFirst();
      const missed = await trx
        .selectFrom("referrals")
        .select(sql<string>`count(*)`.as("count"))
        .where((eb) =>
          eb.or([
            eb.and([eb("state", "=", "submitted"), eb("screening_due_at", "<", now)]),
            eb.exists(
              eb
                .selectFrom("referral_agencies as ra")
                .select("ra.referral_id")
                .whereRef("ra.referral_id", "=", "referrals.id")
                .where("ra.status", "=", "awaiting")
                .where("ra.response_due_at", "<", now),
            ),
          ]),
        )
        .executeTakeFirst();
      const reviews = await trx
        .selectFrom("emergency_accesses")
        .select(sql<string>`count(*)`.as("count"))
        .where("review_outcome", "is", null)
        .executeTakeFirst();
      work.push(
        {
          key: "to_screen",
          label: "Referrals to screen",
          count: count(toScreen),
          href: "/cases?caseload=screening",
        },
        {
          key: "missed_targets",
          label: "Referrals past their response target",
          count: count(missed),
          href: "/cases?caseload=overdue",
        },
        {
          key: "emergency_reviews",
          label: "Emergency accesses to review",
          count: count(reviews),
          href: "/emergency-access/reviews",
        },
      );
    }
    if (role === "agency_lead") {
      const awaiting = await trx
        .selectFrom("referral_agencies")
        .select([
          sql<string>`count(*)`.as("count"),
          sql<string>`count(*) filter (where response_due_at < ${now})`.as("missed"),
        ])
        .where("agency_id", "=", agencyId)
        .where("status", "=", "awaiting")
        .executeTakeFirst();
      work.push(
        {
          key: "to_accept",
          label: "Referrals waiting for your agency's acceptance",
          count: count(awaiting),
          href: "/cases?caseload=acceptance",
        },
        {
          key: "missed_targets",
          label: "Referrals past their response target",
          count: Number(awaiting?.missed ?? 0),
          href: "/cases?caseload=overdue",
        },
      );
    }
    if (role === "agency_lead" || role === "practitioner" || role === "partnership_lead") {
      let actions = trx
        .selectFrom("case_actions")
        .select(sql<string>`count(*)`.as("count"))
        .where("status", "=", "open")
        .where("due_on", "<", today);
      if (role === "agency_lead") actions = actions.where("assigned_agency_id", "=", agencyId);
      if (role === "practitioner") {
        actions = actions
          .where("assigned_agency_id", "=", agencyId)
          .where((eb) =>
            eb.exists(
              eb
                .selectFrom("referral_agencies as ra")
                .select("ra.referral_id")
                .whereRef("ra.referral_id", "=", "case_actions.referral_id")
                .where("ra.agency_id", "=", agencyId)
                .where("ra.allocated_user_id", "=", userId),
            ),
          );
      }
      work.push({
        key: "overdue_actions",
        label: role === "partnership_lead" ? "Overdue actions" : "Overdue actions for you",
        count: count(await actions.executeTakeFirst()),
        href: "/cases?caseload=overdue",
      });
    }
    return work;
  });
}
