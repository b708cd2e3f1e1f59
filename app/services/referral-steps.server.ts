import type { Transaction } from "kysely";
import type { Database } from "../../db/types";
import {
  agencySharing,
  type Escalation,
  type Outcome,
  type RagRating,
  type TransitionName,
} from "../../policies";
import { authorizeTransition } from "./authorize.server";
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
  /** Agencies to route to (route), or people to allocate to (accept); empty otherwise. */
  choices: { id: string; name: string }[];
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
          : [];
    return { referral: await referralView(trx, ctx, loaded), choices };
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

/** Close a referral with its outcome and a summary the referrer will read ("closed loop"). */
export function closeReferral(
  ctx: ServiceContext,
  id: string,
  input: Versioned & { outcome: Outcome; summary: string },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    requireText(input.summary, "summary", "Write a summary of the outcome for the referrer");
    await takeStep(trx, ctx, { id, transition: "close", version: input.version }, () =>
      Promise.resolve({
        to: "closed" as const,
        change: { outcome: input.outcome, outcome_summary: input.summary, closed_at: new Date() },
        rationale: input.summary,
        details: { outcome: input.outcome },
      }),
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
