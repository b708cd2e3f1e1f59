import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import type { ComponentType } from "react";
import { describe, expect, it } from "vitest";
import type { User } from "../../db/types";
import * as referralPage from "../../app/routes/referrals.$referralId._index";
import * as withdrawPage from "../../app/routes/referrals.$referralId.sharing.$decisionId.withdraw";
import * as historyPage from "../../app/routes/referrals.$referralId.sharing._index";
import * as newDecisionPage from "../../app/routes/referrals.$referralId.sharing.new";
import * as stepPage from "../../app/routes/referrals.$referralId.steps.$transition";
import { addAction, addNote } from "../../app/services/case-work.server";
import { recordDecisionToShare } from "../../app/services/decisions-to-share.server";
import { closeReferral } from "../../app/services/referral-steps.server";
import { dateAnswerOf } from "../../app/ui/date-input";
import { formatDate, todayInLondon } from "../../app/ui/dates";
import { noteNames } from "../../app/ui/note-form";
import { useTestDatabase } from "../support/database";
import {
  contextFor,
  createReferralWorld,
  referralAt,
  referralVersion,
  shareDecision,
} from "../support/factories";
import { getRequest, loadContext, settle, statusOf } from "../support/remix";
import { linkTexts, renderPage, textOf } from "../support/render";
import { signInCookie } from "../support/session";

/**
 * The rough edges of issue 18 a practitioner trips over, through the pages' loaders and actions
 * and the pages they render (as a browser without JavaScript gets them): closing a case with open
 * actions (1), a decision not to share (2), the sharing history (3), withdrawing consent on a
 * closed case (5) and the links that correct a note (9).
 */

const db = useTestDatabase();

type Params = Record<string, string>;
type Loader = (args: LoaderFunctionArgs) => unknown;
type Action = (args: ActionFunctionArgs) => unknown;
type Fields = Record<string, string | string[]>;

const as = (user: User) => contextFor(db.app, user);

async function load(loader: Loader, user: User, params: Params, path = "/x") {
  const cookie = await signInCookie(db.app, user.email);
  return settle(() =>
    loader({ request: getRequest(path, cookie), params, context: loadContext(db.app) }),
  );
}

async function submit(action: Action, fields: Fields, user: User, params: Params, path = "/x") {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const one of Array.isArray(value) ? value : [value]) body.append(name, one);
  }
  const request = new Request(`http://crosswalk.test${path}`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "Sec-Fetch-Site": "same-origin",
      Cookie: await signInCookie(db.app, user.email),
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
}

/** A page as the server renders it from its loader's data (and its action's, if any). */
function rendered(
  page: { default: ComponentType },
  loaderData: unknown,
  actionData?: unknown,
): string {
  return renderPage(page.default, {
    loaderData,
    actionData: actionData === undefined ? undefined : bodyOf(actionData),
  });
}

function dateFields(id: string, isoDate: string): Record<string, string> {
  const { day, month, year } = dateAnswerOf(isoDate);
  return { [`${id}-day`]: day, [`${id}-month`]: month, [`${id}-year`]: year };
}

function daysFromToday(days: number): string {
  const date = new Date(`${todayInLondon()}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** A case in work: referred by the school, allocated to the advocacy agency's practitioner. */
async function caseInWork() {
  const world = await createReferralWorld(db.owner);
  const { id } = await referralAt(db, world, "active");
  return { world, referralId: id };
}

function actionsOf(referralId: string) {
  return db.superuser
    .selectFrom("case_actions")
    .selectAll()
    .where("referral_id", "=", referralId)
    .orderBy("created_at")
    .execute();
}

describe("1. closing a case with open actions", () => {
  async function caseWithOpenActions() {
    const { world, referralId } = await caseInWork();
    const { agencies, people } = world;
    const lead = as(people.lead);
    const visit = await addAction(lead, referralId, {
      description: "Home visit with his aunt",
      assignedAgencyId: agencies.advocacy.id,
      dueOn: daysFromToday(7),
    });
    const mentor = await addAction(lead, referralId, {
      description: "Find a mentor at school",
      assignedAgencyId: agencies.school.id,
      dueOn: daysFromToday(14),
    });
    const plan = await addAction(lead, referralId, {
      description: "Safety plan for the journey to school",
      assignedAgencyId: agencies.advocacy.id,
      dueOn: daysFromToday(21),
    });
    return { world, referralId, actionIds: [visit.id, mentor.id, plan.id] };
  }

  const closing = (referralId: string, version: number, fields: Fields = {}): Fields => ({
    version: String(version),
    outcome: "support_completed",
    summary: "He is back in school and the advocate will keep in touch.",
    ...fields,
  });

  it("asks what happens to each open action before the case closes", async () => {
    const { world, referralId, actionIds } = await caseWithOpenActions();
    const params = { referralId, transition: "close" };
    const page = await load(stepPage.loader, world.people.lead, params);
    expect(statusOf(page)).toBe(200);
    const html = rendered(stepPage, page);
    for (const id of actionIds) {
      expect(html).toContain(`name="action-${id}"`);
      expect(html).toContain(`id="action-${id}-note"`);
    }
    const text = textOf(html);
    expect(text).toContain(
      "3 actions are still open. Say what happens to each before the case closes.",
    );
    expect(text).toContain("Home visit with his aunt");
    expect(text).toContain("Handed over to another agency involved, which carries it on");
  });

  it("refuses to close while any action is left open, saying every problem at once", async () => {
    const { world, referralId, actionIds } = await caseWithOpenActions();
    const [visit, mentor, plan] = actionIds as [string, string, string];
    const params = { referralId, transition: "close" };
    const version = await referralVersion(db, referralId);
    const reply = await submit(
      stepPage.action,
      closing(referralId, version, {
        outcome: "",
        [`action-${visit}`]: "cancelled",
        [`action-${visit}-note`]: "",
        [`action-${mentor}`]: "handed_over",
        [`action-${mentor}-agency`]: world.agencies.school.id,
        [`action-${plan}-note`]: "",
      }),
      world.people.lead,
      params,
    );
    expect(statusOf(reply)).toBe(400);
    const { errors } = bodyOf<FormReply>(reply);
    expect(errors).toEqual([
      {
        field: `action-${visit}-note`,
        message: "Say why the action “Home visit with his aunt” is cancelled",
      },
      {
        field: `action-${mentor}-agency`,
        message:
          "Hand the action “Find a mentor at school” to an agency involved in the case other than Northfield Academy",
      },
      {
        field: `action-${plan}`,
        message: "Say what happens to the action “Safety plan for the journey to school”",
      },
      { field: "outcome", message: "Select the outcome" },
    ]);
    // The page comes back with the answers and the error summary.
    const page = await load(stepPage.loader, world.people.lead, params);
    const html = rendered(stepPage, page, reply);
    expect(html).toContain("govuk-error-summary");
    expect(html).toContain(`href="#action-${plan}"`);
    expect(html).toMatch(new RegExp(`id="action-${mentor}-3"[^>]*checked`));
    const stored = await db.superuser
      .selectFrom("referrals")
      .select(["state", "version"])
      .where("id", "=", referralId)
      .executeTakeFirstOrThrow();
    expect(stored).toEqual({ state: "active", version });
    expect((await actionsOf(referralId)).map((action) => action.status)).toEqual([
      "open",
      "open",
      "open",
    ]);
  });

  it("closes with each action done, cancelled with its reason or handed over, and lists none as open", async () => {
    const { world, referralId, actionIds } = await caseWithOpenActions();
    const [visit, mentor, plan] = actionIds as [string, string, string];
    const { agencies, people } = world;
    const reply = await submit(
      stepPage.action,
      closing(referralId, await referralVersion(db, referralId), {
        [`action-${visit}`]: "done",
        [`action-${visit}-note`]: "",
        [`action-${mentor}`]: "cancelled",
        [`action-${mentor}-note`]: "He found a mentor through his football club.",
        [`action-${plan}`]: "handed_over",
        [`action-${plan}-agency`]: agencies.school.id,
        [`action-${plan}-note`]: "",
      }),
      people.lead,
      { referralId, transition: "close" },
    );
    expect(locationOf(reply)).toBe(`/referrals/${referralId}?done=close`);

    const actions = await actionsOf(referralId);
    expect(actions.map((action) => [action.status, action.handed_to_agency_id])).toEqual([
      ["done", null],
      ["cancelled", null],
      ["handed_over", agencies.school.id],
    ]);
    const updates = await db.superuser
      .selectFrom("case_action_updates")
      .select(["action_id", "from_status", "to_status", "note"])
      .where("action_id", "in", actionIds)
      .execute();
    expect(updates).toContainEqual({
      action_id: mentor,
      from_status: "open",
      to_status: "cancelled",
      note: "He found a mentor through his football club.",
    });
    const events = await db.superuser
      .selectFrom("audit_events")
      .select(["action", "record_id", "details"])
      .where("action", "in", ["case_action.update", "referral.close"])
      .where("outcome", "=", "allowed")
      .execute();
    expect(events.filter((event) => event.action === "case_action.update")).toHaveLength(3);
    expect(events.find((event) => event.record_id === plan)?.details).toMatchObject({
      from: "open",
      to: "handed_over",
      handedToAgencyId: agencies.school.id,
      atClosure: true,
    });
    expect(events.filter((event) => event.action === "referral.close")).toHaveLength(1);

    // The closed case, as the school's referrer reads it: nothing is open.
    const page = await load(referralPage.loader, people.schoolPractitioner, { referralId });
    const view = bodyOf<{ state: string; actions: { status: string }[] }>(page);
    expect(view.state).toBe("closed");
    expect(view.actions.map((action) => action.status)).not.toContain("open");
    const text = textOf(rendered(referralPage, page));
    expect(text).toContain("Handed over to Northfield Academy");
    expect(text).not.toMatch(/\bOpen\b/);
  });
});

describe("2. a decision not to share", () => {
  it("asks whether to share on a page of its own, then only what not sharing needs", async () => {
    const { world, referralId } = await caseInWork();
    const referrer = world.people.schoolPractitioner;
    const first = await load(newDecisionPage.loader, referrer, { referralId });
    const choice = textOf(rendered(newDecisionPage, first));
    expect(choice).toContain("Will you share the young person's information?");
    expect(choice).not.toContain("Why do they need it?");

    const page = await load(
      newDecisionPage.loader,
      referrer,
      { referralId },
      "/x?step=decision&decision=not_share",
    );
    const text = textOf(rendered(newDecisionPage, page));
    expect(text).toContain("Record a decision not to share");
    for (const question of [
      "Which agencies did you decide not to share with?",
      "What did you decide not to share?",
      "Who else took part in the decision? (optional)",
      "Why did you decide not to share?",
      "When should the decision be reviewed?",
    ]) {
      expect(text).toContain(question);
    }
    for (const notAsked of [
      "Why do they need it?",
      "Are you relying on consent?",
      "Why was consent not sought?",
      "Article 6",
      "Article 9",
      "statutory gateway",
    ]) {
      expect(text).not.toContain(notAsked);
    }
  });

  it("continuing without choosing asks the first question again, with its error", async () => {
    const { world, referralId } = await caseInWork();
    const page = await load(
      newDecisionPage.loader,
      world.people.schoolPractitioner,
      { referralId },
      "/x?step=decision",
    );
    const html = rendered(newDecisionPage, page);
    expect(textOf(html)).toContain("There is a problem");
    expect(html).toContain('href="#decision"');
  });

  it("records it from those answers alone, with who decided and when to review it", async () => {
    const { world, referralId } = await caseInWork();
    const { agencies, people } = world;
    const reviewOn = daysFromToday(90);
    const reply = await submit(
      newDecisionPage.action,
      {
        decision: "not_share",
        recipientAgencyIds: [agencies.police.id],
        dataItems: ["concern", "case_notes"],
        adviceFrom: "Our designated safeguarding lead",
        rationale: "Telling the police now would put his sister at risk.",
        ...dateFields("reviewOn", reviewOn),
      },
      people.schoolPractitioner,
      { referralId },
    );
    expect(locationOf(reply)).toBe(`/referrals/${referralId}?done=decision-recorded#sharing`);
    const stored = await db.superuser
      .selectFrom("decisions_to_share")
      .selectAll()
      .where("referral_id", "=", referralId)
      .where("decision", "=", "not_share")
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      recipient_agency_ids: [agencies.police.id],
      data_items: ["concern", "case_notes"],
      advice_from: "Our designated safeguarding lead",
      rationale: "Telling the police now would put his sister at risk.",
      review_on: reviewOn,
      decided_by: people.schoolPractitioner.id,
      decided_by_agency_id: agencies.school.id,
      purposes: [],
      article6: null,
      consent_relied_on: false,
    });
    const event = await db.superuser
      .selectFrom("audit_events")
      .select("details")
      .where("action", "=", "sharing.record_decision")
      .where("record_id", "=", stored.id)
      .executeTakeFirstOrThrow();
    expect(event.details).toMatchObject({
      decision: "not_share",
      recipientAgencyIds: [agencies.police.id],
      notShared: ["concern", "case_notes"],
      reviewOn,
    });
  });

  it("says what is missing, and only what not sharing needs", async () => {
    const { world, referralId } = await caseInWork();
    const reply = await submit(
      newDecisionPage.action,
      { decision: "not_share", adviceFrom: "", rationale: "", ...dateFields("reviewOn", "") },
      world.people.schoolPractitioner,
      { referralId },
    );
    expect(statusOf(reply)).toBe(400);
    expect(bodyOf<FormReply>(reply).errors.map((error) => error.field)).toEqual([
      "recipientAgencyIds",
      "dataItems",
      "rationale",
      "reviewOn-day",
    ]);
  });
});

describe("3. the sharing history", () => {
  it("shows every field recorded on a decision to whoever may see it", async () => {
    const { world, referralId } = await caseInWork();
    const { agencies, people } = world;
    const referrer = as(people.schoolPractitioner);
    const expiresOn = daysFromToday(180);
    await recordDecisionToShare(
      referrer,
      referralId,
      shareDecision([agencies.advocacy.id], {
        adviceFrom: "Mrs Okafor, designated safeguarding lead",
        consentReliedOn: true,
        consentGivenBy: "young_person",
        competenceAssessment:
          "She explained back who would see it and why, and weighed it up (Gillick competent).",
        consentScopeAgencyIds: [agencies.advocacy.id],
        consentScopePurposes: ["safeguarding", "early_intervention"],
        consentForm: "written",
        consentExpiresOn: expiresOn,
        consentNotSoughtReason: null,
        youngPersonViews: "She wants the advocate, not the police.",
      }),
    );
    await recordDecisionToShare(referrer, referralId, {
      ...shareDecision([agencies.police.id]),
      decision: "not_share",
      purposes: [],
      dataItems: ["concern"],
      article6: null,
      article9: null,
      gateway: null,
      consentNotSoughtReason: null,
      reviewOn: daysFromToday(60),
      rationale: "Not yet: it would put her sister at risk.",
    });
    const page = await load(historyPage.loader, people.schoolPractitioner, { referralId });
    const text = textOf(rendered(historyPage, page));
    for (const shown of [
      "Advice from Mrs Okafor, designated safeguarding lead",
      "Consent given by The young person",
      "How they were found able to consent She explained back who would see it and why, and weighed it up (Gillick competent).",
      "Agencies the consent covers Youth Advocates",
      "Purposes the consent covers Safeguarding a child; Early intervention and support",
      "How consent was given In writing",
      `Consent ends ${formatDate(expiresOn)}`,
      "What the young person thinks She wants the advocate, not the police.",
      "Information not shared The concern and the referrer's account",
      `Review by ${formatDate(daysFromToday(60))}`,
    ]) {
      expect(text).toContain(shown);
    }
  });
});

describe("5. withdrawing consent on a closed case", () => {
  async function closedCaseOnConsent() {
    const { world, referralId } = await caseInWork();
    const { agencies, people } = world;
    const original = await db.superuser
      .selectFrom("decisions_to_share")
      .select("id")
      .where("referral_id", "=", referralId)
      .executeTakeFirstOrThrow();
    const { id: decisionId } = await recordDecisionToShare(
      as(people.schoolPractitioner),
      referralId,
      {
        ...shareDecision([agencies.advocacy.id], {
          consentReliedOn: true,
          consentGivenBy: "parental_responsibility",
          consentScopeAgencyIds: [agencies.advocacy.id],
          consentScopePurposes: ["safeguarding"],
          consentForm: "verbal",
          consentNotSoughtReason: null,
        }),
        supersedesId: original.id,
      },
    );
    await closeReferral(as(people.lead), referralId, {
      version: await referralVersion(db, referralId),
      outcome: "support_completed",
      summary: "Back in school.",
    });
    return { world, referralId, decisionId };
  }

  it("offers it on the closed case, stating what it does as the access matrix says", async () => {
    const { world, referralId, decisionId } = await closedCaseOnConsent();
    const referrer = world.people.schoolPractitioner;
    const casePage = await load(referralPage.loader, referrer, { referralId });
    expect(bodyOf<{ state: string; can: { withdrawConsent: boolean } }>(casePage)).toMatchObject({
      state: "closed",
      can: { withdrawConsent: true },
    });
    expect(linkTexts(rendered(referralPage, casePage))).toContain(
      "Record that consent was withdrawn for the decision to share with Youth Advocates",
    );

    const params = { referralId, decisionId };
    const page = await load(withdrawPage.loader, referrer, params);
    expect(statusOf(page)).toBe(200);
    expect(bodyOf<{ effects: unknown }>(page).effects).toEqual([
      {
        agencyName: "Youth Advocates",
        reads: "as_at_withdrawal",
        rule: expect.stringContaining(
          "consent their access rested on was withdrawn (they see the case only as it was then, never anything newer)",
        ) as string,
      },
    ]);
    const text = textOf(rendered(withdrawPage, page));
    expect(text).toContain(
      "From the date consent was withdrawn, nothing more is shared on this consent.",
    );
    expect(text).toContain(
      "Youth Advocates can still read the case as it was when consent was withdrawn, and nothing newer",
    );
    expect(text).toContain("The case is closed: nothing new is added to it");
  });

  it("records it, and the advocates then read the case only as it was", async () => {
    const { world, referralId, decisionId } = await closedCaseOnConsent();
    const { people } = world;
    const reply = await submit(
      withdrawPage.action,
      {
        withdrawnBy: "parental_responsibility",
        ...dateFields("withdrawnOn", todayInLondon()),
        note: "His mother rang: no more sharing.",
      },
      people.schoolPractitioner,
      { referralId, decisionId },
    );
    expect(locationOf(reply)).toBe(`/referrals/${referralId}?done=consent-withdrawn#sharing`);
    const withdrawal = await db.superuser
      .selectFrom("consent_withdrawals")
      .select(["decision_id", "note"])
      .executeTakeFirstOrThrow();
    expect(withdrawal).toEqual({
      decision_id: decisionId,
      note: "His mother rang: no more sharing.",
    });
    const advocate = await load(referralPage.loader, people.advocacyPractitioner, { referralId });
    expect(bodyOf<{ sharing: { state: string } }>(advocate).sharing.state).toBe("withdrawn");
    const history = await load(historyPage.loader, people.schoolPractitioner, { referralId });
    expect(textOf(rendered(historyPage, history))).toContain(
      "Note His mother rang: no more sharing.",
    );
  });
});

describe("9. the links that correct a note", () => {
  it("name which note each corrects, never two alike", async () => {
    const { world, referralId } = await caseInWork();
    const advocate = as(world.people.advocacyPractitioner);
    const today = todayInLondon();
    for (const body of [
      "Met him at the youth club; he seemed calmer.",
      "Met him at the youth club again with his aunt.",
    ]) {
      await addNote(advocate, referralId, {
        kind: "contact_in_person",
        visibility: "shared",
        occurredOn: today,
        body,
      });
    }
    await addNote(advocate, referralId, {
      kind: "contact_phone",
      visibility: "shared",
      occurredOn: today,
      body: "Rang his aunt.",
    });
    const page = await load(referralPage.loader, world.people.advocacyPractitioner, {
      referralId,
    });
    const links = linkTexts(rendered(referralPage, page)).filter((text) =>
      text.startsWith("Correct this note"),
    );
    expect(links).toHaveLength(3);
    expect(new Set(links).size).toBe(3);
    expect(links).toContain(
      `Correct this note: Contact: phone or video call, ${formatDate(today)}`,
    );
    expect(links.filter((link) => link.includes("Contact: in person"))).toHaveLength(2);
  });

  it("tell notes apart by the time they were written, then by their first words", () => {
    const note = (id: string, writtenAt: string, body: string) => ({
      id,
      kind: "case_note" as const,
      occurredOn: "2026-12-04",
      writtenAt,
      body,
    });
    const names = noteNames([
      note("a", "2026-12-04T09:15:00Z", "Spoke to the school."),
      note("b", "2026-12-04T14:40:00Z", "Spoke to his aunt."),
      note("c", "2026-12-04T14:40:00Z", "Spoke to the police about the older men he meets."),
      note("d", "2026-12-04T14:40:00Z", "Spoke to the police about the older men he meets."),
    ]);
    expect(names.get("a")).toBe(
      "Case note, 4 December 2026, written Friday 4 December 2026 at 9:15am",
    );
    expect(names.get("b")).toBe(
      "Case note, 4 December 2026, written Friday 4 December 2026 at 2:40pm, “Spoke to his aunt.”",
    );
    expect(names.get("c")).toBe(
      "Case note, 4 December 2026, written Friday 4 December 2026 at 2:40pm, “Spoke to the police about the…” (1)",
    );
    expect(new Set(names.values()).size).toBe(4);
  });
});
