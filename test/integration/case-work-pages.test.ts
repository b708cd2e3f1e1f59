import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import * as updateActionPage from "../../app/routes/referrals.$referralId.actions.$actionId";
import * as newActionPage from "../../app/routes/referrals.$referralId.actions.new";
import * as correctNotePage from "../../app/routes/referrals.$referralId.notes.$noteId.correct";
import * as newNotePage from "../../app/routes/referrals.$referralId.notes.new";
import { addAction, addNote } from "../../app/services/case-work.server";
import { getReferral } from "../../app/services/referrals.server";
import { dateAnswerOf } from "../../app/ui/date-input";
import { todayInLondon } from "../../app/ui/dates";
import { useTestDatabase } from "../support/database";
import { contextFor, createReferralWorld, createUser, referralAt } from "../support/factories";
import { formRequest, getRequest, loadContext, settle, statusOf } from "../support/remix";
import { signInCookie } from "../support/session";

const db = useTestDatabase();

type Params = Record<string, string>;
type Loader = (args: LoaderFunctionArgs) => unknown;
type Action = (args: ActionFunctionArgs) => unknown;

function load(loader: Loader, cookie: string, params: Params) {
  return settle(() =>
    loader({ request: getRequest("/x", cookie), params, context: loadContext(db.app) }),
  );
}

function submit(action: Action, fields: Record<string, string>, cookie: string, params: Params) {
  return settle(() =>
    action({ request: formRequest("/x", fields, cookie), params, context: loadContext(db.app) }),
  );
}

/** The body of a `data()` reply, or the plain object a loader returned. */
function bodyOf<T>(result: unknown): T {
  const reply = result as { type?: string; data?: T };
  return (reply?.type === "DataWithResponseInit" ? reply.data : result) as T;
}

function locationOf(result: unknown): string | null {
  return result instanceof Response ? result.headers.get("Location") : null;
}

/** An ISO date `days` after today in London. */
function daysFromToday(days: number): string {
  const date = new Date(`${todayInLondon()}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** A date as a person types it into a date input's three fields. */
function dateFields(id: string, isoDate: string): Record<string, string> {
  const { day, month, year } = dateAnswerOf(isoDate);
  return { [`${id}-day`]: day, [`${id}-month`]: month, [`${id}-year`]: year };
}

/**
 * A referral in case work (the shared factory's): made by the school's practitioner, routed to the
 * advocacy agency and allocated to its practitioner. The police practitioner is not involved; the
 * school practitioner's colleague is, but did not write anything.
 */
async function caseInWork() {
  const world = await createReferralWorld(db.owner);
  const { agencies, people } = world;
  const { id } = await referralAt(db, world, "active");
  const colleague = await createUser(db.owner, agencies.school);
  const cookie = (user: { email: string }) => signInCookie(db.app, user.email);
  return {
    referralId: id,
    agencies: {
      referring: agencies.school,
      receiving: agencies.advocacy,
      elsewhere: agencies.police,
    },
    asReferrer: contextFor(db.app, people.schoolPractitioner),
    referrerCookie: await cookie(people.schoolPractitioner),
    colleagueCookie: await cookie(colleague),
    keyWorkerCookie: await cookie(people.advocacyPractitioner),
    outsiderCookie: await cookie(people.policePractitioner),
  };
}

const GOOD_NOTE = {
  kind: "contact_phone",
  body: "Spoke to Jayden's mother. He came home last night and is at school today.",
  visibility: "shared",
};

interface FormReply<A> {
  answers: A;
  errors: { field: string; message: string }[];
  dateParts: string[];
}

describe("adding a note", () => {
  it("offers the form dated today, headed with the referral's reference and young person", async () => {
    const { referralId, keyWorkerCookie } = await caseInWork();

    const page = bodyOf<Awaited<ReturnType<typeof newNotePage.loader>>>(
      await load(newNotePage.loader, keyWorkerCookie, { referralId }),
    );

    expect(page).toMatchObject({
      referralId,
      youngPersonName: "Jayden Okafor",
      today: todayInLondon(),
    });
    expect(page.reference).toMatch(/^CW-[0-9A-F]{4}-[0-9A-F]{4}$/);
  });

  it("adds a note and goes back to the case, which then shows it", async () => {
    const { referralId, asReferrer, keyWorkerCookie } = await caseInWork();
    const occurredOn = daysFromToday(-2);

    const reply = await submit(
      newNotePage.action,
      { ...GOOD_NOTE, ...dateFields("occurredOn", occurredOn) },
      keyWorkerCookie,
      { referralId },
    );

    expect(locationOf(reply)).toBe(`/referrals/${referralId}?done=note-added#case-work`);
    const { notes } = await getReferral(asReferrer, referralId);
    expect(notes).toEqual([
      expect.objectContaining({ ...GOOD_NOTE, occurredOn, version: 1, earlierVersions: [] }),
    ]);
  });

  it("shows every answer again, with one error for each wrong field in the form's order", async () => {
    const { referralId, asReferrer, keyWorkerCookie } = await caseInWork();
    const tomorrow = daysFromToday(1);
    const wrong = {
      kind: "gossip",
      ...dateFields("occurredOn", tomorrow),
      body: "   ",
      visibility: "everyone",
    };

    const reply = await submit(newNotePage.action, wrong, keyWorkerCookie, { referralId });

    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<FormReply<unknown>>(reply)).toEqual({
      answers: {
        kind: "gossip",
        occurredOn: dateAnswerOf(tomorrow),
        body: "   ",
        visibility: "everyone",
      },
      errors: [
        { field: "kind", message: "Select what kind of note this is" },
        { field: "occurredOn-day", message: "The date must be today or in the past" },
        { field: "body", message: "Enter what happened" },
        { field: "visibility", message: "Select who can read this note" },
      ],
      dateParts: ["day", "month", "year"],
    });
    expect((await getReferral(asReferrer, referralId)).notes).toEqual([]);
  });

  it.each([
    [
      { day: "31", month: "2", year: "2026" },
      "The date it happened must be a real date",
      ["day", "month", "year"],
    ],
    [{ day: "", month: "", year: "" }, "Enter the date it happened", ["day", "month", "year"]],
    [{ day: "3", month: "", year: "2026" }, "The date it happened must include a month", ["month"]],
  ])("refuses the date %o: %s", async (date, message, parts) => {
    const { referralId, keyWorkerCookie } = await caseInWork();

    const reply = await submit(
      newNotePage.action,
      {
        ...GOOD_NOTE,
        "occurredOn-day": date.day,
        "occurredOn-month": date.month,
        "occurredOn-year": date.year,
      },
      keyWorkerCookie,
      { referralId },
    );

    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<FormReply<unknown>>(reply)).toMatchObject({
      errors: [{ field: `occurredOn-${parts[0]}`, message }],
      dateParts: parts,
    });
  });

  it("refuses a body that is not a form (400)", async () => {
    const { referralId, keyWorkerCookie } = await caseInWork();
    const request = new Request("http://crosswalk.test/x", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Sec-Fetch-Site": "same-origin",
        Cookie: keyWorkerCookie,
      },
      body: JSON.stringify(GOOD_NOTE),
    });

    const reply = await settle(() =>
      newNotePage.action({ request, params: { referralId }, context: loadContext(db.app) }),
    );

    expect(statusOf(reply)).toBe(400);
  });
});

describe("a practitioner whose agency is not involved", () => {
  it("finds every case-work page of the referral not found (404), and changes nothing", async () => {
    const { referralId, asReferrer, agencies, outsiderCookie } = await caseInWork();
    const note = await addNote(asReferrer, referralId, {
      ...GOOD_NOTE,
      kind: "case_note",
      visibility: "shared",
      occurredOn: todayInLondon(),
    });
    const caseAction = await addAction(asReferrer, referralId, {
      description: "Arrange a return home interview",
      assignedAgencyId: agencies.referring.id,
      dueOn: daysFromToday(7),
    });
    const noteParams = { referralId, noteId: note.id };
    const actionParams = { referralId, actionId: caseAction.id };
    const noteFields = { ...GOOD_NOTE, ...dateFields("occurredOn", todayInLondon()) };

    const attempts = [
      load(newNotePage.loader, outsiderCookie, { referralId }),
      submit(newNotePage.action, noteFields, outsiderCookie, { referralId }),
      load(correctNotePage.loader, outsiderCookie, noteParams),
      submit(
        correctNotePage.action,
        { ...noteFields, reason: "Typo", version: "1" },
        outsiderCookie,
        noteParams,
      ),
      load(newActionPage.loader, outsiderCookie, { referralId }),
      submit(
        newActionPage.action,
        {
          description: "Visit",
          assignedAgencyId: agencies.elsewhere.id,
          ...dateFields("dueOn", daysFromToday(3)),
        },
        outsiderCookie,
        { referralId },
      ),
      load(updateActionPage.loader, outsiderCookie, actionParams),
      submit(
        updateActionPage.action,
        { status: "cancelled", version: "1" },
        outsiderCookie,
        actionParams,
      ),
    ];

    expect((await Promise.all(attempts)).map(statusOf)).toEqual(attempts.map(() => 404));
    const { notes, actions } = await getReferral(asReferrer, referralId);
    expect(notes.map((shown) => shown.version)).toEqual([1]);
    expect(actions.map((shown) => shown.status)).toEqual(["open"]);
  });
});

describe("correcting a note", () => {
  async function caseWithNote() {
    const world = await caseInWork();
    const occurredOn = daysFromToday(-1);
    const note = await addNote(world.asReferrer, world.referralId, {
      kind: "contact_in_person",
      visibility: "shared",
      occurredOn,
      body: "Met Jayden at schol with his head of year.",
    });
    return { ...world, noteId: note.id, occurredOn };
  }

  it("offers the note as it is now, to its writer", async () => {
    const { referralId, noteId, occurredOn, referrerCookie } = await caseWithNote();

    const page = bodyOf<Awaited<ReturnType<typeof correctNotePage.loader>>>(
      await load(correctNotePage.loader, referrerCookie, { referralId, noteId }),
    );

    expect(page.note).toEqual({
      kind: "contact_in_person",
      visibility: "shared",
      occurredOn,
      body: "Met Jayden at schol with his head of year.",
      version: 1,
    });
  });

  it("keeps the earlier version, with the reason, beside the corrected note", async () => {
    const { referralId, noteId, occurredOn, asReferrer, referrerCookie } = await caseWithNote();

    const reply = await submit(
      correctNotePage.action,
      {
        kind: "contact_in_person",
        ...dateFields("occurredOn", occurredOn),
        body: "Met Jayden at school with his head of year.",
        visibility: "shared",
        reason: "Spelling mistake",
        version: "1",
      },
      referrerCookie,
      { referralId, noteId },
    );

    expect(locationOf(reply)).toBe(`/referrals/${referralId}?done=note-corrected#case-work`);
    const [note] = (await getReferral(asReferrer, referralId)).notes;
    expect(note).toMatchObject({
      body: "Met Jayden at school with his head of year.",
      version: 2,
      earlierVersions: [
        {
          version: 1,
          body: "Met Jayden at schol with his head of year.",
          reason: "Spelling mistake",
        },
      ],
    });
  });

  it("asks why the note is being corrected, keeping the corrected answers", async () => {
    const { referralId, noteId, occurredOn, referrerCookie } = await caseWithNote();
    const fields = {
      kind: "contact_in_person",
      ...dateFields("occurredOn", occurredOn),
      body: "Corrected words",
      visibility: "agency_only",
      reason: "",
      version: "1",
    };

    const reply = await submit(correctNotePage.action, fields, referrerCookie, {
      referralId,
      noteId,
    });

    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<FormReply<{ body: string; visibility: string }>>(reply)).toMatchObject({
      answers: { body: "Corrected words", visibility: "agency_only", reason: "" },
      errors: [{ field: "reason", message: "Enter why you are correcting this note" }],
    });
  });

  it("refuses a correction made on a version someone has since corrected (409)", async () => {
    const { referralId, noteId, occurredOn, referrerCookie } = await caseWithNote();
    const correction = (body: string) => ({
      kind: "contact_in_person",
      ...dateFields("occurredOn", occurredOn),
      body,
      visibility: "shared",
      reason: "Spelling mistake",
      version: "1",
    });
    const params = { referralId, noteId };

    await submit(correctNotePage.action, correction("First correction"), referrerCookie, params);
    const stale = await submit(
      correctNotePage.action,
      correction("Second correction"),
      referrerCookie,
      params,
    );

    expect(statusOf(stale)).toBe(409);
  });

  it("refuses someone other than the writer, even in the same agency (403)", async () => {
    const { referralId, noteId, colleagueCookie } = await caseWithNote();
    const result = await load(correctNotePage.loader, colleagueCookie, { referralId, noteId });
    expect(statusOf(result)).toBe(403);
  });
});

describe("adding an action", () => {
  it("offers only the agencies involved in the case", async () => {
    const { referralId, agencies, keyWorkerCookie } = await caseInWork();

    const page = bodyOf<Awaited<ReturnType<typeof newActionPage.loader>>>(
      await load(newActionPage.loader, keyWorkerCookie, { referralId }),
    );

    expect(page.agencies.map((agency) => agency.id).sort()).toEqual(
      [agencies.referring.id, agencies.receiving.id].sort(),
    );
    expect(page.youngPersonName).toBe("Jayden Okafor");
  });

  it("adds an action for an involved agency and goes back to the case", async () => {
    const { referralId, agencies, asReferrer, keyWorkerCookie } = await caseInWork();
    const dueOn = daysFromToday(14);

    const reply = await submit(
      newActionPage.action,
      {
        description: "Arrange a return home interview",
        assignedAgencyId: agencies.receiving.id,
        ...dateFields("dueOn", dueOn),
      },
      keyWorkerCookie,
      { referralId },
    );

    expect(locationOf(reply)).toBe(`/referrals/${referralId}?done=action-added#case-work`);
    expect((await getReferral(asReferrer, referralId)).actions).toEqual([
      expect.objectContaining({
        description: "Arrange a return home interview",
        assignedAgencyName: agencies.receiving.name,
        dueOn,
        status: "open",
      }),
    ]);
  });

  it("shows every answer again, with one error for each wrong field", async () => {
    const { referralId, keyWorkerCookie } = await caseInWork();
    const yesterday = daysFromToday(-1);
    const fields = { description: "", assignedAgencyId: "", ...dateFields("dueOn", yesterday) };

    const reply = await submit(newActionPage.action, fields, keyWorkerCookie, { referralId });

    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<FormReply<unknown>>(reply)).toEqual({
      answers: {
        description: "",
        assignedAgencyId: "",
        dueOn: dateAnswerOf(yesterday),
      },
      errors: [
        { field: "description", message: "Enter what needs to be done" },
        { field: "assignedAgencyId", message: "Select the agency that will do it" },
        { field: "dueOn-day", message: "The due date must be today or in the future" },
      ],
      dateParts: ["day", "month", "year"],
    });
  });

  it("shows the service's refusal of an agency not involved against the agency field", async () => {
    const { referralId, agencies, keyWorkerCookie } = await caseInWork();

    const reply = await submit(
      newActionPage.action,
      {
        description: "Visit",
        assignedAgencyId: agencies.elsewhere.id,
        ...dateFields("dueOn", todayInLondon()),
      },
      keyWorkerCookie,
      { referralId },
    );

    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<FormReply<unknown>>(reply).errors).toEqual([
      { field: "assignedAgencyId", message: "Select an agency involved in this case" },
    ]);
  });
});

describe("updating an action's status", () => {
  async function caseWithAction() {
    const world = await caseInWork();
    const { id } = await addAction(world.asReferrer, world.referralId, {
      description: "Arrange a return home interview",
      assignedAgencyId: world.agencies.receiving.id,
      dueOn: daysFromToday(7),
    });
    return { ...world, actionId: id, params: { referralId: world.referralId, actionId: id } };
  }

  it("marks the action done with a note, kept in its history", async () => {
    const { referralId, params, asReferrer, keyWorkerCookie } = await caseWithAction();

    const reply = await submit(
      updateActionPage.action,
      { status: "done", note: "Interview held on Tuesday", version: "1" },
      keyWorkerCookie,
      params,
    );

    expect(locationOf(reply)).toBe(`/referrals/${referralId}?done=action-updated#case-work`);
    const [updated] = (await getReferral(asReferrer, referralId)).actions;
    expect(updated).toMatchObject({
      status: "done",
      version: 2,
      history: [{ from: "open", to: "done", note: "Interview held on Tuesday" }],
    });
  });

  it("refuses a change made on a version someone has since changed (409)", async () => {
    const { params, keyWorkerCookie, referrerCookie } = await caseWithAction();

    await submit(
      updateActionPage.action,
      { status: "done", version: "1" },
      keyWorkerCookie,
      params,
    );
    const stale = await submit(
      updateActionPage.action,
      { status: "cancelled", version: "1" },
      referrerCookie,
      params,
    );

    expect(statusOf(stale)).toBe(409);
  });

  it("shows an unknown status and an over-long note again with their errors (400)", async () => {
    const { actionId, params, keyWorkerCookie } = await caseWithAction();
    const note = "x".repeat(2_001);

    const reply = await submit(
      updateActionPage.action,
      { status: "forgotten", note, version: "1" },
      keyWorkerCookie,
      params,
    );

    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<FormReply<unknown> & { version: number }>(reply)).toEqual({
      // Shown again up to its limit: an oversized answer is never sent back in full.
      answers: { status: "forgotten", note: note.slice(0, 2_000) },
      version: 1,
      errors: [
        { field: `action-${actionId}-status`, message: "Select the action's new status" },
        { field: `action-${actionId}-note`, message: "The note must be 2,000 characters or fewer" },
      ],
    });
  });

  it("refuses a form without its version (400)", async () => {
    const { params, keyWorkerCookie } = await caseWithAction();
    const reply = await submit(
      updateActionPage.action,
      { status: "done" },
      keyWorkerCookie,
      params,
    );
    expect(statusOf(reply)).toBe(400);
  });

  it("shows the action on its own page, where the form comes back with errors", async () => {
    const { actionId, params, agencies, keyWorkerCookie } = await caseWithAction();

    const page = bodyOf<Awaited<ReturnType<typeof updateActionPage.loader>>>(
      await load(updateActionPage.loader, keyWorkerCookie, params),
    );

    expect(page).toMatchObject({
      mayUpdate: true,
      youngPersonName: "Jayden Okafor",
      action: {
        id: actionId,
        description: "Arrange a return home interview",
        assignedAgencyName: agencies.receiving.name,
        status: "open",
        version: 1,
      },
    });
  });
});
