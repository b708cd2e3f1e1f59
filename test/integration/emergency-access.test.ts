import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import * as searchPage from "../../app/routes/emergency-access._index";
import * as reviewsPage from "../../app/routes/emergency-access.reviews";
import * as youngPersonPage from "../../app/routes/young-people.$youngPersonId._index";
import {
  listEmergencyAccesses,
  openEmergencyAccess,
  reviewEmergencyAccess,
  searchForEmergencyAccess,
} from "../../app/services/emergency-access.server";
import { AccessRefused, ConflictError } from "../../app/services/errors";
import { getReferral } from "../../app/services/referrals.server";
import { getYoungPersonRecord } from "../../app/services/young-person-record.server";
import { setTenant } from "../../db/tenant";
import type { User } from "../../db/types";
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
const MINUTE = 60_000;

const REQUEST = {
  reason: "missing_child",
  detail: "Reported missing overnight; we need to know who is already working with him.",
} as const;

/** A case in work (school referral, accepted by advocacy) the police practitioner is not part of. */
async function caseInWork(): Promise<
  ReferralWorld & { referralId: string; youngPersonId: string }
> {
  const world = await createReferralWorld(db.owner);
  const { id, youngPersonId } = await referralAt(db, world, "active");
  return { ...world, referralId: id, youngPersonId };
}

/** The context of `user` at a fixed moment: the injected clock, so no test waits for time to pass. */
function at(user: User, moment: Date) {
  return { ...contextFor(db.app, user), clock: () => moment };
}

const later = (moment: Date, minutes: number) => new Date(moment.getTime() + minutes * MINUTE);

/** The error a promise rejects with (failing the test if it fulfils). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: unknown) => error,
  );
}

function eventsBy(userId: string, action: string) {
  return db.superuser
    .selectFrom("audit_events")
    .selectAll()
    .where("actor_user_id", "=", userId)
    .where("action", "=", action)
    .orderBy("entry_seq")
    .execute();
}

async function setEmergencyMinutes(partnershipId: string, minutes: number): Promise<void> {
  await db.owner.transaction().execute(async (trx) => {
    await setTenant(trx, partnershipId);
    await trx
      .updateTable("partnerships")
      .set({ emergency_access_minutes: minutes })
      .where("id", "=", partnershipId)
      .execute();
  });
}

describe("emergency access", () => {
  it("keeps a case from a practitioner whose agency is not involved", async () => {
    const { people, referralId } = await caseInWork();

    const error = await rejection(
      getReferral(at(people.policePractitioner, new Date()), referralId),
    );

    expect(error).toBeInstanceOf(AccessRefused);
    expect((error as AccessRefused).visibility).toBe("hide");
  });

  it("opens the case for the configured 4 hours and not one minute longer", async () => {
    const { people, referralId, youngPersonId } = await caseInWork();
    const police = people.policePractitioner;
    const opened = new Date();

    const result = await openEmergencyAccess(at(police, opened), youngPersonId, REQUEST);

    expect(result).toEqual({
      youngPersonId,
      expiresAt: later(opened, 240).toISOString(),
    });
    const lastMinute = at(police, later(opened, 239));
    await expect(getReferral(lastMinute, referralId)).resolves.toMatchObject({ id: referralId });
    await expect(getYoungPersonRecord(lastMinute, youngPersonId)).resolves.toMatchObject({
      id: youngPersonId,
      emergencyAccess: { expiresAt: later(opened, 240).toISOString() },
    });
    const lastMoment = at(police, new Date(later(opened, 240).getTime() - 1));
    await expect(getReferral(lastMoment, referralId)).resolves.toMatchObject({ id: referralId });

    const ended = at(police, later(opened, 240));
    expect(await rejection(getReferral(ended, referralId))).toBeInstanceOf(AccessRefused);
    expect(await rejection(getYoungPersonRecord(ended, youngPersonId))).toBeInstanceOf(
      AccessRefused,
    );
  });

  it("lasts the partnership's configured time when it is changed", async () => {
    const { partnership, people, referralId, youngPersonId } = await caseInWork();
    await setEmergencyMinutes(partnership.id, 30);
    const police = people.policePractitioner;
    const opened = new Date();

    const result = await openEmergencyAccess(at(police, opened), youngPersonId, REQUEST);

    expect(result.expiresAt).toBe(later(opened, 30).toISOString());
    await expect(getReferral(at(police, later(opened, 29)), referralId)).resolves.toMatchObject({
      id: referralId,
    });
    expect(await rejection(getReferral(at(police, later(opened, 30)), referralId))).toBeInstanceOf(
      AccessRefused,
    );
  });

  it("records the opening with its reason, and marks every view during it", async () => {
    const { people, referralId, youngPersonId } = await caseInWork();
    const police = people.policePractitioner;
    const opened = new Date();
    await openEmergencyAccess(at(police, opened), youngPersonId, REQUEST);
    const access = await db.superuser
      .selectFrom("emergency_accesses")
      .selectAll()
      .where("user_id", "=", police.id)
      .executeTakeFirstOrThrow();

    await getReferral(at(police, later(opened, 5)), referralId);
    await getReferral(at(police, later(opened, 90)), referralId);
    await getYoungPersonRecord(at(police, later(opened, 91)), youngPersonId);
    await rejection(getReferral(at(police, later(opened, 241)), referralId));

    const [openEvent] = await eventsBy(police.id, "emergency_access.open");
    expect(openEvent).toMatchObject({
      outcome: "allowed",
      record_type: "young_person",
      record_id: youngPersonId,
      young_person_id: youngPersonId,
      reason: `missing_child: ${REQUEST.detail}`,
      details: {
        emergencyAccessId: access.id,
        reason: "missing_child",
        expiresAt: later(opened, 240).toISOString(),
      },
    });
    const referralViews = await eventsBy(police.id, "referral.view");
    expect(referralViews.map((event) => [event.outcome, event.details?.emergencyAccessId])).toEqual(
      [
        ["allowed", access.id],
        ["allowed", access.id],
        ["refused", undefined],
      ],
    );
    const personViews = await eventsBy(police.id, "young_person.view");
    expect(personViews).toHaveLength(1);
    expect(personViews[0]).toMatchObject({
      outcome: "allowed",
      record_id: youngPersonId,
      details: { emergencyAccessId: access.id },
    });
  });

  it("refuses emergency access to a practitioner whose agency is already involved", async () => {
    const { people, youngPersonId } = await caseInWork();

    const error = await rejection(
      openEmergencyAccess(at(people.schoolPractitioner, new Date()), youngPersonId, REQUEST),
    );

    expect(error).toBeInstanceOf(AccessRefused);
    expect((error as AccessRefused).visibility).toBe("explain");
    expect((error as AccessRefused).reason).toMatch(/already involved/);
    const rows = await db.superuser
      .selectFrom("emergency_accesses")
      .select("id")
      .where("young_person_id", "=", youngPersonId)
      .execute();
    expect(rows).toHaveLength(0);
    const [refusal] = await eventsBy(people.schoolPractitioner.id, "emergency_access.open");
    expect(refusal).toMatchObject({ outcome: "refused", record_id: youngPersonId });
  });

  it("opens nothing new when asked again while the access is open", async () => {
    const { people, youngPersonId } = await caseInWork();
    const police = people.policePractitioner;
    const opened = new Date();
    const first = await openEmergencyAccess(at(police, opened), youngPersonId, REQUEST);

    const again = await openEmergencyAccess(at(police, later(opened, 10)), youngPersonId, REQUEST);

    expect(again).toEqual(first);
    expect(await eventsBy(police.id, "emergency_access.open")).toHaveLength(1);
  });

  it("finds a young person the practitioner may not see only as known, with a handle to open", async () => {
    const { agencies, people, youngPersonId } = await caseInWork();
    const search = {
      givenName: "Jayden",
      familyName: "Okafor",
      dateOfBirth: "2010-03-14",
      postcodeDistrict: "NG7",
    };

    const police = await searchForEmergencyAccess(
      at(people.policePractitioner, new Date()),
      search,
    );
    const school = await searchForEmergencyAccess(
      at(people.schoolPractitioner, new Date()),
      search,
    );

    expect(police).toEqual([
      {
        kind: "restricted",
        handle: youngPersonId,
        knownToAgencies: [agencies.school.name, agencies.advocacy.name].sort(),
      },
    ]);
    expect(school).toEqual([
      { kind: "visible", youngPersonId, name: "Jayden Okafor", emergencyAccessUntil: null },
    ]);
    const [event] = await eventsBy(people.policePractitioner.id, "young_person.search");
    expect(event?.details).toMatchObject({
      purpose: "emergency_access",
      lookedFor: search,
      shown: [],
      signposted: [youngPersonId],
    });
  });
});

describe("reviewing emergency access", () => {
  async function openedAccess() {
    const world = await caseInWork();
    const opened = new Date();
    await openEmergencyAccess(
      at(world.people.policePractitioner, opened),
      world.youngPersonId,
      REQUEST,
    );
    const access = await db.superuser
      .selectFrom("emergency_accesses")
      .select("id")
      .where("young_person_id", "=", world.youngPersonId)
      .executeTakeFirstOrThrow();
    return { ...world, opened, accessId: access.id };
  }

  it("puts the access in the partnership lead's queue, and takes it out once reviewed", async () => {
    const { people, opened, accessId, youngPersonId, agencies } = await openedAccess();
    const lead = at(people.lead, later(opened, 10));

    const awaiting = await listEmergencyAccesses(lead, { status: "awaiting_review" });

    expect(awaiting).toEqual([
      {
        id: accessId,
        openedBy: {
          name: people.policePractitioner.display_name,
          agencyName: agencies.police.name,
        },
        youngPerson: { id: youngPersonId, name: "Jayden Okafor" },
        reason: "missing_child",
        reasonLabel: "Missing child",
        reasonDetail: REQUEST.detail,
        openedAt: opened.toISOString(),
        expiresAt: later(opened, 240).toISOString(),
        open: true,
        review: null,
      },
    ]);

    await reviewEmergencyAccess(lead, accessId, {
      outcome: "appropriate",
      note: "Child was missing; police needed the advocate's number.",
    });

    await expect(listEmergencyAccesses(lead, { status: "awaiting_review" })).resolves.toEqual([]);
    const all = await listEmergencyAccesses(at(people.lead, later(opened, 300)), { status: "all" });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({
      open: false,
      review: {
        outcome: "appropriate",
        note: "Child was missing; police needed the advocate's number.",
        reviewedBy: people.lead.display_name,
      },
    });
    const [review] = await db.superuser
      .selectFrom("audit_events")
      .selectAll()
      .where("action", "=", "emergency_access.review")
      .where("record_id", "=", accessId)
      .execute();
    expect(review).toMatchObject({
      outcome: "allowed",
      actor_user_id: people.lead.id,
      young_person_id: youngPersonId,
      details: { outcome: "appropriate" },
    });
  });

  it("refuses a second review as a conflict", async () => {
    const { people, accessId } = await openedAccess();
    const lead = contextFor(db.app, people.lead);
    await reviewEmergencyAccess(lead, accessId, { outcome: "not_appropriate", note: "No risk." });

    const error = await rejection(
      reviewEmergencyAccess(lead, accessId, { outcome: "appropriate", note: "Changed my mind." }),
    );

    expect(error).toBeInstanceOf(ConflictError);
    const row = await db.superuser
      .selectFrom("emergency_accesses")
      .select(["review_outcome", "review_note"])
      .where("id", "=", accessId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ review_outcome: "not_appropriate", review_note: "No risk." });
  });

  it.each([
    ["an administrator", "administrator"],
    ["the practitioner who opened it", "policePractitioner"],
  ] as const)("refuses a review by %s", async (_who, person) => {
    const { people, accessId } = await openedAccess();
    const ctx = contextFor(db.app, people[person]);

    const error = await rejection(
      reviewEmergencyAccess(ctx, accessId, { outcome: "appropriate", note: "Fine." }),
    );

    expect(error).toBeInstanceOf(AccessRefused);
    expect(await rejection(listEmergencyAccesses(ctx, { status: "all" }))).toBeInstanceOf(
      AccessRefused,
    );
  });
});

type Loader = (args: LoaderFunctionArgs) => unknown;
type Action = (args: ActionFunctionArgs) => unknown;

async function load(loader: Loader, user: User, params: Record<string, string> = {}) {
  const cookie = await signInCookie(db.app, user.email);
  return settle(() =>
    loader({ request: getRequest("/x", cookie), params, context: loadContext(db.app) }),
  );
}

async function submit(action: Action, user: User, fields: Record<string, string>) {
  const cookie = await signInCookie(db.app, user.email);
  return settle(() =>
    action({
      request: formRequest("/x", fields, cookie),
      params: {},
      context: loadContext(db.app),
    }),
  );
}

function bodyOf<T>(result: unknown): T {
  const reply = result as { type?: string; data?: T };
  return (reply?.type === "DataWithResponseInit" ? reply.data : result) as T;
}

interface SearchReply {
  errors: { field: string; message: string }[];
  matches: { kind: string; handle?: string }[] | null;
}

const SEARCH = {
  givenName: "Jayden",
  familyName: "Okafor",
  "dateOfBirth-day": "14",
  "dateOfBirth-month": "3",
  "dateOfBirth-year": "2010",
  postcodeDistrict: "ng7",
};

describe("the emergency access page", () => {
  it("tells a practitioner how long access lasts, and refuses an auditor", async () => {
    const { agencies, people, partnership } = await caseInWork();
    await setEmergencyMinutes(partnership.id, 90);
    const auditor = await createUser(db.owner, agencies.hub, { role: "auditor" });

    const page = bodyOf<{ minutes: number; reasons: { value: string }[] }>(
      await load(searchPage.loader, people.policePractitioner),
    );

    expect(page.minutes).toBe(90);
    expect(page.reasons.map((reason) => reason.value)).toEqual([
      "risk_to_life",
      "missing_child",
      "imminent_harm",
      "out_of_hours_safeguarding",
      "other",
    ]);
    expect(statusOf(await load(searchPage.loader, auditor))).toBe(403);
  });

  it("shows the matches a search finds", async () => {
    const { people, youngPersonId } = await caseInWork();

    const reply = await submit(searchPage.action, people.policePractitioner, {
      intent: "search",
      ...SEARCH,
    });

    expect(statusOf(reply)).toBe(200);
    expect(bodyOf<SearchReply>(reply).matches).toEqual([
      expect.objectContaining({ kind: "restricted", handle: youngPersonId }),
    ]);
  });

  it("asks again for a search without names", async () => {
    const { people } = await caseInWork();

    const reply = await submit(searchPage.action, people.policePractitioner, {
      intent: "search",
      ...SEARCH,
      givenName: "",
      familyName: "",
    });

    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<SearchReply>(reply).errors.map((error) => error.field)).toEqual([
      "givenName",
      "familyName",
    ]);
  });

  it("asks for the reason again, showing the matches, when the open form is incomplete", async () => {
    const { people, youngPersonId } = await caseInWork();

    const reply = await submit(searchPage.action, people.policePractitioner, {
      intent: "open",
      handle: youngPersonId,
      match: "1",
      ...SEARCH,
      "reason-1": "",
      "reasonDetail-1": "   ",
    });

    expect(statusOf(reply)).toBe(400);
    const body = bodyOf<SearchReply>(reply);
    expect(body.errors.map((error) => error.field)).toEqual(["reason-1", "reasonDetail-1"]);
    expect(body.matches).toEqual([
      expect.objectContaining({ kind: "restricted", handle: youngPersonId }),
    ]);
    const rows = await db.superuser
      .selectFrom("emergency_accesses")
      .select("id")
      .where("young_person_id", "=", youngPersonId)
      .execute();
    expect(rows).toHaveLength(0);
  });

  it.each([
    ["no intent", {}],
    ["an unknown intent", { intent: "peek" }],
    ["a handle that is not one", { intent: "open", handle: "x", match: "1" }],
    ["no place in the list", { intent: "open", handle: "9b0c3f9e-3f0a-4c57-9a55-0d9b6f1f2b11" }],
  ])("refuses a malformed request (%s) as a bad request", async (_what, fields) => {
    const { people } = await caseInWork();

    const reply = await submit(searchPage.action, people.policePractitioner, fields);

    expect(statusOf(reply)).toBe(400);
  });

  it("opens emergency access and goes to the young person's record, which says so", async () => {
    const { people, youngPersonId } = await caseInWork();
    const police = people.policePractitioner;

    const reply = await submit(searchPage.action, police, {
      intent: "open",
      handle: youngPersonId,
      match: "1",
      ...SEARCH,
      "reason-1": REQUEST.reason,
      "reasonDetail-1": REQUEST.detail,
    });

    expect(statusOf(reply)).toBe(302);
    expect((reply as Response).headers.get("Location")).toBe(`/young-people/${youngPersonId}`);
    const record = bodyOf<{ emergencyAccess: { expiresAt: string } | null }>(
      await load(youngPersonPage.loader, police, { youngPersonId }),
    );
    expect(record.emergencyAccess?.expiresAt).toEqual(expect.any(String));
  });

  it("explains the refusal to a practitioner whose agency is involved", async () => {
    const { people, youngPersonId } = await caseInWork();

    const reply = await submit(searchPage.action, people.advocacyPractitioner, {
      intent: "open",
      handle: youngPersonId,
      match: "1",
      ...SEARCH,
      "reason-1": REQUEST.reason,
      "reasonDetail-1": REQUEST.detail,
    });

    expect(statusOf(reply)).toBe(403);
  });
});

describe("the emergency access reviews page", () => {
  async function awaitingReview() {
    const world = await caseInWork();
    await openEmergencyAccess(
      contextFor(db.app, world.people.policePractitioner),
      world.youngPersonId,
      REQUEST,
    );
    const access = await db.superuser
      .selectFrom("emergency_accesses")
      .select("id")
      .where("young_person_id", "=", world.youngPersonId)
      .executeTakeFirstOrThrow();
    return { ...world, accessId: access.id };
  }

  interface ReviewReply {
    errors: { field: string; message: string }[];
  }

  it("lists the accesses waiting for review, and those reviewed", async () => {
    const { people, accessId } = await awaitingReview();

    const page = bodyOf<{ awaiting: { id: string }[]; reviewed: { id: string }[] }>(
      await load(reviewsPage.loader, people.lead),
    );

    expect(page.awaiting.map((access) => access.id)).toEqual([accessId]);
    expect(page.reviewed).toEqual([]);
  });

  it("records a review and goes back to the queue", async () => {
    const { people, accessId } = await awaitingReview();

    const reply = await submit(reviewsPage.action, people.lead, {
      accessId,
      [`outcome-${accessId}`]: "appropriate",
      [`note-${accessId}`]: "Missing child; the access was needed.",
    });

    expect(statusOf(reply)).toBe(302);
    expect((reply as Response).headers.get("Location")).toBe(
      "/emergency-access/reviews?done=reviewed",
    );
    const page = bodyOf<{ awaiting: unknown[]; reviewed: { id: string }[] }>(
      await load(reviewsPage.loader, people.lead),
    );
    expect(page.awaiting).toEqual([]);
    expect(page.reviewed.map((access) => access.id)).toEqual([accessId]);
  });

  it("asks again for an incomplete review", async () => {
    const { people, accessId } = await awaitingReview();

    const reply = await submit(reviewsPage.action, people.lead, {
      accessId,
      [`outcome-${accessId}`]: "fine",
      [`note-${accessId}`]: "",
    });

    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<ReviewReply>(reply).errors.map((error) => error.field)).toEqual([
      `outcome-${accessId}`,
      `note-${accessId}`,
    ]);
  });

  it("says so when the access was reviewed meanwhile", async () => {
    const { people, accessId } = await awaitingReview();
    const fields = {
      accessId,
      [`outcome-${accessId}`]: "appropriate",
      [`note-${accessId}`]: "Needed.",
    };
    await submit(reviewsPage.action, people.lead, fields);

    const reply = await submit(reviewsPage.action, people.lead, fields);

    expect(statusOf(reply)).toBe(409);
    expect(bodyOf<ReviewReply>(reply).errors).toEqual([
      { field: `outcome-${accessId}`, message: "This emergency access has already been reviewed." },
    ]);
  });

  it("refuses a malformed review as a bad request", async () => {
    const { people } = await awaitingReview();

    const reply = await submit(reviewsPage.action, people.lead, { accessId: "nope" });

    expect(statusOf(reply)).toBe(400);
  });

  it("refuses the page to a practitioner", async () => {
    const { people } = await awaitingReview();

    expect(statusOf(await load(reviewsPage.loader, people.policePractitioner))).toBe(403);
  });
});
