import { beforeAll, describe, expect, it } from "vitest";
import {
  addAction,
  addNote,
  correctNote,
  getNoteForCorrection,
  updateActionStatus,
  type NoteInput,
} from "../../app/services/case-work.server";
import {
  caseloadsFor,
  listCaseload,
  type Caseload,
  type CaseloadFilters,
} from "../../app/services/caseloads.server";
import { AccessRefused, InvalidInput } from "../../app/services/errors";
import { getReferral } from "../../app/services/referrals.server";
import type { User } from "../../db/types";
import { useTestDatabase } from "../support/database";
import {
  contextFor,
  createReferralWorld,
  referralAt,
  type ReferralWorld,
} from "../support/factories";

const db = useTestDatabase();
const as = (user: User) => contextFor(db.app, user);

const note = (visibility: NoteInput["visibility"], body: string): NoteInput => ({
  kind: "case_note",
  visibility,
  occurredOn: "2026-11-20",
  body,
});

/** The error a promise rejects with (failing the test if it fulfils). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: unknown) => error,
  );
}

/** An active case: referred by the school, accepted by advocacy and allocated to its practitioner. */
async function activeCase() {
  const world = await createReferralWorld(db.owner);
  const { id } = await referralAt(db, world, "active");
  return { world, id, advocate: as(world.people.advocacyPractitioner) };
}

describe("notes", () => {
  it("kept within the advocacy agency are not shown to the school; shared notes are", async () => {
    const { world, id, advocate } = await activeCase();
    await addNote(advocate, id, note("agency_only", "Disclosed a debt to an older cousin."));
    await addNote(advocate, id, note("shared", "First session held; engaged well."));

    const bodies = async (user: User) =>
      (await getReferral(as(user), id)).notes.map((entry) => entry.body).sort();
    expect(await bodies(world.people.schoolPractitioner)).toEqual([
      "First session held; engaged well.",
    ]);
    expect(await bodies(world.people.advocacyLead)).toEqual([
      "Disclosed a debt to an older cousin.",
      "First session held; engaged well.",
    ]);
  });

  it("are corrected by their writer, keeping the earlier version and the reason", async () => {
    const { id, advocate } = await activeCase();
    const { id: noteId } = await addNote(advocate, id, note("shared", "Met at the libary."));
    const opened = await getNoteForCorrection(advocate, id, noteId);
    expect(opened).toMatchObject({ body: "Met at the libary.", version: 1 });

    await correctNote(advocate, id, noteId, {
      ...opened,
      body: "Met at the library.",
      reason: "Spelling",
    });

    const [corrected] = (await getReferral(advocate, id)).notes;
    expect(corrected).toMatchObject({
      id: noteId,
      body: "Met at the library.",
      version: 2,
      earlierVersions: [{ version: 1, body: "Met at the libary.", reason: "Spelling" }],
    });
  });

  it("cannot be corrected by anyone but their writer, and the refusal says why", async () => {
    const { world, id, advocate } = await activeCase();
    const { id: noteId } = await addNote(advocate, id, note("shared", "Met at the library."));

    const error = await rejection(
      correctNote(as(world.people.advocacyLead), id, noteId, {
        ...note("shared", "Met at the youth club."),
        reason: "I was there",
        version: 1,
      }),
    );
    expect(error).toBeInstanceOf(AccessRefused);
    expect(error).toMatchObject({
      visibility: "explain",
      reason: "Only the person who wrote this can change it",
    });
    const [unchanged] = (await getReferral(advocate, id)).notes;
    expect(unchanged).toMatchObject({
      body: "Met at the library.",
      version: 1,
      earlierVersions: [],
    });
  });

  it("kept within one agency and then corrected to shared do not show other agencies their agency-only version", async () => {
    const { world, id, advocate } = await activeCase();
    const { id: noteId } = await addNote(
      advocate,
      id,
      note("agency_only", "Disclosed a debt to an older cousin."),
    );
    await correctNote(advocate, id, noteId, {
      ...note("shared", "Session held; engaged well."),
      reason: "Rewritten to share with the school",
      version: 1,
    });

    const seenBySchool = (await getReferral(as(world.people.schoolPractitioner), id)).notes;
    expect(seenBySchool.map((entry) => entry.body)).toEqual(["Session held; engaged well."]);
    expect(JSON.stringify(seenBySchool)).not.toContain("Disclosed a debt");
  });

  it("kept within one agency are hidden from another agency asking to correct them", async () => {
    const { world, id, advocate } = await activeCase();
    const { id: noteId } = await addNote(advocate, id, note("agency_only", "Private"));

    const error = await rejection(
      getNoteForCorrection(as(world.people.schoolPractitioner), id, noteId),
    );
    expect(error).toBeInstanceOf(AccessRefused);
    expect((error as AccessRefused).visibility).toBe("hide");
  });
});

describe("actions", () => {
  it("cannot be assigned to an agency not involved in the case", async () => {
    const { world, id, advocate } = await activeCase();
    await expect(
      addAction(advocate, id, {
        description: "Check intelligence",
        assignedAgencyId: world.agencies.police.id,
        dueOn: "2026-12-01",
      }),
    ).rejects.toBeInstanceOf(InvalidInput);
    expect((await getReferral(advocate, id)).actions).toEqual([]);
  });

  it("marked done keep the change in their history", async () => {
    const { world, id, advocate } = await activeCase();
    const { id: actionId } = await addAction(advocate, id, {
      description: "Share the timetable",
      assignedAgencyId: world.agencies.school.id,
      dueOn: "2026-12-01",
    });
    const school = as(world.people.schoolPractitioner);

    await updateActionStatus(school, id, actionId, {
      status: "done",
      note: "Sent by email",
      version: 1,
    });

    const [action] = (await getReferral(advocate, id)).actions;
    expect(action).toMatchObject({
      id: actionId,
      assignedAgencyName: "Northfield Academy",
      status: "done",
      version: 2,
      history: [{ from: "open", to: "done", note: "Sent by email" }],
    });
  });
});

describe("caseloads", () => {
  const base: CaseloadFilters = { sort: "due", page: 1 };
  let world: ReferralWorld;
  let referrals: { school: string; hospital: string; police: string };

  // One referral by the school, routed to and accepted by advocacy (amber); one by the hospital,
  // waiting for screening; one by the police, screened red.
  beforeAll(async () => {
    world = await createReferralWorld(db.owner);
    const { people } = world;
    const school = await referralAt(db, world, "active", { rag: "amber" });
    const hospital = await referralAt(db, world, "submitted", {
      referrer: people.healthPractitioner,
      youngPerson: { givenName: "Mohammed", familyName: "Hussain" },
    });
    const police = await referralAt(db, world, "screened", {
      referrer: people.policePractitioner,
      youngPerson: { givenName: "Tyler", familyName: "Brooks" },
      rag: "red",
    });
    referrals = { school: school.id, hospital: hospital.id, police: police.id };
  });

  type Person = keyof ReferralWorld["people"];
  const refused = "refused" as const;
  // Who may open which caseload, and how many referrals each shows.
  // Nothing is overdue yet; acceptance is an agency lead's tab (tests of both: notifications.test.ts).
  const table: [Person, Record<Caseload, number | typeof refused | "not a tab">][] = [
    [
      "schoolPractitioner",
      {
        mine: 0,
        referred: 1,
        agency: refused,
        screening: refused,
        all: refused,
        acceptance: refused,
        overdue: 0,
      },
    ],
    [
      "advocacyPractitioner",
      {
        mine: 1,
        referred: 0,
        agency: refused,
        screening: refused,
        all: refused,
        acceptance: refused,
        overdue: 0,
      },
    ],
    [
      "advocacyLead",
      {
        mine: 0,
        referred: 0,
        agency: 1,
        screening: refused,
        all: refused,
        acceptance: 0,
        overdue: 0,
      },
    ],
    [
      "policeLead",
      {
        mine: 0,
        referred: 0,
        agency: 1,
        screening: refused,
        all: refused,
        acceptance: 0,
        overdue: 0,
      },
    ],
    [
      "lead",
      {
        mine: "not a tab",
        referred: 0,
        agency: 0,
        screening: 1,
        all: 3,
        acceptance: "not a tab",
        overdue: 0,
      },
    ],
  ];

  it.each(table)("open to %s are exactly those it may list", (person, expected) => {
    const tabs = Object.entries(expected)
      .filter(([, count]) => typeof count === "number")
      .map(([caseload]) => caseload);
    // The page orders the tabs; which ones a person gets is what this table checks.
    expect([...caseloadsFor(as(world.people[person]))].sort()).toEqual(tabs.sort());
  });

  it.each(
    table.flatMap(([person, expected]) =>
      Object.entries(expected)
        .filter(([, count]) => count !== "not a tab")
        .map(([caseload, count]) => [person, caseload as Caseload, count] as const),
    ),
  )("%s opening %s: %s", async (person, caseload, expected) => {
    const listing = listCaseload(as(world.people[person]), caseload, base);
    if (expected === refused) {
      const error = await rejection(listing);
      expect(error).toBeInstanceOf(AccessRefused);
      expect((error as AccessRefused).visibility).toBe("explain");
    } else {
      const page = await listing;
      expect(page.total).toBe(expected);
      expect(page.rows).toHaveLength(expected as number);
    }
  });

  it.each([
    [{ state: "submitted" }, "hospital"],
    [{ state: "screened" }, "police"],
    [{ state: "active" }, "school"],
    [{ rag: "amber" }, "school"],
    [{ rag: "red" }, "police"],
    [{ rag: "green" }, "no"],
    [{ state: "active", rag: "red" }, "no"],
  ] as const)("filtered by %o show only the %s referral", async (filters, which) => {
    const page = await listCaseload(as(world.people.lead), "all", { ...base, ...filters });
    const expected = which === "no" ? [] : [referrals[which]];
    expect(page.total).toBe(expected.length);
    expect(page.rows.map((row) => row.id)).toEqual(expected);
  });

  it("asked for a page past the last show the last page, with the whole count", async () => {
    const page = await listCaseload(as(world.people.lead), "all", { ...base, page: 7 });
    expect(page).toMatchObject({ total: 3, page: 1, pageCount: 1 });
    expect(page.rows).toHaveLength(3);
  });

  it("filtered to overdue show a referral once its screening target has passed", async () => {
    const lead = as(world.people.lead);
    const overdue = { ...base, overdue: true };
    expect((await listCaseload(lead, "all", overdue)).total).toBe(0);

    await db.superuser
      .updateTable("referrals")
      .set({ screening_due_at: new Date(Date.now() - 60_000) })
      .where("id", "=", referrals.hospital)
      .execute();

    const page = await listCaseload(lead, "screening", overdue);
    expect(page.total).toBe(1);
    expect(page.rows).toMatchObject([{ id: referrals.hospital, overdue: true }]);
    expect((await listCaseload(lead, "all", overdue)).total).toBe(1);
    expect((await listCaseload(lead, "all", base)).total).toBe(3);
  });
});
