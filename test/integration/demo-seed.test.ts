import { beforeAll, describe, expect, it } from "vitest";
import { DEMO_PARTNERSHIP_ID, seedDemoPartnership } from "../../db/seed/demo";
import {
  NOTE_KIND_CODES,
  OUTCOME_CODES,
  REFERRAL_STATES,
  RISK_INDICATOR_CODES,
  SEVERITY_CODES,
  type ReferralState,
} from "../../policies";
import { useTestDatabase } from "../support/database";

const db = useTestDatabase();

/** Counts of the demo partnership's case data, read past row-level security. */
async function counts() {
  const count = async (
    table:
      | "young_people"
      | "referrals"
      | "referral_agencies"
      | "referral_transitions"
      | "case_notes"
      | "case_actions",
  ) => {
    const row = await db.superuser
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  };
  return {
    youngPeople: await count("young_people"),
    referrals: await count("referrals"),
    referralAgencies: await count("referral_agencies"),
    transitions: await count("referral_transitions"),
    notes: await count("case_notes"),
    actions: await count("case_actions"),
  };
}

const referrals = () =>
  db.superuser
    .selectFrom("referrals")
    .selectAll()
    .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
    .execute();
const involvement = () =>
  db.superuser
    .selectFrom("referral_agencies")
    .selectAll()
    .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
    .execute();

describe("the demo seed's case data", () => {
  let seededAt: Date;
  beforeAll(async () => {
    seededAt = new Date();
    expect(await seedDemoPartnership(db.owner)).toBe(true);
  });

  it("has about forty young people and sixty referrals, in every state", async () => {
    const { youngPeople, referrals: referralCount } = await counts();
    expect(youngPeople).toBeGreaterThanOrEqual(35);
    expect(youngPeople).toBeLessThanOrEqual(45);
    expect(referralCount).toBeGreaterThanOrEqual(55);
    expect(referralCount).toBeLessThanOrEqual(65);

    const states = new Set((await referrals()).map((referral) => referral.state));
    expect([...states].sort()).toEqual([...REFERRAL_STATES].sort());
  });

  it("gives every referral past the draft its referrer's agency, and never routes back to it", async () => {
    const rows = await involvement();
    for (const referral of await referrals()) {
      const agencies = rows.filter((row) => row.referral_id === referral.id);
      if (referral.state !== "draft") {
        expect(agencies).toContainEqual(
          expect.objectContaining({
            agency_id: referral.referrer_agency_id,
            involvement: "referrer",
            status: null,
          }),
        );
      }
      const receiving = agencies.filter((row) => row.involvement === "receiving");
      expect(receiving.map((row) => row.agency_id)).not.toContain(referral.referrer_agency_id);
      for (const row of receiving) {
        expect(row.routed_at).not.toBeNull();
        expect(row.response_due_at).not.toBeNull();
      }
    }
  });

  it("allocates every active referral to someone in the agency that accepted it", async () => {
    const users = await db.superuser
      .selectFrom("users")
      .select(["id", "agency_id"])
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute();
    const agencyOf = new Map(users.map((user) => [user.id, user.agency_id]));
    const rows = await involvement();
    const active = (await referrals()).filter((referral) => referral.state === "active");
    expect(active.length).toBeGreaterThan(0);
    for (const referral of active) {
      const accepted = rows.filter(
        (row) =>
          row.referral_id === referral.id &&
          row.involvement === "receiving" &&
          row.status === "accepted",
      );
      expect(accepted.length).toBeGreaterThan(0);
      for (const row of accepted) {
        expect(row.allocated_user_id).not.toBeNull();
        expect(agencyOf.get(row.allocated_user_id ?? "")).toBe(row.agency_id);
      }
    }
  });

  it("closes referrals with an outcome and a summary", async () => {
    const closed = (await referrals()).filter((referral) => referral.state === "closed");
    expect(closed.length).toBeGreaterThan(0);
    for (const referral of closed) {
      expect(OUTCOME_CODES).toContain(referral.outcome);
      expect(referral.outcome_summary).toMatch(/\w/);
      expect(referral.closed_at).toBeInstanceOf(Date);
    }
  });

  it("records the steps that led to each referral's state, in order and in the past", async () => {
    const transitions = await db.superuser
      .selectFrom("referral_transitions")
      .selectAll()
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .orderBy("occurred_at")
      .execute();
    for (const referral of await referrals()) {
      const steps = transitions.filter((step) => step.referral_id === referral.id);
      if (referral.state === "draft") {
        expect(steps).toEqual([]);
        continue;
      }
      let state: ReferralState = "draft";
      for (const step of steps) {
        expect(step.from_state).toBe(state);
        expect(step.occurred_at.getTime()).toBeLessThanOrEqual(seededAt.getTime() + 60_000);
        state = step.to_state;
      }
      expect(state).toBe(referral.state);
    }
  });

  it("writes referrals a practitioner could have written", async () => {
    const all = await referrals();
    const submitted = all.filter((referral) => referral.submitted_at !== null);
    for (const referral of submitted) {
      expect(referral.risk_indicators.length).toBeGreaterThanOrEqual(1);
      expect(referral.risk_indicators.length).toBeLessThanOrEqual(4);
      for (const indicator of referral.risk_indicators) {
        expect(RISK_INDICATOR_CODES).toContain(indicator.code);
        expect(SEVERITY_CODES).toContain(indicator.severity);
      }
      expect(referral.concern).toMatch(/\w/);
    }
    const overdue = all.filter(
      (referral) =>
        referral.state === "submitted" && (referral.screening_due_at ?? seededAt) < seededAt,
    );
    expect(overdue.length).toBeGreaterThan(0);
    expect(all.some((referral) => referral.escalated_to === "mace")).toBe(true);
    const dsl = await db.superuser
      .selectFrom("users")
      .select("id")
      .where("email", "=", "dsl@school.northbridge.example")
      .executeTakeFirstOrThrow();
    const drafts = all.filter((referral) => referral.state === "draft");
    expect(
      drafts.filter((draft) => draft.referrer_user_id === dsl.id).length,
    ).toBeGreaterThanOrEqual(2);
  });

  it("includes near-duplicate young people for the duplicate check", async () => {
    const people = await db.superuser
      .selectFrom("young_people")
      .select(["given_name", "family_name", "known_as", "date_of_birth", "postcode_district"])
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute();
    const find = (given: string, family: string) =>
      people.find((person) => person.given_name === given && person.family_name === family);
    expect(find("Jaden", "Clark")?.date_of_birth).toBe(find("Jayden", "Clarke")?.date_of_birth);
    expect(find("Mohammed", "Hussain")?.known_as).toBe("Mo");
    expect(find("Mo", "Hussain")).toBeDefined();
    expect(find("James", "Tyler")?.date_of_birth).toBe(find("Tyler", "James")?.date_of_birth);
    for (const person of people) {
      expect(person.postcode_district).toMatch(/^NB[1-9]$/);
    }
  });

  it("gives worked cases notes, a correction and actions, and writes no access-log events", async () => {
    const all = await referrals();
    const notes = await db.superuser
      .selectFrom("case_notes")
      .selectAll()
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute();
    for (const referral of all.filter((r) => r.state === "active" || r.state === "closed")) {
      const count = notes.filter((note) => note.referral_id === referral.id).length;
      expect(count).toBeGreaterThanOrEqual(1);
      expect(count).toBeLessThanOrEqual(5);
    }
    for (const note of notes) expect(NOTE_KIND_CODES).toContain(note.kind);

    const revisions = await db.superuser
      .selectFrom("case_note_revisions")
      .innerJoin("case_notes", "case_notes.id", "case_note_revisions.note_id")
      .select(["case_notes.version", "case_note_revisions.version as revision"])
      .where("case_notes.partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute();
    expect(revisions.length).toBeGreaterThanOrEqual(1);
    for (const revision of revisions) expect(revision).toEqual({ version: 2, revision: 1 });

    const actions = await db.superuser
      .selectFrom("case_actions")
      .leftJoin("case_action_updates", "case_action_updates.action_id", "case_actions.id")
      .select([
        "case_actions.status",
        "case_actions.due_on",
        "case_action_updates.to_status as updated_to",
      ])
      .where("case_actions.partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute();
    const today = seededAt.toISOString().slice(0, 10);
    expect(actions.some((action) => action.status === "open" && action.due_on < today)).toBe(true);
    expect(actions.some((action) => action.status === "done")).toBe(true);
    for (const action of actions) {
      expect(action.updated_to).toBe(action.status === "open" ? null : action.status);
    }

    const events = await db.superuser
      .selectFrom("audit_events")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .executeTakeFirstOrThrow();
    expect(Number(events.n)).toBe(0);
  });

  it("stays idempotent: a second seed adds nothing", async () => {
    const before = await counts();
    expect(await seedDemoPartnership(db.owner)).toBe(false);
    expect(await counts()).toEqual(before);
  });
});
