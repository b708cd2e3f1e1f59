import { randomUUID } from "node:crypto";
import type { LoaderFunctionArgs } from "@remix-run/node";
import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import * as searchPage from "../../app/routes/audit._index";
import * as exportRoute from "../../app/routes/audit.export";
import * as reportsPage from "../../app/routes/audit.reports._index";
import * as reportExport from "../../app/routes/audit.reports.export";
import * as lookupPage from "../../app/routes/audit.young-people";
import {
  AccessLogQuerySchema,
  AccessReportQuerySchema,
} from "../../app/services/access-log-vocabulary";
import {
  COUNT_CAP,
  PAGE_SIZE,
  exportAccessLog,
  lookUpYoungPeople,
  searchAccessLog,
  searchEventsById,
} from "../../app/services/access-log.server";
import { accessReports } from "../../app/services/access-reports.server";
import { inActorTransaction } from "../../app/services/context.server";
import { loadDecisions } from "../../app/services/sharing-state.server";
import { addNote } from "../../app/services/case-work.server";
import { declineReferral } from "../../app/services/referral-steps.server";
import { openEmergencyAccess } from "../../app/services/emergency-access.server";
import { referralReference } from "../../app/services/referral-access.server";
import { getReferral } from "../../app/services/referrals.server";
import { getYoungPersonRecord } from "../../app/services/young-person-record.server";
import type { User } from "../../db/types";
import { asAttacker } from "../support/audit";
import { useTestDatabase } from "../support/database";
import {
  contextFor,
  createReferralWorld,
  createUser,
  referralAt,
  type ReferralWorld,
} from "../support/factories";
import { formRequest, getRequest, loadContext, settle, statusOf } from "../support/remix";
import { signInCookie } from "../support/session";

const db = useTestDatabase();

const NOTE_TEXT = "Met him at the youth club; he talked about a debt he owes to older boys.";

let world: ReferralWorld;
let auditor: User;
let cookie: string;
let referral: { id: string; youngPersonId: string };
let other: { id: string; youngPersonId: string };

const as = (user: User) => contextFor(db.app, user);
const query = (fields: Record<string, string>) => AccessLogQuerySchema.parse(fields);
const reportQuery = (fields: Record<string, string> = {}) => AccessReportQuerySchema.parse(fields);

/** Events about one young person, counted past row-level security, for checking the pages. */
async function eventsAbout(youngPersonId: string) {
  return db.superuser
    .selectFrom("audit_events")
    .select(["id", "action", "outcome", "actor_user_id"])
    .where("young_person_id", "=", youngPersonId)
    .orderBy("occurred_at", "desc")
    .orderBy("id", "desc")
    .execute();
}

/**
 * A view of a referral the access rules should make impossible, written straight into the log past
 * them (as a superuser, with the stamping trigger off, so that its time can be set too).
 */
async function plantView(view: {
  by: User;
  role: "practitioner" | "agency_lead";
  referral: { id: string; youngPersonId: string };
  requestId: string;
  at?: Date;
}): Promise<string> {
  const id = randomUUID();
  await asAttacker(db, async (trx) => {
    await trx
      .insertInto("audit_events")
      .values({
        id,
        partnership_id: world.partnership.id,
        ...(view.at ? { occurred_at: view.at } : {}),
        actor_user_id: view.by.id,
        actor_agency_id: view.by.agency_id,
        actor_role: view.role,
        action: "referral.view",
        outcome: "allowed",
        record_type: "referral",
        record_id: view.referral.id,
        young_person_id: view.referral.youngPersonId,
        request_id: view.requestId,
        client_address: "192.0.2.99",
        details: null,
      })
      .execute();
  });
  return id;
}

/** The events the involvement report lists, in id order. */
async function uninvolvedViews(): Promise<string[]> {
  const reports = await accessReports(as(auditor), reportQuery());
  return reports.reports.uninvolved.events.map((event) => event.id).sort();
}

async function call(
  route: { loader: (args: LoaderFunctionArgs) => unknown },
  path: string,
  who = cookie,
) {
  return settle(() =>
    route.loader({ request: getRequest(path, who), context: loadContext(db.app), params: {} }),
  );
}

beforeAll(async () => {
  world = await createReferralWorld(db.owner);
  auditor = await createUser(db.owner, world.agencies.hub, {
    role: "auditor",
    name: "Ola Auditor",
  });
  cookie = await signInCookie(db.app, auditor.email);
  referral = await referralAt(db, world, "active", {
    youngPerson: { givenName: "Kofi", familyName: "Pryce", postcodeDistrict: "NG7" },
  });
  other = await referralAt(db, world, "active", {
    youngPerson: { givenName: "Lily", familyName: "Marsh", postcodeDistrict: "NG9" },
  });
  const { people } = world;
  // The case is worked: the advocate reads it and writes a note, the lead reads the young person.
  await getReferral(as(people.advocacyPractitioner), referral.id);
  await addNote(as(people.advocacyPractitioner), referral.id, {
    kind: "contact_in_person",
    body: NOTE_TEXT,
    visibility: "shared",
    occurredOn: new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(new Date()),
  });
  await getYoungPersonRecord(as(people.lead), referral.youngPersonId);
  // The police practitioner is refused, then opens it under emergency access and reads it.
  await settle(() => getReferral(as(people.policePractitioner), referral.id));
  await openEmergencyAccess(as(people.policePractitioner), referral.youngPersonId, {
    reason: "missing_child",
    detail: "Reported missing overnight.",
  });
  await getReferral(as(people.policePractitioner), referral.id);
  await getYoungPersonRecord(as(people.policePractitioner), referral.youngPersonId);
  await getReferral(as(people.advocacyPractitioner), other.id);
});

describe("the auditor's search of the access log", () => {
  it("finds every event about one young person, the same as a direct count", async () => {
    const expected = await eventsAbout(referral.youngPersonId);
    expect(expected.length).toBeGreaterThan(8);
    const page = await searchAccessLog(as(auditor), query({ youngPerson: referral.youngPersonId }));
    expect(page.events.map((event) => event.id)).toEqual(expected.map((event) => event.id));
    expect(page.total).toEqual({ count: expected.length, capped: false });
    expect(page.subjects.youngPerson?.name).toBe("Kofi Pryce");
    // Each event names who, what and the young person; refusals and emergency access show.
    const actions = page.events.map((event) => `${event.action}:${event.outcome}`);
    expect(actions).toContain("referral.view:refused");
    expect(actions).toContain("emergency_access.open:allowed");
    const emergencyViews = page.events.filter(
      (event) => event.emergencyAccessId && event.action === "referral.view",
    );
    expect(emergencyViews).toHaveLength(1);
    expect(emergencyViews[0]?.actor?.id).toBe(world.people.policePractitioner.id);
    expect(page.events.every((event) => event.youngPerson?.name === "Kofi Pryce")).toBe(true);
    const allowedView = page.events.find(
      (event) => event.action === "referral.view" && event.outcome === "allowed",
    );
    expect(allowedView?.basis).toMatch(/^Allowed: /);
  });

  it("records each search, with its filters and how many events it showed", async () => {
    await searchAccessLog(as(auditor), query({ youngPerson: other.youngPersonId }));
    const searches = await db.superuser
      .selectFrom("audit_events")
      .selectAll()
      .where("actor_user_id", "=", auditor.id)
      .where("action", "=", "audit.read")
      .where(sql<boolean>`details->>'view' = 'search'`)
      .where("young_person_id", "=", other.youngPersonId)
      .execute();
    expect(searches).toHaveLength(1);
    expect(searches[0]?.details).toMatchObject({
      filters: { youngPerson: other.youngPersonId },
      shown: expect.any(Number) as number,
    });
  });

  it("filters by person, agency, action, outcome, emergency access, record and date", async () => {
    const { people, agencies } = world;
    const byPolice = await searchAccessLog(
      as(auditor),
      query({ user: people.policePractitioner.id }),
    );
    expect(byPolice.events.length).toBeGreaterThan(0);
    expect(byPolice.events.every((event) => event.actor?.id === people.policePractitioner.id)).toBe(
      true,
    );
    const byAgency = await searchAccessLog(as(auditor), query({ agency: agencies.advocacy.id }));
    expect(byAgency.events.every((event) => event.agency?.id === agencies.advocacy.id)).toBe(true);
    const refused = await searchAccessLog(as(auditor), query({ outcome: "refused" }));
    expect(refused.events.length).toBeGreaterThan(0);
    expect(refused.events.every((event) => event.outcome === "refused")).toBe(true);
    const emergency = await searchAccessLog(as(auditor), query({ emergency: "yes" }));
    expect(emergency.events.map((event) => event.action).sort()).toEqual([
      "emergency_access.open",
      "referral.view",
      "young_person.view",
    ]);
    const byReference = await searchAccessLog(
      as(auditor),
      query({ record: referralReference(other.id), action: "referral.view" }),
    );
    expect(byReference.events.length).toBeGreaterThan(0);
    expect(byReference.events.every((event) => event.record?.id === other.id)).toBe(true);
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(
      new Date(),
    );
    const todays = await searchAccessLog(as(auditor), query({ from: today, to: today }));
    expect(todays.events.length).toBeGreaterThan(0);
    const yesterday = await searchAccessLog(as(auditor), query({ to: "2026-01-01" }));
    expect(yesterday.events).toHaveLength(0);
  });

  it("pages through a long log newest first without losing or repeating an event", async () => {
    // Enough views to need a second page.
    for (let view = 0; view < PAGE_SIZE; view += 1) {
      await getReferral(as(world.people.advocacyPractitioner), other.id);
    }
    const filters = { user: world.people.advocacyPractitioner.id };
    const first = await searchAccessLog(as(auditor), query(filters));
    expect(first.events).toHaveLength(PAGE_SIZE);
    expect(first.next).not.toBeNull();
    const second = await searchAccessLog(
      as(auditor),
      query({ ...filters, after: first.next ?? "" }),
    );
    const ids = [...first.events, ...second.events].map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(first.total.count);
    expect(second.next).toBeNull();
  });

  it("counts a broad search only up to a cap, and says there are more than that", async () => {
    const busy = await createUser(db.owner, world.agencies.advocacy, { role: "practitioner" });
    await asAttacker(db, async (trx) => {
      await trx
        .insertInto("audit_events")
        .values(
          Array.from({ length: COUNT_CAP + 5 }, () => ({
            partnership_id: world.partnership.id,
            actor_user_id: busy.id,
            actor_agency_id: busy.agency_id,
            actor_role: "practitioner" as const,
            action: "referral.view",
            outcome: "allowed" as const,
            record_type: "referral",
            record_id: other.id,
            young_person_id: other.youngPersonId,
            request_id: randomUUID(),
            client_address: "192.0.2.99",
            details: null,
          })),
        )
        .execute();
    });
    const page = await searchAccessLog(as(auditor), query({ user: busy.id }));
    expect(page.total).toEqual({ count: COUNT_CAP, capped: true });
  });

  it("never shows a case narrative, on a page or in an export", async () => {
    const page = await searchAccessLog(as(auditor), query({ youngPerson: referral.youngPersonId }));
    expect(JSON.stringify(page)).not.toContain("youth club");
    const exported = await exportAccessLog(
      as(auditor),
      query({ youngPerson: referral.youngPersonId }),
    );
    expect(JSON.stringify(exported)).not.toContain("youth club");
  });

  it("is refused to everyone but auditors, and the refusal is recorded", async () => {
    const lead = await signInCookie(db.app, world.people.lead.email);
    expect(statusOf(await call(searchPage, "/audit", lead))).toBe(403);
    expect(statusOf(await call(exportRoute, "/audit/export", lead))).toBe(403);
    const refusals = await db.superuser
      .selectFrom("audit_events")
      .select(["action", "outcome"])
      .where("actor_user_id", "=", world.people.lead.id)
      .where("action", "in", ["audit.read", "audit.export"])
      .execute();
    expect(refusals).toEqual(
      expect.arrayContaining([
        { action: "audit.read", outcome: "refused" },
        { action: "audit.export", outcome: "refused" },
      ]),
    );
  });
});

describe("the access log's pages", () => {
  it("show a young person's history and refuse a malformed search with a message, not a 500", async () => {
    const page = (await call(searchPage, `/audit?youngPerson=${referral.youngPersonId}`)) as {
      result: { events: unknown[]; subjects: { youngPerson: { name: string } } };
    };
    expect(page.result.subjects.youngPerson.name).toBe("Kofi Pryce");
    const badDate = await call(searchPage, "/audit?from=2026-13-45");
    expect(statusOf(badDate)).toBe(400);
    const badReference = await call(searchPage, "/audit?record=CW-ZZZZ");
    expect(statusOf(badReference)).toBe(400);
    expect(JSON.stringify(badReference)).toContain("Enter a referral reference like CW-1A2B-3C4D");
    const backwards = await call(searchPage, "/audit?from=2026-11-02&to=2026-11-01");
    expect(JSON.stringify(backwards)).toContain("The end date must be the same as or after");
    expect(statusOf(await call(searchPage, "/audit?after=garbage"))).toBe(400);
    expect(statusOf(await call(searchPage, `/audit?youngPerson=${randomUUID()}`))).toBe(404);
  });

  it("exports a search as CSV, and records the export with its row count", async () => {
    const response = (await call(
      exportRoute,
      `/audit/export?youngPerson=${referral.youngPersonId}`,
    )) as Response;
    expect(response.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    const lines = (await response.text()).trim().split("\r\n");
    expect(lines[0]).toMatch(/^occurred_at_utc,event_id,chain_seq,actor,/);
    const exported = await db.superuser
      .selectFrom("audit_events")
      .select(["details", "young_person_id"])
      .where("actor_user_id", "=", auditor.id)
      .where("action", "=", "audit.export")
      .orderBy("occurred_at", "desc")
      .executeTakeFirstOrThrow();
    expect(exported.details).toMatchObject({ rows: lines.length - 1 });
    expect(exported.young_person_id).toBe(referral.youngPersonId);
    // Everything about the young person up to the export's own transaction is in the file.
    const before = (await eventsAbout(referral.youngPersonId)).filter(
      (event) => event.action !== "audit.export",
    );
    expect(lines.length - 1).toBeGreaterThanOrEqual(before.length - 1);
  });

  it("looks a young person up by name in the form body, and records the lookup", async () => {
    const result = await settle(() =>
      lookupPage.action({
        request: formRequest("/audit/young-people", { name: "pryce" }, cookie),
        context: loadContext(db.app),
        params: {},
      }),
    );
    expect(result).toMatchObject({ matches: [{ id: referral.youngPersonId, name: "Kofi Pryce" }] });
    const empty = await settle(() =>
      lookupPage.action({
        request: formRequest("/audit/young-people", { name: " " }, cookie),
        context: loadContext(db.app),
        params: {},
      }),
    );
    expect(statusOf(empty)).toBe(400);
    const lookups = await lookUpYoungPeople(as(auditor), "Kofi Price");
    expect(lookups.map((match) => match.id)).toContain(referral.youngPersonId);
    const recorded = await db.superuser
      .selectFrom("audit_events")
      .select("details")
      .where("actor_user_id", "=", auditor.id)
      .where(sql<boolean>`details->>'view' = 'young_person_lookup'`)
      .execute();
    expect(recorded.map((event) => event.details?.lookedFor)).toEqual(
      expect.arrayContaining(["pryce", "Kofi Price"]),
    );
  });
});

describe("the inappropriate-access reports", () => {
  it("list the unreviewed emergency access with every event made under it", async () => {
    const reports = await accessReports(as(auditor), reportQuery());
    expect(reports.emergencyUnreviewed).toHaveLength(1);
    const [access] = reports.emergencyUnreviewed;
    expect(access?.userId).toBe(world.people.policePractitioner.id);
    expect(access?.youngPersonName).toBe("Kofi Pryce");
    expect(access?.events.map((event) => event.action).sort()).toEqual([
      "emergency_access.open",
      "referral.view",
      "young_person.view",
    ]);
  });

  it("report a view by an agency that is not involved and had no emergency access", async () => {
    expect(await uninvolvedViews()).toEqual([]);
    const id = await plantView({
      by: world.people.healthPractitioner,
      role: "practitioner",
      referral: other,
      requestId: "uninvolved-view",
    });
    expect(await uninvolvedViews()).toEqual([id]);
  });

  it("judge involvement as it was at the time: a view before the referral was routed to the agency is reported", async () => {
    const routed = await db.superuser
      .selectFrom("referral_transitions")
      .select("occurred_at")
      .where("referral_id", "=", other.id)
      .where("transition", "=", "route")
      .executeTakeFirstOrThrow();
    const before = await uninvolvedViews();
    const id = await plantView({
      by: world.people.advocacyPractitioner,
      role: "practitioner",
      referral: other,
      requestId: "view-before-routing",
      at: new Date(new Date(routed.occurred_at).getTime() - 60_000),
    });
    // The advocate's own view of the same referral after it was routed is not reported.
    expect(await uninvolvedViews()).toEqual([id, ...before].sort());
  });

  it("report one person opening more young people in a day than the threshold", async () => {
    const atThreshold = await accessReports(as(auditor), reportQuery({ threshold: "2" }));
    expect(atThreshold.volume).toEqual([]);
    const under = await accessReports(as(auditor), reportQuery({ threshold: "1" }));
    const advocate = under.volume.find(
      (found) => found.userId === world.people.advocacyPractitioner.id,
    );
    expect(advocate?.youngPeople).toBe(2);
  });

  it("report case access outside the working hours the auditor sets", async () => {
    const now = new Date();
    const hour = Number(
      new Intl.DateTimeFormat("en-GB", {
        timeZone: "Europe/London",
        hour: "2-digit",
        hourCycle: "h23",
      }).format(now),
    );
    const weekend = ["Sat", "Sun"].includes(
      new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/London", weekday: "short" }).format(now),
    );
    const pad = (value: number) => String(value).padStart(2, "0");
    // Hours that exclude the present, then hours that include it.
    const outside =
      hour < 22
        ? { dayStarts: `${pad(hour + 1)}:00`, dayEnds: "23:00" }
        : { dayStarts: "01:00", dayEnds: `${pad(hour - 1)}:00` };
    const inside = { dayStarts: hour > 0 ? `${pad(hour - 1)}:00` : "00:00", dayEnds: "23:59" };
    const out = await accessReports(as(auditor), reportQuery(outside));
    expect(out.reports.out_of_hours.count).toBeGreaterThan(5);
    const within = await accessReports(as(auditor), reportQuery(inside));
    expect(within.reports.out_of_hours.count).toBe(weekend ? out.reports.out_of_hours.count : 0);
  });

  it("report access after deactivation and after consent was withdrawn", async () => {
    const { people } = world;
    // The advocate's account shows as deactivated an hour ago (their events today come after).
    await db.superuser
      .updateTable("users")
      .set({ deactivated_at: new Date(Date.now() - 3_600_000) })
      .where("id", "=", people.advocacyLead.id)
      .execute();
    const decision = await db.superuser
      .selectFrom("decisions_to_share")
      .select(["id", "decided_at"])
      .where("referral_id", "=", referral.id)
      .executeTakeFirstOrThrow();
    await db.superuser
      .insertInto("consent_withdrawals")
      .values({
        partnership_id: world.partnership.id,
        decision_id: decision.id,
        withdrawn_by: "young_person",
        withdrawn_at: new Date(),
        recorded_by: people.schoolPractitioner.id,
        note: null,
      })
      .execute();
    await getReferral(as(people.advocacyPractitioner), referral.id);
    const reports = await accessReports(as(auditor), reportQuery());
    expect(
      reports.reports.after_deactivation.events.every(
        (event) => event.actor?.id === people.advocacyLead.id,
      ),
    ).toBe(true);
    expect(reports.reports.after_deactivation.count).toBeGreaterThan(0);
    const afterWithdrawal = reports.reports.after_withdrawal.events;
    expect(afterWithdrawal.length).toBeGreaterThan(0);
    expect(
      afterWithdrawal.every(
        (event) =>
          event.agency?.id === world.agencies.advocacy.id &&
          event.youngPerson?.id === referral.youngPersonId,
      ),
    ).toBe(true);
  });

  it("report a viewer who shares the young person's surname, and whether their district matches", async () => {
    const cousin = await createUser(db.owner, world.agencies.advocacy, {
      role: "practitioner",
      name: "Dee Pryce",
    });
    await db.superuser
      .updateTable("users")
      .set({ home_postcode_district: "NG7" })
      .where("id", "=", cousin.id)
      .execute();
    await db.superuser
      .updateTable("referral_agencies")
      .set({ allocated_user_id: cousin.id })
      .where("referral_id", "=", other.id)
      .where("agency_id", "=", world.agencies.advocacy.id)
      .execute();
    const before = await accessReports(as(auditor), reportQuery());
    expect(before.reports.same_surname.count).toBe(0);
    await getYoungPersonRecord(as(cousin), referral.youngPersonId).catch(() => undefined);
    await getReferral(as(cousin), other.id);
    const after = await accessReports(as(auditor), reportQuery());
    const found = after.reports.same_surname.events;
    expect(found.map((event) => event.youngPerson?.name)).toEqual(found.map(() => "Kofi Pryce"));
    expect(found.length).toBeGreaterThan(0);
    expect(Object.values(after.reports.same_surname.notes ?? {})).toContain(
      "Same surname and postcode district (NG7)",
    );
  });

  it("find a shared surname in hyphenated and multi-word surnames, and not in a near miss or a particle", async () => {
    const viewer = async (name: string) =>
      createUser(db.owner, world.agencies.advocacy, { role: "practitioner", name });
    const about = async (givenName: string, familyName: string) =>
      referralAt(db, world, "submitted", {
        youngPerson: { givenName, familyName, postcodeDistrict: "NG5" },
      });
    const hyphenated = await about("Tayo", "Okafor-Reid");
    const multiWord = await about("Luis", "da Silva");
    const nearMiss = await about("Ella", "Reed");
    const shared = [
      await plantView({
        by: await viewer("Sam Reid"),
        role: "practitioner",
        referral: hyphenated,
        requestId: "surname-hyphenated",
      }),
      await plantView({
        by: await viewer("Maria da Silva"),
        role: "practitioner",
        referral: multiWord,
        requestId: "surname-multi-word",
      }),
      await plantView({
        by: await viewer("Chris Reed-Okafor"),
        role: "practitioner",
        referral: hyphenated,
        requestId: "surname-both-hyphenated",
      }),
      await plantView({
        by: await viewer("Jo Silva-Ng"),
        role: "practitioner",
        referral: await about("Amir", "Ng"),
        requestId: "surname-short",
      }),
    ];
    const notShared = [
      await plantView({
        by: await viewer("Sam Reid"),
        role: "practitioner",
        referral: nearMiss,
        requestId: "surname-near-miss",
      }),
      await plantView({
        by: await viewer("Ana Da-Costa"),
        role: "practitioner",
        referral: multiWord,
        requestId: "surname-particle-only",
      }),
    ];
    const found = (await accessReports(as(auditor), reportQuery())).reports.same_surname.events.map(
      (event) => event.id,
    );
    expect(found).toEqual(expect.arrayContaining(shared));
    expect(found.filter((id) => notShared.includes(id))).toEqual([]);
  });

  it("are a page with a CSV of each report's events, and bad settings get a message", async () => {
    const page = (await call(reportsPage, "/audit/reports")) as { result: { period: object } };
    expect(page.result.period).toBeDefined();
    const bad = await call(reportsPage, "/audit/reports?threshold=lots&dayEnds=07:00");
    expect(statusOf(bad)).toBe(400);
    expect(JSON.stringify(bad)).toContain("Enter the threshold as a whole number");
    const csv = (await call(
      reportExport,
      "/audit/reports/export?report=emergency_unreviewed",
    )) as Response;
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toMatch(/^finding,occurred_at_utc,/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain("Emergency access by");
    expect(statusOf(await call(reportExport, "/audit/reports/export?report=nonsense"))).toBe(400);
  });

  it("judge involvement as it was at the time: a view after the agency declined the referral is reported", async () => {
    const declined = await referralAt(db, world, "allocated", {
      youngPerson: { givenName: "Ruby", familyName: "Stone", postcodeDistrict: "NG3" },
    });
    const { version } = await db.superuser
      .selectFrom("referrals")
      .select("version")
      .where("id", "=", declined.id)
      .executeTakeFirstOrThrow();
    await declineReferral(as(world.people.advocacyLead), declined.id, {
      version,
      reason: "Another service already supports her.",
    });
    const before = await uninvolvedViews();
    const id = await plantView({
      by: world.people.advocacyLead,
      role: "agency_lead",
      referral: declined,
      requestId: "view-after-declining",
    });
    expect(await uninvolvedViews()).toEqual([id, ...before].sort());
  });
});

describe("looking records up by id", () => {
  // PostgreSQL takes at most 65,535 parameters in one statement: a list of ids must travel as one.
  const manyIds = (count: number) => Array.from({ length: count }, () => randomUUID());

  it("finds events among 70,000 ids at once, for a report's export", async () => {
    const [event] = await eventsAbout(referral.youngPersonId);
    if (!event) throw new Error("the young person has no events");
    const found = await inActorTransaction(as(auditor), (trx) =>
      searchEventsById(trx, as(auditor), [...manyIds(70_000), event.id]),
    );
    expect(found.map((row) => row.id)).toEqual([event.id]);
  });

  it("finds decisions to share among 70,000 referral ids at once, for an identifiable export", async () => {
    const one = await inActorTransaction(as(world.people.lead), (trx) =>
      loadDecisions(trx, [referral.id]),
    );
    expect(one.get(referral.id)?.length).toBeGreaterThan(0);
    const many = await inActorTransaction(as(world.people.lead), (trx) =>
      loadDecisions(trx, [...manyIds(70_000), referral.id]),
    );
    expect([...many.keys()]).toEqual([referral.id]);
    expect(many.get(referral.id)).toEqual(one.get(referral.id));
  });
});
