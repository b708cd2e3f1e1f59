import { describe, expect, it } from "vitest";
import * as editPage from "../../app/routes/young-people.$youngPersonId.edit";
import type { User } from "../../db/types";
import { useTestDatabase } from "../support/database";
import { createReferralWorld, referralAt } from "../support/factories";
import { formRequest, loadContext, settle, statusOf } from "../support/remix";
import { signInCookie } from "../support/session";

const db = useTestDatabase();

async function post(user: User, youngPersonId: string, fields: Record<string, string>) {
  const cookie = await signInCookie(db.app, user.email);
  const path = `/young-people/${youngPersonId}/edit`;
  return settle(() =>
    editPage.action({
      request: formRequest(path, fields, cookie),
      params: { youngPersonId },
      context: loadContext(db.app),
    }),
  );
}

const GOOD = {
  version: "1",
  givenName: "Jayden",
  familyName: "Clarke",
  knownAs: "JC",
  "dateOfBirth-day": "14",
  "dateOfBirth-month": "3",
  "dateOfBirth-year": "2010",
  gender: "male",
  postcodeDistrict: "nb3",
  school: "Northfield Academy",
  nhsNumber: "",
  uniquePupilNumber: "",
  policeReference: "",
  reason: "Family name was misspelt on the first referral.",
};

describe("correcting a young person's details", () => {
  it("keeps the details as they were, with the reason, and moves the version on", async () => {
    const world = await createReferralWorld(db.owner);
    const { youngPersonId } = await referralAt(db, world, "submitted");
    const result = await post(world.people.schoolPractitioner, youngPersonId, GOOD);
    expect(statusOf(result)).toBe(302);
    const person = await db.superuser
      .selectFrom("young_people")
      .selectAll()
      .where("id", "=", youngPersonId)
      .executeTakeFirstOrThrow();
    expect(person).toMatchObject({ family_name: "Clarke", postcode_district: "NB3", version: 2 });
    const revisions = await db.superuser
      .selectFrom("young_person_revisions")
      .selectAll()
      .where("young_person_id", "=", youngPersonId)
      .execute();
    expect(revisions).toHaveLength(1);
    expect(revisions[0]).toMatchObject({ version: 1, reason: GOOD.reason });
    expect(revisions[0]?.previous).not.toMatchObject({ family_name: "Clarke" });
  });

  it("shows every wrong answer again, one error for each, and changes nothing", async () => {
    const world = await createReferralWorld(db.owner);
    const { youngPersonId } = await referralAt(db, world, "submitted");
    const wrong = {
      version: "1",
      givenName: "",
      familyName: "x".repeat(101),
      knownAs: "",
      "dateOfBirth-day": "31",
      "dateOfBirth-month": "2",
      "dateOfBirth-year": "2011",
      gender: "",
      postcodeDistrict: "NOT A DISTRICT",
      school: "",
      nhsNumber: "12345",
      uniquePupilNumber: "nope",
      policeReference: "",
      reason: "",
    };
    const result = (await post(world.people.schoolPractitioner, youngPersonId, wrong)) as {
      data: { errors: { field: string }[]; answers: { familyName: string } };
      init: ResponseInit;
    };
    expect(statusOf(result)).toBe(400);
    expect(result.data.errors.map((error) => error.field)).toEqual([
      "givenName",
      "familyName",
      "dateOfBirth-day",
      "postcodeDistrict",
      "nhsNumber",
      "uniquePupilNumber",
      "reason",
    ]);
    expect(result.data.answers.familyName).toBe("x".repeat(101));
    const person = await db.superuser
      .selectFrom("young_people")
      .select("version")
      .where("id", "=", youngPersonId)
      .executeTakeFirstOrThrow();
    expect(person.version).toBe(1);
  });

  it("refuses a correction made on an older version as a conflict", async () => {
    const world = await createReferralWorld(db.owner);
    const { youngPersonId } = await referralAt(db, world, "submitted");
    expect(statusOf(await post(world.people.schoolPractitioner, youngPersonId, GOOD))).toBe(302);
    const stale = await post(world.people.lead, youngPersonId, { ...GOOD, familyName: "Clark" });
    expect(statusOf(stale)).toBe(409);
  });

  it("is a 404 for a practitioner whose agency is not involved", async () => {
    const world = await createReferralWorld(db.owner);
    const { youngPersonId } = await referralAt(db, world, "submitted");
    const result = await post(world.people.policePractitioner, youngPersonId, GOOD);
    expect(statusOf(result)).toBe(404);
  });
});
