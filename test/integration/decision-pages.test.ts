import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { describe, expect, it } from "vitest";
import { setTenant } from "../../db/tenant";
import type { User } from "../../db/types";
import * as checkPage from "../../app/routes/referrals.$referralId.draft.check";
import * as withdrawPage from "../../app/routes/referrals.$referralId.sharing.$decisionId.withdraw";
import * as historyPage from "../../app/routes/referrals.$referralId.sharing._index";
import * as newDecisionPage from "../../app/routes/referrals.$referralId.sharing.new";
import { addNote } from "../../app/services/case-work.server";
import { recordDecisionToShare } from "../../app/services/decisions-to-share.server";
import {
  getReferral,
  recordYoungPersonForDraft,
  saveDraft,
  startReferral,
} from "../../app/services/referrals.server";
import { dateAnswerOf } from "../../app/ui/date-input";
import { todayInLondon } from "../../app/ui/dates";
import { useTestDatabase } from "../support/database";
import {
  COMPLETE_ANSWERS,
  contextFor,
  createReferralWorld,
  referralAt,
  shareDecision,
  youngPersonDetails,
  type ReferralWorld,
} from "../support/factories";
import { getRequest, loadContext, settle, statusOf } from "../support/remix";
import { signInCookie } from "../support/session";

const db = useTestDatabase();

type Params = Record<string, string>;
type Loader = (args: LoaderFunctionArgs) => unknown;
type Action = (args: ActionFunctionArgs) => unknown;
/** A form as a browser sends it: a checkbox ticked twice is the same name twice. */
type Fields = Record<string, string | string[]>;

const as = (user: User) => contextFor(db.app, user);
const cookieOf = (user: User) => signInCookie(db.app, user.email);

async function load(loader: Loader, user: User, params: Params, path = "/x") {
  const cookie = await cookieOf(user);
  return settle(() =>
    loader({ request: getRequest(path, cookie), params, context: loadContext(db.app) }),
  );
}

async function submit(action: Action, fields: Fields, user: User, params: Params) {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const one of Array.isArray(value) ? value : [value]) body.append(name, one);
  }
  const request = new Request("http://crosswalk.test/x", {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "Sec-Fetch-Site": "same-origin",
      Cookie: await cookieOf(user),
    },
    body: body.toString(),
  });
  return settle(() => action({ request, params, context: loadContext(db.app) }));
}

/** The body of a `data()` reply, or the plain object a loader returned. */
function bodyOf<T>(result: unknown): T {
  const reply = result as { type?: string; data?: T };
  return (reply?.type === "DataWithResponseInit" ? reply.data : result) as T;
}

function locationOf(result: unknown): string | null {
  return result instanceof Response ? result.headers.get("Location") : null;
}

interface FormReply {
  answers: Record<string, unknown>;
  errors: { field: string; message: string }[];
  dateParts: string[];
}

/** The problems a refused form came back with. */
function errorsOf(reply: unknown): FormReply["errors"] {
  expect(statusOf(reply)).toBe(400);
  return bodyOf<FormReply>(reply).errors;
}

/** Decisions stored for a referral, read past row-level security, oldest first. */
function storedDecisions(referralId: string) {
  return db.superuser
    .selectFrom("decisions_to_share")
    .selectAll()
    .where("referral_id", "=", referralId)
    .orderBy("decided_at")
    .execute();
}

/**
 * A good decision, as the form sends it: share with these agencies to safeguard the child, under
 * public task, not relying on consent because asking would increase the risk.
 */
function goodDecision(recipients: string[], overrides: Fields = {}): Fields {
  return {
    decision: "share",
    recipientAgencyIds: recipients,
    purposes: ["safeguarding"],
    adviceFrom: "Our designated safeguarding lead",
    wouldStillShare: "yes",
    consentReliedOn: "no",
    consentNotSoughtReason: "would_increase_risk",
    article6: "public_task",
    article9: "safeguarding",
    gateway: "none",
    youngPersonViews: "",
    rationale: "The police need to know about the older men to keep him safe.",
    supersedesId: "none",
    ...overrides,
  };
}

/** Consent relied on, given by `givenBy` in writing, covering the recipients. */
function consentDecision(recipients: string[], overrides: Fields = {}): Fields {
  return goodDecision(recipients, {
    wouldStillShare: "no",
    consentReliedOn: "yes",
    consentGivenBy: "parental_responsibility",
    consentScopeAgencyIds: recipients,
    consentScopePurposes: ["safeguarding"],
    consentForm: "written",
    consentNotSoughtReason: "",
    ...overrides,
  });
}

/** A case in work (the shared factory's), referred by the school and allocated to advocacy. */
async function caseInWork(options: Parameters<typeof referralAt>[3] = {}) {
  const world = await createReferralWorld(db.owner);
  const { id } = await referralAt(db, world, "active", options);
  return { world, referralId: id };
}

/** Take a permission out of the world's open agreement: `from` may no longer share with `to`. */
async function withoutPermission(world: ReferralWorld, from: string, to: string) {
  await db.owner.transaction().execute(async (trx) => {
    await setTenant(trx, world.partnership.id);
    await trx
      .deleteFrom("sharing_agreement_permissions")
      .where("from_kind", "=", from as never)
      .where("to_kind", "=", to as never)
      .execute();
  });
}

describe("recording a decision to share", () => {
  it("records a good decision and goes back to the case, which lists it", async () => {
    const { world, referralId } = await caseInWork();
    const { agencies, people } = world;

    const page = bodyOf<Awaited<ReturnType<typeof newDecisionPage.loader>>>(
      await load(newDecisionPage.loader, people.schoolPractitioner, { referralId }),
    );
    const reply = await submit(
      newDecisionPage.action,
      goodDecision([agencies.police.id]),
      people.schoolPractitioner,
      { referralId },
    );

    expect(page).toMatchObject({ referralId, youngPersonName: "Jayden Okafor", returnTo: null });
    expect(page.agencies.map((agency) => agency.id)).toContain(agencies.police.id);
    expect(page.agencies.map((agency) => agency.id)).not.toContain(agencies.school.id);
    expect(locationOf(reply)).toBe(`/referrals/${referralId}?done=decision-recorded#sharing`);
    const stored = (await storedDecisions(referralId)).at(-1);
    expect(stored).toMatchObject({
      decision: "share",
      recipient_agency_ids: [agencies.police.id],
      purposes: ["safeguarding"],
      advice_from: "Our designated safeguarding lead",
      article6: "public_task",
      article9: "safeguarding",
      gateway: "none",
      consent_relied_on: false,
      consent_not_sought_reason: "would_increase_risk",
      young_person_views: null,
      rationale: "The police need to know about the older men to keep him safe.",
      supersedes_id: null,
      decided_by: people.schoolPractitioner.id,
    });
    const { decisions } = await getReferral(as(people.schoolPractitioner), referralId);
    expect(decisions.map((decision) => decision.recipients)).toContainEqual([agencies.police.name]);
  });

  it("from the check page of a draft, records the decision and goes back to it", async () => {
    const world = await createReferralWorld(db.owner);
    const author = world.people.schoolPractitioner;
    const { id } = await startReferral(as(author));
    await recordYoungPersonForDraft(as(author), id, youngPersonDetails(), {
      confirmedNotAMatch: true,
    });
    await saveDraft(as(author), id, COMPLETE_ANSWERS);
    const params = { referralId: id };
    type Check = Awaited<ReturnType<typeof checkPage.loader>>;

    const before = bodyOf<Check>(await load(checkPage.loader, author, params));
    const reply = await submit(
      newDecisionPage.action,
      goodDecision([world.agencies.advocacy.id], { returnTo: "check" }),
      author,
      params,
    );
    const after = bodyOf<Check>(await load(checkPage.loader, author, params));

    expect(before.decisions).toEqual([]);
    expect(locationOf(reply)).toBe(`/referrals/${id}/draft/check`);
    expect(after.decisions).toEqual([
      { id: expect.any(String) as string, summary: `Share with ${world.agencies.advocacy.name}` },
    ]);
  });

  it("replaces the decision the person says it supersedes, keeping the earlier one", async () => {
    const { world, referralId } = await caseInWork();
    const [earlier] = await storedDecisions(referralId);

    const reply = await submit(
      newDecisionPage.action,
      goodDecision([world.agencies.advocacy.id, world.agencies.police.id], {
        supersedesId: earlier?.id ?? "",
      }),
      world.people.schoolPractitioner,
      { referralId },
    );

    expect(statusOf(reply)).toBe(302);
    const stored = await storedDecisions(referralId);
    expect(stored.map((decision) => decision.supersedes_id)).toEqual([null, earlier?.id]);
  });
});

describe("the decision form refuses impossible combinations", () => {
  it("consent relied on, but no one gave it", async () => {
    const { world, referralId } = await caseInWork();
    const { advocacy } = world.agencies;
    const before = await storedDecisions(referralId);

    const reply = await submit(
      newDecisionPage.action,
      consentDecision([advocacy.id], { consentGivenBy: "" }),
      world.people.schoolPractitioner,
      { referralId },
    );

    expect(errorsOf(reply)).toEqual([{ field: "consentGivenBy", message: "Say who gave consent" }]);
    expect(await storedDecisions(referralId)).toHaveLength(before.length);
  });

  it("a referral from a health body shared under section 16 of the PCSC Act 2022", async () => {
    const world = await createReferralWorld(db.owner);
    const health = world.people.healthPractitioner;
    const { id: referralId } = await referralAt(db, world, "active", { referrer: health });
    const before = await storedDecisions(referralId);

    const reply = await submit(
      newDecisionPage.action,
      goodDecision([world.agencies.police.id], { gateway: "pcsc_act_2022_s16" }),
      health,
      { referralId },
    );

    expect(errorsOf(reply)).toEqual([
      {
        field: "gateway",
        message:
          "Section 16 of the PCSC Act 2022 cannot be used for information from a health or social care body: choose another gateway",
      },
    ]);
    expect(await storedDecisions(referralId)).toHaveLength(before.length);
  });

  it("a share the partnership's information sharing agreement does not permit", async () => {
    const { world, referralId } = await caseInWork();
    await withoutPermission(world, "school", "police");
    const before = await storedDecisions(referralId);

    const reply = await submit(
      newDecisionPage.action,
      goodDecision([world.agencies.police.id]),
      world.people.schoolPractitioner,
      { referralId },
    );

    expect(errorsOf(reply)).toEqual([
      {
        field: "recipientAgencyIds",
        message:
          "The partnership's information sharing agreement does not permit this share: school to police for safeguarding",
      },
    ]);
    expect(await storedDecisions(referralId)).toHaveLength(before.length);
  });

  it("consent from a 14-year-old with no assessment of their competence", async () => {
    const fourteen = `${Number(todayInLondon().slice(0, 4)) - 14}-01-01`;
    const { world, referralId } = await caseInWork({ youngPerson: { dateOfBirth: fourteen } });
    const { advocacy } = world.agencies;
    const before = await storedDecisions(referralId);

    const page = bodyOf<{ youngPersonAge: number }>(
      await load(newDecisionPage.loader, world.people.schoolPractitioner, { referralId }),
    );
    const reply = await submit(
      newDecisionPage.action,
      consentDecision([advocacy.id], { consentGivenBy: "young_person", competenceAssessment: "" }),
      world.people.schoolPractitioner,
      { referralId },
    );

    expect(page.youngPersonAge).toBe(14);
    expect(errorsOf(reply)).toEqual([
      {
        field: "competenceAssessment",
        message:
          "The young person is under 16: record how you assessed their competence to consent",
      },
    ]);
    expect(await storedDecisions(referralId)).toHaveLength(before.length);
  });

  it("consent relied on by someone who would share even if they said no", async () => {
    const { world, referralId } = await caseInWork();

    const reply = await submit(
      newDecisionPage.action,
      consentDecision([world.agencies.advocacy.id], { wouldStillShare: "yes" }),
      world.people.schoolPractitioner,
      { referralId },
    );

    expect(errorsOf(reply)).toEqual([
      {
        field: "consentReliedOn",
        message:
          "If you would share even if they said no, do not rely on consent: choose another basis",
      },
    ]);
  });
});

describe("the decision form with every answer wrong", () => {
  it("shows every answer again, with one error for each field in the page's order", async () => {
    const { world, referralId } = await caseInWork();
    const before = await storedDecisions(referralId);
    const wrong: Fields = {
      decision: "share_partial",
      adviceFrom: "x".repeat(501),
      wouldStillShare: "yes",
      consentReliedOn: "yes",
      "consentExpiresOn-day": "31",
      "consentExpiresOn-month": "2",
      "consentExpiresOn-year": "2027",
      youngPersonViews: "He does not want the police told.",
      rationale: "   ",
    };

    const reply = await submit(newDecisionPage.action, wrong, world.people.schoolPractitioner, {
      referralId,
    });

    expect(statusOf(reply)).toBe(400);
    const body = bodyOf<FormReply>(reply);
    expect(body.errors.map((error) => error.field)).toEqual([
      "recipientAgencyIds",
      "purposes",
      "dataItems",
      "adviceFrom",
      "consentReliedOn",
      "consentGivenBy",
      "consentScopeAgencyIds",
      "consentForm",
      "consentExpiresOn-day",
      "article6",
      "article9",
      "gateway",
      "rationale",
    ]);
    expect(body.errors).toContainEqual({
      field: "consentExpiresOn-day",
      message: "The date the consent ends must be a real date",
    });
    expect(body.answers).toMatchObject({
      decision: "share_partial",
      recipientAgencyIds: [],
      // Shown again up to its limit: an oversized answer is never sent back in full.
      adviceFrom: "x".repeat(500),
      wouldStillShare: "yes",
      consentReliedOn: "yes",
      consentExpiresOn: { day: "31", month: "2", year: "2027" },
      youngPersonViews: "He does not want the police told.",
      rationale: "   ",
    });
    expect(body.dateParts).toEqual(["day", "month", "year"]);
    expect(await storedDecisions(referralId)).toHaveLength(before.length);
  });

  it("asks every question of an empty form", async () => {
    const { world, referralId } = await caseInWork();

    const reply = await submit(newDecisionPage.action, {}, world.people.schoolPractitioner, {
      referralId,
    });

    expect(errorsOf(reply).map((error) => error.field)).toEqual([
      "decision",
      "recipientAgencyIds",
      "purposes",
      "wouldStillShare",
      "consentReliedOn",
      "article6",
      "article9",
      "gateway",
      "rationale",
    ]);
  });

  it.each([
    ["a decision no page offers", { decision: "maybe" }],
    ["an agency id that is not a UUID", { recipientAgencyIds: ["police"] }],
    ["an unknown purpose", { purposes: ["curiosity"] }],
    ["an unknown gateway", { gateway: "magna_carta" }],
    ["an unknown decision to replace", { supersedesId: "the-last-one" }],
  ])("refuses a malformed form (%s) with 400", async (_what, change) => {
    const { world, referralId } = await caseInWork();
    const before = await storedDecisions(referralId);

    const reply = await submit(
      newDecisionPage.action,
      goodDecision([world.agencies.police.id], change),
      world.people.schoolPractitioner,
      { referralId },
    );

    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<unknown>(reply)).toBe("The form could not be read.");
    expect(await storedDecisions(referralId)).toHaveLength(before.length);
  });
});

/** A case whose current decision shares with the advocates on a parent's consent. */
async function caseSharedOnConsent() {
  const { world, referralId } = await caseInWork();
  const { agencies, people } = world;
  const [earlier] = await storedDecisions(referralId);
  // It replaces the factory's decision, so the advocates' access rests on the consent alone.
  const { id: decisionId } = await recordDecisionToShare(
    as(people.schoolPractitioner),
    referralId,
    {
      ...shareDecision([agencies.advocacy.id], {
        consentReliedOn: true,
        consentGivenBy: "parental_responsibility",
        consentScopeAgencyIds: [agencies.advocacy.id],
        consentScopePurposes: ["safeguarding"],
        consentForm: "written",
        consentNotSoughtReason: null,
      }),
      supersedesId: earlier?.id ?? null,
    },
  );
  return { world, referralId, decisionId };
}

describe("recording that consent was withdrawn", () => {
  it("cuts the advocates off from anything newer, and prompts the referrer to decide again", async () => {
    const { world, referralId, decisionId } = await caseSharedOnConsent();
    const { people } = world;
    const params = { referralId, decisionId };
    const note = (body: string) => ({
      kind: "case_note" as const,
      visibility: "shared" as const,
      occurredOn: todayInLondon(),
      body,
    });
    await addNote(as(people.advocacyPractitioner), referralId, note("Met him after school."));

    const page = bodyOf<Awaited<ReturnType<typeof withdrawPage.loader>>>(
      await load(withdrawPage.loader, people.schoolPractitioner, params),
    );
    const reply = await submit(
      withdrawPage.action,
      {
        withdrawnBy: "parental_responsibility",
        ...Object.fromEntries(
          Object.entries(dateAnswerOf(todayInLondon())).map(([part, value]) => [
            `withdrawnOn-${part}`,
            value,
          ]),
        ),
        note: "His mother rang to withdraw her consent.",
      },
      people.schoolPractitioner,
      params,
    );
    await addNote(as(people.schoolPractitioner), referralId, note("Written after the withdrawal."));

    expect(page).toMatchObject({
      referralId,
      decision: { id: decisionId },
      today: todayInLondon(),
    });
    expect(locationOf(reply)).toBe(`/referrals/${referralId}?done=consent-withdrawn#sharing`);
    const advocate = await getReferral(as(people.advocacyPractitioner), referralId);
    expect(advocate.sharing.state).toBe("withdrawn");
    expect(advocate.notes.map((shown) => shown.body)).toEqual(["Met him after school."]);
    const referrer = await getReferral(as(people.schoolPractitioner), referralId);
    expect(referrer.notes).toHaveLength(2);
    expect(referrer.can.recordDecision).toBe(true);
    expect(referrer.decisions).toEqual([
      expect.objectContaining({
        id: decisionId,
        consentReliedOn: true,
        withdrawnAt: expect.any(String) as string,
      }),
    ]);
  });

  it("refuses a withdrawal dated in the future, keeping the answers", async () => {
    const { world, referralId, decisionId } = await caseSharedOnConsent();
    const tomorrow = new Date(`${todayInLondon()}T12:00:00Z`);
    tomorrow.setUTCDate(tomorrow.getUTCDate() + 1);
    const { day, month, year } = dateAnswerOf(tomorrow.toISOString().slice(0, 10));

    const reply = await submit(
      withdrawPage.action,
      { "withdrawnOn-day": day, "withdrawnOn-month": month, "withdrawnOn-year": year, note: "" },
      world.people.schoolPractitioner,
      { referralId, decisionId },
    );

    expect(errorsOf(reply)).toEqual([
      { field: "withdrawnBy", message: "Select who withdrew consent" },
      {
        field: "withdrawnOn-day",
        message: "The date consent was withdrawn must be today or in the past",
      },
    ]);
    expect(bodyOf<FormReply>(reply).answers).toMatchObject({
      withdrawnOn: { day, month, year },
    });
    const advocate = await getReferral(as(world.people.advocacyPractitioner), referralId);
    expect(advocate.sharing.state).toBe("covered");
  });

  it("is not offered for a decision that does not rely on consent (404)", async () => {
    const { world, referralId } = await caseInWork();
    const [decision] = await storedDecisions(referralId);

    const result = await load(withdrawPage.loader, world.people.schoolPractitioner, {
      referralId,
      decisionId: decision?.id ?? "",
    });

    expect(statusOf(result)).toBe(404);
  });
});

describe("the sharing history", () => {
  it("lists every decision and the withdrawal, in order", async () => {
    const { world, referralId, decisionId } = await caseSharedOnConsent();
    const { people } = world;
    const [first] = await storedDecisions(referralId);
    const dated = dateAnswerOf(todayInLondon());
    await submit(
      withdrawPage.action,
      {
        withdrawnBy: "parental_responsibility",
        "withdrawnOn-day": dated.day,
        "withdrawnOn-month": dated.month,
        "withdrawnOn-year": dated.year,
        note: "",
      },
      people.schoolPractitioner,
      { referralId, decisionId },
    );

    const page = bodyOf<Awaited<ReturnType<typeof historyPage.loader>>>(
      await load(historyPage.loader, people.schoolPractitioner, { referralId }),
    );

    expect(page.referralId).toBe(referralId);
    expect(page.entries).toEqual([
      expect.objectContaining({ kind: "decision", id: first?.id, consentReliedOn: false }),
      expect.objectContaining({ kind: "decision", id: decisionId, consentReliedOn: true }),
      expect.objectContaining({
        kind: "withdrawal",
        decisionId,
        withdrawnBy: "parental_responsibility",
        recordedBy: people.schoolPractitioner.display_name,
      }),
    ]);
  });
});

describe("a practitioner whose agency is not involved", () => {
  it("finds every sharing page of the referral not found (404), and changes nothing", async () => {
    const { world, referralId, decisionId } = await caseSharedOnConsent();
    const police = world.people.policePractitioner;
    const before = await storedDecisions(referralId);
    const dated = dateAnswerOf(todayInLondon());

    const attempts = [
      await load(newDecisionPage.loader, police, { referralId }),
      await submit(newDecisionPage.action, goodDecision([world.agencies.police.id]), police, {
        referralId,
      }),
      await load(withdrawPage.loader, police, { referralId, decisionId }),
      await submit(
        withdrawPage.action,
        {
          withdrawnBy: "young_person",
          "withdrawnOn-day": dated.day,
          "withdrawnOn-month": dated.month,
          "withdrawnOn-year": dated.year,
          note: "",
        },
        police,
        { referralId, decisionId },
      ),
      await load(historyPage.loader, police, { referralId }),
    ];

    expect(attempts.map(statusOf)).toEqual([404, 404, 404, 404, 404]);
    expect(await storedDecisions(referralId)).toHaveLength(before.length);
    const withdrawals = await db.superuser
      .selectFrom("consent_withdrawals")
      .select("id")
      .where("decision_id", "=", decisionId)
      .execute();
    expect(withdrawals).toEqual([]);
  });
});
