import type { Transaction } from "kysely";
import type { Database } from "../../db/types";
import {
  agreementPermits,
  CONSENT_WITHDRAWAL_STATES,
  currentDecisions,
  decide,
  decisionProblems,
  OPEN_STATES,
  type AgencyKind,
  type ConsentGiver,
  type DecisionToShareInput,
  type ShareDecision,
  type SharingPurpose,
  type WithdrawalEffect,
  withdrawalEffects,
} from "../../policies";
import { record } from "./audit.server";
import { authorize, refusedAsMissing } from "./authorize.server";
import { inActorTransaction, nowOf, todayOf, type ServiceContext } from "./context.server";
import { notifyOfConsentWithdrawal } from "./notifications.server";
import { ConflictError, InvalidInput, RecordNotFound } from "./errors";
import {
  involvedAgencyIds,
  loadReferral,
  loadVisibleReferral,
  referralAuditRecord,
  referralFacts,
  referralReference,
  type LoadedReferral,
} from "./referral-access.server";
import { loadSharingAgreement } from "./sharing-agreement.server";
import { ageOn } from "./young-person-record.server";

/** What the decision form needs: the agencies to choose from and what the rules will check. */
export interface DecisionForm {
  referralId: string;
  reference: string;
  youngPersonName: string | null;
  youngPersonAge: number | null;
  state: string;
  sourceAgency: { id: string; name: string; kind: AgencyKind };
  /** Agencies a decision may name: every active agency except the referrer's own. */
  agencies: { id: string; name: string; kind: AgencyKind }[];
  /** Decisions no later decision has replaced, which a new one may supersede. */
  current: { id: string; summary: string }[];
}

async function decisionContext(
  trx: Transaction<Database>,
  ctx: ServiceContext,
  loaded: LoadedReferral,
) {
  const { referral } = loaded;
  if (!referral.young_person_id) {
    throw new InvalidInput([
      { field: "recipientAgencyIds", message: "Choose who the referral is about first" },
    ]);
  }
  const [agencies, person, agreement] = await Promise.all([
    trx
      .selectFrom("agencies")
      .select(["id", "name", "kind", "is_active"])
      .orderBy("name")
      .execute(),
    trx
      .selectFrom("young_people")
      .select(["given_name", "family_name", "date_of_birth"])
      .where("id", "=", referral.young_person_id)
      .executeTakeFirstOrThrow(),
    loadSharingAgreement(trx),
  ]);
  const source = agencies.find((agency) => agency.id === referral.referrer_agency_id);
  if (!source) throw new RecordNotFound("agency");
  const today = todayOf(ctx);
  return {
    agencies,
    source,
    agreement,
    today,
    youngPersonId: referral.young_person_id,
    youngPersonName: `${person.given_name} ${person.family_name}`,
    youngPersonAge: person.date_of_birth ? ageOn(person.date_of_birth, today) : null,
  };
}

function summarise(
  decision: { decision: string; recipient_agency_ids: string[]; consent_relied_on: boolean },
  agencyName: (id: string) => string,
): string {
  const words = { share: "Share", share_partial: "Share some", not_share: "Do not share" }[
    decision.decision
  ];
  return `${words} with ${decision.recipient_agency_ids.map(agencyName).join(", ")}${decision.consent_relied_on ? " (consent)" : ""}`;
}

/** Decisions are recorded on drafts and open referrals; a closed case's decisions stand as they were. */
function requireDecidable(loaded: LoadedReferral): void {
  const { state } = loaded.referral;
  if (state !== "draft" && !OPEN_STATES.includes(state)) {
    throw new ConflictError(
      "This referral is no longer open, so no new decision can be recorded on it.",
    );
  }
}

/**
 * Open the form for a new decision on a referral the person may see and decide on. The read is
 * recorded, unless the page has already recorded its read of the same referral (the draft's
 * "check your answers" page lists the current decisions beside the draft it records).
 */
export function getDecisionForm(
  ctx: ServiceContext,
  referralId: string,
  options: { recordView: boolean } = { recordView: true },
): Promise<DecisionForm> {
  return inActorTransaction(ctx, async (trx) => {
    const loaded = await loadVisibleReferral(trx, ctx, referralId, {
      recordView: options.recordView,
    });
    const context = await decisionContext(trx, ctx, loaded);
    await authorize(
      trx,
      ctx,
      "sharing.record_decision",
      { ...referralFacts(ctx, loaded), agreementPermits: true },
      { refusal: "explain", audit: referralAuditRecord(loaded.referral) },
    );
    const rows = await trx
      .selectFrom("decisions_to_share")
      .select(["id", "supersedes_id", "decision", "recipient_agency_ids", "consent_relied_on"])
      .where("referral_id", "=", referralId)
      .orderBy("decided_at")
      .execute();
    const name = (id: string) => context.agencies.find((agency) => agency.id === id)?.name ?? "";
    return {
      referralId,
      reference: referralReference(referralId),
      youngPersonName: context.youngPersonName,
      youngPersonAge: context.youngPersonAge,
      state: loaded.referral.state,
      sourceAgency: { id: context.source.id, name: context.source.name, kind: context.source.kind },
      agencies: context.agencies
        .filter((agency) => agency.is_active && agency.id !== context.source.id)
        .map(({ id, name: agencyName, kind }) => ({ id, name: agencyName, kind })),
      current: currentDecisions(
        rows.map((row) => ({ ...row, supersedesId: row.supersedes_id })),
      ).map((row) => ({ id: row.id, summary: summarise(row, name) })),
    };
  });
}

/**
 * Record a decision to share on a referral, checked against every rule of DOMAIN.md section 4 and
 * the partnership's information sharing agreement. It never overwrites: `supersedesId` names the
 * current decision it replaces, which is kept.
 */
export function recordDecisionToShare(
  ctx: ServiceContext,
  referralId: string,
  input: DecisionToShareInput & { supersedesId: string | null },
): Promise<{ id: string }> {
  return inActorTransaction(ctx, async (trx) => {
    const loaded = await loadVisibleReferral(trx, ctx, referralId, {
      recordView: false,
      forUpdate: true,
    });
    requireDecidable(loaded);
    // A decision to replace must be one of this referral's: any other id (another case's, another
    // partnership's, or none) is the 404 of a missing record, and the attempt is recorded.
    if (
      input.supersedesId &&
      !loaded.decisions.some((decision) => decision.id === input.supersedesId)
    ) {
      throw refusedAsMissing(
        "sharing.record_decision",
        "decision_to_share",
        input.supersedesId,
        loaded.referral.young_person_id ?? undefined,
      );
    }
    const context = await decisionContext(trx, ctx, loaded);
    const recipientKinds: Record<string, AgencyKind> = {};
    for (const agencyId of [...input.recipientAgencyIds, ...input.consentScopeAgencyIds]) {
      const agency = context.agencies.find((candidate) => candidate.id === agencyId);
      if (!agency?.is_active || agency.id === context.source.id) {
        throw new InvalidInput([
          { field: "recipientAgencyIds", message: "Select agencies from the list" },
        ]);
      }
      recipientKinds[agencyId] = agency.kind;
    }
    const permits = (from: AgencyKind, to: AgencyKind, purpose: SharingPurpose) =>
      agreementPermits(context.agreement, from, to, purpose);
    const withinAgreement =
      input.decision === "not_share" ||
      input.recipientAgencyIds.every((agencyId) =>
        input.purposes.every((purpose) =>
          permits(context.source.kind, recipientKinds[agencyId] as AgencyKind, purpose),
        ),
      );
    const problems = decisionProblems(input, {
      sourceKind: context.source.kind,
      recipientKinds,
      youngPersonAge: context.youngPersonAge,
      agreementPermits: permits,
      today: context.today,
    });
    // The agreement is both a rule of the form and a condition of the policies: say what is
    // wrong on the form first, then let the policies refuse (and record) anything still outside it.
    if (problems.length > 0) throw new InvalidInput(problems);
    await authorize(
      trx,
      ctx,
      "sharing.record_decision",
      { ...referralFacts(ctx, loaded), agreementPermits: withinAgreement },
      { refusal: "explain", audit: referralAuditRecord(loaded.referral) },
    );
    if (input.supersedesId) {
      const current = currentDecisions(loaded.decisions.map((decision) => ({ ...decision }))).some(
        (decision) => decision.id === input.supersedesId,
      );
      if (!current) {
        throw new ConflictError(
          "The decision you are replacing has already been replaced. Open the referral again.",
        );
      }
    }
    // A decision not to share rests on no consent: it records what was not shared, with whom, why,
    // who decided and when to review it, and whatever else the person chose to say.
    const notSharing = input.decision === "not_share";
    const consent = input.consentReliedOn && !notSharing;
    const { id } = await trx
      .insertInto("decisions_to_share")
      .values({
        partnership_id: loaded.referral.partnership_id,
        referral_id: referralId,
        young_person_id: context.youngPersonId,
        supersedes_id: input.supersedesId,
        decision: input.decision,
        decided_by: ctx.actor.userId,
        decided_by_agency_id: ctx.actor.agencyId,
        advice_from: input.adviceFrom,
        recipient_agency_ids: input.recipientAgencyIds,
        purposes: input.purposes,
        data_items: input.decision === "share" ? [] : input.dataItems,
        article6: input.article6,
        article9: input.article9,
        gateway: input.gateway,
        source_kind: context.source.kind,
        consent_relied_on: consent,
        consent_given_by: consent ? input.consentGivenBy : null,
        competence_assessment: consent ? input.competenceAssessment : null,
        consent_scope_agency_ids: consent ? input.consentScopeAgencyIds : [],
        consent_scope_purposes: consent ? input.consentScopePurposes : [],
        consent_form: consent ? input.consentForm : null,
        consent_expires_on: consent ? input.consentExpiresOn : null,
        consent_not_sought_reason: consent ? null : input.consentNotSoughtReason,
        young_person_views: input.youngPersonViews,
        rationale: input.rationale,
        review_on: notSharing ? (input.reviewOn ?? null) : null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "sharing.record_decision",
      outcome: "allowed",
      recordType: "decision_to_share",
      recordId: id,
      youngPersonId: context.youngPersonId,
      details: {
        referralId,
        decision: input.decision,
        recipientAgencyIds: input.recipientAgencyIds,
        purposes: input.purposes,
        article6: input.article6,
        article9: input.article9,
        gateway: input.gateway,
        consentReliedOn: consent,
        supersedes: input.supersedesId,
        ...(notSharing ? { notShared: input.dataItems, reviewOn: input.reviewOn ?? null } : {}),
      },
    });
    return { id };
  });
}

/**
 * Record that consent a decision relied on was withdrawn, by whom and when. From then on agencies
 * whose access rested on it see nothing newer; what they saw before stays (not retrospective).
 */
export function withdrawConsent(
  ctx: ServiceContext,
  referralId: string,
  decisionId: string,
  input: { withdrawnBy: ConsentGiver; withdrawnAt: Date; note: string | null },
): Promise<void> {
  return inActorTransaction(ctx, async (trx) => {
    const loaded = await loadVisibleReferral(trx, ctx, referralId, {
      recordView: false,
      forUpdate: true,
    });
    await authorize(trx, ctx, "consent.withdraw", referralFacts(ctx, loaded), {
      refusal: "explain",
      audit: referralAuditRecord(loaded.referral),
    });
    requireWithdrawable(loaded);
    const decision = loaded.decisions.find((candidate) => candidate.id === decisionId);
    if (!decision) {
      throw refusedAsMissing(
        "consent.withdraw",
        "decision_to_share",
        decisionId,
        loaded.referral.young_person_id ?? undefined,
      );
    }
    if (!decision.consentReliedOn) {
      throw new InvalidInput([
        { field: "withdrawnBy", message: "This decision does not rely on consent" },
      ]);
    }
    if (decision.withdrawnAt) {
      throw new ConflictError("Withdrawal of this consent has already been recorded.");
    }
    const decidedAt = (
      await trx
        .selectFrom("decisions_to_share")
        .select("decided_at")
        .where("id", "=", decisionId)
        .executeTakeFirstOrThrow()
    ).decided_at;
    if (input.withdrawnAt.getTime() < decidedAt.getTime()) {
      throw new InvalidInput([
        {
          field: "withdrawnOn-day",
          message: "Consent cannot have been withdrawn before the decision that relied on it",
        },
      ]);
    }
    if (input.withdrawnAt.getTime() > nowOf(ctx).getTime()) {
      throw new InvalidInput([
        { field: "withdrawnOn-day", message: "The date consent was withdrawn must be in the past" },
      ]);
    }
    await trx
      .insertInto("consent_withdrawals")
      .values({
        partnership_id: loaded.referral.partnership_id,
        decision_id: decisionId,
        withdrawn_by: input.withdrawnBy,
        withdrawn_at: input.withdrawnAt,
        recorded_by: ctx.actor.userId,
        note: input.note,
      })
      .execute();
    await record(trx, { actor: ctx.actor }, ctx, {
      action: "consent.withdraw",
      outcome: "allowed",
      recordType: "decision_to_share",
      recordId: decisionId,
      youngPersonId: loaded.referral.young_person_id ?? undefined,
      details: { referralId, withdrawnBy: input.withdrawnBy },
    });
    await notifyOfConsentWithdrawal(trx, ctx, { loaded, decision });
  });
}

/**
 * A young person can withdraw consent at any time (DOMAIN.md section 4): once the referral has
 * been sent, whether the case is open, closed or withdrawn. A draft's decision is replaced instead.
 */
function requireWithdrawable(loaded: LoadedReferral): void {
  if (!CONSENT_WITHDRAWAL_STATES.includes(loaded.referral.state)) {
    throw new ConflictError(
      "This referral has not been sent: replace its decision to share instead.",
    );
  }
}

/** What the page recording a withdrawal of consent shows. */
export interface WithdrawalForm {
  reference: string;
  youngPersonName: string | null;
  /** Whether the case is still open (a closed one takes no new decision or case work). */
  caseOpen: boolean;
  /** The decision whose consent was withdrawn: what it decided, and for whom. */
  decision: { id: string; decision: ShareDecision; recipients: string[] };
  /** What recording the withdrawal does to each agency the consent covered, as the rules say. */
  effects: { agencyName: string; reads: WithdrawalEffect["reads"]; rule: string | null }[];
}

/**
 * Open the page recording that consent was withdrawn: the person must see the referral (404
 * otherwise; the read is recorded), the decision must be a current one relying on consent (404),
 * the person may record a withdrawal on this referral (403 with the reason; the refusal is
 * recorded), the referral must be open and the withdrawal not yet recorded (409).
 */
export function getWithdrawalForm(
  ctx: ServiceContext,
  referralId: string,
  decisionId: string,
): Promise<WithdrawalForm> {
  return inActorTransaction(ctx, async (trx) => {
    const loaded = await loadVisibleReferral(trx, ctx, referralId, { recordView: true });
    const { referral } = loaded;
    const decision = currentDecisions(loaded.decisions).find(
      (candidate) => candidate.id === decisionId && candidate.consentReliedOn,
    );
    if (!decision) {
      throw refusedAsMissing(
        "consent.withdraw",
        "decision_to_share",
        decisionId,
        referral.young_person_id ?? undefined,
      );
    }
    await authorize(trx, ctx, "consent.withdraw", referralFacts(ctx, loaded), {
      refusal: "explain",
      audit: referralAuditRecord(referral),
    });
    requireWithdrawable(loaded);
    if (decision.withdrawnAt) {
      throw new ConflictError("Withdrawal of this consent has already been recorded.");
    }
    const [agencies, person] = await Promise.all([
      trx.selectFrom("agencies").select(["id", "name"]).execute(),
      referral.young_person_id
        ? trx
            .selectFrom("young_people")
            .select(["given_name", "family_name"])
            .where("id", "=", referral.young_person_id)
            .executeTakeFirst()
        : Promise.resolve(undefined),
    ]);
    const agencyName = (id: string) => agencies.find((agency) => agency.id === id)?.name ?? "";
    const effects = withdrawalEffects(
      decision.id,
      loaded.decisions,
      {
        partnershipId: referral.partnership_id,
        involvedAgencyIds: involvedAgencyIds(loaded.agencies),
        state: referral.state,
      },
      referral.referrer_agency_id,
      nowOf(ctx).toISOString(),
      todayOf(ctx),
    );
    return {
      reference: referralReference(referralId),
      youngPersonName: person ? `${person.given_name} ${person.family_name}` : null,
      caseOpen: OPEN_STATES.includes(referral.state),
      decision: {
        id: decision.id,
        decision: decision.decision,
        recipients: decision.recipientAgencyIds.map(agencyName),
      },
      effects: effects.map((effect) => ({
        agencyName: agencyName(effect.agencyId),
        reads: effect.reads,
        rule: effect.rule,
      })),
    };
  });
}

/** One entry in a young person's sharing history. */
export type SharingHistoryEntry =
  | {
      kind: "decision";
      id: string;
      at: string;
      referralId: string;
      reference: string;
      decision: string;
      decidedBy: string;
      agencyName: string;
      recipients: string[];
      purposes: string[];
      /** Under `share_partial` what was shared; under `not_share` what was not. */
      dataItems: string[];
      adviceFrom: string | null;
      /** Null for a decision not to share, which is not asked the law it shares under. */
      article6: string | null;
      article9: string | null;
      gateway: string | null;
      consentReliedOn: boolean;
      consentGivenBy: string | null;
      /** How a child under 16 was found competent to consent (Gillick/Fraser). */
      competenceAssessment: string | null;
      consentScope: { agencies: string[]; purposes: string[] };
      consentForm: string | null;
      consentExpiresOn: string | null;
      consentNotSoughtReason: string | null;
      youngPersonViews: string | null;
      rationale: string;
      /** For a decision not to share: when it is to be looked at again. */
      reviewOn: string | null;
      supersedes: string | null;
    }
  | {
      kind: "withdrawal";
      id: string;
      at: string;
      decisionId: string;
      referralId: string;
      reference: string;
      withdrawnBy: string;
      recordedBy: string;
      note: string | null;
    };

/**
 * Every decision to share and every consent withdrawal about a young person, in order, across the
 * referrals this person may see. A decision not to share is shown only to the referring agency and
 * partnership leads (DOMAIN.md section 4).
 */
export function getSharingHistory(
  ctx: ServiceContext,
  referralId: string,
): Promise<{ referralId: string; reference: string; entries: SharingHistoryEntry[] }> {
  return inActorTransaction(ctx, async (trx) => {
    const anchor = await loadVisibleReferral(trx, ctx, referralId, { recordView: true });
    const youngPersonId = anchor.referral.young_person_id;
    const referrals = youngPersonId
      ? await trx
          .selectFrom("referrals")
          .select(["id", "referrer_agency_id"])
          .where("young_person_id", "=", youngPersonId)
          .execute()
      : [{ id: referralId, referrer_agency_id: anchor.referral.referrer_agency_id }];
    const visible: { id: string; referrer_agency_id: string }[] = [];
    for (const candidate of referrals) {
      const loaded = candidate.id === referralId ? anchor : await loadReferral(trx, candidate.id);
      if (decide(ctx.actor, "referral.view", referralFacts(ctx, loaded)).allowed) {
        visible.push(candidate);
      }
    }
    const ids = visible.map((referral) => referral.id);
    const [decisions, withdrawals, agencies, people] = await Promise.all([
      trx
        .selectFrom("decisions_to_share")
        .selectAll()
        .where("referral_id", "in", ids)
        .orderBy("decided_at")
        .execute(),
      trx
        .selectFrom("consent_withdrawals as w")
        .innerJoin("decisions_to_share as d", "d.id", "w.decision_id")
        .select([
          "w.id",
          "w.decision_id",
          "w.withdrawn_by",
          "w.withdrawn_at",
          "w.recorded_by",
          "w.note",
          "d.referral_id",
        ])
        .where("d.referral_id", "in", ids)
        .execute(),
      trx.selectFrom("agencies").select(["id", "name"]).execute(),
      trx.selectFrom("users").select(["id", "display_name"]).execute(),
    ]);
    const agencyName = (id: string) => agencies.find((agency) => agency.id === id)?.name ?? "";
    const personName = (id: string) =>
      people.find((person) => person.id === id)?.display_name ?? "";
    const seesNotToShare = (referral: string) =>
      ctx.actor.role === "partnership_lead" ||
      visible.find((candidate) => candidate.id === referral)?.referrer_agency_id ===
        ctx.actor.agencyId;
    const entries: SharingHistoryEntry[] = [
      ...decisions
        .filter(
          (decision) => decision.decision !== "not_share" || seesNotToShare(decision.referral_id),
        )
        .map((decision): SharingHistoryEntry => ({
          kind: "decision",
          id: decision.id,
          at: decision.decided_at.toISOString(),
          referralId: decision.referral_id,
          reference: referralReference(decision.referral_id),
          decision: decision.decision,
          decidedBy: personName(decision.decided_by),
          agencyName: agencyName(decision.decided_by_agency_id),
          recipients: decision.recipient_agency_ids.map(agencyName),
          purposes: decision.purposes,
          dataItems: decision.data_items,
          adviceFrom: decision.advice_from,
          article6: decision.article6,
          article9: decision.article9,
          gateway: decision.gateway,
          consentReliedOn: decision.consent_relied_on,
          consentGivenBy: decision.consent_given_by,
          competenceAssessment: decision.competence_assessment,
          consentScope: {
            agencies: decision.consent_scope_agency_ids.map(agencyName),
            purposes: decision.consent_scope_purposes,
          },
          consentForm: decision.consent_form,
          consentExpiresOn: decision.consent_expires_on,
          consentNotSoughtReason: decision.consent_not_sought_reason,
          youngPersonViews: decision.young_person_views,
          rationale: decision.rationale,
          reviewOn: decision.review_on,
          supersedes: decision.supersedes_id,
        })),
      ...withdrawals.map((withdrawal): SharingHistoryEntry => ({
        kind: "withdrawal",
        id: withdrawal.id,
        at: withdrawal.withdrawn_at.toISOString(),
        decisionId: withdrawal.decision_id,
        referralId: withdrawal.referral_id,
        reference: referralReference(withdrawal.referral_id),
        withdrawnBy: withdrawal.withdrawn_by,
        recordedBy: personName(withdrawal.recorded_by),
        note: withdrawal.note,
      })),
    ].sort((a, b) => a.at.localeCompare(b.at));
    return { referralId, reference: referralReference(referralId), entries };
  });
}
