import type { Transaction } from "kysely";
import type { Database } from "../../db/types";
import {
  agencySharing,
  type Escalation,
  type OpenActionFate,
  type Outcome,
  type RagRating,
  type TransitionName,
} from "../../policies";
import { record } from "./audit.server";
import { authorize, authorizeTransition } from "./authorize.server";
import { inActorTransaction, todayOf, type ServiceContext } from "./context.server";
import { InvalidInput } from "./errors";
import {
  involvedAgencyIds,
  loadVisibleReferral,
  referralAuditRecord,
  referralFacts,
  type LoadedReferral,
} from "./referral-access.server";
import { referralView, takeStep, type ReferralView } from "./referrals.server";
import { dueAfter, ratedTarget, readResponseTargets } from "./response-targets";

/** A step's page: the referral as the person sees it, and the choices the step offers. */
export interface StepForm {
  referral: ReferralView;
  /**
   * Agencies to route to (route), people to allocate to (accept), or the agencies involved that
   * an open action may be handed over to (close); empty otherwise.
   */
  choices: { id: string; name: string }[];
  /** Closing: the actions still open, each of which the person must say what happens to. */
  openActions: OpenActionView[];
}

/**
 * Open the page for one lifecycle step: the person must be able to see the referral (404
 * otherwise; the read is recorded) and to take this step now (403 with the reason otherwise).
 */
export function prepareStep(
  ctx: ServiceContext,
  id: string,
  transition: TransitionName,
): Promise<StepForm> {
  return inActorTransaction(ctx, async (trx) => {
    const loaded = await loadVisibleReferral(trx, ctx, id, { recordView: true });
    // One page screens a new referral and re-rates a screened one.
    const step =
      transition === "screen" && loaded.referral.state !== "submitted" ? "rerate" : transition;
    await authorizeTransition(
      trx,
      ctx,
      step,
      referralFacts(ctx, loaded),
      referralAuditRecord(loaded.referral),
    );
    const choices =
      transition === "route"
        ? routingChoices(loaded, await activeAgencies(trx))
        : transition === "accept"
          ? await allocationChoices(trx, ctx.actor.agencyId)
          : transition === "close"
            ? await involvedAgencies(trx, loaded)
            : [];
    const openActions =
      transition === "close"
        ? (await openActionsOf(trx, id, { forUpdate: false })).map(
            ({ version: _version, ...action }) => action,
          )
        : [];
    return { referral: await referralView(trx, ctx, loaded), choices, openActions };
  });
}

/** A reason or rationale every step of this kind must give: never blank. */
function requireText(value: string, field: string, message: string): string {
  const text = value.trim();
  if (text === "") throw new InvalidInput([{ field, message }]);
  return text;
}

/** Every step names the version of the referral the person saw when they chose it. */
interface Versioned {
  version: number;
}

/**
 * Screen a referral with a RAG rating and its rationale, or re-rate a screened one: a new rating
 * always needs a new rationale, and the earlier one stays in the referral's history.
 */
export function screenReferral(
  ctx: ServiceContext,
  id: string,
  input: Versioned & { rag: RagRating; rationale: string },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    requireText(input.rationale, "rationale", "Give the rationale for the rating");
    const state = (
      await trx.selectFrom("referrals").select("state").where("id", "=", id).executeTakeFirst()
    )?.state;
    const transition = state === "submitted" || state === undefined ? "screen" : "rerate";
    await takeStep(trx, ctx, { id, transition, version: input.version }, ({ referral }) => {
      if (transition === "rerate" && input.rationale.trim() === referral.rag_rationale?.trim()) {
        throw new InvalidInput([
          { field: "rationale", message: "Give a new rationale for the new rating" },
        ]);
      }
      return Promise.resolve({
        to: transition === "screen" ? "screened" : "same",
        change: {
          rag: input.rag,
          rag_rationale: input.rationale,
          screened_at: new Date(),
          screened_by: ctx.actor.userId,
        },
        rationale: input.rationale,
        details: { rag: input.rag, previousRag: referral.rag },
      });
    });
  });
}

async function activeAgencies(trx: Transaction<Database>) {
  return trx
    .selectFrom("agencies")
    .select(["id", "name"])
    .where("is_active", "=", true)
    .orderBy("name")
    .execute();
}

/** Agencies a referral can be routed to now: active, and not already involved or waiting. */
export function routingChoices(
  loaded: LoadedReferral,
  agencies: { id: string; name: string }[],
): { id: string; name: string }[] {
  const involved = new Set(involvedAgencyIds(loaded.agencies));
  return agencies.filter((agency) => !involved.has(agency.id));
}

/**
 * Route a screened referral to one or more agencies. Each is asked to accept or decline, with a
 * response target set by the referral's RAG rating.
 */
export function routeReferral(
  ctx: ServiceContext,
  id: string,
  input: Versioned & { agencyIds: string[] },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    await takeStep(
      trx,
      ctx,
      { id, transition: "route", version: input.version },
      async (loaded) => {
        const { referral } = loaded;
        const choices = routingChoices(loaded, await activeAgencies(trx));
        const unknown = input.agencyIds.filter(
          (agencyId) => !choices.some((c) => c.id === agencyId),
        );
        if (input.agencyIds.length === 0 || unknown.length > 0) {
          throw new InvalidInput([
            {
              field: "agencyIds",
              message:
                input.agencyIds.length === 0
                  ? "Select at least one agency to route the referral to"
                  : "Select only agencies that are not already involved",
            },
          ]);
        }
        // An agency is asked only when a current decision to share covers it (DOMAIN.md section 4).
        const uncovered = input.agencyIds.filter(
          (agencyId) =>
            !["covered", "partial"].includes(
              agencySharing(agencyId, referral.referrer_agency_id, loaded.decisions, todayOf(ctx))
                .state,
            ),
        );
        if (uncovered.length > 0) {
          const names = choices
            .filter((choice) => uncovered.includes(choice.id))
            .map((choice) => choice.name)
            .join(", ");
          throw new InvalidInput([
            {
              field: "agencyIds",
              message: `No current decision to share covers ${names}: record a decision to share with them first`,
            },
          ]);
        }
        const now = new Date();
        const targets = readResponseTargets(
          (
            await trx
              .selectFrom("partnerships")
              .select("response_targets")
              .where("id", "=", referral.partnership_id)
              .executeTakeFirstOrThrow()
          ).response_targets,
        );
        const dueAt = dueAfter(now, ratedTarget(targets, referral.rag ?? "green"));
        for (const agencyId of input.agencyIds) {
          await trx
            .insertInto("referral_agencies")
            .values({
              partnership_id: referral.partnership_id,
              referral_id: referral.id,
              agency_id: agencyId,
              involvement: "receiving",
              status: "awaiting",
              routed_at: now,
              routed_by: ctx.actor.userId,
              response_due_at: dueAt,
            })
            .onConflict((conflict) =>
              // An agency that declined before can be asked again.
              conflict.columns(["referral_id", "agency_id"]).doUpdateSet({
                status: "awaiting",
                routed_at: now,
                routed_by: ctx.actor.userId,
                response_due_at: dueAt,
                responded_at: null,
                responded_by: null,
                decline_reason: null,
                allocated_user_id: null,
              }),
            )
            .execute();
        }
        return {
          to: referral.state === "active" ? "same" : "allocated",
          details: { agencyIds: input.agencyIds },
        };
      },
    );
  });
}

/** People in the actor's agency a referral can be allocated to. */
export async function allocationChoices(
  trx: Transaction<Database>,
  agencyId: string,
): Promise<{ id: string; name: string }[]> {
  const rows = await trx
    .selectFrom("users")
    .select(["id", "display_name"])
    .where("agency_id", "=", agencyId)
    .where("is_active", "=", true)
    .where("role", "in", ["practitioner", "agency_lead"])
    .orderBy("display_name")
    .execute();
  return rows.map((row) => ({ id: row.id, name: row.display_name }));
}

/**
 * Accept a referral routed to the actor's agency and allocate it to one of the agency's
 * practitioners. Two leads accepting at once: the second is refused as a conflict.
 */
export function acceptReferral(
  ctx: ServiceContext,
  id: string,
  input: Versioned & { allocatedUserId: string },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    await takeStep(trx, ctx, { id, transition: "accept", version: input.version }, async () => {
      const choices = await allocationChoices(trx, ctx.actor.agencyId);
      if (!choices.some((choice) => choice.id === input.allocatedUserId)) {
        throw new InvalidInput([
          { field: "allocatedUserId", message: "Select a practitioner in your agency" },
        ]);
      }
      await trx
        .updateTable("referral_agencies")
        .set({
          status: "accepted",
          responded_at: new Date(),
          responded_by: ctx.actor.userId,
          allocated_user_id: input.allocatedUserId,
        })
        .where("referral_id", "=", id)
        .where("agency_id", "=", ctx.actor.agencyId)
        .execute();
      return {
        to: "active",
        details: { agencyId: ctx.actor.agencyId, allocatedUserId: input.allocatedUserId },
      };
    });
  });
}

/**
 * Decline a referral routed to the actor's agency, with the reason. When no receiving agency is
 * left, the referral goes back to the partnership lead for screening and routing.
 */
export function declineReferral(
  ctx: ServiceContext,
  id: string,
  input: Versioned & { reason: string },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    requireText(input.reason, "reason", "Say why your agency is declining the referral");
    await takeStep(
      trx,
      ctx,
      { id, transition: "decline", version: input.version },
      ({ agencies }) => {
        const decline = async () => {
          await trx
            .updateTable("referral_agencies")
            .set({
              status: "declined",
              responded_at: new Date(),
              responded_by: ctx.actor.userId,
              decline_reason: input.reason,
            })
            .where("referral_id", "=", id)
            .where("agency_id", "=", ctx.actor.agencyId)
            .execute();
        };
        const others = agencies.filter(
          (agency) => agency.involvement === "receiving" && agency.agency_id !== ctx.actor.agencyId,
        );
        const to = others.some((agency) => agency.status === "accepted")
          ? "active"
          : others.some((agency) => agency.status === "awaiting")
            ? "allocated"
            : "screened";
        return Promise.resolve({
          to,
          rationale: input.reason,
          details: { agencyId: ctx.actor.agencyId },
          finally: decline,
        });
      },
    );
  });
}

/** Refer a referral to the multi-agency panel, whose decision routes or closes it. */
export function referToPanel(
  ctx: ServiceContext,
  id: string,
  input: Versioned & { reason: string },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    requireText(input.reason, "reason", "Say why the panel should consider it");
    await takeStep(trx, ctx, { id, transition: "refer_to_panel", version: input.version }, () =>
      Promise.resolve({ to: "panel" as const, rationale: input.reason }),
    );
  });
}

/** What the person closing a case says happens to one of its open actions. */
export interface OpenActionClosure {
  actionId: string;
  /** Null when the person did not say. */
  fate: OpenActionFate | null;
  /** Why it is cancelled (required then), or a note for the action's history. */
  note: string | null;
  /** For `handed_over`: the involved agency that carries it on. */
  handedToAgencyId: string | null;
}

/** An action still open on a case, as the closing page asks about it. */
export interface OpenActionView {
  id: string;
  description: string;
  assignedAgencyId: string;
  assignedAgencyName: string;
  dueOn: string;
}

/** Long descriptions are cut short in a message, which must fit in an error summary. */
function shortly(description: string): string {
  return description.length > 60 ? `${description.slice(0, 57).trimEnd()}…` : description;
}

/** The case's actions still open, oldest due first, locked so no one changes them meanwhile. */
async function openActionsOf(
  trx: Transaction<Database>,
  referralId: string,
  options: { forUpdate: boolean },
): Promise<(OpenActionView & { version: number })[]> {
  const query = trx
    .selectFrom("case_actions")
    .innerJoin("agencies", "agencies.id", "case_actions.assigned_agency_id")
    .select([
      "case_actions.id",
      "case_actions.description",
      "case_actions.assigned_agency_id",
      "agencies.name",
      "case_actions.due_on",
      "case_actions.version",
    ])
    .where("case_actions.referral_id", "=", referralId)
    .where("case_actions.status", "=", "open")
    .orderBy("case_actions.due_on")
    .orderBy("case_actions.created_at");
  const rows = await (options.forUpdate ? query.forUpdate("case_actions") : query).execute();
  return rows.map((row) => ({
    id: row.id,
    description: row.description,
    assignedAgencyId: row.assigned_agency_id,
    assignedAgencyName: row.name,
    dueOn: row.due_on,
    version: row.version,
  }));
}

/**
 * Everything wrong with a closure, in the page's order: each open action needs to be done,
 * cancelled with a reason, or handed to another agency that stays involved; then the outcome and
 * its summary.
 */
function closureProblems(
  input: { outcome: Outcome | null; summary: string; actions: readonly OpenActionClosure[] },
  open: readonly OpenActionView[],
  involved: readonly { id: string; name: string }[],
): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  for (const action of open) {
    const answer = input.actions.find((candidate) => candidate.actionId === action.id);
    const what = `the action “${shortly(action.description)}”`;
    if (!answer?.fate) {
      problems.push({ field: `action-${action.id}`, message: `Say what happens to ${what}` });
    } else if (answer.fate === "cancelled" && !answer.note?.trim()) {
      problems.push({ field: `action-${action.id}-note`, message: `Say why ${what} is cancelled` });
    } else if (answer.fate === "handed_over") {
      const to = involved.find((agency) => agency.id === answer.handedToAgencyId);
      if (!answer.handedToAgencyId) {
        problems.push({
          field: `action-${action.id}-agency`,
          message: `Select the agency ${what} is handed over to`,
        });
      } else if (!to || to.id === action.assignedAgencyId) {
        problems.push({
          field: `action-${action.id}-agency`,
          message: `Hand ${what} to an agency involved in the case other than ${action.assignedAgencyName}`,
        });
      }
    }
  }
  if (!input.outcome) problems.push({ field: "outcome", message: "Select the outcome" });
  if (input.summary.trim() === "") {
    problems.push({ field: "summary", message: "Write a summary of the outcome for the referrer" });
  }
  return problems;
}

/** Agencies involved in a case (not declined), by name: those an action may be handed to. */
async function involvedAgencies(
  trx: Transaction<Database>,
  loaded: LoadedReferral,
): Promise<{ id: string; name: string }[]> {
  const ids = involvedAgencyIds(loaded.agencies);
  if (ids.length === 0) return [];
  return trx
    .selectFrom("agencies")
    .select(["id", "name"])
    .where("id", "in", ids)
    .orderBy("name")
    .execute();
}

/**
 * Close a referral with its outcome and a summary the referrer will read ("closed loop"). No
 * action is left open: each is marked done, cancelled with its reason, or handed over to another
 * agency that stays involved, each change kept in the action's history and recorded, in the same
 * transaction as the closure.
 */
export function closeReferral(
  ctx: ServiceContext,
  id: string,
  input: Versioned & {
    outcome: Outcome | null;
    summary: string;
    actions?: readonly OpenActionClosure[];
  },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    await takeStep(
      trx,
      ctx,
      { id, transition: "close", version: input.version },
      async (loaded) => {
        const open = await openActionsOf(trx, id, { forUpdate: true });
        const involved = await involvedAgencies(trx, loaded);
        const answers = input.actions ?? [];
        const problems = closureProblems({ ...input, actions: answers }, open, involved);
        if (problems.length > 0 || !input.outcome) throw new InvalidInput(problems);
        if (open.length > 0) {
          await authorize(trx, ctx, "case_action.update", referralFacts(ctx, loaded), {
            refusal: "explain",
            audit: referralAuditRecord(loaded.referral),
          });
        }
        const now = new Date();
        for (const action of open) {
          const answer = answers.find((candidate) => candidate.actionId === action.id);
          const fate = answer?.fate as OpenActionFate;
          const handedTo = fate === "handed_over" ? (answer?.handedToAgencyId ?? null) : null;
          await trx
            .insertInto("case_action_updates")
            .values({
              partnership_id: loaded.referral.partnership_id,
              action_id: action.id,
              from_status: "open",
              to_status: fate,
              note: answer?.note?.trim() || null,
              updated_by: ctx.actor.userId,
            })
            .execute();
          await trx
            .updateTable("case_actions")
            .set({
              status: fate,
              handed_to_agency_id: handedTo,
              completed_at: fate === "done" ? now : null,
              version: action.version + 1,
              updated_at: now,
            })
            .where("id", "=", action.id)
            .execute();
          await record(trx, { actor: ctx.actor }, ctx, {
            action: "case_action.update",
            outcome: "allowed",
            recordType: "case_action",
            recordId: action.id,
            youngPersonId: loaded.referral.young_person_id ?? undefined,
            details: {
              referralId: id,
              from: "open",
              to: fate,
              atClosure: true,
              ...(handedTo ? { handedToAgencyId: handedTo } : {}),
            },
          });
        }
        return {
          to: "closed" as const,
          change: { outcome: input.outcome, outcome_summary: input.summary, closed_at: now },
          rationale: input.summary,
          details: { outcome: input.outcome },
        };
      },
    );
  });
}

/** Escalate a case to children's social care or the exploitation meeting; it stays open here. */
export function escalateReferral(
  ctx: ServiceContext,
  id: string,
  input: Versioned & { to: Escalation; reason: string },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    requireText(input.reason, "reason", "Say why the case is being escalated");
    await takeStep(trx, ctx, { id, transition: "escalate", version: input.version }, () =>
      Promise.resolve({
        to: "same" as const,
        change: { escalated_to: input.to, escalated_at: new Date() },
        rationale: input.reason,
        details: { escalatedTo: input.to },
      }),
    );
  });
}

/** Withdraw a referral (made in error, or no longer needed), with the reason. */
export function withdrawReferral(
  ctx: ServiceContext,
  id: string,
  input: Versioned & { reason: string },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    requireText(input.reason, "reason", "Say why the referral is being withdrawn");
    await takeStep(trx, ctx, { id, transition: "withdraw", version: input.version }, () =>
      Promise.resolve({ to: "withdrawn" as const, rationale: input.reason }),
    );
  });
}
