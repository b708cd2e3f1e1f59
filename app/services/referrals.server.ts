import { sql, type Transaction, type Updateable } from "kysely";
import type { Database, ReferralsTable } from "../../db/types";
import {
  agencySharing,
  CONSENT_WITHDRAWAL_STATES,
  currentDecisions,
  type DataItem,
  type ShareDecision,
  type SharingState,
  decide,
  decideTransition,
  REFERRAL_STATE_LABELS,
  TRANSITION_NAMES,
  type Action,
  type Gender,
  type ReferralState,
  type TransitionName,
} from "../../policies";
import { record } from "./audit.server";
import { caseWorkOf, type ActionView, type NoteView } from "./case-work.server";
import { emergencyBannerFor, type EmergencyBanner } from "./emergency-access.server";
import {
  authorize,
  authorizeInPartnership,
  authorizeTransition,
  concealedByRowSecurity,
} from "./authorize.server";
import { inActorTransaction, todayOf, type ServiceContext } from "./context.server";
import { notifyOfStep } from "./notifications.server";
import { InvalidInput } from "./errors";
import {
  actorSharing,
  assertVersion,
  loadReferral,
  loadVisibleReferral,
  referralAuditRecord,
  referralFacts,
  referralReference,
  type LoadedReferral,
  type ReferralRow,
} from "./referral-access.server";
import { draftProblems, isUntouched, type DraftAnswers, type DraftProblem } from "./referral-draft";
import { dueAfter, readResponseTargets, screeningTarget } from "./response-targets";
import {
  authorizeYoungPerson,
  createYoungPersonWithin,
  type Candidate,
  type YoungPersonDetails,
} from "./young-people.server";
import { namesOf } from "./names.server";

/** Start a referral: an empty draft by the actor, from their agency. */
export function startReferral(ctx: ServiceContext): Promise<{ id: string }> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "referral.create");
    return createDraft(trx, ctx);
  });
}

/**
 * Start a referral from "Make a referral": the actor's newest draft that has no answer yet if
 * there is one (a second click, or a start abandoned on its first page, leaves no empty draft
 * behind), otherwise a new one. Either way the start is recorded against the draft it led to.
 */
export function beginReferral(ctx: ServiceContext): Promise<{ id: string; reused: boolean }> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "referral.create");
    const drafts = await trx
      .selectFrom("referrals")
      .selectAll()
      .where("referrer_user_id", "=", ctx.actor.userId)
      .where("state", "=", "draft")
      .where("young_person_id", "is", null)
      .orderBy("updated_at", "desc")
      .execute();
    const untouched = drafts.find((draft) => isUntouched(answersOf(draft)));
    if (!untouched) return { ...(await createDraft(trx, ctx)), reused: false };
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "referral.create",
      outcome: "allowed",
      recordType: "referral",
      recordId: untouched.id,
      details: { reused: "a draft with no answers yet" },
    });
    return { id: untouched.id, reused: true };
  });
}

async function createDraft(
  trx: Transaction<Database>,
  ctx: ServiceContext,
): Promise<{ id: string }> {
  const { id } = await trx
    .insertInto("referrals")
    .values({
      partnership_id: ctx.actor.partnershipId,
      referrer_user_id: ctx.actor.userId,
      referrer_agency_id: ctx.actor.agencyId,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await trx
    .insertInto("referral_agencies")
    .values({
      partnership_id: ctx.actor.partnershipId,
      referral_id: id,
      agency_id: ctx.actor.agencyId,
      involvement: "referrer",
      status: null,
    })
    .execute();
  await record(trx, { actor: ctx.actor }, ctx, {
    action: "referral.create",
    outcome: "allowed",
    recordType: "referral",
    recordId: id,
  });
  return { id };
}

function answersOf(referral: ReferralRow): DraftAnswers {
  return {
    youngPersonId: referral.young_person_id,
    concernRoles: referral.concern_roles,
    themes: referral.themes,
    concern: referral.concern,
    riskIndicators: referral.risk_indicators,
    youngPersonKnows: referral.young_person_knows,
    familyKnows: referral.family_knows,
    immediateDanger: referral.immediate_danger,
    immediateAction: referral.immediate_action,
    urgency: referral.urgency,
    destination: referral.destination,
    destinationAgencyId: referral.destination_agency_id,
  };
}

function columnsOf(answers: Partial<DraftAnswers>) {
  const columns: Record<string, unknown> = {};
  const map: Record<keyof DraftAnswers, keyof ReferralsTable> = {
    youngPersonId: "young_person_id",
    concernRoles: "concern_roles",
    themes: "themes",
    concern: "concern",
    riskIndicators: "risk_indicators",
    youngPersonKnows: "young_person_knows",
    familyKnows: "family_knows",
    immediateDanger: "immediate_danger",
    immediateAction: "immediate_action",
    urgency: "urgency",
    destination: "destination",
    destinationAgencyId: "destination_agency_id",
  };
  for (const [key, value] of Object.entries(answers) as [keyof DraftAnswers, unknown][]) {
    if (value === undefined) continue;
    columns[map[key]] = key === "riskIndicators" ? JSON.stringify(value) : value;
  }
  return columns as Updateable<ReferralsTable>;
}

/** A draft as its question pages show it. */
export interface DraftView {
  id: string;
  reference: string;
  version: number;
  answers: DraftAnswers;
  youngPerson: {
    id: string;
    name: string;
    knownAs: string | null;
    dateOfBirth: string | null;
    postcodeDistrict: string | null;
  } | null;
  destinationAgencyName: string | null;
  /** Agencies a referral may be sent to directly. */
  agencies: { id: string; name: string }[];
}

async function loadOwnDraft(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  id: string,
  options: { record: boolean },
): Promise<LoadedReferral> {
  const loaded = await loadReferral(trx, id, { forUpdate: !options.record });
  await authorize(trx, ctx, "referral.edit_draft", referralFacts(ctx, loaded), {
    refusal: "hide",
    recordAllowed: options.record,
    audit: referralAuditRecord(loaded.referral),
  });
  if (loaded.concealed) {
    throw concealedByRowSecurity("referral.edit_draft", "referral", id, undefined);
  }
  return loaded;
}

/** The author's own draft, for its question pages and "check your answers". */
export function getDraft(ctx: ServiceContext, id: string): Promise<DraftView> {
  return inActorTransaction(ctx, async (trx) => {
    const { referral } = await loadOwnDraft(trx, ctx, id, { record: true });
    const youngPerson = referral.young_person_id
      ? await trx
          .selectFrom("young_people")
          .select([
            "id",
            "given_name",
            "family_name",
            "known_as",
            "date_of_birth",
            "postcode_district",
          ])
          .where("id", "=", referral.young_person_id)
          .executeTakeFirst()
      : undefined;
    const agencies = await trx
      .selectFrom("agencies")
      .select(["id", "name"])
      .where("is_active", "=", true)
      .where("id", "<>", ctx.actor.agencyId)
      .orderBy("name")
      .execute();
    return {
      id: referral.id,
      reference: referralReference(referral.id),
      version: referral.version,
      answers: answersOf(referral),
      youngPerson: youngPerson
        ? {
            id: youngPerson.id,
            name: `${youngPerson.given_name} ${youngPerson.family_name}`,
            knownAs: youngPerson.known_as,
            dateOfBirth: youngPerson.date_of_birth,
            postcodeDistrict: youngPerson.postcode_district,
          }
        : null,
      destinationAgencyName:
        agencies.find((agency) => agency.id === referral.destination_agency_id)?.name ?? null,
      agencies,
    };
  });
}

async function writeDraft(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  referral: ReferralRow,
  answers: Partial<DraftAnswers>,
): Promise<void> {
  const columns = columnsOf(answers);
  await trx
    .updateTable("referrals")
    .set({ ...columns, version: referral.version + 1, updated_at: new Date() })
    .where("id", "=", referral.id)
    .execute();
  await record(trx, { actor: ctx.actor }, ctx, {
    action: "referral.edit_draft",
    outcome: "allowed",
    ...referralAuditRecord({
      ...referral,
      young_person_id: columns.young_person_id ?? referral.young_person_id,
    }),
    details: { fields: Object.keys(answers) },
  });
}

/**
 * Save answers from one question page into the author's draft, whatever is still missing, so a
 * timeout or a closed tab loses nothing. Completeness is checked at submission.
 */
export function saveDraft(
  ctx: ServiceContext,
  id: string,
  answers: Partial<Omit<DraftAnswers, "youngPersonId">>,
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    const { referral } = await loadOwnDraft(trx, ctx, id, { record: false });
    if (answers.destinationAgencyId) await requireActiveAgency(trx, answers.destinationAgencyId);
    await writeDraft(trx, ctx, referral, answers);
  });
}

async function requireActiveAgency(trx: Transaction<Database>, agencyId: string): Promise<void> {
  const agency = await trx
    .selectFrom("agencies")
    .select("is_active")
    .where("id", "=", agencyId)
    .executeTakeFirst();
  if (!agency?.is_active) {
    throw new InvalidInput([
      { field: "destinationAgencyId", message: "Select an active agency in this partnership" },
    ]);
  }
}

/** Make the referral about a young person the author can already see (found by the duplicate check). */
export function chooseYoungPerson(
  ctx: ServiceContext,
  id: string,
  youngPersonId: string,
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    const { referral } = await loadOwnDraft(trx, ctx, id, { record: false });
    await authorizeYoungPerson(trx, ctx, youngPersonId, "young_person.view", {
      recordAllowed: true,
    });
    await writeDraft(trx, ctx, referral, { youngPersonId });
  });
}

/**
 * Record a new young person and make the draft about them, in one transaction. Possible matches
 * come back instead, unless the author has confirmed this is someone else.
 */
export function recordYoungPersonForDraft(
  ctx: ServiceContext,
  id: string,
  details: YoungPersonDetails,
  options: { confirmedNotAMatch: boolean },
): Promise<{ candidates: Candidate[] } | { created: string }> {
  return inActorTransaction(ctx, async (trx) => {
    const { referral } = await loadOwnDraft(trx, ctx, id, { record: false });
    const result = await createYoungPersonWithin(trx, ctx, details, options);
    if ("created" in result) {
      await writeDraft(trx, ctx, referral, { youngPersonId: result.created });
    }
    return result;
  });
}

async function responseTargetsOf(trx: Transaction<Database>, partnershipId: string) {
  const row = await trx
    .selectFrom("partnerships")
    .select("response_targets")
    .where("id", "=", partnershipId)
    .executeTakeFirstOrThrow();
  return readResponseTargets(row.response_targets);
}

/** Everything a step in a referral's life changes, besides its state and version. */
type StepChange = Omit<Updateable<ReferralsTable>, "id" | "partnership_id" | "version" | "state">;

/**
 * Take one lifecycle step on a referral, as one transaction: lock the referral, check the actor may
 * see it (404 otherwise), may take this step from this state (403 with the reason otherwise), and
 * is acting on the version they saw (409 otherwise); then make the change, write the transition to
 * the referral's history and the event to the access log.
 */
export async function takeStep(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  input: { id: string; transition: TransitionName; version: number },
  work: (loaded: LoadedReferral) => Promise<{
    to: ReferralState | "same";
    change?: StepChange;
    rationale?: string | null;
    details?: Record<string, unknown>;
    /**
     * Work that ends the actor's own involvement (a decline): it runs after the referral itself
     * has changed, because row-level security lets no one change a referral they can no longer see.
     */
    finally?: () => Promise<void>;
  }>,
): Promise<LoadedReferral> {
  const loaded =
    input.transition === "submit" || input.transition === "discard"
      ? await loadOwnDraft(trx, ctx, input.id, { record: false })
      : await loadVisibleReferral(trx, ctx, input.id, { recordView: false, forUpdate: true });
  const { referral } = loaded;
  const audit = referralAuditRecord(referral);
  // The version first: someone acting on a page opened before a colleague's change is told the
  // referral changed, rather than refused on facts they have not seen yet.
  assertVersion(referral, input.version);
  await authorizeTransition(trx, ctx, input.transition, referralFacts(ctx, loaded), audit);
  const outcome = await work(loaded);
  const to = outcome.to === "same" ? referral.state : outcome.to;
  const updated = await trx
    .updateTable("referrals")
    .set({ ...outcome.change, state: to, version: referral.version + 1, updated_at: new Date() })
    .where("id", "=", referral.id)
    .executeTakeFirst();
  // Row-level security makes an update of a row the actor cannot see change nothing, silently:
  // the step must fail rather than be recorded as taken.
  if (updated.numUpdatedRows !== 1n) {
    throw new Error(`The referral's ${input.transition} step changed no row`);
  }
  await trx
    .insertInto("referral_transitions")
    .values({
      partnership_id: referral.partnership_id,
      referral_id: referral.id,
      transition: input.transition,
      from_state: referral.state,
      to_state: to,
      actor_user_id: ctx.actor.userId,
      actor_agency_id: ctx.actor.agencyId,
      rationale: outcome.rationale ?? null,
      details: JSON.stringify(outcome.details ?? {}),
    })
    .execute();
  await outcome.finally?.();
  // Those who must act are told in the step's own transaction: nothing for a step rolled back.
  await notifyOfStep(trx, ctx, {
    transition: input.transition,
    loaded,
    details: outcome.details ?? {},
  });
  await record(trx, { actor: ctx.actor }, ctx, {
    ...audit,
    action: decideTransitionAction(input.transition),
    outcome: "allowed",
    details: { transition: input.transition, from: referral.state, to, ...outcome.details },
  });
  return loaded;
}

function decideTransitionAction(transition: TransitionName): Action {
  return {
    submit: "referral.submit",
    discard: "referral.edit_draft",
    screen: "referral.screen",
    rerate: "referral.screen",
    route: "referral.route",
    accept: "referral.accept",
    decline: "referral.decline",
    refer_to_panel: "referral.refer_to_panel",
    close: "referral.close",
    escalate: "referral.escalate",
    withdraw: "referral.withdraw",
  }[transition] as Action;
}

/**
 * Submit the author's draft to the partnership: every answer is checked again here, whatever the
 * pages checked before. The screening target runs from now.
 */
export function submitReferral(
  ctx: ServiceContext,
  id: string,
  version: number,
): Promise<{ reference: string }> {
  return inActorTransaction(ctx, async (trx) => {
    await takeStep(
      trx,
      ctx,
      { id, transition: "submit", version },
      async ({ referral, decisions }) => {
        const problems: DraftProblem[] = draftProblems(answersOf(referral));
        // No referral leaves its author without a recorded decision to share (DOMAIN.md section 4),
        // and one sent to a named agency needs a decision that covers that agency.
        const current = currentDecisions(decisions);
        const href = `/referrals/${id}/sharing/new`;
        if (current.length === 0) {
          problems.push({
            step: "destination",
            field: "decision",
            message: "Record the decision to share before you send the referral",
            href,
          });
        } else if (
          referral.destination === "agency" &&
          referral.destination_agency_id &&
          !["covered", "partial"].includes(
            agencySharing(
              referral.destination_agency_id,
              referral.referrer_agency_id,
              decisions,
              todayOf(ctx),
            ).state,
          )
        ) {
          problems.push({
            step: "destination",
            field: "decision",
            message:
              "No decision to share covers the agency you are sending it to: record one that does",
            href,
          });
        }
        if (problems.length > 0) throw new InvalidInput(problems);
        const now = new Date();
        const targets = await responseTargetsOf(trx, referral.partnership_id);
        return {
          to: "submitted",
          change: {
            submitted_at: now,
            screening_due_at: dueAfter(
              now,
              screeningTarget(targets, referral.urgency ?? "routine"),
            ),
          },
          details: { urgency: referral.urgency, immediateDanger: referral.immediate_danger },
        };
      },
    );
    return { reference: referralReference(id) };
  });
}

/** Discard the author's draft. It is kept, marked discarded, and no one else ever saw it. */
export function discardDraft(ctx: ServiceContext, id: string, version: number): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    await takeStep(trx, ctx, { id, transition: "discard", version }, () =>
      Promise.resolve({ to: "discarded" as const }),
    );
  });
}

/** One of the author's unfinished referrals, as "Make a referral" offers it. */
export interface OwnDraft {
  id: string;
  reference: string;
  /** The version the discard button names, as the draft's own page does. */
  version: number;
  youngPersonName: string | null;
  updatedAt: string;
  /** Where "Continue" leads: the first question until the young person is chosen, then the check. */
  continueAt: "young-person" | "check";
}

/** The author's drafts, newest first, so they can pick one up again. The listing is recorded. */
export function listOwnDrafts(ctx: ServiceContext): Promise<OwnDraft[]> {
  return inActorTransaction(ctx, async (trx) => {
    await authorizeInPartnership(trx, ctx, "caseload.view_own");
    const rows = await trx
      .selectFrom("referrals")
      .leftJoin("young_people", "young_people.id", "referrals.young_person_id")
      .select([
        "referrals.id",
        "referrals.version",
        "referrals.updated_at",
        "referrals.young_person_id",
        sql<string | null>`young_people.given_name || ' ' || young_people.family_name`.as("name"),
      ])
      .where("referrals.referrer_user_id", "=", ctx.actor.userId)
      .where("referrals.state", "=", "draft")
      .orderBy("referrals.updated_at", "desc")
      .execute();
    // The list names the young people the drafts are about: the listing is recorded, as a
    // caseload's is.
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "caseload.view_own",
      outcome: "allowed",
      recordType: "referral",
      details: { caseload: "drafts", shown: rows.map((row) => row.id) },
    });
    return rows.map((row) => ({
      id: row.id,
      reference: referralReference(row.id),
      version: row.version,
      youngPersonName: row.name,
      updatedAt: row.updated_at.toISOString(),
      continueAt: row.young_person_id === null ? "young-person" : "check",
    }));
  });
}

/** What the referral page shows, for one person. */
export interface ReferralView {
  id: string;
  reference: string;
  version: number;
  state: ReferralState;
  stateLabel: string;
  youngPerson: {
    id: string;
    name: string;
    knownAs: string | null;
    dateOfBirth: string | null;
    gender: Gender | null;
    postcodeDistrict: string | null;
    school: string | null;
  } | null;
  referrer: { name: string; agencyName: string; agencyId: string; userId: string };
  destination: { kind: "hub" | "agency" | null; agencyName: string | null };
  answers: DraftAnswers;
  rag: { rating: string; rationale: string; screenedAt: string } | null;
  submittedAt: string | null;
  screeningDueAt: string | null;
  /** The next response this referral is waiting for, and when it is due. */
  due: { what: string; at: string; overdue: boolean } | null;
  escalation: { to: string; at: string } | null;
  closure: { outcome: string; summary: string; closedAt: string } | null;
  agencies: {
    agencyId: string;
    agencyName: string;
    involvement: "referrer" | "receiving";
    status: "awaiting" | "accepted" | "declined" | null;
    allocatedTo: string | null;
    responseDueAt: string | null;
    declineReason: string | null;
  }[];
  history: {
    id: string;
    transition: string;
    fromState: ReferralState;
    toState: ReferralState;
    actorName: string;
    actorAgencyName: string;
    occurredAt: string;
    rationale: string | null;
    details: Record<string, unknown>;
  }[];
  /** Which lifecycle steps this person may take now (buttons on the page). */
  steps: TransitionName[];
  /** Which case-work actions this person may take now. */
  can: {
    addNote: boolean;
    addAction: boolean;
    updateActions: boolean;
    recordDecision: boolean;
    withdrawConsent: boolean;
  };
  /**
   * Where the person's agency stands under the decisions to share, and so what this view holds:
   * `partial` leaves out what was not shared, `withdrawn` anything newer than the withdrawal.
   */
  sharing: {
    state: SharingState;
    dataItems: DataItem[];
    withdrawnAt: string | null;
    /** Opened under emergency access. */
    emergency: boolean;
  };
  /** The viewer's emergency access to the young person while it is open (the page says so). */
  emergencyAccess: EmergencyBanner | null;
  /** The current decisions to share (a decision not to share only for the referrer and leads). */
  decisions: {
    id: string;
    decision: ShareDecision;
    recipients: string[];
    consentReliedOn: boolean;
    withdrawnAt: string | null;
  }[];
  notes: NoteView[];
  actions: ActionView[];
}

const LONDON_DATE = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" });

/**
 * One referral, for someone who may see it: its answers, where it is in its life, who is involved,
 * its history, and what this person may do next. The read is recorded; a refusal is a 404.
 */
export function getReferral(ctx: ServiceContext, id: string): Promise<ReferralView> {
  return inActorTransaction(ctx, async (trx) => {
    const loaded = await loadVisibleReferral(trx, ctx, id, { recordView: true });
    return referralView(trx, ctx, loaded);
  });
}

export async function referralView(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  loaded: LoadedReferral,
): Promise<ReferralView> {
  const { referral, agencies } = loaded;
  const [youngPerson, history] = await Promise.all([
    referral.young_person_id
      ? trx
          .selectFrom("young_people")
          .selectAll()
          .where("id", "=", referral.young_person_id)
          .executeTakeFirst()
      : Promise.resolve(undefined),
    trx
      .selectFrom("referral_transitions")
      .selectAll()
      .where("referral_id", "=", referral.id)
      .orderBy("occurred_at")
      .execute(),
  ]);
  const names = await namesOf(trx, {
    agencyIds: [
      referral.referrer_agency_id,
      referral.destination_agency_id,
      ...agencies.map((agency) => agency.agency_id),
      ...history.map((step) => step.actor_agency_id),
      // A decision to share names the agencies it shares with, who may not be on the case yet.
      ...loaded.decisions.flatMap((decision) => decision.recipientAgencyIds),
    ],
    userIds: [
      referral.referrer_user_id,
      ...agencies.map((agency) => agency.allocated_user_id),
      ...history.map((step) => step.actor_user_id),
    ],
  });
  const agencyName = (agencyId: string | null) => names.agencyName(agencyId) ?? "Unknown agency";
  const personName = (userId: string | null) => names.personName(userId) ?? "Unknown person";
  const facts = referralFacts(ctx, loaded);
  const steps = TRANSITION_NAMES.filter(
    (transition) => decideTransition(ctx.actor, transition, facts).allowed,
  );
  const caseOpen = ["submitted", "screened", "allocated", "active", "panel"].includes(
    referral.state,
  );
  const allowed = (action: Action) => caseOpen && decide(ctx.actor, action, facts).allowed;
  const referrerAgency = agencies.find((agency) => agency.involvement === "referrer");
  const caseWork = await caseWorkOf(trx, ctx, loaded, LONDON_DATE.format(new Date()));
  // A partnership lead reads every referral in full; so does someone under emergency access.
  const emergency =
    !["covered", "partial", "withdrawn"].includes(actorSharing(ctx, loaded).state) &&
    facts.emergencyAccess === true;
  const sharing =
    ctx.actor.role === "partnership_lead" || emergency
      ? { state: "covered" as const, dataItems: [], withdrawnAt: null }
      : actorSharing(ctx, loaded);
  const view: ReferralView = {
    ...caseWork,
    id: referral.id,
    reference: referralReference(referral.id),
    version: referral.version,
    state: referral.state,
    stateLabel: REFERRAL_STATE_LABELS[referral.state],
    youngPerson: youngPerson
      ? {
          id: youngPerson.id,
          name: `${youngPerson.given_name} ${youngPerson.family_name}`,
          knownAs: youngPerson.known_as,
          dateOfBirth: youngPerson.date_of_birth,
          gender: youngPerson.gender,
          postcodeDistrict: youngPerson.postcode_district,
          school: youngPerson.school,
        }
      : null,
    referrer: {
      name: personName(referral.referrer_user_id),
      userId: referral.referrer_user_id,
      agencyId: referral.referrer_agency_id,
      agencyName: agencyName(referrerAgency?.agency_id ?? referral.referrer_agency_id),
    },
    destination: {
      kind: referral.destination,
      agencyName: referral.destination_agency_id
        ? agencyName(referral.destination_agency_id)
        : null,
    },
    answers: answersOf(referral),
    rag:
      referral.rag && referral.rag_rationale && referral.screened_at
        ? {
            rating: referral.rag,
            rationale: referral.rag_rationale,
            screenedAt: referral.screened_at.toISOString(),
          }
        : null,
    submittedAt: referral.submitted_at?.toISOString() ?? null,
    screeningDueAt: referral.screening_due_at?.toISOString() ?? null,
    due: dueOf(referral, agencies),
    escalation:
      referral.escalated_to && referral.escalated_at
        ? { to: referral.escalated_to, at: referral.escalated_at.toISOString() }
        : null,
    closure:
      referral.state === "closed" &&
      referral.outcome &&
      referral.outcome_summary &&
      referral.closed_at
        ? {
            outcome: referral.outcome,
            summary: referral.outcome_summary,
            closedAt: referral.closed_at.toISOString(),
          }
        : null,
    agencies: agencies
      .map((agency) => ({
        agencyId: agency.agency_id,
        agencyName: agencyName(agency.agency_id),
        involvement: agency.involvement,
        status: agency.status,
        allocatedTo: agency.allocated_user_id ? personName(agency.allocated_user_id) : null,
        responseDueAt: agency.response_due_at?.toISOString() ?? null,
        declineReason: agency.decline_reason,
      }))
      .sort((a, b) =>
        a.involvement === b.involvement
          ? a.agencyName.localeCompare(b.agencyName)
          : a.involvement === "referrer"
            ? -1
            : 1,
      ),
    history: history.map((step) => ({
      id: step.id,
      transition: step.transition,
      fromState: step.from_state,
      toState: step.to_state,
      actorName: personName(step.actor_user_id),
      actorAgencyName: agencyName(step.actor_agency_id),
      occurredAt: step.occurred_at.toISOString(),
      rationale: step.rationale,
      details: step.details,
    })),
    steps,
    can: {
      addNote: allowed("note.add"),
      addAction: allowed("case_action.add"),
      updateActions: allowed("case_action.update"),
      recordDecision:
        (caseOpen || referral.state === "draft") &&
        decide(ctx.actor, "sharing.record_decision", { ...facts, agreementPermits: true }).allowed,
      // A young person can withdraw consent at any time, closed case or not.
      withdrawConsent:
        CONSENT_WITHDRAWAL_STATES.includes(referral.state) &&
        decide(ctx.actor, "consent.withdraw", facts).allowed,
    },
    sharing: { ...sharing, emergency },
    emergencyAccess: emergencyBannerFor(ctx, loaded),
    decisions: currentDecisions(loaded.decisions)
      .filter(
        (decision) =>
          decision.decision !== "not_share" ||
          ctx.actor.role === "partnership_lead" ||
          ctx.actor.agencyId === referral.referrer_agency_id,
      )
      .map((decision) => ({
        id: decision.id,
        decision: decision.decision,
        recipients: decision.recipientAgencyIds.map(agencyName),
        consentReliedOn: decision.consentReliedOn,
        withdrawnAt: decision.withdrawnAt,
      })),
  };
  return limitedBySharing(view);
}

/**
 * What an agency may read of a referral under its sharing state: under `partial` only the items
 * the decision chose; after a withdrawal, the case only as it was then (withdrawal is not
 * retrospective, and nothing newer reaches the agency).
 */
export function limitedBySharing(view: ReferralView): ReferralView {
  const { state, dataItems, withdrawnAt } = view.sharing;
  if (state === "partial") {
    const shared = (item: DataItem) => dataItems.includes(item);
    return {
      ...view,
      youngPerson:
        view.youngPerson && !shared("identity")
          ? {
              ...view.youngPerson,
              dateOfBirth: null,
              gender: null,
              postcodeDistrict: null,
              school: null,
              knownAs: null,
            }
          : view.youngPerson,
      answers: {
        ...view.answers,
        concern: shared("concern") ? view.answers.concern : null,
        immediateAction: shared("concern") ? view.answers.immediateAction : null,
        riskIndicators: shared("risk_indicators") ? view.answers.riskIndicators : [],
        youngPersonKnows: shared("family_knowledge") ? view.answers.youngPersonKnows : null,
        familyKnows: shared("family_knowledge") ? view.answers.familyKnows : null,
      },
      notes: shared("case_notes") ? view.notes : [],
      actions: shared("actions") ? view.actions : [],
      closure: shared("outcome") ? view.closure : null,
    };
  }
  if (state === "withdrawn" && withdrawnAt) {
    const before = (moment: string) => moment <= withdrawnAt;
    return {
      ...view,
      notes: view.notes.filter((note) => before(note.writtenAt)),
      actions: view.actions.filter((action) => before(action.createdAt)),
      history: view.history.filter((step) => before(step.occurredAt)),
      closure: view.closure && before(view.closure.closedAt) ? view.closure : null,
      due: null,
      steps: [],
    };
  }
  return view;
}

/** What a referral is waiting for next, and when that is due. */
export function dueOf(
  referral: Pick<ReferralRow, "state" | "screening_due_at">,
  agencies: readonly { status: string | null; response_due_at: Date | null }[],
  now = new Date(),
): ReferralView["due"] {
  if (referral.state === "submitted" && referral.screening_due_at) {
    const at = referral.screening_due_at;
    return { what: "Screening", at: at.toISOString(), overdue: at < now };
  }
  const waiting = agencies
    .filter((agency) => agency.status === "awaiting" && agency.response_due_at)
    .map((agency) => agency.response_due_at as Date)
    .sort((a, b) => a.getTime() - b.getTime())[0];
  if (waiting)
    return { what: "An agency's answer", at: waiting.toISOString(), overdue: waiting < now };
  return null;
}
