import { beforeAll, describe, expect, it } from "vitest";
import { seedDemoPartnership } from "../../app/demo/demo-seed.server";
import { DEMO_AGREEMENT, DEMO_PARTNERSHIP_ID } from "../../db/seed/demo";
import {
  NOTE_KIND_CODES,
  OUTCOME_CODES,
  REFERRAL_STATES,
  RISK_INDICATOR_CODES,
  SEVERITY_CODES,
  agencySharing,
  decisionProblems,
  type AgencyKind,
  type RecordedDecision,
  type ReferralState,
  type SharingPurpose,
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

const LONDON_DATE = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Europe/London",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});
/** YYYY-MM-DD as the day is in London, as the application reckons "today". */
const londonDate = (moment: Date) => LONDON_DATE.format(moment);

/** Whole years between a date of birth and a day, both YYYY-MM-DD. */
function ageOn(dateOfBirth: string, day: string): number {
  const years = Number(day.slice(0, 4)) - Number(dateOfBirth.slice(0, 4));
  return years - (day.slice(5) < dateOfBirth.slice(5) ? 1 : 0);
}

const agreementPermits = (from: AgencyKind, to: AgencyKind, purpose: SharingPurpose) =>
  DEMO_AGREEMENT.some(
    (permission) =>
      permission.from === from && permission.to === to && permission.purpose === purpose,
  );

/** The demo partnership's decisions to share, withdrawals, agencies, people and users. */
async function sharing() {
  const of = DEMO_PARTNERSHIP_ID;
  const [decisions, withdrawals, agencies, people, users, emergencies] = await Promise.all([
    db.superuser
      .selectFrom("decisions_to_share")
      .selectAll()
      .where("partnership_id", "=", of)
      .orderBy("decided_at")
      .execute(),
    db.superuser
      .selectFrom("consent_withdrawals")
      .selectAll()
      .where("partnership_id", "=", of)
      .execute(),
    db.superuser
      .selectFrom("agencies")
      .select(["id", "name", "kind"])
      .where("partnership_id", "=", of)
      .execute(),
    db.superuser
      .selectFrom("young_people")
      .select(["id", "given_name", "family_name", "date_of_birth"])
      .where("partnership_id", "=", of)
      .execute(),
    db.superuser
      .selectFrom("users")
      .select(["id", "email", "agency_id"])
      .where("partnership_id", "=", of)
      .execute(),
    db.superuser
      .selectFrom("emergency_accesses")
      .selectAll()
      .where("partnership_id", "=", of)
      .execute(),
  ]);
  const recorded = (referralId: string): RecordedDecision[] =>
    decisions
      .filter((decision) => decision.referral_id === referralId)
      .map((decision) => ({
        id: decision.id,
        supersedesId: decision.supersedes_id,
        decision: decision.decision,
        recipientAgencyIds: decision.recipient_agency_ids,
        dataItems: decision.data_items,
        consentReliedOn: decision.consent_relied_on,
        consentScopeAgencyIds: decision.consent_scope_agency_ids,
        consentExpiresOn: decision.consent_expires_on,
        withdrawnAt:
          withdrawals
            .find((withdrawal) => withdrawal.decision_id === decision.id)
            ?.withdrawn_at.toISOString() ?? null,
      }));
  const userByEmail = (email: string) => {
    const found = users.find((candidate) => candidate.email === email);
    if (!found) throw new Error(`no demo user ${email}`);
    return found;
  };
  const agencyByName = (name: RegExp) => {
    const found = agencies.find((agency) => name.test(agency.name));
    if (!found) throw new Error(`no demo agency ${String(name)}`);
    return found;
  };
  return {
    decisions,
    withdrawals,
    agencies,
    people,
    emergencies,
    recorded,
    userByEmail,
    agencyByName,
  };
}

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
  });

  it("starts the access log with a morning's work done through the services, and nothing else", async () => {
    const events = await db.superuser
      .selectFrom("audit_events as e")
      .innerJoin("users as u", "u.id", "e.actor_user_id")
      .select([
        "e.action",
        "e.outcome",
        "e.request_id",
        "e.details",
        "u.email",
        "e.young_person_id",
      ])
      .where("e.partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute();
    const all = await db.superuser
      .selectFrom("audit_events")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .executeTakeFirstOrThrow();
    // Every event has a demo person behind it and came from the replay's requests.
    expect(events.length).toBe(Number(all.n));
    expect(events.every((event) => /^demo-\d{4}$/.test(event.request_id ?? ""))).toBe(true);
    const emails = new Set(events.map((event) => event.email));
    for (const email of [
      "lead@northbridge.example",
      "inspector@police.northbridge.example",
      "dsl@school.northbridge.example",
      "advocate@advocacy.northbridge.example",
    ]) {
      expect(emails.has(email)).toBe(true);
    }
    // The officer opened Olek Kowalski's records under emergency access, and was refused elsewhere.
    const olek = await db.superuser
      .selectFrom("young_people")
      .select("id")
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .where("given_name", "=", "Aleksander")
      .where("family_name", "=", "Kowalski")
      .executeTakeFirstOrThrow();
    const officer = events.filter((event) => event.email === "officer@police.northbridge.example");
    const underEmergency = officer.filter(
      (event) => event.young_person_id === olek.id && event.details?.emergencyAccessId,
    );
    expect(underEmergency.map((event) => event.action)).toContain("young_person.view");
    expect(
      officer.some((event) => event.action === "referral.view" && event.outcome === "refused"),
    ).toBe(true);
  });

  it("records a decision to share on every referral past the draft, covering where it went", async () => {
    const { decisions, withdrawals, recorded } = await sharing();
    const all = await referrals();
    const rows = await involvement();
    const today = londonDate(seededAt);
    for (const referral of all) {
      const own = decisions.filter((decision) => decision.referral_id === referral.id);
      if (referral.state === "draft" || referral.state === "discarded") {
        expect(own).toEqual([]);
        continue;
      }
      expect(own.length).toBeGreaterThanOrEqual(1);
      for (const decision of own) {
        expect(decision.young_person_id).toBe(referral.young_person_id);
        expect(decision.decided_by).toBe(referral.referrer_user_id);
        expect(decision.decided_by_agency_id).toBe(referral.referrer_agency_id);
        expect(decision.decided_at.getTime()).toBeLessThan(referral.submitted_at?.getTime() ?? 0);
        expect(decision.decided_at.getTime()).toBeGreaterThan(referral.created_at.getTime());
      }
    }

    const withdrawnReferrals = new Set(
      withdrawals.map(
        (withdrawal) =>
          decisions.find((decision) => decision.id === withdrawal.decision_id)?.referral_id,
      ),
    );
    let checked = 0;
    for (const row of rows.filter((candidate) => candidate.involvement === "receiving")) {
      const referral = all.find((candidate) => candidate.id === row.referral_id);
      if (!referral) throw new Error("referral missing");
      // Covered when it was routed there, declined or not.
      expect(
        decisions.some(
          (decision) =>
            decision.referral_id === referral.id &&
            decision.decision !== "not_share" &&
            decision.recipient_agency_ids.includes(row.agency_id) &&
            decision.decided_at <= (row.routed_at ?? new Date(0)),
        ),
      ).toBe(true);
      if (row.status === "declined") continue;
      const { state } = agencySharing(
        row.agency_id,
        referral.referrer_agency_id,
        recorded(referral.id),
        today,
      );
      if (withdrawnReferrals.has(referral.id)) {
        expect(state).toBe("withdrawn");
      } else {
        expect(["covered", "partial"]).toContain(state);
      }
      checked += 1;
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("records only decisions the rules and the demo agreement allow", async () => {
    const { decisions, agencies, people } = await sharing();
    const recipientKinds = Object.fromEntries(agencies.map((agency) => [agency.id, agency.kind]));
    const all = await referrals();
    for (const row of decisions) {
      const referral = all.find((candidate) => candidate.id === row.referral_id);
      const person = people.find((candidate) => candidate.id === row.young_person_id);
      expect(row.source_kind).toBe(recipientKinds[referral?.referrer_agency_id ?? ""]);
      // A decision not to share is not asked the law it would share under.
      expect(row.article6).toBe(row.decision === "not_share" ? null : "public_task");
      expect(row.gateway).not.toBe("pcsc_act_2022_s16");
      const decidedOn = londonDate(row.decided_at);
      const problems = decisionProblems(
        {
          decision: row.decision,
          recipientAgencyIds: row.recipient_agency_ids,
          purposes: row.purposes,
          dataItems: row.data_items,
          adviceFrom: row.advice_from,
          article6: row.article6,
          article9: row.article9,
          gateway: row.gateway,
          consentReliedOn: row.consent_relied_on,
          consentGivenBy: row.consent_given_by,
          competenceAssessment: row.competence_assessment,
          consentScopeAgencyIds: row.consent_scope_agency_ids,
          consentScopePurposes: row.consent_scope_purposes,
          consentForm: row.consent_form,
          consentExpiresOn: row.consent_expires_on,
          consentNotSoughtReason: row.consent_not_sought_reason,
          youngPersonViews: row.young_person_views,
          rationale: row.rationale,
          reviewOn: row.review_on,
        },
        {
          sourceKind: row.source_kind,
          recipientKinds,
          youngPersonAge: person?.date_of_birth ? ageOn(person.date_of_birth, decidedOn) : null,
          agreementPermits,
          today: decidedOn,
        },
      );
      expect(problems).toEqual([]);
    }
  });

  it("shows consent, its withdrawal, partial shares, decisions not to share and emergency access", async () => {
    const { decisions, withdrawals, people, emergencies, userByEmail, agencyByName } =
      await sharing();
    const year = Number(londonDate(seededAt).slice(0, 4));
    const bornYear = (id: string) =>
      Number(people.find((person) => person.id === id)?.date_of_birth?.slice(0, 4));

    // Consent in writing from a 17-year-old (this year), for a set time.
    const consent17 = decisions.filter(
      (decision) =>
        decision.consent_relied_on &&
        decision.consent_given_by === "young_person" &&
        decision.consent_form === "written" &&
        year - bornYear(decision.young_person_id) === 17,
    );
    expect(consent17.length).toBeGreaterThanOrEqual(1);
    for (const decision of consent17) {
      expect(decision.consent_scope_agency_ids).toEqual(decision.recipient_agency_ids);
      expect(decision.consent_scope_purposes).toContain("safeguarding");
      expect(decision.consent_expires_on! > londonDate(seededAt)).toBe(true);
    }
    const reasons = new Set(decisions.map((decision) => decision.consent_not_sought_reason));
    for (const reason of [
      "would_increase_risk",
      "would_prejudice_investigation",
      "cannot_reasonably_be_obtained",
    ] as const) {
      expect(reasons).toContain(reason);
    }
    expect(
      decisions.some(
        (decision) => decision.decision === "share_partial" && decision.data_items.length > 0,
      ),
    ).toBe(true);
    expect(
      decisions.some(
        (decision) =>
          decision.gateway === "crime_and_disorder_act_s115" && decision.source_kind === "police",
      ),
    ).toBe(true);

    // Not sharing with the police, on a case shared with the agencies it went to.
    const police = agencyByName(/Police/);
    const notShare = decisions.filter((decision) => decision.decision === "not_share");
    expect(notShare.length).toBeGreaterThanOrEqual(1);
    for (const decision of notShare) {
      expect(decision.recipient_agency_ids).toEqual([police.id]);
      expect(
        decisions.some(
          (other) => other.referral_id === decision.referral_id && other.decision === "share",
        ),
      ).toBe(true);
    }

    // A withdrawal of consent on an active case the advocate has, with a note written since.
    const referrer = await referrals();
    expect(withdrawals).toHaveLength(1);
    const [withdrawal] = withdrawals;
    const withdrawn = decisions.find((decision) => decision.id === withdrawal?.decision_id);
    const referral = referrer.find((candidate) => candidate.id === withdrawn?.referral_id);
    expect(withdrawn?.consent_relied_on).toBe(true);
    expect(withdrawal?.withdrawn_by).toBe("young_person");
    expect(withdrawal?.recorded_by).toBe(referral?.referrer_user_id);
    const withdrawnAt = withdrawal?.withdrawn_at.getTime() ?? 0;
    expect(withdrawnAt).toBeLessThan(seededAt.getTime() - 24 * 60 * 60 * 1000);
    expect(withdrawnAt).toBeGreaterThan(seededAt.getTime() - 7 * 24 * 60 * 60 * 1000);
    expect(referral?.state).toBe("active");
    const advocate = userByEmail("advocate@advocacy.northbridge.example");
    const allocation = (await involvement()).find(
      (row) => row.referral_id === referral?.id && row.agency_id === advocate.agency_id,
    );
    expect(allocation?.allocated_user_id).toBe(advocate.id);
    expect(withdrawn?.consent_scope_agency_ids).toContain(advocate.agency_id);
    const notes = await db.superuser
      .selectFrom("case_notes")
      .select("created_at")
      .where("referral_id", "=", referral?.id ?? "")
      .execute();
    expect(notes.some((note) => note.created_at.getTime() > withdrawnAt)).toBe(true);

    // Emergency access by the police officer to a young person police had no part in.
    const officer = userByEmail("officer@police.northbridge.example");
    const lead = userByEmail("lead@northbridge.example");
    const open = emergencies.filter(
      (access) => access.user_id === officer.id && access.review_outcome === null,
    );
    expect(open).toHaveLength(1);
    for (const access of open) {
      expect(access.agency_id).toBe(police.id);
      expect(access.reason).toBe("missing_child");
      expect(access.reviewed_at).toBeNull();
      expect(access.opened_at.getTime()).toBeLessThan(seededAt.getTime());
      expect(access.expires_at.getTime()).toBeGreaterThan(seededAt.getTime());
      expect(access.expires_at.getTime() - access.opened_at.getTime()).toBe(4 * 60 * 60 * 1000);
    }
    const reviewed = emergencies.filter((access) => access.review_outcome === "appropriate");
    expect(reviewed).toHaveLength(1);
    expect(reviewed[0]?.reviewed_by).toBe(lead.id);
    expect(reviewed[0]?.review_note).toMatch(/\w/);
    const rows = await involvement();
    for (const access of emergencies) {
      const theirs = referrer.filter((r) => r.young_person_id === access.young_person_id);
      expect(theirs.length).toBeGreaterThan(0);
      for (const r of theirs) {
        expect(r.referrer_agency_id).not.toBe(police.id);
        expect(rows.some((row) => row.referral_id === r.id && row.agency_id === police.id)).toBe(
          false,
        );
        expect(
          decisions.some(
            (decision) =>
              decision.referral_id === r.id && decision.recipient_agency_ids.includes(police.id),
          ),
        ).toBe(false);
      }
    }
  });

  it("stays idempotent: a second seed adds nothing", async () => {
    const before = await counts();
    expect(await seedDemoPartnership(db.owner)).toBe(false);
    expect(await counts()).toEqual(before);
  });
});
