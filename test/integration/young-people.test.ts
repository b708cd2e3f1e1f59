import { describe, expect, it } from "vitest";
import type { ServiceContext } from "../../app/services/context.server";
import {
  createYoungPerson,
  searchYoungPeople,
  type YoungPersonSearch,
} from "../../app/services/young-people.server";
import type { User } from "../../db/types";
import { useTestDatabase } from "../support/database";
import {
  contextFor,
  createReferralWorld,
  referralAt,
  youngPersonDetails,
  type ReferralWorld,
} from "../support/factories";

const db = useTestDatabase();
const as = (user: User) => contextFor(db.app, user);

/**
 * A world with Jayden Okafor (born 14 March 2010, NG7), referred by the school and accepted by the
 * advocacy agency, and Mohammed Hussain (born 2 November 2009, NG3), referred by the hospital and
 * still waiting for screening.
 */
async function knownPeople() {
  const world = await createReferralWorld(db.owner);
  const jayden = await referralAt(db, world, "active");
  const mohammed = await referralAt(db, world, "submitted", {
    referrer: world.people.healthPractitioner,
    youngPerson: {
      givenName: "Mohammed",
      familyName: "Hussain",
      dateOfBirth: "2009-11-02",
      postcodeDistrict: "NG3",
    },
  });
  return { world, jayden: jayden.youngPersonId, mohammed: mohammed.youngPersonId };
}

function lookFor(search: Partial<YoungPersonSearch>): YoungPersonSearch {
  return {
    givenName: "Jayden",
    familyName: "Okafor",
    dateOfBirth: null,
    postcodeDistrict: null,
    ...search,
  };
}

/** Search as this person, returning the candidates and the events the search recorded. */
async function search(ctx: ServiceContext, what: YoungPersonSearch) {
  const candidates = await searchYoungPeople(ctx, what);
  const events = await db.superuser
    .selectFrom("audit_events")
    .selectAll()
    .where("request_id", "=", ctx.requestId)
    .execute();
  return { candidates, events };
}

async function youngPeopleIn(world: ReferralWorld) {
  return db.superuser
    .selectFrom("young_people")
    .select(["id", "given_name"])
    .where("partnership_id", "=", world.partnership.id)
    .execute();
}

describe("the duplicate check", () => {
  it("signposts a misspelt match to an uninvolved agency: only who knows them, nothing about them", async () => {
    const { world, jayden } = await knownPeople();
    const police = as(world.people.policePractitioner);
    const { candidates, events } = await search(
      police,
      lookFor({ givenName: "Jaden", dateOfBirth: "2010-03-14" }),
    );

    expect(candidates).toEqual([
      { kind: "known", knownToAgencies: ["Northfield Academy", "Youth Advocates"] },
    ]);
    const shown = JSON.stringify(candidates);
    for (const detail of ["Jayden", "Okafor", "2010-03-14", "NG7", jayden]) {
      expect(shown).not.toContain(detail);
    }
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: "young_person.search",
      outcome: "allowed",
      actor_user_id: world.people.policePractitioner.id,
      details: {
        lookedFor: {
          givenName: "Jaden",
          familyName: "Okafor",
          dateOfBirth: "2010-03-14",
          postcodeDistrict: null,
        },
        shown: [],
        signposted: [jayden],
      },
    });
  });

  it("shows the match in full to someone whose agency is involved", async () => {
    const { world, jayden } = await knownPeople();
    const school = as(world.people.schoolPractitioner);
    const { candidates, events } = await search(
      school,
      lookFor({ givenName: "Jaden", dateOfBirth: "2010-03-14" }),
    );

    expect(candidates).toEqual([
      {
        kind: "visible",
        id: jayden,
        givenName: "Jayden",
        familyName: "Okafor",
        knownAs: null,
        dateOfBirth: "2010-03-14",
        postcodeDistrict: "NG7",
        school: "Northfield Academy",
        matchedOn: ["similar name", "same date of birth"],
      },
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]?.details).toMatchObject({ shown: [jayden], signposted: [] });
  });

  it("finds a person whose given and family names were entered the other way round", async () => {
    const { world, jayden } = await knownPeople();
    const { candidates, events } = await search(
      as(world.people.schoolPractitioner),
      lookFor({ givenName: "Okafor", familyName: "Jayden" }),
    );

    expect(candidates).toMatchObject([{ kind: "visible", id: jayden }]);
    expect(events).toHaveLength(1);
    expect(events[0]?.details).toMatchObject({
      lookedFor: { givenName: "Okafor", familyName: "Jayden" },
      shown: [jayden],
      signposted: [],
    });
  });

  it("finds a person by a nickname that starts their given name, with the same date of birth", async () => {
    const { world, mohammed } = await knownPeople();
    const { candidates, events } = await search(
      as(world.people.policePractitioner),
      lookFor({ givenName: "Mo", familyName: "Hussain", dateOfBirth: "2009-11-02" }),
    );

    expect(candidates).toEqual([
      { kind: "known", knownToAgencies: ["Queen's Medical Centre Youth Work"] },
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]?.details).toMatchObject({
      lookedFor: { givenName: "Mo", familyName: "Hussain", dateOfBirth: "2009-11-02" },
      shown: [],
      signposted: [mohammed],
    });
  });

  it("does not match an unrelated name with another date of birth, and records the search", async () => {
    const { world } = await knownPeople();
    const { candidates, events } = await search(
      as(world.people.policePractitioner),
      lookFor({
        givenName: "Priya",
        familyName: "Sharma",
        dateOfBirth: "2012-06-01",
        postcodeDistrict: "NG1",
      }),
    );

    expect(candidates).toEqual([]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      action: "young_person.search",
      details: {
        lookedFor: { givenName: "Priya", familyName: "Sharma" },
        shown: [],
        signposted: [],
      },
    });
  });

  it("shows a partnership lead every match in full", async () => {
    const { world, jayden } = await knownPeople();
    const { candidates } = await search(
      as(world.people.lead),
      lookFor({ givenName: "Jaden", dateOfBirth: "2010-03-14" }),
    );
    expect(candidates).toMatchObject([{ kind: "visible", id: jayden, givenName: "Jayden" }]);
  });
});

describe("recording a new young person", () => {
  it("returns the likely matches instead, and creates nothing, until told they are someone else", async () => {
    const { world } = await knownPeople();
    const police = as(world.people.policePractitioner);
    const before = await youngPeopleIn(world);

    const result = await createYoungPerson(police, youngPersonDetails({ givenName: "Jaden" }), {
      confirmedNotAMatch: false,
    });
    expect(result).toEqual({
      candidates: [{ kind: "known", knownToAgencies: ["Northfield Academy", "Youth Advocates"] }],
    });
    expect(await youngPeopleIn(world)).toHaveLength(before.length);
  });

  it("creates the young person once the person confirms the match is someone else", async () => {
    const { world } = await knownPeople();
    const police = as(world.people.policePractitioner);
    const before = await youngPeopleIn(world);

    const result = await createYoungPerson(police, youngPersonDetails({ givenName: "Jaden" }), {
      confirmedNotAMatch: true,
    });
    expect(result).toEqual({ created: expect.any(String) as string });
    const created = (result as { created: string }).created;
    expect(await youngPeopleIn(world)).toHaveLength(before.length + 1);
    const events = await db.superuser
      .selectFrom("audit_events")
      .selectAll()
      .where("record_id", "=", created)
      .execute();
    expect(events).toMatchObject([
      {
        action: "young_person.create",
        outcome: "allowed",
        young_person_id: created,
        details: { confirmedNotAMatch: true },
      },
    ]);
  });

  it("creates at once when nothing is likely to match", async () => {
    const { world } = await knownPeople();
    const result = await createYoungPerson(
      as(world.people.policePractitioner),
      youngPersonDetails({
        givenName: "Priya",
        familyName: "Sharma",
        dateOfBirth: "2012-06-01",
        postcodeDistrict: "NG1",
      }),
      { confirmedNotAMatch: false },
    );
    expect(result).toEqual({ created: expect.any(String) as string });
  });
});
