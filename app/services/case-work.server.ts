import type { Transaction } from "kysely";
import type { Database } from "../../db/types";
import {
  decide,
  OPEN_STATES,
  type CaseActionStatus,
  type CaseActionUpdateStatus,
  type NoteKind,
  type NoteVisibility,
} from "../../policies";
import { record } from "./audit.server";
import { authorize, refusedAsMissing } from "./authorize.server";
import { inActorTransaction, todayOf, type ServiceContext } from "./context.server";
import { notifyOfAction, notifyOfNote } from "./notifications.server";
import { ConflictError, InvalidInput } from "./errors";
import {
  involvedAgencyIds,
  loadVisibleReferral,
  referralAuditRecord,
  referralFacts,
  referralReference,
  type LoadedReferral,
} from "./referral-access.server";
import { namesOf } from "./names.server";

export interface NoteInput {
  kind: NoteKind;
  visibility: NoteVisibility;
  /** ISO date the contact happened, or the note is about. */
  occurredOn: string;
  body: string;
}

export interface ActionInput {
  description: string;
  assignedAgencyId: string;
  /** ISO date. */
  dueOn: string;
}

/** A note as the timeline shows it, with the versions a correction replaced. */
export interface NoteView {
  id: string;
  kind: NoteKind;
  visibility: NoteVisibility;
  occurredOn: string;
  body: string;
  authorName: string;
  agencyName: string;
  writtenAt: string;
  version: number;
  mayCorrect: boolean;
  earlierVersions: {
    version: number;
    body: string;
    reason: string;
    revisedAt: string;
    revisedBy: string;
  }[];
}

export interface ActionView {
  id: string;
  /** When the action was added (ISO timestamp). */
  createdAt: string;
  description: string;
  assignedAgencyName: string;
  dueOn: string;
  status: CaseActionStatus;
  /** The agency carrying the action on, when it was handed over as its case closed. */
  handedToAgencyName: string | null;
  overdue: boolean;
  version: number;
  history: {
    from: CaseActionStatus;
    to: CaseActionStatus;
    note: string | null;
    by: string;
    at: string;
  }[];
}

function requireOpen(loaded: LoadedReferral, what: string): void {
  if (!OPEN_STATES.includes(loaded.referral.state)) {
    throw new ConflictError(`This referral is no longer open, so ${what} can no longer be added.`);
  }
}

/** A case's notes (agency-only notes only within their agency) and actions. */
export async function caseWorkOf(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  loaded: LoadedReferral,
  today: string,
): Promise<{ notes: NoteView[]; actions: ActionView[] }> {
  const referralId = loaded.referral.id;
  const facts = referralFacts(ctx, loaded);
  const [notes, revisions, actions, updates] = await Promise.all([
    trx
      .selectFrom("case_notes")
      .selectAll()
      .where("referral_id", "=", referralId)
      .orderBy("occurred_on", "desc")
      .orderBy("created_at", "desc")
      .execute(),
    trx
      .selectFrom("case_note_revisions")
      .innerJoin("case_notes", "case_notes.id", "case_note_revisions.note_id")
      .selectAll("case_note_revisions")
      .where("case_notes.referral_id", "=", referralId)
      .orderBy("case_note_revisions.version")
      .execute(),
    trx
      .selectFrom("case_actions")
      .selectAll()
      .where("referral_id", "=", referralId)
      .orderBy("due_on")
      .execute(),
    trx
      .selectFrom("case_action_updates")
      .innerJoin("case_actions", "case_actions.id", "case_action_updates.action_id")
      .selectAll("case_action_updates")
      .where("case_actions.referral_id", "=", referralId)
      .orderBy("case_action_updates.updated_at")
      .execute(),
  ]);
  const names = await namesOf(trx, {
    agencyIds: [
      ...notes.map((note) => note.agency_id),
      ...actions.flatMap((action) => [action.assigned_agency_id, action.handed_to_agency_id]),
    ],
    userIds: [
      ...notes.map((note) => note.author_user_id),
      ...revisions.map((revision) => revision.revised_by),
      ...updates.map((update) => update.updated_by),
    ],
  });
  const agencyName = (id: string) => names.agencyName(id) ?? "";
  const personName = (id: string) => names.personName(id) ?? "";
  const readable = notes.filter(
    (note) =>
      note.visibility === "shared" ||
      decide(ctx.actor, "note.view_agency_only", { ...facts, noteAgencyId: note.agency_id })
        .allowed,
  );
  const open = OPEN_STATES.includes(loaded.referral.state);
  return {
    notes: readable.map((note) => ({
      id: note.id,
      kind: note.kind,
      visibility: note.visibility,
      occurredOn: note.occurred_on,
      body: note.body,
      authorName: personName(note.author_user_id),
      agencyName: agencyName(note.agency_id),
      writtenAt: note.created_at.toISOString(),
      version: note.version,
      mayCorrect:
        open &&
        decide(ctx.actor, "note.correct", { ...facts, createdByUserId: note.author_user_id })
          .allowed,
      earlierVersions: revisions
        .filter((revision) => revision.note_id === note.id)
        // A version kept within one agency stays there, even after a correction shared the note.
        .filter(
          (revision) =>
            revision.visibility === "shared" ||
            decide(ctx.actor, "note.view_agency_only", { ...facts, noteAgencyId: note.agency_id })
              .allowed,
        )
        .map((revision) => ({
          version: revision.version,
          body: revision.body,
          reason: revision.reason,
          revisedAt: revision.revised_at.toISOString(),
          revisedBy: personName(revision.revised_by),
        })),
    })),
    actions: actions.map((action) => ({
      id: action.id,
      createdAt: action.created_at.toISOString(),
      description: action.description,
      assignedAgencyName: agencyName(action.assigned_agency_id),
      dueOn: action.due_on,
      status: action.status,
      handedToAgencyName: action.handed_to_agency_id
        ? agencyName(action.handed_to_agency_id)
        : null,
      overdue: action.status === "open" && action.due_on < today,
      version: action.version,
      history: updates
        .filter((update) => update.action_id === action.id)
        .map((update) => ({
          from: update.from_status,
          to: update.to_status,
          note: update.note,
          by: personName(update.updated_by),
          at: update.updated_at.toISOString(),
        })),
    })),
  };
}

/** Add a contact or note to an open case. `agency_only` notes stay within the writer's agency. */
export function addNote(
  ctx: ServiceContext,
  referralId: string,
  input: NoteInput,
): Promise<{ id: string }> {
  return inActorTransaction(ctx, async (trx) => {
    const loaded = await loadVisibleReferral(trx, ctx, referralId, { recordView: false });
    await authorize(trx, ctx, "note.add", referralFacts(ctx, loaded), {
      refusal: "explain",
      audit: referralAuditRecord(loaded.referral),
    });
    requireOpen(loaded, "notes");
    const { id } = await trx
      .insertInto("case_notes")
      .values({
        partnership_id: loaded.referral.partnership_id,
        referral_id: referralId,
        agency_id: ctx.actor.agencyId,
        author_user_id: ctx.actor.userId,
        kind: input.kind,
        visibility: input.visibility,
        occurred_on: input.occurredOn,
        body: input.body,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "note.add",
      outcome: "allowed",
      recordType: "case_note",
      recordId: id,
      youngPersonId: loaded.referral.young_person_id ?? undefined,
      details: { referralId, kind: input.kind, visibility: input.visibility },
    });
    await notifyOfNote(trx, ctx, { loaded, noteId: id, shared: input.visibility === "shared" });
    return { id };
  });
}

/** A note its writer may correct, for the correction page. */
export function getNoteForCorrection(
  ctx: ServiceContext,
  referralId: string,
  noteId: string,
): Promise<NoteInput & { version: number }> {
  return inActorTransaction(ctx, async (trx) => {
    // The page shows the note's text: the read is recorded (as the young person's correction page does).
    const { note } = await loadNoteToCorrect(trx, ctx, referralId, noteId, { recordRead: true });
    return {
      kind: note.kind,
      visibility: note.visibility,
      occurredOn: note.occurred_on,
      body: note.body,
      version: note.version,
    };
  });
}

async function loadNoteToCorrect(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  referralId: string,
  noteId: string,
  options: { recordRead: boolean } = { recordRead: false },
) {
  const loaded = await loadVisibleReferral(trx, ctx, referralId, { recordView: false });
  const note = await trx
    .selectFrom("case_notes")
    .selectAll()
    .where("id", "=", noteId)
    .where("referral_id", "=", referralId)
    .forUpdate()
    .executeTakeFirst();
  if (!note)
    throw refusedAsMissing(
      "note.correct",
      "case_note",
      noteId,
      loaded.referral.young_person_id ?? undefined,
    );
  const facts = referralFacts(ctx, loaded);
  const audit = {
    recordType: "case_note",
    recordId: note.id,
    youngPersonId: loaded.referral.young_person_id ?? undefined,
    details: { referralId },
  };
  if (note.visibility === "agency_only") {
    await authorize(
      trx,
      ctx,
      "note.view_agency_only",
      { ...facts, noteAgencyId: note.agency_id },
      { refusal: "hide", audit },
    );
  }
  await authorize(
    trx,
    ctx,
    "note.correct",
    { ...facts, createdByUserId: note.author_user_id },
    { refusal: "explain", audit, recordAllowed: options.recordRead },
  );
  requireOpen(loaded, "corrections");
  return { loaded, note };
}

/**
 * Correct a note: the version it replaces is kept, with the reason for the correction. Nothing is
 * ever deleted; a correction made on an older version than the current one is refused.
 */
export function correctNote(
  ctx: ServiceContext,
  referralId: string,
  noteId: string,
  input: NoteInput & { reason: string; version: number },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    const { loaded, note } = await loadNoteToCorrect(trx, ctx, referralId, noteId);
    if (note.version !== input.version) {
      throw new ConflictError(
        "This note changed since you opened it. Open it again, then correct it.",
      );
    }
    await trx
      .insertInto("case_note_revisions")
      .values({
        partnership_id: note.partnership_id,
        note_id: note.id,
        version: note.version,
        kind: note.kind,
        visibility: note.visibility,
        occurred_on: note.occurred_on,
        body: note.body,
        reason: input.reason,
        revised_by: ctx.actor.userId,
      })
      .execute();
    await trx
      .updateTable("case_notes")
      .set({
        kind: input.kind,
        visibility: input.visibility,
        occurred_on: input.occurredOn,
        body: input.body,
        version: note.version + 1,
        updated_at: new Date(),
      })
      .where("id", "=", note.id)
      .execute();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "note.correct",
      outcome: "allowed",
      recordType: "case_note",
      recordId: note.id,
      youngPersonId: loaded.referral.young_person_id ?? undefined,
      details: { referralId, version: note.version + 1 },
    });
  });
}

/** Agencies an action can be assigned to: those involved in the case. */
export function assignableAgencies(
  ctx: ServiceContext,
  referralId: string,
): Promise<{ id: string; name: string }[]> {
  return inActorTransaction(ctx, async (trx) => {
    const loaded = await loadVisibleReferral(trx, ctx, referralId, { recordView: false });
    await authorize(trx, ctx, "case_action.add", referralFacts(ctx, loaded), {
      refusal: "explain",
      audit: referralAuditRecord(loaded.referral),
    });
    return agenciesInvolved(trx, loaded);
  });
}

async function agenciesInvolved(trx: Transaction<Database>, loaded: LoadedReferral) {
  const ids = involvedAgencyIds(loaded.agencies);
  if (ids.length === 0) return [];
  return trx
    .selectFrom("agencies")
    .select(["id", "name"])
    .where("id", "in", ids)
    .orderBy("name")
    .execute();
}

/** Add an action for an agency involved in an open case, with a due date. */
export function addAction(
  ctx: ServiceContext,
  referralId: string,
  input: ActionInput,
): Promise<{ id: string }> {
  return inActorTransaction(ctx, async (trx) => {
    const loaded = await loadVisibleReferral(trx, ctx, referralId, { recordView: false });
    await authorize(trx, ctx, "case_action.add", referralFacts(ctx, loaded), {
      refusal: "explain",
      audit: referralAuditRecord(loaded.referral),
    });
    requireOpen(loaded, "actions");
    const involved = await agenciesInvolved(trx, loaded);
    if (!involved.some((agency) => agency.id === input.assignedAgencyId)) {
      throw new InvalidInput([
        { field: "assignedAgencyId", message: "Select an agency involved in this case" },
      ]);
    }
    const { id } = await trx
      .insertInto("case_actions")
      .values({
        partnership_id: loaded.referral.partnership_id,
        referral_id: referralId,
        description: input.description,
        assigned_agency_id: input.assignedAgencyId,
        due_on: input.dueOn,
        created_by: ctx.actor.userId,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "case_action.add",
      outcome: "allowed",
      recordType: "case_action",
      recordId: id,
      youngPersonId: loaded.referral.young_person_id ?? undefined,
      details: { referralId, assignedAgencyId: input.assignedAgencyId, dueOn: input.dueOn },
    });
    await notifyOfAction(trx, ctx, {
      loaded,
      actionId: id,
      assignedAgencyId: input.assignedAgencyId,
      dueOn: input.dueOn,
    });
    return { id };
  });
}

/** Mark an action done or cancelled (or open again), keeping each change in its history. */
export function updateActionStatus(
  ctx: ServiceContext,
  referralId: string,
  actionId: string,
  input: { status: CaseActionUpdateStatus; note: string | null; version: number },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    const loaded = await loadVisibleReferral(trx, ctx, referralId, { recordView: false });
    await authorize(trx, ctx, "case_action.update", referralFacts(ctx, loaded), {
      refusal: "explain",
      audit: referralAuditRecord(loaded.referral),
    });
    requireOpen(loaded, "action updates");
    const action = await trx
      .selectFrom("case_actions")
      .selectAll()
      .where("id", "=", actionId)
      .where("referral_id", "=", referralId)
      .forUpdate()
      .executeTakeFirst();
    if (!action) {
      throw refusedAsMissing(
        "case_action.update",
        "case_action",
        actionId,
        loaded.referral.young_person_id ?? undefined,
      );
    }
    if (action.version !== input.version) {
      throw new ConflictError("This action changed since you opened it. Open the case again.");
    }
    if (action.status === input.status) return;
    await trx
      .insertInto("case_action_updates")
      .values({
        partnership_id: action.partnership_id,
        action_id: action.id,
        from_status: action.status,
        to_status: input.status,
        note: input.note,
        updated_by: ctx.actor.userId,
      })
      .execute();
    await trx
      .updateTable("case_actions")
      .set({
        status: input.status,
        completed_at: input.status === "done" ? new Date() : null,
        version: action.version + 1,
        updated_at: new Date(),
      })
      .where("id", "=", action.id)
      .execute();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "case_action.update",
      outcome: "allowed",
      recordType: "case_action",
      recordId: action.id,
      youngPersonId: loaded.referral.young_person_id ?? undefined,
      details: { referralId, from: action.status, to: input.status },
    });
  });
}

/** What a case-work form's heading names: the referral's reference and who it is about. */
export interface CaseWorkForm {
  reference: string;
  youngPersonName: string | null;
}

/**
 * Open the add-a-note or add-an-action form: the person must be able to see the referral (404
 * otherwise; the read is recorded), to add this kind of case work (403 with the reason) and the
 * case must still be open (409), so the form is never offered to someone it would refuse.
 */
export function getCaseWorkForm(
  ctx: ServiceContext,
  referralId: string,
  action: "note.add" | "case_action.add",
): Promise<CaseWorkForm> {
  return inActorTransaction(ctx, async (trx) => {
    const loaded = await loadVisibleReferral(trx, ctx, referralId, { recordView: true });
    const { referral } = loaded;
    await authorize(trx, ctx, action, referralFacts(ctx, loaded), {
      refusal: "explain",
      audit: referralAuditRecord(referral),
    });
    requireOpen(loaded, action === "note.add" ? "notes" : "actions");
    const youngPerson = referral.young_person_id
      ? await trx
          .selectFrom("young_people")
          .select(["given_name", "family_name"])
          .where("id", "=", referral.young_person_id)
          .executeTakeFirst()
      : undefined;
    return {
      reference: referralReference(referral.id),
      youngPersonName: youngPerson ? `${youngPerson.given_name} ${youngPerson.family_name}` : null,
    };
  });
}

/** One action's own page: the action, what the heading names, and whether the person may update it. */
export interface CaseActionPage extends CaseWorkForm {
  action: ActionView;
  mayUpdate: boolean;
}

/**
 * An action of a case the person may see, for its own page (404 otherwise; the read of the case is
 * recorded). An id that is not one of this case's actions (another case's, another partnership's,
 * or none at all) is the same 404, and the refusal is recorded against that id.
 */
export function getCaseAction(
  ctx: ServiceContext,
  referralId: string,
  actionId: string,
): Promise<CaseActionPage> {
  return inActorTransaction(ctx, async (trx) => {
    const loaded = await loadVisibleReferral(trx, ctx, referralId, { recordView: true });
    const { referral } = loaded;
    const { actions } = await caseWorkOf(trx, ctx, loaded, todayOf(ctx));
    const action = actions.find((candidate) => candidate.id === actionId);
    if (!action) {
      throw refusedAsMissing(
        "case_action.update",
        "case_action",
        actionId,
        referral.young_person_id ?? undefined,
      );
    }
    const youngPerson = referral.young_person_id
      ? await trx
          .selectFrom("young_people")
          .select(["given_name", "family_name"])
          .where("id", "=", referral.young_person_id)
          .executeTakeFirst()
      : undefined;
    return {
      reference: referralReference(referral.id),
      youngPersonName: youngPerson ? `${youngPerson.given_name} ${youngPerson.family_name}` : null,
      action,
      mayUpdate:
        OPEN_STATES.includes(referral.state) &&
        decide(ctx.actor, "case_action.update", referralFacts(ctx, loaded)).allowed,
    };
  });
}
