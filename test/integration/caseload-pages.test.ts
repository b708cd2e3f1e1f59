import type { LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import type { User } from "../../db/types";
import type { Role } from "../../policies";
import * as casesPage from "../../app/routes/cases._index";
import { loader as homeLoader } from "../../app/routes/home";
import * as youngPersonPage from "../../app/routes/young-people.$youngPersonId._index";
import { recordDecisionToShare } from "../../app/services/decisions-to-share.server";
import {
  acceptReferral,
  routeReferral,
  screenReferral,
} from "../../app/services/referral-steps.server";
import {
  recordYoungPersonForDraft,
  saveDraft,
  startReferral,
  submitReferral,
} from "../../app/services/referrals.server";
import { ageOn } from "../../app/services/young-person-record.server";
import { useTestDatabase } from "../support/database";
import {
  contextFor,
  createAgency,
  createOpenAgreement,
  createPartnership,
  createUser,
  shareDecision,
} from "../support/factories";
import { getRequest, loadContext, settle, statusOf } from "../support/remix";
import { signInCookie } from "../support/session";

const db = useTestDatabase();

type Loader = (args: LoaderFunctionArgs) => unknown;
type CasesPage = Awaited<ReturnType<typeof casesPage.loader>>;
type YoungPersonPage = Awaited<ReturnType<typeof youngPersonPage.loader>>;

/** A partnership with a hub, a referring school, a receiving advocacy service and the police. */
async function createCaseWorld() {
  const partnership = await createPartnership(db.owner);
  await createOpenAgreement(db.owner, partnership.id);
  const agency = (kind: "local_authority" | "school" | "advocacy" | "police", name: string) =>
    createAgency(db.owner, partnership.id, { kind, name: `${name} ${partnership.id.slice(0, 4)}` });
  const hub = await agency("local_authority", "Hub");
  const school = await agency("school", "Northfield Academy");
  const advocacy = await agency("advocacy", "Youth Advocates");
  const police = await agency("police", "City Police");
  const person = (home: typeof hub, role: Role) => createUser(db.owner, home, { role });
  return {
    partnership,
    agencies: { hub, school, advocacy, police },
    people: {
      lead: await person(hub, "partnership_lead"),
      administrator: await person(hub, "administrator"),
      schoolPractitioner: await person(school, "practitioner"),
      advocacyLead: await person(advocacy, "agency_lead"),
      advocacyPractitioner: await person(advocacy, "practitioner"),
      policePractitioner: await person(police, "practitioner"),
    },
  };
}

type CaseWorld = Awaited<ReturnType<typeof createCaseWorld>>;

async function versionOf(referralId: string): Promise<number> {
  const row = await db.superuser
    .selectFrom("referrals")
    .select("version")
    .where("id", "=", referralId)
    .executeTakeFirstOrThrow();
  return row.version;
}

/**
 * A referral from the school practitioner, through the services: submitted, screened amber by the
 * partnership lead, routed to the advocacy service and accepted for its practitioner.
 */
async function activeReferral(world: CaseWorld) {
  const { people, agencies } = world;
  const as = (user: User) => contextFor(db.app, user);
  const referrer = as(people.schoolPractitioner);
  const { id } = await startReferral(referrer);
  const recorded = await recordYoungPersonForDraft(
    referrer,
    id,
    {
      givenName: "Jayden",
      familyName: "Okafor",
      knownAs: "JJ",
      dateOfBirth: "2010-03-14",
      gender: "male",
      postcodeDistrict: "NG7",
      school: "Northfield Academy",
      nhsNumber: null,
      uniquePupilNumber: null,
      policeReference: null,
    },
    { confirmedNotAMatch: true },
  );
  if (!("created" in recorded)) throw new Error("the young person was not recorded");
  await saveDraft(referrer, id, {
    themes: ["early_intervention"],
    concernRoles: ["at_risk"],
    concern: "Seen getting into cars with older men after school.",
    riskIndicators: [{ code: "missing_episode", severity: "significant" }],
    youngPersonKnows: "He knows we are worried.",
    familyKnows: "His mother asked the school for help.",
    immediateDanger: "no",
    urgency: "routine",
    destination: "hub",
  });
  await recordDecisionToShare(referrer, id, shareDecision([agencies.advocacy.id]));
  await submitReferral(referrer, id, await versionOf(id));
  await screenReferral(as(people.lead), id, {
    version: await versionOf(id),
    rag: "amber",
    rationale: "Exploitation indicators; needs an advocate this week.",
  });
  await routeReferral(as(people.lead), id, {
    version: await versionOf(id),
    agencyIds: [agencies.advocacy.id],
  });
  await acceptReferral(as(people.advocacyLead), id, {
    version: await versionOf(id),
    allocatedUserId: people.advocacyPractitioner.id,
  });
  return { id, youngPersonId: recorded.created };
}

async function open(loader: Loader, path: string, user: User, params: Record<string, string> = {}) {
  const cookie = await signInCookie(db.app, user.email);
  return settle(() =>
    loader({ request: getRequest(path, cookie), params, context: loadContext(db.app) }),
  );
}

describe("the caseload page", () => {
  it.each([
    ["a practitioner", "schoolPractitioner", "mine", ["mine", "overdue", "referred"]],
    [
      "an agency lead",
      "advocacyLead",
      "acceptance",
      ["acceptance", "mine", "overdue", "agency", "referred"],
    ],
    [
      "a partnership lead",
      "lead",
      "screening",
      ["screening", "overdue", "agency", "all", "referred"],
    ],
  ] as const)(
    "opens %s's first caseload when none is asked for",
    async (_who, person, caseload, caseloads) => {
      const world = await createCaseWorld();
      const page = (await open(casesPage.loader, "/cases", world.people[person])) as CasesPage;
      expect(page.caseload).toBe(caseload);
      expect(page.caseloads).toEqual(caseloads);
    },
  );

  it("lists the case allocated to a practitioner in their own caseload, with its agencies", async () => {
    const world = await createCaseWorld();
    const referral = await activeReferral(world);

    const page = (await open(
      casesPage.loader,
      "/cases",
      world.people.advocacyPractitioner,
    )) as CasesPage;

    expect(page.list.total).toBe(1);
    expect(page.list.rows).toEqual([
      expect.objectContaining({
        id: referral.id,
        youngPersonName: "Jayden Okafor",
        state: "active",
        rag: "amber",
        referrerAgencyName: world.agencies.school.name,
        receivingAgencyNames: [world.agencies.advocacy.name],
      }),
    ]);
  });

  it("applies the filters in the query string, treating empty ones as not given", async () => {
    const world = await createCaseWorld();
    await activeReferral(world);
    const lead = world.people.lead;

    const amber = (await open(
      casesPage.loader,
      "/cases?caseload=all&state=&rag=amber&theme=early_intervention&sort=newest",
      lead,
    )) as CasesPage;
    const red = (await open(casesPage.loader, "/cases?caseload=all&rag=red", lead)) as CasesPage;

    expect(amber.list.total).toBe(1);
    expect(amber.query).toMatchObject({ rag: "amber", sort: "newest", page: 1 });
    expect(red.list.total).toBe(0);
  });

  it.each([
    "caseload=nope",
    "page=abc",
    "page=0",
    "agency=not-a-uuid",
    "state=draft",
    "rag=purple",
    "overdue=maybe",
    "sort=sideways",
  ])("answers a malformed query (%s) with 400", async (query) => {
    const world = await createCaseWorld();
    const result = await open(casesPage.loader, `/cases?${query}`, world.people.lead);
    expect(statusOf(result)).toBe(400);
  });

  it("refuses (403) a practitioner a caseload their role may not open", async () => {
    const world = await createCaseWorld();
    const result = await open(
      casesPage.loader,
      "/cases?caseload=all",
      world.people.schoolPractitioner,
    );
    expect(statusOf(result)).toBe(403);
  });

  it("refuses (403) an administrator, who may open no caseload", async () => {
    const world = await createCaseWorld();
    const result = await open(casesPage.loader, "/cases", world.people.administrator);
    expect(statusOf(result)).toBe(403);
  });
});

describe("the home page", () => {
  it("offers case roles their case work and administrators none", async () => {
    const world = await createCaseWorld();
    const practitioner = await open(homeLoader, "/home", world.people.schoolPractitioner);
    const administrator = await open(homeLoader, "/home", world.people.administrator);
    expect(practitioner).toMatchObject({
      caseLinks: [
        { href: "/referrals/new", label: "Make a referral" },
        { href: "/cases", label: "Your cases" },
        { href: "/cases?caseload=referred", label: "Referrals you made" },
      ],
    });
    expect(administrator).toMatchObject({ caseLinks: [] });
  });
});

describe("the young person page", () => {
  it("shows the referrer their details and the referral", async () => {
    const world = await createCaseWorld();
    const referral = await activeReferral(world);

    const page = (await open(
      youngPersonPage.loader,
      `/young-people/${referral.youngPersonId}`,
      world.people.schoolPractitioner,
      { youngPersonId: referral.youngPersonId },
    )) as YoungPersonPage;

    expect(page).toMatchObject({
      name: "Jayden Okafor",
      knownAs: "JJ",
      dateOfBirth: "2010-03-14",
      genderLabel: "Male",
      postcodeDistrict: "NG7",
    });
    expect(page.ageInYears).toBeGreaterThanOrEqual(15);
    expect(page.referrals).toEqual([
      expect.objectContaining({
        id: referral.id,
        stateLabel: "Active",
        rag: "amber",
        referrerAgencyName: world.agencies.school.name,
        outcome: null,
      }),
    ]);
  });

  it("is not found (404) by an uninvolved police practitioner, and the refusal is recorded", async () => {
    const world = await createCaseWorld();
    const { youngPersonId } = await activeReferral(world);
    const police = world.people.policePractitioner;

    const result = await open(youngPersonPage.loader, `/young-people/${youngPersonId}`, police, {
      youngPersonId,
    });

    expect(statusOf(result)).toBe(404);
    const events = await db.superuser
      .selectFrom("audit_events")
      .select(["action", "outcome", "record_id"])
      .where("actor_user_id", "=", police.id)
      .where("action", "=", "young_person.view")
      .execute();
    expect(events).toEqual([
      { action: "young_person.view", outcome: "refused", record_id: youngPersonId },
    ]);
  });

  it("is not found (404) at an address whose id is not a UUID", async () => {
    const world = await createCaseWorld();
    const result = await open(youngPersonPage.loader, "/young-people/42", world.people.lead, {
      youngPersonId: "42",
    });
    expect(statusOf(result)).toBe(404);
  });
});

describe("a young person's age", () => {
  it.each([
    ["2010-03-14", "2026-03-13", 15],
    ["2010-03-14", "2026-03-14", 16],
    ["2008-02-29", "2026-02-28", 17],
    ["2008-02-29", "2026-03-01", 18],
  ])("born %s is, on %s, %i", (born, today, age) => {
    expect(ageOn(born, today)).toBe(age);
  });
});
