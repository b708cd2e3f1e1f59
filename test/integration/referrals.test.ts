import { describe, expect, it } from "vitest";
import { addAction, addNote } from "../../app/services/case-work.server";
import { recordDecisionToShare } from "../../app/services/decisions-to-share.server";
import { AccessRefused, ConflictError, InvalidInput } from "../../app/services/errors";
import {
  acceptReferral,
  closeReferral,
  declineReferral,
  routeReferral,
  screenReferral,
} from "../../app/services/referral-steps.server";
import {
  getDraft,
  getReferral,
  recordYoungPersonForDraft,
  saveDraft,
  startReferral,
  submitReferral,
} from "../../app/services/referrals.server";
import type { User } from "../../db/types";
import { useTestDatabase } from "../support/database";
import {
  COMPLETE_ANSWERS,
  contextFor,
  createReferralWorld,
  createUser,
  referralAt,
  referralVersion,
  shareDecision,
  youngPersonDetails,
} from "../support/factories";

const db = useTestDatabase();
const as = (user: User) => contextFor(db.app, user);

/** A referral's row and its agencies, read past row-level security. */
async function stored(id: string) {
  const referral = await db.superuser
    .selectFrom("referrals")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  const agencies = await db.superuser
    .selectFrom("referral_agencies")
    .selectAll()
    .where("referral_id", "=", id)
    .execute();
  return { ...referral, agencies };
}

async function transitionsOf(id: string) {
  const rows = await db.superuser
    .selectFrom("referral_transitions")
    .select(["transition", "from_state", "to_state", "rationale"])
    .where("referral_id", "=", id)
    .orderBy("occurred_at")
    .execute();
  return rows;
}

async function eventsFor(recordId: string, action?: string) {
  let query = db.superuser.selectFrom("audit_events").selectAll().where("record_id", "=", recordId);
  if (action) query = query.where("action", "=", action);
  return query.orderBy("entry_seq").execute();
}

/** The error a promise rejects with (failing the test if it fulfils). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: unknown) => error,
  );
}

describe("a referral's journey", () => {
  it("goes from a school's draft to closed, and the referrer is told the outcome", async () => {
    const world = await createReferralWorld(db.owner);
    const { people, agencies } = world;
    const school = as(people.schoolPractitioner);
    const lead = as(people.lead);
    const state = async (id: string) => (await stored(id)).state;

    const { id } = await startReferral(school);
    expect(await state(id)).toBe("draft");
    const recorded = await recordYoungPersonForDraft(school, id, youngPersonDetails(), {
      confirmedNotAMatch: false,
    });
    expect(recorded).toEqual({ created: expect.any(String) as string });
    await saveDraft(school, id, COMPLETE_ANSWERS);
    const draft = await getDraft(school, id);
    expect(draft.answers).toMatchObject(COMPLETE_ANSWERS);
    expect(draft.youngPerson).toMatchObject({ name: "Jayden Okafor", dateOfBirth: "2010-03-14" });
    await recordDecisionToShare(school, id, shareDecision([agencies.advocacy.id]));

    await submitReferral(school, id, draft.version);
    expect(await state(id)).toBe("submitted");

    await screenReferral(lead, id, {
      version: await referralVersion(db, id),
      rag: "amber",
      rationale: "Exploitation indicators; needs an advocate this week.",
    });
    expect(await stored(id)).toMatchObject({ state: "screened", rag: "amber" });

    await routeReferral(lead, id, {
      version: await referralVersion(db, id),
      agencyIds: [agencies.advocacy.id],
    });
    expect(await state(id)).toBe("allocated");

    await acceptReferral(as(people.advocacyLead), id, {
      version: await referralVersion(db, id),
      allocatedUserId: people.advocacyPractitioner.id,
    });
    expect(await stored(id)).toMatchObject({
      state: "active",
      agencies: expect.arrayContaining([
        expect.objectContaining({
          agency_id: agencies.advocacy.id,
          status: "accepted",
          allocated_user_id: people.advocacyPractitioner.id,
        }),
      ]) as unknown,
    });

    const advocate = as(people.advocacyPractitioner);
    await addNote(advocate, id, {
      kind: "contact_in_person",
      visibility: "shared",
      occurredOn: "2026-11-20",
      body: "Met Jayden at school with his mother; agreed weekly sessions.",
    });
    const mentor = await addAction(advocate, id, {
      description: "Arrange a mentor",
      assignedAgencyId: agencies.advocacy.id,
      dueOn: "2026-12-15",
    });
    await closeReferral(advocate, id, {
      version: (await getReferral(advocate, id)).version,
      outcome: "support_completed",
      summary: "Twelve weeks of support; no missing episodes since October.",
      // No case closes with an action left open.
      actions: [{ actionId: mentor.id, fate: "done", note: null, handedToAgencyId: null }],
    });
    expect(await state(id)).toBe("closed");

    const seenByReferrer = await getReferral(school, id);
    expect(seenByReferrer).toMatchObject({
      state: "closed",
      closure: {
        outcome: "support_completed",
        summary: "Twelve weeks of support; no missing episodes since October.",
      },
    });
    expect(seenByReferrer.notes.map((note) => note.body)).toEqual([
      "Met Jayden at school with his mother; agreed weekly sessions.",
    ]);
    expect(
      (await transitionsOf(id)).map((step) => [step.transition, step.from_state, step.to_state]),
    ).toEqual([
      ["submit", "draft", "submitted"],
      ["screen", "submitted", "screened"],
      ["route", "screened", "allocated"],
      ["accept", "allocated", "active"],
      ["close", "active", "closed"],
    ]);
    expect(seenByReferrer.history.map((step) => step.transition)).toEqual([
      "submit",
      "screen",
      "route",
      "accept",
      "close",
    ]);
  });

  it("cannot be submitted incomplete: every missing answer is listed and it stays a draft", async () => {
    const { people } = await createReferralWorld(db.owner);
    const school = as(people.schoolPractitioner);
    const { id } = await startReferral(school);
    await saveDraft(school, id, { themes: ["early_intervention"] });
    const version = await referralVersion(db, id);

    const error = await rejection(submitReferral(school, id, version));
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as InvalidInput).errors.map((problem) => problem.field)).toEqual([
      "givenName",
      "concernRoles",
      "concern",
      "risk-missing_episode",
      "youngPersonKnows",
      "familyKnows",
      "immediateDanger",
      "urgency",
      "destination",
      "decision",
    ]);
    expect((error as InvalidInput).errors.at(-1)).toMatchObject({
      message: "Record the decision to share before you send the referral",
      href: `/referrals/${id}/sharing/new`,
    });
    expect(await stored(id)).toMatchObject({ state: "draft", version });
    expect(await eventsFor(id, "referral.submit")).toHaveLength(0);
  });
});

describe("seeing a referral", () => {
  it.each([
    ["a police practitioner whose agency is not involved", "policePractitioner"],
    ["an administrator", "administrator"],
  ] as const)("is refused to %s as if it did not exist, and recorded", async (_who, key) => {
    const world = await createReferralWorld(db.owner);
    const { id } = await referralAt(db, world, "submitted");
    const viewer = world.people[key];

    const error = await rejection(getReferral(as(viewer), id));
    expect(error).toBeInstanceOf(AccessRefused);
    expect((error as AccessRefused).visibility).toBe("hide");
    const refusals = (await eventsFor(id, "referral.view")).filter(
      (event) => event.outcome === "refused",
    );
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({
      action: "referral.view",
      outcome: "refused",
      record_type: "referral",
      record_id: id,
      actor_user_id: viewer.id,
    });
  });
});

describe("lifecycle steps", () => {
  it("taken at the same moment by two leads of one agency: one accepts, the other is told of a conflict", async () => {
    const world = await createReferralWorld(db.owner);
    const { people, agencies } = world;
    const secondLead = await createUser(db.owner, agencies.advocacy, { role: "agency_lead" });
    const { id } = await referralAt(db, world, "allocated");
    const version = await referralVersion(db, id);
    const accept = (lead: User) =>
      acceptReferral(as(lead), id, { version, allocatedUserId: people.advocacyPractitioner.id });

    const results = await Promise.allSettled([accept(people.advocacyLead), accept(secondLead)]);

    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const rejected = results.filter((result) => result.status === "rejected");
    expect(rejected).toHaveLength(1);
    expect(rejected[0]?.reason).toBeInstanceOf(ConflictError);
    expect(await stored(id)).toMatchObject({ state: "active", version: version + 1 });
    expect((await transitionsOf(id)).filter((step) => step.transition === "accept")).toHaveLength(
      1,
    );
  });

  it("taken on a version someone has since changed is refused as a conflict", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await referralAt(db, world, "screened");
    const seen = await referralVersion(db, id);
    const lead = as(world.people.lead);
    await screenReferral(lead, id, { version: seen, rag: "red", rationale: "Weapon seen today." });

    await expect(
      screenReferral(lead, id, { version: seen, rag: "green", rationale: "On reflection, low." }),
    ).rejects.toBeInstanceOf(ConflictError);
    expect(await stored(id)).toMatchObject({ rag: "red", version: seen + 1 });
  });

  it("that the lifecycle does not allow is refused with a reason naming the state", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await referralAt(db, world, "submitted");
    const version = await referralVersion(db, id);

    const error = await rejection(
      closeReferral(as(world.people.lead), id, {
        version,
        outcome: "no_further_action",
        summary: "Closing before screening",
      }),
    );
    expect(error).toBeInstanceOf(AccessRefused);
    expect(error).toMatchObject({
      visibility: "explain",
      reason: "This referral is waiting for screening, so it cannot be closed",
    });
    expect(await stored(id)).toMatchObject({ state: "submitted", version });
    expect(await eventsFor(id, "referral.close")).toMatchObject([{ outcome: "refused" }]);
  });

  it("screening a screened referral again re-rates it, with the earlier rating in its history", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await referralAt(db, world, "screened", { rag: "amber" });
    await screenReferral(as(world.people.lead), id, {
      version: await referralVersion(db, id),
      rag: "red",
      rationale: "Now carrying a knife, per police intelligence.",
    });

    expect(await stored(id)).toMatchObject({
      state: "screened",
      rag: "red",
      rag_rationale: "Now carrying a knife, per police intelligence.",
    });
    expect((await transitionsOf(id)).slice(-2)).toEqual([
      expect.objectContaining({
        transition: "screen",
        from_state: "submitted",
        to_state: "screened",
      }),
      expect.objectContaining({
        transition: "rerate",
        from_state: "screened",
        to_state: "screened",
        rationale: "Now carrying a knife, per police intelligence.",
      }),
    ]);
  });

  it("re-rating with the same rationale is refused: a new rating needs a new rationale", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await referralAt(db, world, "screened", { rag: "amber" });
    const version = await referralVersion(db, id);
    const { rag_rationale: rationale } = await stored(id);

    await expect(
      screenReferral(as(world.people.lead), id, {
        version,
        rag: "red",
        rationale: ` ${rationale} `,
      }),
    ).rejects.toBeInstanceOf(InvalidInput);
    expect(await stored(id)).toMatchObject({ rag: "amber", version });
    expect(await eventsFor(id, "referral.screen")).toHaveLength(1);
  });
});

describe("declining a referral", () => {
  it("by its only receiving agency sends it back to screening, and that agency loses sight of it", async () => {
    const world = await createReferralWorld(db.owner);
    const { people, agencies } = world;
    const { id } = await referralAt(db, world, "allocated");
    const advocate = as(people.advocacyPractitioner);
    await expect(getReferral(advocate, id)).resolves.toMatchObject({ state: "allocated" });

    await declineReferral(as(people.advocacyLead), id, {
      version: await referralVersion(db, id),
      reason: "No capacity until January.",
    });

    const after = await stored(id);
    expect(after.state).toBe("screened");
    expect(
      after.agencies.find((agency) => agency.agency_id === agencies.advocacy.id),
    ).toMatchObject({ status: "declined", decline_reason: "No capacity until January." });
    expect((await transitionsOf(id)).at(-1)).toMatchObject({
      transition: "decline",
      from_state: "allocated",
      to_state: "screened",
      rationale: "No capacity until January.",
    });
    const error = await rejection(getReferral(advocate, id));
    expect(error).toBeInstanceOf(AccessRefused);
    expect((error as AccessRefused).visibility).toBe("hide");
  });
});

describe("a write that is rolled back", () => {
  it("leaves no event and no change: accepting with a practitioner of another agency", async () => {
    const world = await createReferralWorld(db.owner);
    const { people, agencies } = world;
    const { id } = await referralAt(db, world, "allocated");
    const version = await referralVersion(db, id);

    await expect(
      acceptReferral(as(people.advocacyLead), id, {
        version,
        allocatedUserId: people.schoolPractitioner.id,
      }),
    ).rejects.toBeInstanceOf(InvalidInput);

    expect(await eventsFor(id, "referral.accept")).toHaveLength(0);
    const after = await stored(id);
    expect(after).toMatchObject({ state: "allocated", version });
    expect(
      after.agencies.find((agency) => agency.agency_id === agencies.advocacy.id),
    ).toMatchObject({ status: "awaiting", allocated_user_id: null });
    expect((await transitionsOf(id)).map((step) => step.transition)).not.toContain("accept");
  });
});
