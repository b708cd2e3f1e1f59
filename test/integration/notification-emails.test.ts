import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import nodemailer from "nodemailer";
import pino from "pino";
import { SMTPServer } from "smtp-server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { addNote } from "../../app/services/case-work.server";
import { closeReferral } from "../../app/services/referral-steps.server";
import {
  backoffMs,
  composeEmail,
  MAX_ATTEMPTS,
  sendDueNotificationEmails,
} from "../../server/notification-mailer";
import { seedDemoPartnership } from "../../app/demo/demo-seed.server";
import { DEMO_ACCOUNTS, DEMO_PARTNERSHIP_ID } from "../../db/seed/demo";
import { listDeadLetters, retryDeadLetter } from "../../app/services/notification-outbox.server";
import { AccessRefused } from "../../app/services/errors";
import { useTestDatabase } from "../support/database";
import {
  COMPLETE_ANSWERS,
  contextFor,
  createReferralWorld,
  referralAt,
  referralVersion,
  type ReferralWorld,
} from "../support/factories";

const db = useTestDatabase();

/** A real SMTP server on a free port, keeping every message it accepts (or refusing them all). */
interface Inbox {
  port: number;
  messages: { to: string[]; raw: string }[];
  refuse: boolean;
  close(): Promise<void>;
}

async function startInbox(): Promise<Inbox> {
  const inbox = { messages: [] as Inbox["messages"], refuse: false };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        if (inbox.refuse) {
          callback(Object.assign(new Error("Mailbox unavailable"), { responseCode: 451 }));
          return;
        }
        inbox.messages.push({
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          raw: readable(Buffer.concat(chunks).toString("utf8")),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return Object.assign(inbox, {
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

/**
 * A message as its reader sees it: quoted-printable and base64 parts decoded after the raw text,
 * so a check for a name cannot be fooled by a soft line break or an encoding.
 */
function readable(raw: string): string {
  const quoted = Buffer.from(
    raw
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))),
    "latin1",
  ).toString("utf8");
  const base64 = [
    ...raw.matchAll(
      /Content-Transfer-Encoding: base64\r?\n(?:.+\r?\n)*\r?\n([A-Za-z0-9+/=\r\n]+)/g,
    ),
  ]
    .map((match) => Buffer.from((match[1] ?? "").replace(/\s/g, ""), "base64").toString("utf8"))
    .join("\n");
  return `${raw}\n${quoted}\n${base64}`;
}

let inbox: Inbox;
let world: ReferralWorld;
const logger = pino({ level: "silent" });

beforeAll(async () => {
  inbox = await startInbox();
  world = await createReferralWorld(db.owner);
});
afterAll(async () => {
  await inbox.close();
});
afterEach(() => {
  inbox.refuse = false;
});

function send(options: { now?: () => Date } = {}) {
  const transport = nodemailer.createTransport(`smtp://127.0.0.1:${inbox.port}`);
  return sendDueNotificationEmails({
    db: db.app,
    transport,
    from: "Crosswalk <crosswalk@example.test>",
    publicUrl: () => "https://crosswalk.example.test",
    logger,
    ...options,
  }).finally(() => transport.close());
}

async function emailStates() {
  return db.superuser
    .selectFrom("notifications")
    .select(["id", "email_state", "email_attempts", "email_next_attempt_at"])
    .execute();
}

/** Send until nothing due is left. */
async function sendAll() {
  for (let round = 0; round < 20; round += 1) {
    const counts = await send();
    if (counts.sent + counts.not_sent + counts.retry + counts.dead === 0) return;
  }
  throw new Error("emails kept coming");
}

describe("notification emails", () => {
  it("are sent once each, to the person told, with no young person's details or narrative", async () => {
    const young = { givenName: "Tobias", familyName: "Quenby", dateOfBirth: "2010-02-03" };
    const { id } = await referralAt(db, world, "active", { youngPerson: young });
    const note = "He was seen near the station with an older cousin";
    await addNote(contextFor(db.app, world.people.schoolPractitioner), id, {
      kind: "contact_in_person",
      visibility: "shared",
      occurredOn: "2026-11-20",
      body: note,
    });
    const summary = "Eight weeks of support; back at Northfield full time";
    await closeReferral(contextFor(db.app, world.people.advocacyPractitioner), id, {
      version: await referralVersion(db, id),
      outcome: "support_completed",
      summary,
    });
    inbox.messages.length = 0;
    await sendAll();

    const notifications = await db.superuser
      .selectFrom("notifications")
      .innerJoin("users", "users.id", "notifications.user_id")
      .select(["notifications.id", "users.email", "notifications.email_state"])
      .execute();
    expect(notifications.length).toBeGreaterThan(4);
    expect(notifications.every((row) => row.email_state === "sent")).toBe(true);
    expect(inbox.messages).toHaveLength(notifications.length);
    for (const row of notifications) {
      const sent = inbox.messages.filter((message) =>
        message.raw.includes(`Message-ID: <${row.id}@notifications.crosswalk>`),
      );
      expect(sent, row.id).toHaveLength(1);
      expect(sent[0]?.to).toEqual([row.email]);
    }
    const forbidden = [
      young.givenName,
      young.familyName,
      young.dateOfBirth,
      "03/02/2010",
      "3 February 2010",
      note,
      summary,
      COMPLETE_ANSWERS.concern,
      "NG7",
    ];
    for (const message of inbox.messages) {
      for (const text of forbidden) expect(message.raw).not.toContain(text);
    }
    const events = await db.superuser
      .selectFrom("audit_events")
      .select(sql<string>`count(*)`.as("count"))
      .where("action", "=", "notification.email_sent")
      .executeTakeFirstOrThrow();
    expect(Number(events.count)).toBe(notifications.length);
  });

  it("are tried again with backoff when the server refuses, and end on the dead-letter list", async () => {
    await referralAt(db, world, "submitted");
    inbox.refuse = true;
    const first = await send();
    expect(first.retry).toBeGreaterThan(0);
    let pending = (await emailStates()).filter((row) => row.email_state === "pending");
    expect(pending.every((row) => row.email_attempts === 1)).toBe(true);
    expect(pending.every((row) => row.email_next_attempt_at.getTime() > Date.now())).toBe(true);
    // Nothing is due until the backoff has passed.
    expect((await send()).retry).toBe(0);

    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt += 1) {
      await db.superuser
        .updateTable("notifications")
        .set({ email_next_attempt_at: new Date(Date.now() - 1000) } as never)
        .where("email_state", "=", "pending")
        .execute();
      await send();
    }
    pending = (await emailStates()).filter((row) => row.email_state === "pending");
    expect(pending).toEqual([]);
    const dead = (await emailStates()).filter((row) => row.email_state === "dead");
    expect(dead.length).toBe(first.retry);
    expect(dead.every((row) => row.email_attempts === MAX_ATTEMPTS)).toBe(true);
  });

  it("that failed for good are listed for an administrator, who can send them again", async () => {
    const admin = contextFor(db.app, world.people.administrator);
    const dead = (await emailStates()).filter((row) => row.email_state === "dead");
    expect(dead.length).toBeGreaterThan(0);
    const listed = await listDeadLetters(admin);
    expect(listed.map((letter) => letter.id).sort()).toEqual(dead.map((row) => row.id).sort());
    expect(listed[0]?.lastError).toMatch(/Mailbox unavailable/);
    await expect(listDeadLetters(contextFor(db.app, world.people.lead))).rejects.toBeInstanceOf(
      AccessRefused,
    );

    const [first] = listed;
    expect(await retryDeadLetter(admin, first!.id)).toBe(true);
    expect(await retryDeadLetter(admin, first!.id)).toBe(false);
    const retried = (await emailStates()).find((row) => row.id === first!.id);
    expect(retried).toMatchObject({ email_state: "pending", email_attempts: 0 });
    // The database refuses anyone else, whatever the application asks.
    await expect(
      db.app.transaction().execute(async (trx) => {
        await sql`select set_config('app.partnership_id', ${world.partnership.id}, true)`.execute(
          trx,
        );
        await sql`select set_config('app.user_id', ${world.people.lead.id}, true)`.execute(trx);
        await sql`select notification_email_retry(${dead[1]?.id ?? first!.id})`.execute(trx);
      }),
    ).rejects.toThrow(/only an administrator/);
    await sendAll();
  });

  it("are sent once when a sender stopped mid-send, once its lease runs out", async () => {
    inbox.messages.length = 0;
    await referralAt(db, world, "submitted");
    // A sender claims the due emails and stops before sending any (killed mid-send).
    const claimed = await sql<{ id: string }>`
      select id from notification_email_claim(500, 120)
    `.execute(db.app);
    expect(claimed.rows.length).toBeGreaterThan(0);
    // Another sender meanwhile finds nothing to send: the lease holds.
    expect((await send()).sent).toBe(0);
    // The lease runs out; the next sender sends each once, and no more after.
    await sql`update notifications set email_lease_until = now() - interval '1 second'
      where email_lease_until is not null`.execute(db.superuser);
    await sendAll();
    await sendAll();
    for (const { id } of claimed.rows) {
      expect(
        inbox.messages.filter((message) => message.raw.includes(`<${id}@notifications.crosswalk>`)),
      ).toHaveLength(1);
    }
  });

  it("are not sent to someone deactivated", async () => {
    const { id } = await referralAt(db, world, "submitted");
    await db.superuser
      .updateTable("users")
      .set({ is_active: false })
      .where("id", "=", world.people.lead.id)
      .execute();
    try {
      await sendAll();
    } finally {
      await db.superuser
        .updateTable("users")
        .set({ is_active: true })
        .where("id", "=", world.people.lead.id)
        .execute();
    }
    const row = await db.superuser
      .selectFrom("notifications")
      .select("email_state")
      .where("referral_id", "=", id)
      .where("user_id", "=", world.people.lead.id)
      .executeTakeFirstOrThrow();
    expect(row.email_state).toBe("not_sent");
  });
});

describe("an email's content", () => {
  it("has the kind, the reference, the reason and a link, in a text and an HTML part", () => {
    const email = composeEmail({
      kind: "referral_closed",
      referralId: "abcd1234-0000-4000-8000-000000000000",
      reason: "Youth Advocates closed referral CW-ABCD-1234. The outcome is on the referral.",
      link: "/referrals/abcd1234-0000-4000-8000-000000000000",
      publicUrl: "https://crosswalk.example.test",
    });
    expect(email.subject).toBe("Crosswalk: Referral closed: outcome recorded - CW-ABCD-1234");
    expect(email.text).toContain(
      "https://crosswalk.example.test/referrals/abcd1234-0000-4000-8000-000000000000",
    );
    expect(email.html).toContain("Youth Advocates closed referral CW-ABCD-1234.");
  });

  it("waits longer after each failure, at most an hour", () => {
    expect([1, 2, 3, 10].map(backoffMs)).toEqual([60_000, 120_000, 240_000, 3_600_000]);
  });
});

describe("the demo", () => {
  it("leaves unread notifications for every case role, and emails none of a child's details", async () => {
    expect(await seedDemoPartnership(db.owner)).toBe(true);
    const unread = await db.superuser
      .selectFrom("notifications")
      .innerJoin("users", "users.id", "notifications.user_id")
      .select(["users.role", sql<string>`count(*)`.as("count")])
      .where("notifications.partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .where("notifications.read_at", "is", null)
      .groupBy("users.role")
      .execute();
    for (const role of ["practitioner", "agency_lead", "partnership_lead"]) {
      expect(Number(unread.find((row) => row.role === role)?.count ?? 0), role).toBeGreaterThan(0);
    }
    // Everyone who was told anything has something unread.
    const withNothingUnread = await db.superuser
      .selectFrom("notifications")
      .innerJoin("users", "users.id", "notifications.user_id")
      .select("users.email")
      .where("notifications.partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .groupBy("users.email")
      .having(sql<boolean>`count(*) filter (where notifications.read_at is null) = 0`)
      .execute();
    expect(withNothingUnread).toEqual([]);
    const caseAccounts = DEMO_ACCOUNTS.filter((account) =>
      ["practitioner", "agency_lead", "partnership_lead"].includes(account.role),
    );
    const told = await db.superuser
      .selectFrom("notifications")
      .innerJoin("users", "users.id", "notifications.user_id")
      .select("users.email")
      .distinct()
      .where("notifications.partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute();
    expect(told.length).toBeGreaterThanOrEqual(Math.min(3, caseAccounts.length));

    inbox.messages.length = 0;
    await sendAll();
    const pending = await db.superuser
      .selectFrom("notifications")
      .select(sql<string>`count(*)`.as("count"))
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .where("read_at", "is", null)
      .executeTakeFirstOrThrow();
    expect(inbox.messages.length).toBe(Number(pending.count));

    const people = await db.superuser
      .selectFrom("young_people")
      .select(["given_name", "family_name", "known_as", "date_of_birth"])
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute();
    const notes = await db.superuser
      .selectFrom("case_notes")
      .select("body")
      .where("partnership_id", "=", DEMO_PARTNERSHIP_ID)
      .execute();
    const forbidden = [
      ...people.flatMap((person) => [
        person.given_name,
        person.family_name,
        ...(person.known_as ? [person.known_as] : []),
        ...(person.date_of_birth ? [person.date_of_birth] : []),
      ]),
      ...notes.map((note) => note.body),
    ].filter((text) => text.length >= 3);
    // Whole words only: a short name may be part of an ordinary word or an agency's name.
    const words = (text: string) =>
      new RegExp(`\\b${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\b`);
    // The check has something to check: many emails, every child's name and every note.
    expect(inbox.messages.length).toBeGreaterThan(10);
    expect(forbidden.length).toBeGreaterThan(100);
    for (const message of inbox.messages) {
      const body = message.raw
        .split(/\r?\n\r?\n/)
        .slice(1)
        .join("\n");
      const subject = /^Subject: (.*)$/m.exec(message.raw)?.[1] ?? "";
      for (const text of forbidden) {
        expect(`${subject}\n${body}`, text).not.toMatch(words(text));
      }
    }
  });
});
