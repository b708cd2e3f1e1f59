import { sql } from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { addNote, correctNote } from "../../app/services/case-work.server";
import {
  recordDecisionToShare,
  withdrawConsent,
} from "../../app/services/decisions-to-share.server";
import {
  acceptReferral,
  closeReferral,
  declineReferral,
  routeReferral,
  screenReferral,
  withdrawReferral,
} from "../../app/services/referral-steps.server";
import {
  discardDraft,
  recordYoungPersonForDraft,
  saveDraft,
  startReferral,
  submitReferral,
} from "../../app/services/referrals.server";
import { weekStart } from "../../app/services/oversight";
import { todayInLondon } from "../../app/ui/dates";
import { setTenant } from "../../db/tenant";
import type { User } from "../../db/types";
import { useTestDatabase } from "../support/database";
import {
  COMPLETE_ANSWERS,
  contextFor,
  createReferralWorld,
  referralAt,
  referralVersion,
  shareDecision,
  youngPersonDetails,
  type ReferralWorld,
} from "../support/factories";

/**
 * The oversight summary (migration 0010) that the dashboards count from must always equal what
 * the case tables say. After each step a referral takes through the services, every summary row of
 * the partnership is compared with one worked out here, in TypeScript, from the case tables' rows.
 */

const db = useTestDatabase();
const as = (user: User) => contextFor(db.app, user);
const CONTACTS = ["contact_in_person", "contact_phone", "contact_message"];
const LONDON = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" });

const iso = (value: Date | null) => (value ? value.toISOString() : null);
const earliest = (values: (Date | null)[]) =>
  values.reduce<Date | null>(
    (first, value) => (value && (!first || value < first) ? value : first),
    null,
  );
const HOUR = 3_600_000;
/** The band of the time from one moment to a later one, as the time-to-response charts group it. */
const bandOf = (from: Date | null, to: Date | null) => {
  if (!from || !to) return null;
  const taken = to.getTime() - from.getTime();
  if (taken < 4 * HOUR) return "under-4-hours";
  if (taken < 24 * HOUR) return "4-to-24-hours";
  if (taken < 72 * HOUR) return "1-to-3-days";
  if (taken < 7 * 24 * HOUR) return "3-to-7-days";
  if (taken < 28 * 24 * HOUR) return "7-to-28-days";
  return "over-28-days";
};

/** The summary as the case tables say it should be, for one partnership. */
async function recomputed(partnershipId: string) {
  const su = db.superuser;
  const referrals = await su
    .selectFrom("referrals")
    .selectAll()
    .where("partnership_id", "=", partnershipId)
    .where("state", "not in", ["draft", "discarded"])
    .execute();
  const involvements = await su
    .selectFrom("referral_agencies")
    .selectAll()
    .where("partnership_id", "=", partnershipId)
    .execute();
  const notes = await su
    .selectFrom("case_notes")
    .select(["referral_id", "agency_id", "kind", "created_at"])
    .where("partnership_id", "=", partnershipId)
    .execute();
  const contactsOf = (referralId: string, agencyId?: string) =>
    notes
      .filter(
        (note) =>
          note.referral_id === referralId &&
          CONTACTS.includes(note.kind) &&
          (!agencyId || note.agency_id === agencyId),
      )
      .map((note) => note.created_at);
  const answered = (referralId: string) =>
    involvements.filter(
      (ra) =>
        ra.referral_id === referralId &&
        (ra.status === "accepted" || ra.status === "declined") &&
        ra.responded_at &&
        ra.response_due_at,
    );
  const counted = new Set(referrals.map((r) => r.id));
  const submittedAt = new Map(referrals.map((r) => [r.id, r.submitted_at]));
  const firstAcceptance = (referralId: string) =>
    earliest(
      involvements
        .filter((ra) => ra.referral_id === referralId && ra.status === "accepted")
        .map((ra) => ra.responded_at),
    );
  return {
    referrals: referrals
      .map((r) => ({
        referral_id: r.id,
        state: r.state,
        rag: r.rag,
        themes: r.themes,
        referrer_agency_id: r.referrer_agency_id,
        involved_agency_ids: involvements
          .filter((ra) => ra.referral_id === r.id && ra.status !== "declined")
          .map((ra) => ra.agency_id)
          .sort(),
        submitted_at: iso(r.submitted_at),
        submitted_week: r.submitted_at ? weekStart(LONDON.format(r.submitted_at)) : null,
        screening_due_at: iso(r.screening_due_at),
        screened_at: iso(r.screened_at),
        closed_at: iso(r.closed_at),
        outcome: r.outcome,
        first_accepted_at: iso(firstAcceptance(r.id)),
        first_contact_at: iso(earliest(contactsOf(r.id))),
        acceptance_within_target: answered(r.id).some(
          (ra) => (ra.responded_at as Date) <= (ra.response_due_at as Date),
        ),
        acceptance_past_target: answered(r.id).some(
          (ra) => (ra.responded_at as Date) > (ra.response_due_at as Date),
        ),
        screening_band: bandOf(r.submitted_at, r.screened_at),
        acceptance_band: bandOf(r.submitted_at, firstAcceptance(r.id)),
        first_contact_band: bandOf(r.submitted_at, earliest(contactsOf(r.id))),
      }))
      .sort((a, b) => a.referral_id.localeCompare(b.referral_id)),
    involvements: involvements
      .filter((ra) => counted.has(ra.referral_id))
      .map((ra) => ({
        referral_id: ra.referral_id,
        agency_id: ra.agency_id,
        status: ra.status,
        allocated_user_id: ra.allocated_user_id,
        response_due_at: iso(ra.response_due_at),
        responded_at: iso(ra.responded_at),
        first_contact_at: iso(earliest(contactsOf(ra.referral_id, ra.agency_id))),
        responded_band: bandOf(submittedAt.get(ra.referral_id) ?? null, ra.responded_at),
        first_contact_band: bandOf(
          submittedAt.get(ra.referral_id) ?? null,
          earliest(contactsOf(ra.referral_id, ra.agency_id)),
        ),
      }))
      .sort((a, b) =>
        `${a.referral_id}${a.agency_id}`.localeCompare(`${b.referral_id}${b.agency_id}`),
      ),
  };
}

/** The summary as stored, in the same shape. */
async function stored(partnershipId: string) {
  const su = db.superuser;
  const referrals = await su
    .selectFrom("oversight_referrals")
    .selectAll()
    .where("partnership_id", "=", partnershipId)
    .execute();
  const involvements = await su
    .selectFrom("oversight_involvements")
    .selectAll()
    .where("partnership_id", "=", partnershipId)
    .execute();
  return {
    referrals: referrals
      .map(({ partnership_id: _partnership, ...row }) => ({
        ...row,
        submitted_at: iso(row.submitted_at),
        screening_due_at: iso(row.screening_due_at),
        screened_at: iso(row.screened_at),
        closed_at: iso(row.closed_at),
        first_accepted_at: iso(row.first_accepted_at),
        first_contact_at: iso(row.first_contact_at),
      }))
      .sort((a, b) => a.referral_id.localeCompare(b.referral_id)),
    involvements: involvements
      .map(({ partnership_id: _partnership, ...row }) => ({
        ...row,
        response_due_at: iso(row.response_due_at),
        responded_at: iso(row.responded_at),
        first_contact_at: iso(row.first_contact_at),
      }))
      .sort((a, b) =>
        `${a.referral_id}${a.agency_id}`.localeCompare(`${b.referral_id}${b.agency_id}`),
      ),
  };
}

async function expectInStep(world: ReferralWorld, step: string) {
  const wanted = await recomputed(world.partnership.id);
  expect(await stored(world.partnership.id), step).toEqual(wanted);
  return wanted;
}

describe("the oversight summary", () => {
  it("equals a recomputation from the case tables after every step a referral takes", async () => {
    const world = await createReferralWorld(db.owner);
    const { people, agencies } = world;
    const referrer = as(people.schoolPractitioner);
    const lead = as(people.lead);
    const version = (id: string) => referralVersion(db, id);

    // A draft is not counted.
    const { id } = await startReferral(referrer);
    const recorded = await recordYoungPersonForDraft(referrer, id, youngPersonDetails(), {
      confirmedNotAMatch: true,
    });
    if (!("created" in recorded)) throw new Error("the young person was not recorded");
    await saveDraft(referrer, id, COMPLETE_ANSWERS);
    const { id: decisionId } = await recordDecisionToShare(referrer, id, {
      ...shareDecision([agencies.advocacy.id, agencies.police.id], {
        consentReliedOn: true,
        consentGivenBy: "young_person",
        consentScopeAgencyIds: [agencies.advocacy.id, agencies.police.id],
        consentScopePurposes: ["safeguarding"],
        consentForm: "verbal",
        consentNotSoughtReason: null,
      }),
    });
    expect((await expectInStep(world, "draft")).referrals).toHaveLength(0);

    await submitReferral(referrer, id, await version(id));
    let summary = await expectInStep(world, "submitted");
    expect(summary.referrals).toEqual([
      expect.objectContaining({ referral_id: id, state: "submitted", rag: null }),
    ]);
    expect(summary.involvements).toHaveLength(1);

    await screenReferral(lead, id, {
      version: await version(id),
      rag: "red",
      rationale: "Seen with older men outside the station at night.",
    });
    await expectInStep(world, "screened");

    await routeReferral(lead, id, {
      version: await version(id),
      agencyIds: [agencies.advocacy.id, agencies.police.id],
    });
    summary = await expectInStep(world, "routed to two agencies");
    expect(summary.involvements.filter((row) => row.status === "awaiting")).toHaveLength(2);

    await declineReferral(as(people.policeLead), id, {
      version: await version(id),
      reason: "No offence disclosed; the advocates are better placed.",
    });
    summary = await expectInStep(world, "declined by the police");
    expect(summary.referrals[0]?.involved_agency_ids).not.toContain(agencies.police.id);
    expect(summary.referrals[0]?.acceptance_within_target).toBe(true);

    await acceptReferral(as(people.advocacyLead), id, {
      version: await version(id),
      allocatedUserId: people.advocacyPractitioner.id,
    });
    summary = await expectInStep(world, "accepted by the advocates");
    expect(summary.referrals[0]?.first_accepted_at).not.toBeNull();

    const advocate = as(people.advocacyPractitioner);
    await addNote(advocate, id, {
      kind: "case_note",
      visibility: "shared",
      occurredOn: todayInLondon(),
      body: "Read the referral; will ring his mother.",
    });
    expect((await expectInStep(world, "a case note")).referrals[0]?.first_contact_at).toBeNull();
    const { id: noteId } = await addNote(advocate, id, {
      kind: "contact_phone",
      visibility: "shared",
      occurredOn: todayInLondon(),
      body: "Spoke to him on the phone; meeting on Thursday.",
    });
    summary = await expectInStep(world, "first contact");
    expect(summary.referrals[0]?.first_contact_at).not.toBeNull();
    expect(
      summary.involvements.find((row) => row.agency_id === agencies.advocacy.id)?.first_contact_at,
    ).not.toBeNull();

    // A correction that says it was only an attempt takes the first contact away again.
    await correctNote(advocate, id, noteId, {
      kind: "contact_attempted",
      visibility: "shared",
      occurredOn: todayInLondon(),
      body: "Rang him; no answer. Left a message.",
      reason: "It was an attempt: he did not pick up.",
      version: 1,
    });
    expect((await expectInStep(world, "corrected")).referrals[0]?.first_contact_at).toBeNull();

    await withdrawConsent(referrer, id, decisionId, {
      withdrawnBy: "young_person",
      withdrawnAt: new Date(),
      note: null,
    });
    await expectInStep(world, "consent withdrawn");
    // The referrer decides again, without consent, so the advocates can close the case.
    await recordDecisionToShare(referrer, id, {
      ...shareDecision([agencies.advocacy.id]),
      supersedesId: decisionId,
    });

    await closeReferral(advocate, id, {
      version: await version(id),
      outcome: "support_completed",
      summary: "Eight weeks of support; back in school full time.",
    });
    summary = await expectInStep(world, "closed");
    expect(summary.referrals[0]).toMatchObject({ state: "closed", outcome: "support_completed" });

    // Another referral withdrawn, and a draft discarded.
    const other = await referralAt(db, world, "submitted");
    await withdrawReferral(referrer, other.id, {
      version: await version(other.id),
      reason: "Made in error: a duplicate of an earlier referral.",
    });
    const { id: discarded } = await startReferral(referrer);
    await discardDraft(referrer, discarded, await version(discarded));
    summary = await expectInStep(world, "withdrawn and discarded");
    expect(summary.referrals.map((row) => row.state).sort()).toEqual(["closed", "withdrawn"]);
  });

  it("follows changes the owner makes past the services, and drops a referral made a draft again", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await referralAt(db, world, "active");
    await db.owner.transaction().execute(async (trx) => {
      await setTenant(trx, world.partnership.id);
      await trx
        .updateTable("referral_agencies")
        .set({ responded_at: new Date(Date.now() - 60_000) })
        .where("referral_id", "=", id)
        .where("status", "=", "accepted")
        .execute();
    });
    await expectInStep(world, "an involvement changed by hand");
    await db.owner.transaction().execute(async (trx) => {
      await setTenant(trx, world.partnership.id);
      await sql`update referrals set state = 'draft' where id = ${id}`.execute(trx);
    });
    const summary = await expectInStep(world, "made a draft again");
    expect(summary.referrals).toHaveLength(0);
    expect(summary.involvements).toHaveLength(0);
  });

  it("stays right when two transactions change one referral at once", async () => {
    const world = await createReferralWorld(db.owner);
    const { people, agencies, partnership } = world;
    const { id } = await referralAt(db, world, "allocated");
    // The first adds a contact note and holds its transaction open; the second accepts the
    // referral meanwhile. The second's refresh must wait for, and then see, the first's note.
    const first = new pg.Client({ connectionString: db.ownerUrl });
    const second = new pg.Client({ connectionString: db.ownerUrl });
    await first.connect();
    await second.connect();
    try {
      for (const client of [first, second]) {
        await client.query("begin");
        await client.query("select set_config('app.partnership_id', $1, true)", [partnership.id]);
      }
      await first.query(
        `insert into case_notes (partnership_id, referral_id, agency_id, author_user_id, kind,
           visibility, occurred_on, body)
         values ($1, $2, $3, $4, 'contact_in_person', 'shared', current_date, 'Met at school.')`,
        [partnership.id, id, agencies.advocacy.id, people.advocacyLead.id],
      );
      const secondPid = (await second.query<{ pid: number }>("select pg_backend_pid() as pid"))
        .rows[0]?.pid;
      const accepting = second.query(
        `update referral_agencies set status = 'accepted', responded_at = now(),
           allocated_user_id = $3 where referral_id = $1 and agency_id = $2`,
        [id, agencies.advocacy.id, people.advocacyPractitioner.id],
      );
      // Wait until the second is blocked behind the first, then let the first commit.
      for (;;) {
        const waiting = await db.superuser
          .selectFrom(
            sql<{ pid: number; wait_event_type: string | null }>`pg_stat_activity`.as("a"),
          )
          .select(["a.wait_event_type"])
          .where("a.pid", "=", secondPid as number)
          .executeTakeFirst();
        if (waiting?.wait_event_type === "Lock") break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await first.query("commit");
      await accepting;
      await second.query("commit");
    } finally {
      await first.end();
      await second.end();
    }
    const summary = await expectInStep(world, "after both committed");
    expect(summary.referrals[0]?.first_contact_at).not.toBeNull();
    expect(summary.referrals[0]?.first_accepted_at).not.toBeNull();
  });

  it("the application may read the summary but neither write it nor refresh it", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await referralAt(db, world, "submitted");
    const inTenant = (statement: ReturnType<typeof sql>) =>
      db.app.transaction().execute(async (trx) => {
        await setTenant(trx, world.partnership.id);
        return statement.execute(trx);
      });
    const read = await inTenant(sql`select referral_id from oversight_referrals`);
    expect(read.rows).toEqual([{ referral_id: id }]);
    await expect(
      inTenant(sql`update oversight_referrals set state = 'closed' where referral_id = ${id}`),
    ).rejects.toThrow(/permission denied/);
    await expect(
      inTenant(sql`delete from oversight_involvements where referral_id = ${id}`),
    ).rejects.toThrow(/permission denied/);
    await expect(
      inTenant(sql`select oversight_summary_refresh(array[${id}::uuid])`),
    ).rejects.toThrow(/permission denied/);
  });
});
