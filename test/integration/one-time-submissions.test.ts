import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import { Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setLocal, setTenant } from "../../db/tenant";
import {
  claimsSubmission,
  NON_CLAIMING_EVENTS,
  recordPathOf,
} from "../../app/services/submissions.server";
import { SEARCHABLE_ACTIONS } from "../../app/services/access-log-vocabulary";
import { dateAnswerOf } from "../../app/ui/date-input";
import { todayInLondon } from "../../app/ui/dates";
import { createApp } from "../../server/app";
import { createLogger } from "../../server/logger";
import { useTestDatabase } from "../support/database";
import {
  createReferralWorld,
  referralAt,
  referralVersion,
  type ReferralWorld,
} from "../support/factories";
import { textOf } from "../support/render";
import { signInCookie } from "../support/session";

/**
 * A form sent twice is saved once (docs/decisions/018-one-time-submission-ids.md): every form that
 * writes carries a one-time submission id, which the transaction that saves it claims. Over real
 * HTTP, through the built app and the host, against PostgreSQL.
 */

const db = useTestDatabase();
let server: Server;
let base: string;

beforeAll(async () => {
  const build = (await import(
    pathToFileURL(path.resolve("build/server/index.js")).href
  )) as ServerBuild;
  const app = createApp({
    db: db.app,
    logger: createLogger("fatal", new Writable({ write: (_chunk, _encoding, done) => done() })),
    sessions: {
      idleTimeoutMs: 30 * 60_000,
      absoluteLifetimeMs: 12 * 3_600_000,
      stepUpWindowMs: 15 * 60_000,
    },
    build,
    mode: "production",
  });
  await new Promise<void>((resolve) => {
    server = app.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});

type Fields = Record<string, string | string[]>;

interface Answer {
  status: number;
  location: string | null;
  text: string;
}

/** POST a form as a browser on our pages sends it (no redirect followed). */
async function post(address: string, fields: Fields, cookie: string): Promise<Answer> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const one of Array.isArray(value) ? value : [value]) body.append(name, one);
  }
  const response = await fetch(`${base}${address}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "Sec-Fetch-Site": "same-origin",
      Origin: base,
      Cookie: cookie,
    },
    body,
  });
  return {
    status: response.status,
    location: response.headers.get("Location"),
    text: await response.text(),
  };
}

/** A page's HTML, as the signed-in person gets it. */
async function page(address: string, cookie: string): Promise<string> {
  const response = await fetch(`${base}${address}`, { headers: { Cookie: cookie } });
  expect(response.status, address).toBe(200);
  return response.text();
}

function noteFields(body: string, submissionId?: string): Fields {
  const { day, month, year } = dateAnswerOf(todayInLondon());
  return {
    ...(submissionId === undefined ? {} : { submissionId }),
    kind: "contact_phone",
    "occurredOn-day": day,
    "occurredOn-month": month,
    "occurredOn-year": year,
    body,
    visibility: "shared",
  };
}

const notePath = (referralId: string) => `/referrals/${referralId}/notes/new`;

async function notesWith(body: string): Promise<number> {
  const rows = await db.superuser
    .selectFrom("case_notes")
    .select("id")
    .where("body", "=", body)
    .execute();
  return rows.length;
}

async function allowedEvents(action: string, partnershipId: string): Promise<number> {
  const row = await db.superuser
    .selectFrom("audit_events")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("action", "=", action)
    .where("outcome", "=", "allowed")
    .where("partnership_id", "=", partnershipId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function claimsOf(userId: string) {
  return db.superuser
    .selectFrom("form_submissions")
    .selectAll()
    .where("user_id", "=", userId)
    .execute();
}

/** An active case, and the cookie of the advocate allocated to it. */
async function caseInWork(world?: ReferralWorld) {
  const inWorld = world ?? (await createReferralWorld(db.owner));
  const { id } = await referralAt(db, inWorld, "active");
  const advocate = inWorld.people.advocacyPractitioner;
  return {
    world: inWorld,
    referralId: id,
    advocate,
    cookie: await signInCookie(db.app, advocate.email),
  };
}

const uniqueNote = () => `Spoke to his mother about the weekend ${randomUUID()}`;

describe("a form sent again with the same submission id", () => {
  it("saves a note once; the second sending is a 303 to the case, which shows the note and says it was already saved", async () => {
    const { world, referralId, cookie } = await caseInWork();
    const submissionId = randomUUID();
    const body = uniqueNote();

    const first = await post(notePath(referralId), noteFields(body, submissionId), cookie);
    const second = await post(notePath(referralId), noteFields(body, submissionId), cookie);

    expect(first).toMatchObject({
      status: 302,
      location: `/referrals/${referralId}?done=note-added#case-work`,
    });
    expect(second).toMatchObject({
      status: 303,
      location: `/referrals/${referralId}?notice=already-saved#case-work`,
    });
    expect(await notesWith(body)).toBe(1);
    expect(await allowedEvents("note.add", world.partnership.id)).toBe(1);
    const shown = textOf(await page(second.location ?? "", cookie));
    expect(shown).toContain("This was already saved");
    expect(shown).toContain(body);
    expect(shown).not.toContain("Note added");
  });

  it("records a decision to share once", async () => {
    const { world, referralId } = await caseInWork();
    const cookie = await signInCookie(db.app, world.people.schoolPractitioner.email);
    const decisions = () =>
      db.superuser
        .selectFrom("decisions_to_share")
        .select("id")
        .where("referral_id", "=", referralId)
        .execute();
    const before = (await decisions()).length;
    const eventsBefore = await allowedEvents("sharing.record_decision", world.partnership.id);
    const fields: Fields = {
      submissionId: randomUUID(),
      decision: "share",
      recipientAgencyIds: [world.agencies.police.id],
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
    };

    const first = await post(`/referrals/${referralId}/sharing/new`, fields, cookie);
    const second = await post(`/referrals/${referralId}/sharing/new`, fields, cookie);

    expect(first).toMatchObject({
      status: 302,
      location: `/referrals/${referralId}?done=decision-recorded#sharing`,
    });
    expect(second).toMatchObject({
      status: 303,
      location: `/referrals/${referralId}?notice=already-saved#sharing`,
    });
    expect(await decisions()).toHaveLength(before + 1);
    expect(await allowedEvents("sharing.record_decision", world.partnership.id)).toBe(
      eventsBefore + 1,
    );
  });

  it("answers a step sent again with what was saved, not with the conflict of a changed referral", async () => {
    const world = await createReferralWorld(db.owner);
    const { id } = await referralAt(db, world, "submitted");
    const cookie = await signInCookie(db.app, world.people.lead.email);
    const fields = {
      submissionId: randomUUID(),
      version: String(await referralVersion(db, id)),
      rag: "red",
      rationale: "Weapons and older men: this week.",
    };

    const first = await post(`/referrals/${id}/steps/screen`, fields, cookie);
    const second = await post(`/referrals/${id}/steps/screen`, fields, cookie);

    expect(first.status).toBe(302);
    expect(second.status).toBe(303);
    expect(second.location).toContain("notice=already-saved");
    const screenings = await db.superuser
      .selectFrom("referral_transitions")
      .select("transition")
      .where("referral_id", "=", id)
      .where("transition", "=", "screen")
      .execute();
    expect(screenings).toHaveLength(1);
  });

  it("saves exactly one of three sendings at once", async () => {
    const { world, referralId, cookie } = await caseInWork();
    const submissionId = randomUUID();
    const body = uniqueNote();

    const answers = await Promise.all(
      [1, 2, 3].map(() => post(notePath(referralId), noteFields(body, submissionId), cookie)),
    );

    expect(answers.map((answer) => answer.status).sort()).toEqual([302, 303, 303]);
    expect(await notesWith(body)).toBe(1);
    expect(await allowedEvents("note.add", world.partnership.id)).toBe(1);
  });

  it("goes back to the record the form belongs to when where the first sending led was not kept", async () => {
    const { referralId, advocate, cookie } = await caseInWork();
    const submissionId = randomUUID();
    const body = uniqueNote();
    await post(notePath(referralId), noteFields(body, submissionId), cookie);
    await db.superuser
      .updateTable("form_submissions")
      .set({ result_location: null })
      .where("user_id", "=", advocate.id)
      .execute();

    const second = await post(notePath(referralId), noteFields(body, submissionId), cookie);

    expect(second).toMatchObject({
      status: 303,
      location: `/referrals/${referralId}?notice=already-saved`,
    });
    expect(await notesWith(body)).toBe(1);
  });

  it("sent by the page's script (single fetch), keeps where it led and answers the second with it", async () => {
    const { referralId, cookie } = await caseInWork();
    const submissionId = randomUUID();
    const body = uniqueNote();

    const first = await post(
      `${notePath(referralId)}.data`,
      noteFields(body, submissionId),
      cookie,
    );
    const second = await post(
      `${notePath(referralId)}.data`,
      noteFields(body, submissionId),
      cookie,
    );

    expect(first.status).toBe(202);
    expect(first.location).toBe(`/referrals/${referralId}?done=note-added#case-work`);
    expect(second.status).toBe(202);
    expect(second.text).toContain(`/referrals/${referralId}?notice=already-saved#case-work`);
    expect(await notesWith(body)).toBe(1);
  });
});

describe("a sending that saves nothing leaves the id for the one that does", () => {
  it("a note refused by the form's checks (400), corrected and sent with the same id, is saved", async () => {
    const { referralId, advocate, cookie } = await caseInWork();
    const submissionId = randomUUID();
    const body = uniqueNote();

    const wrong = await post(notePath(referralId), noteFields("   ", submissionId), cookie);
    expect(wrong.status).toBe(400);
    expect(await claimsOf(advocate.id)).toEqual([]);
    const corrected = await post(notePath(referralId), noteFields(body, submissionId), cookie);

    expect(corrected.status).toBe(302);
    expect(await notesWith(body)).toBe(1);
  });

  it("a decision the service refuses (its work rolled back), corrected with the same id, is saved", async () => {
    const { world, referralId } = await caseInWork();
    const cookie = await signInCookie(db.app, world.people.schoolPractitioner.email);
    const decision = (recipients: string[]): Fields => ({
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
      rationale: "The police need to know to keep him safe.",
      supersedesId: "none",
    });
    const submissionId = randomUUID();
    // The school may not share with itself: the service finds that, inside its transaction.
    const refused = await post(
      `/referrals/${referralId}/sharing/new`,
      { ...decision([world.agencies.school.id]), submissionId },
      cookie,
    );
    expect(refused.status).toBe(400);
    expect(await claimsOf(world.people.schoolPractitioner.id)).toEqual([]);

    const corrected = await post(
      `/referrals/${referralId}/sharing/new`,
      { ...decision([world.agencies.police.id]), submissionId },
      cookie,
    );
    expect(corrected.status).toBe(302);
    expect(await claimsOf(world.people.schoolPractitioner.id)).toHaveLength(1);
  });

  it("a sending the policies refuse leaves the id: the same person's next saving with it is saved", async () => {
    const { world, referralId } = await caseInWork();
    const outsider = world.people.policePractitioner;
    const cookie = await signInCookie(db.app, outsider.email);
    const submissionId = randomUUID();

    const refused = await post(
      notePath(referralId),
      noteFields(uniqueNote(), submissionId),
      cookie,
    );
    expect(refused.status).toBe(404);
    expect(await claimsOf(outsider.id)).toEqual([]);
    const started = await post("/referrals/new", { submissionId }, cookie);

    expect(started.status).toBe(302);
    expect(started.location).toMatch(/^\/referrals\/[0-9a-f-]{36}\/draft\/young-person$/);
    expect(await claimsOf(outsider.id)).toHaveLength(1);
  });
});

describe("whose ids collide", () => {
  it("another person's id, or another partnership's, is theirs: each is saved", async () => {
    const { world, referralId, cookie } = await caseInWork();
    const other = await caseInWork();
    const referrerCookie = await signInCookie(db.app, world.people.schoolPractitioner.email);
    const submissionId = randomUUID();
    const body = uniqueNote();

    const answers = [
      await post(notePath(referralId), noteFields(body, submissionId), cookie),
      await post(notePath(referralId), noteFields(body, submissionId), referrerCookie),
      await post(notePath(other.referralId), noteFields(body, submissionId), other.cookie),
    ];

    expect(answers.map((answer) => answer.status)).toEqual([302, 302, 302]);
    expect(await notesWith(body)).toBe(3);
  });

  it("a form with no id, or one that is not a UUID, is saved as before (never a 500)", async () => {
    const { referralId, cookie } = await caseInWork();
    const body = uniqueNote();

    const answers = [
      await post(notePath(referralId), noteFields(body), cookie),
      await post(notePath(referralId), noteFields(body), cookie),
      await post(notePath(referralId), noteFields(body, "not-a-uuid"), cookie),
      await post(notePath(referralId), noteFields(body, "' or 1=1 --"), cookie),
    ];

    expect(answers.map((answer) => answer.status)).toEqual([302, 302, 302, 302]);
    expect(await notesWith(body)).toBe(4);
  });

  it("row-level security shows and lets a person claim only their own ids in their own partnership", async () => {
    const { world, referralId, advocate, cookie } = await caseInWork();
    await post(notePath(referralId), noteFields(uniqueNote(), randomUUID()), cookie);
    const colleague = world.people.advocacyLead;

    const seen = await db.app.transaction().execute(async (trx) => {
      await setTenant(trx, world.partnership.id);
      await setLocal(trx, "app.user_id", colleague.id);
      return trx.selectFrom("form_submissions").selectAll().execute();
    });
    const planted = db.app.transaction().execute(async (trx) => {
      await setTenant(trx, world.partnership.id);
      await setLocal(trx, "app.user_id", colleague.id);
      await trx
        .insertInto("form_submissions")
        .values({
          partnership_id: world.partnership.id,
          user_id: advocate.id,
          submission_id: randomUUID(),
        })
        .execute();
    });

    expect(seen).toEqual([]);
    await expect(planted).rejects.toThrow(/row-level security/);
    expect(await claimsOf(advocate.id)).toHaveLength(1);
  });
});

describe("how long ids are kept", () => {
  it("a claim removes the person's own ids older than a week; form_submissions_expire() removes everyone's", async () => {
    const { world, referralId, advocate, cookie } = await caseInWork();
    const lead = world.people.advocacyLead;
    const old = new Date(Date.now() - 8 * 24 * 3_600_000);
    await db.owner.transaction().execute(async (trx) => {
      await setTenant(trx, world.partnership.id);
      await trx
        .insertInto("form_submissions")
        .values([
          {
            partnership_id: world.partnership.id,
            user_id: advocate.id,
            submission_id: randomUUID(),
          },
          { partnership_id: world.partnership.id, user_id: lead.id, submission_id: randomUUID() },
        ])
        .execute();
    });
    await db.superuser
      .updateTable("form_submissions")
      .set({ created_at: old } as never)
      .execute();

    await post(notePath(referralId), noteFields(uniqueNote(), randomUUID()), cookie);
    expect(await claimsOf(advocate.id)).toHaveLength(1);
    expect(await claimsOf(lead.id)).toHaveLength(1);

    const removed = await sql<{ removed: number }>`
      select form_submissions_expire(7) as removed
    `.execute(db.app);
    expect(removed.rows[0]?.removed).toBeGreaterThanOrEqual(1);
    expect(await claimsOf(lead.id)).toEqual([]);
    expect(await claimsOf(advocate.id)).toHaveLength(1);
  });
});

describe("every form that writes carries a submission id", () => {
  /** Every POST form in a page's HTML, and the submission id each carries (null: none). */
  function postForms(html: string): (string | null)[] {
    return [...html.matchAll(/<form\b[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/g)].map(
      (form) =>
        /<input type="hidden" name="submissionId" value="([0-9a-f-]{36})"\/>/.exec(
          form[1] ?? "",
        )?.[1] ?? null,
    );
  }

  it("on the pages people write from: each POST form has one id, the page's, new for each page", async () => {
    const { world, referralId, cookie } = await caseInWork();
    const adminCookie = await signInCookie(db.app, world.people.administrator.email);
    const pages: [string, string][] = [
      [`/referrals/${referralId}/notes/new`, cookie],
      [`/referrals/${referralId}/actions/new`, cookie],
      [`/referrals/${referralId}/sharing/new?decision=share`, cookie],
      ["/referrals/new", cookie],
      ["/account/sessions", cookie],
      [`/admin/users/${world.people.schoolPractitioner.id}`, adminCookie],
      ["/admin/response-targets", adminCookie],
      ["/admin/sharing-agreement", adminCookie],
    ];
    const ids = new Set<string>();
    for (const [address, as] of pages) {
      const forms = postForms(await page(address, as));
      expect(forms.length, address).toBeGreaterThan(0);
      expect(forms, address).not.toContain(null);
      expect(new Set(forms).size, address).toBe(1);
      ids.add(forms[0] ?? "");
    }
    expect(ids.size).toBe(pages.length);
  });

  /**
   * Plain forms that send a kept form's own fields again, its submission id among them: the page
   * that gives back the answers of a form that was not saved.
   */
  const RESENDS_KEPT_FIELDS = new Set([path.join("app", "ui", "kept-answers.tsx")]);

  it("in the source: no form posts without it", () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory()
          ? files(path.join(dir, entry.name))
          : entry.name.endsWith(".tsx")
            ? [path.join(dir, entry.name)]
            : [],
      );
    const missing = files("app").flatMap((file) => {
      const source = readFileSync(file, "utf8");
      const remixPost = /<Form\b[^>]*\bmethod="post"/.test(source);
      const plainPost = /<form\b[^>]*\bmethod="post"/.test(source);
      if (file.endsWith(path.join("ui", "post-form.tsx"))) return [];
      if (remixPost) return [`${file}: <Form method="post"> (use PostForm)`];
      if (plainPost && !source.includes("<SubmissionIdField") && !RESENDS_KEPT_FIELDS.has(file))
        return [`${file}: <form>`];
      return [];
    });
    expect(missing).toEqual([]);
  });
});

describe("which events claim a form's id", () => {
  it("reads, refusals and repeatable writes do not; a saving does", () => {
    expect(claimsSubmission({ action: "note.add", outcome: "allowed" })).toBe(true);
    expect(claimsSubmission({ action: "note.add", outcome: "refused" })).toBe(false);
    expect(claimsSubmission({ action: "referral.view", outcome: "allowed" })).toBe(false);
    expect(claimsSubmission({ action: "referral.edit_draft", outcome: "allowed" })).toBe(false);
  });

  it("names only events the access log knows", () => {
    const known = new Set(SEARCHABLE_ACTIONS.map((action) => action.value));
    expect(NON_CLAIMING_EVENTS.filter((action) => !known.has(action))).toEqual([]);
  });

  it("a form's record is its address up to the first id in it", () => {
    const id = randomUUID();
    expect(recordPathOf(`/referrals/${id}/notes/new`)).toBe(`/referrals/${id}`);
    expect(recordPathOf(`/admin/users/${id}`)).toBe(`/admin/users/${id}`);
    expect(recordPathOf("/admin/response-targets")).toBe("/admin/response-targets");
  });
});
