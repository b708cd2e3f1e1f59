import fc from "fast-check";
import { sql, type Kysely } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { setLocal, setTenant } from "../../db/tenant";
import type { Database, User } from "../../db/types";
import {
  agencySharing,
  caseActionReadable,
  caseItemReadable,
  decide,
  decisionReadable,
  emergencyAccessReadable,
  noteReadable,
  referralAccess,
  DATA_ITEM_CODES,
  type AgencyKind,
  type CaseAccess,
  type Facts,
  type PolicyActor,
  type RecordedDecision,
  type ReferralState,
  type Role,
  type SharingState,
} from "../../policies";
import { useTestDatabase } from "../support/database";
import { createAgency, createPartnership, createUser } from "../support/factories";

/**
 * The differential test of the two locks: for generated partnerships (agencies, people of every
 * role, young people, referrals in every state with their involvements, decisions to share of every
 * kind, consent withdrawals, emergency accesses open, expired and reviewed, notes of both
 * visibilities, actions and the revisions of each), every person selects, through row-level
 * security as the application's role with only the tenant and their user id set, exactly the rows
 * policies/ (visibility.ts over decide) lets them read. fast-check prints the seed on a failure.
 */

const db = useTestDatabase();
const RUNS = Number(process.env.DIFFERENTIAL_RUNS ?? 200);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const STATES: ReferralState[] = [
  "draft",
  "submitted",
  "screened",
  "allocated",
  "active",
  "panel",
  "closed",
  "withdrawn",
  "discarded",
];
const KINDS: AgencyKind[] = ["police", "school", "health", "advocacy"];
const AGENCIES = 3;

/** The people of a generated partnership: a practitioner and an agency lead in each agency, and the rest. */
interface People {
  caseWorkers: User[];
  lead: User;
  auditor: User;
  administrator: User;
  inactive: User;
  everyone: User[];
}

// ---- The generated world, as plain data -------------------------------------------------------

const agencyIndex = fc.nat({ max: AGENCIES - 1 });
const subsetOfAgencies = fc.subarray([0, 1, 2], { minLength: 1 });
/** Moments relative to now, in whole milliseconds: before and after a withdrawal two days ago. */
const moment = fc.constantFrom(-5 * DAY, -3 * DAY, -1 * DAY, -HOUR);

const decisionArbitrary = fc.record({
  decision: fc.constantFrom<"share" | "share_partial" | "not_share">(
    "share",
    "share_partial",
    "not_share",
  ),
  recipients: subsetOfAgencies,
  dataItems: fc.subarray([...DATA_ITEM_CODES], { minLength: 1 }),
  consentReliedOn: fc.boolean(),
  scope: fc.subarray([0, 1, 2]),
  expires: fc.constantFrom<number | null>(null, -2, 10),
  withdrawn: fc.boolean(),
  supersedesPrevious: fc.boolean(),
});

const referralArbitrary = fc.record({
  state: fc.constantFrom(...STATES),
  youngPerson: fc.nat({ max: 2 }),
  /** Index into the case roles: the caseWorkers then the partnership lead. */
  referrer: fc.nat({ max: AGENCIES * 2 }),
  receiving: fc.array(
    fc.record({
      agency: agencyIndex,
      status: fc.constantFrom<"awaiting" | "accepted" | "declined">(
        "awaiting",
        "accepted",
        "declined",
      ),
    }),
    { maxLength: 2 },
  ),
  decisions: fc.array(decisionArbitrary, { maxLength: 3 }),
  notes: fc.array(
    fc.record({
      agency: agencyIndex,
      visibility: fc.constantFrom<"shared" | "agency_only">("shared", "agency_only"),
      at: moment,
    }),
    { maxLength: 3 },
  ),
  actions: fc.array(fc.record({ agency: agencyIndex, at: moment }), { maxLength: 2 }),
  transitions: fc.array(moment, { maxLength: 2 }),
});

const worldArbitrary = fc.record({
  youngPeople: fc.array(agencyIndex, { minLength: 3, maxLength: 3 }),
  referrals: fc.array(referralArbitrary, { minLength: 1, maxLength: 4 }),
  emergencies: fc.array(
    fc.record({
      user: fc.nat({ max: AGENCIES * 2 - 1 }),
      youngPerson: fc.nat({ max: 2 }),
      window: fc.constantFrom<"open" | "expired" | "reviewed">("open", "expired", "reviewed"),
    }),
    { maxLength: 2 },
  ),
});
type World = typeof worldArbitrary extends fc.Arbitrary<infer T> ? T : never;

// ---- Writing it into the database, as its owner -----------------------------------------------

interface Written {
  partnershipId: string;
  agencyIds: string[];
  agencyKinds: AgencyKind[];
  youngPeople: { id: string; createdByAgencyId: string }[];
  referrals: {
    id: string;
    state: ReferralState;
    youngPersonId: string | null;
    referrerUserId: string;
    referrerAgencyId: string;
    agencies: {
      agencyId: string;
      status: "awaiting" | "accepted" | "declined" | null;
      allocated: string | null;
    }[];
    decisions: (RecordedDecision & { decidedAt: string })[];
    notes: {
      id: string;
      agencyId: string;
      visibility: "shared" | "agency_only";
      createdAt: string;
      revisionId: string;
    }[];
    actions: { id: string; createdAt: string; updateId: string }[];
    transitions: { id: string; occurredAt: string }[];
  }[];
  emergencies: {
    id: string;
    userId: string;
    youngPersonId: string;
    openedAt: Date;
    expiresAt: Date;
  }[];
  youngPersonRevisions: { id: string; youngPersonId: string }[];
}

const iso = (ms: number) => new Date(ms).toISOString();

async function writeWorld(
  world: World,
  people: People,
  ids: { partnershipId: string; agencyIds: string[]; agencyKinds: AgencyKind[] },
): Promise<Written> {
  const now = Date.now();
  const caseRoles = [...people.caseWorkers, people.lead];
  const written: Written = {
    ...ids,
    youngPeople: [],
    referrals: [],
    emergencies: [],
    youngPersonRevisions: [],
  };
  await db.owner.transaction().execute(async (trx) => {
    await setTenant(trx, ids.partnershipId);
    for (const [index, agency] of world.youngPeople.entries()) {
      const creator = people.caseWorkers[agency * 2] as User;
      const { id } = await trx
        .insertInto("young_people")
        .values({
          partnership_id: ids.partnershipId,
          given_name: `Given${index}`,
          family_name: `Family${index}`,
          created_by: creator.id,
          created_by_agency_id: creator.agency_id,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      written.youngPeople.push({ id, createdByAgencyId: creator.agency_id });
      const revision = await trx
        .insertInto("young_person_revisions")
        .values({
          partnership_id: ids.partnershipId,
          young_person_id: id,
          version: 1,
          previous: "{}",
          reason: "Spelling",
          changed_by: creator.id,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      written.youngPersonRevisions.push({ id: revision.id, youngPersonId: id });
    }
    for (const generated of world.referrals) {
      const referrer = caseRoles[generated.referrer] as User;
      const complete = !["draft", "discarded"].includes(generated.state);
      const youngPerson = written.youngPeople[generated.youngPerson] as { id: string };
      const youngPersonId = complete || generated.youngPerson !== 0 ? youngPerson.id : null;
      const { id } = await trx
        .insertInto("referrals")
        .values({
          partnership_id: ids.partnershipId,
          state: generated.state,
          young_person_id: youngPersonId,
          referrer_user_id: referrer.id,
          referrer_agency_id: referrer.agency_id,
          ...(complete
            ? {
                destination: "hub" as const,
                themes: ["early_intervention" as const],
                concern_roles: ["at_risk" as const],
                concern: "A concern",
                immediate_danger: "no" as const,
                urgency: "routine" as const,
                submitted_at: iso(now - 6 * DAY),
                screening_due_at: iso(now - 5 * DAY),
              }
            : {}),
          ...(generated.state === "closed"
            ? {
                outcome: "signposted" as const,
                outcome_summary: "Signposted",
                closed_at: iso(now - HOUR),
              }
            : {}),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      const agencies: Written["referrals"][number]["agencies"] = [
        { agencyId: referrer.agency_id, status: null, allocated: null },
      ];
      for (const receiving of generated.receiving) {
        const agencyId = ids.agencyIds[receiving.agency] as string;
        if (agencies.some((agency) => agency.agencyId === agencyId)) continue;
        agencies.push({
          agencyId,
          status: receiving.status,
          allocated:
            receiving.status === "accepted"
              ? (people.caseWorkers[receiving.agency * 2] as User).id
              : null,
        });
      }
      for (const agency of agencies) {
        await trx
          .insertInto("referral_agencies")
          .values({
            partnership_id: ids.partnershipId,
            referral_id: id,
            agency_id: agency.agencyId,
            involvement: agency.status === null ? "referrer" : "receiving",
            status: agency.status,
            allocated_user_id: agency.allocated,
            decline_reason: agency.status === "declined" ? "Not for us" : null,
          })
          .execute();
      }
      const decisions: Written["referrals"][number]["decisions"] = [];
      if (youngPersonId) {
        for (const [index, generatedDecision] of generated.decisions.entries()) {
          const supersedes =
            generatedDecision.supersedesPrevious && index > 0
              ? (decisions[index - 1] as { id: string }).id
              : null;
          const decidedAt = iso(now - 4 * DAY + index * HOUR);
          const consentScope = generatedDecision.scope.map((i) => ids.agencyIds[i] as string);
          const expiresOn =
            generatedDecision.expires === null
              ? null
              : londonDate(now + generatedDecision.expires * DAY);
          const decision = await trx
            .insertInto("decisions_to_share")
            .values({
              partnership_id: ids.partnershipId,
              referral_id: id,
              young_person_id: youngPersonId,
              supersedes_id: supersedes,
              decision: generatedDecision.decision,
              decided_by: referrer.id,
              decided_by_agency_id: referrer.agency_id,
              decided_at: decidedAt,
              recipient_agency_ids: generatedDecision.recipients.map(
                (i) => ids.agencyIds[i] as string,
              ),
              purposes: ["safeguarding"],
              // A decision not to share names what it kept back: that must never grant a read.
              data_items: generatedDecision.decision === "share" ? [] : generatedDecision.dataItems,
              article6: "public_task",
              article9: "none",
              gateway: "none",
              source_kind: "police",
              consent_relied_on: generatedDecision.consentReliedOn,
              consent_given_by: generatedDecision.consentReliedOn ? "young_person" : null,
              consent_form: generatedDecision.consentReliedOn ? "verbal" : null,
              consent_scope_agency_ids: consentScope,
              consent_expires_on: generatedDecision.consentReliedOn ? expiresOn : null,
              consent_not_sought_reason: generatedDecision.consentReliedOn
                ? null
                : "would_increase_risk",
              rationale: "Generated",
            })
            .returning("id")
            .executeTakeFirstOrThrow();
          const withdrawnAt =
            generatedDecision.consentReliedOn && generatedDecision.withdrawn
              ? iso(now - 2 * DAY)
              : null;
          if (withdrawnAt) {
            await trx
              .insertInto("consent_withdrawals")
              .values({
                partnership_id: ids.partnershipId,
                decision_id: decision.id,
                withdrawn_by: "young_person",
                withdrawn_at: withdrawnAt,
                recorded_by: referrer.id,
              })
              .execute();
          }
          decisions.push({
            id: decision.id,
            supersedesId: supersedes,
            decision: generatedDecision.decision,
            recipientAgencyIds: generatedDecision.recipients.map((i) => ids.agencyIds[i] as string),
            dataItems:
              generatedDecision.decision === "share_partial" ? generatedDecision.dataItems : [],
            consentReliedOn: generatedDecision.consentReliedOn,
            consentScopeAgencyIds: consentScope,
            consentExpiresOn: generatedDecision.consentReliedOn ? expiresOn : null,
            withdrawnAt,
            decidedAt,
          });
        }
      }
      const notes: Written["referrals"][number]["notes"] = [];
      const actions: Written["referrals"][number]["actions"] = [];
      const transitions: Written["referrals"][number]["transitions"] = [];
      // Case work exists only past the draft, as the services allow it.
      if (complete) {
        for (const generatedNote of generated.notes) {
          const author = people.caseWorkers[generatedNote.agency * 2] as User;
          const createdAt = iso(now + generatedNote.at);
          const note = await trx
            .insertInto("case_notes")
            .values({
              partnership_id: ids.partnershipId,
              referral_id: id,
              agency_id: author.agency_id,
              author_user_id: author.id,
              kind: "case_note",
              visibility: generatedNote.visibility,
              occurred_on: londonDate(now + generatedNote.at),
              body: "A note",
              created_at: createdAt,
            })
            .returning("id")
            .executeTakeFirstOrThrow();
          const revision = await trx
            .insertInto("case_note_revisions")
            .values({
              partnership_id: ids.partnershipId,
              note_id: note.id,
              version: 1,
              kind: "case_note",
              visibility: generatedNote.visibility,
              occurred_on: londonDate(now + generatedNote.at),
              body: "Earlier",
              reason: "Typo",
              revised_by: author.id,
            })
            .returning("id")
            .executeTakeFirstOrThrow();
          notes.push({
            id: note.id,
            agencyId: author.agency_id,
            visibility: generatedNote.visibility,
            createdAt,
            revisionId: revision.id,
          });
        }
        for (const generatedAction of generated.actions) {
          const createdAt = iso(now + generatedAction.at);
          const action = await trx
            .insertInto("case_actions")
            .values({
              partnership_id: ids.partnershipId,
              referral_id: id,
              description: "Visit",
              assigned_agency_id: ids.agencyIds[generatedAction.agency] as string,
              due_on: londonDate(now + DAY),
              created_by: referrer.id,
              created_at: createdAt,
            })
            .returning("id")
            .executeTakeFirstOrThrow();
          const update = await trx
            .insertInto("case_action_updates")
            .values({
              partnership_id: ids.partnershipId,
              action_id: action.id,
              from_status: "open",
              to_status: "open",
              updated_by: referrer.id,
            })
            .returning("id")
            .executeTakeFirstOrThrow();
          actions.push({ id: action.id, createdAt, updateId: update.id });
        }
        for (const at of generated.transitions) {
          const occurredAt = iso(now + at);
          const transition = await trx
            .insertInto("referral_transitions")
            .values({
              partnership_id: ids.partnershipId,
              referral_id: id,
              transition: "screen",
              from_state: "submitted",
              to_state: "screened",
              actor_user_id: people.lead.id,
              actor_agency_id: people.lead.agency_id,
              occurred_at: occurredAt,
              details: "{}",
            })
            .returning("id")
            .executeTakeFirstOrThrow();
          transitions.push({ id: transition.id, occurredAt });
        }
      }
      written.referrals.push({
        id,
        state: generated.state,
        youngPersonId,
        referrerUserId: referrer.id,
        referrerAgencyId: referrer.agency_id,
        agencies,
        decisions,
        notes,
        actions,
        transitions,
      });
    }
    for (const generated of world.emergencies) {
      const user = people.caseWorkers[generated.user] as User;
      const youngPerson = written.youngPeople[generated.youngPerson] as { id: string };
      const openedAt = new Date(now - (generated.window === "expired" ? 6 * HOUR : HOUR));
      const expiresAt = new Date(openedAt.getTime() + 4 * HOUR);
      const { id } = await trx
        .insertInto("emergency_accesses")
        .values({
          partnership_id: ids.partnershipId,
          young_person_id: youngPerson.id,
          user_id: user.id,
          agency_id: user.agency_id,
          reason: "missing_child",
          reason_detail: "Missing overnight",
          opened_at: openedAt,
          expires_at: expiresAt,
          ...(generated.window === "reviewed"
            ? {
                review_outcome: "appropriate" as const,
                reviewed_by: people.lead.id,
                reviewed_at: new Date(now),
              }
            : {}),
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      written.emergencies.push({
        id,
        userId: user.id,
        youngPersonId: youngPerson.id,
        openedAt,
        expiresAt,
      });
    }
  });
  return written;
}

const LONDON = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" });
function londonDate(ms: number): string {
  return LONDON.format(new Date(ms));
}

// ---- The oracle: policies/ over the same data ------------------------------------------------

type Table =
  | "young_people"
  | "young_person_revisions"
  | "referrals"
  | "referral_agencies"
  | "referral_transitions"
  | "case_notes"
  | "case_note_revisions"
  | "case_actions"
  | "case_action_updates"
  | "decisions_to_share"
  | "consent_withdrawals"
  | "emergency_accesses";
const TABLES: Table[] = [
  "young_people",
  "young_person_revisions",
  "referrals",
  "referral_agencies",
  "referral_transitions",
  "case_notes",
  "case_note_revisions",
  "case_actions",
  "case_action_updates",
  "decisions_to_share",
  "consent_withdrawals",
  "emergency_accesses",
];
/** How each table's rows are named in the comparison: referral_agencies has no id of its own. */
const KEY: Record<Table, string> = {
  young_people: "id::text",
  young_person_revisions: "id::text",
  referrals: "id::text",
  referral_agencies: "referral_id::text || '/' || agency_id::text",
  referral_transitions: "id::text",
  case_notes: "id::text",
  case_note_revisions: "id::text",
  case_actions: "id::text",
  case_action_updates: "id::text",
  decisions_to_share: "id::text",
  consent_withdrawals: "decision_id::text",
  emergency_accesses: "id::text",
};

function actorOf(user: User): PolicyActor | null {
  if (!user.is_active) return null;
  return {
    userId: user.id,
    partnershipId: user.partnership_id,
    agencyId: user.agency_id,
    role: user.role,
  };
}

function expectedRows(written: Written, user: User): Record<Table, string[]> {
  const rows = Object.fromEntries(TABLES.map((table) => [table, [] as string[]])) as Record<
    Table,
    string[]
  >;
  const actor = actorOf(user);
  if (!actor) return rows;
  const now = Date.now();
  const today = londonDate(now);
  const emergencyOpen = (youngPersonId: string | null) =>
    youngPersonId !== null &&
    written.emergencies.some(
      (window) =>
        window.userId === actor.userId &&
        window.youngPersonId === youngPersonId &&
        window.openedAt.getTime() <= now &&
        now < window.expiresAt.getTime(),
    );
  const rank: Record<SharingState, number> = {
    covered: 4,
    partial: 3,
    withdrawn: 2,
    expired: 1,
    not_covered: 0,
  };

  for (const person of written.youngPeople) {
    const involved = new Set([person.createdByAgencyId]);
    let sharing: SharingState =
      person.createdByAgencyId === actor.agencyId ? "covered" : "not_covered";
    for (const referral of written.referrals) {
      if (referral.youngPersonId !== person.id || ["draft", "discarded"].includes(referral.state))
        continue;
      for (const agency of referral.agencies) {
        if (agency.status !== "declined") involved.add(agency.agencyId);
      }
      if (
        referral.agencies.some(
          (agency) => agency.agencyId === actor.agencyId && agency.status !== "declined",
        )
      ) {
        const state = agencySharing(
          actor.agencyId,
          referral.referrerAgencyId,
          referral.decisions,
          today,
        ).state;
        if (rank[state] > rank[sharing]) sharing = state;
      }
    }
    const facts: Facts = {
      partnershipId: written.partnershipId,
      involvedAgencyIds: [...involved],
      sharing,
      emergencyAccess: emergencyOpen(person.id),
    };
    if (decide(actor, "young_person.view", facts).allowed) {
      rows.young_people.push(person.id);
      for (const revision of written.youngPersonRevisions) {
        if (revision.youngPersonId === person.id) rows.young_person_revisions.push(revision.id);
      }
    }
  }

  for (const referral of written.referrals) {
    const sharing = agencySharing(
      actor.agencyId,
      referral.referrerAgencyId,
      referral.decisions,
      today,
    );
    const facts: Facts = {
      partnershipId: written.partnershipId,
      involvedAgencyIds: referral.agencies
        .filter((a) => a.status !== "declined")
        .map((a) => a.agencyId),
      awaitingAgencyIds: referral.agencies
        .filter((a) => a.status === "awaiting")
        .map((a) => a.agencyId),
      allocatedUserIds: referral.agencies.flatMap((a) => (a.allocated ? [a.allocated] : [])),
      createdByUserId: referral.referrerUserId,
      state: referral.state,
      sharing: sharing.state,
      emergencyAccess: emergencyOpen(referral.youngPersonId),
    };
    const access: CaseAccess = referralAccess(actor, facts, sharing);
    if (!access.visible) continue;
    rows.referrals.push(referral.id);
    for (const agency of referral.agencies)
      rows.referral_agencies.push(`${referral.id}/${agency.agencyId}`);
    for (const transition of referral.transitions) {
      if (caseItemReadable(access, null, transition.occurredAt))
        rows.referral_transitions.push(transition.id);
    }
    for (const note of referral.notes) {
      if (noteReadable(actor, facts, access, note)) {
        rows.case_notes.push(note.id);
        rows.case_note_revisions.push(note.revisionId);
      }
    }
    for (const action of referral.actions) {
      if (caseActionReadable(actor, access, action)) {
        rows.case_actions.push(action.id);
        rows.case_action_updates.push(action.updateId);
      }
    }
    for (const decision of referral.decisions) {
      if (decisionReadable(actor, access, referral.referrerAgencyId, decision)) {
        rows.decisions_to_share.push(decision.id);
        if (decision.withdrawnAt) rows.consent_withdrawals.push(decision.id);
      }
    }
  }
  for (const window of written.emergencies) {
    if (
      emergencyAccessReadable(actor, {
        partnershipId: written.partnershipId,
        userId: window.userId,
      })
    ) {
      rows.emergency_accesses.push(window.id);
    }
  }
  for (const table of TABLES) rows[table].sort();
  return rows;
}

// ---- What row-level security lets each person select ------------------------------------------

async function selectableRows(
  app: Kysely<Database>,
  settings: { partnershipId?: string; userId?: string },
): Promise<Record<Table, string[]>> {
  return app.transaction().execute(async (trx) => {
    if (settings.partnershipId) await setTenant(trx, settings.partnershipId);
    if (settings.userId) await setLocal(trx, "app.user_id", settings.userId);
    const union = TABLES.map(
      (table) => `select '${table}' as name, ${KEY[table]} as key from ${table}`,
    ).join(" union all ");
    const { rows } = await sql<{ name: Table; key: string }>`${sql.raw(union)}`.execute(trx);
    const result = Object.fromEntries(TABLES.map((table) => [table, [] as string[]])) as Record<
      Table,
      string[]
    >;
    for (const row of rows) result[row.name].push(row.key);
    for (const table of TABLES) result[table].sort();
    return result;
  });
}

// ---- The test ----------------------------------------------------------------------------------

async function peopleOf(partnershipId: string, agencyIds: string[]): Promise<People> {
  const caseWorkers: User[] = [];
  for (const agencyId of agencyIds) {
    const agency = { id: agencyId, partnership_id: partnershipId };
    caseWorkers.push(await createUser(db.owner, agency, { role: "practitioner" }));
    caseWorkers.push(await createUser(db.owner, agency, { role: "agency_lead" }));
  }
  const hub = { id: agencyIds[0] as string, partnership_id: partnershipId };
  const make = (role: Role, isActive = true) => createUser(db.owner, hub, { role, isActive });
  const lead = await make("partnership_lead");
  const auditor = await make("auditor");
  const administrator = await make("administrator");
  const inactive = await make("practitioner", false);
  return {
    caseWorkers,
    lead,
    auditor,
    administrator,
    inactive,
    everyone: [...caseWorkers, lead, auditor, administrator, inactive],
  };
}

describe("row-level security and the policies", () => {
  let stranger: User;
  beforeAll(async () => {
    const elsewhere = await createPartnership(db.owner);
    const agency = await createAgency(db.owner, elsewhere.id);
    stranger = await createUser(db.owner, agency, { role: "partnership_lead" });
  });

  it(`agree on every row for every person, over ${RUNS} generated partnerships`, async () => {
    await fc.assert(
      fc.asyncProperty(worldArbitrary, async (world) => {
        const partnership = await createPartnership(db.owner);
        const agencyKinds = KINDS.slice(0, AGENCIES);
        const agencyIds: string[] = [];
        for (const kind of agencyKinds) {
          agencyIds.push((await createAgency(db.owner, partnership.id, { kind })).id);
        }
        const people = await peopleOf(partnership.id, agencyIds);
        const written = await writeWorld(world, people, {
          partnershipId: partnership.id,
          agencyIds,
          agencyKinds,
        });
        for (const user of people.everyone) {
          const selected = await selectableRows(db.app, {
            partnershipId: partnership.id,
            userId: user.id,
          });
          expect(selected, `${user.role}${user.is_active ? "" : " (deactivated)"}`).toEqual(
            expectedRows(written, user),
          );
        }
        const nobody = expectedRows(written, people.inactive);
        // Only the tenant: no case row at all. A person of another partnership: nothing either.
        expect(await selectableRows(db.app, { partnershipId: partnership.id })).toEqual(nobody);
        expect(
          await selectableRows(db.app, { partnershipId: partnership.id, userId: stranger.id }),
        ).toEqual(nobody);
      }),
      { numRuns: RUNS },
    );
  }, 600_000);
});
