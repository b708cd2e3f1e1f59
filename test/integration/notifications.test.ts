import { sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import type { User } from "../../db/types";
import { addAction, addNote } from "../../app/services/case-work.server";
import {
  recordDecisionToShare,
  withdrawConsent,
} from "../../app/services/decisions-to-share.server";
import { openEmergencyAccess } from "../../app/services/emergency-access.server";
import {
  listNotifications,
  markNotificationsRead,
  unreadNotificationCount,
  workWaitingFor,
} from "../../app/services/notifications.server";
import {
  acceptReferral,
  closeReferral,
  declineReferral,
} from "../../app/services/referral-steps.server";
import * as notificationsPage from "../../app/routes/notifications";
import { loader as rootLoader } from "../../app/root";
import { listCaseload } from "../../app/services/caseloads.server";
import { useTestDatabase } from "../support/database";
import { formRequest, getRequest, loadContext, settle, statusOf } from "../support/remix";
import { signInCookie } from "../support/session";
import {
  contextFor,
  createReferralWorld,
  createUser,
  referralAt,
  referralVersion,
  shareDecision,
  type ReferralWorld,
} from "../support/factories";

const db = useTestDatabase();

type World = ReferralWorld & {
  people: ReferralWorld["people"] & { secondLead: User; schoolLead: User };
};

let world: World;
const as = (user: User) => contextFor(db.app, user);

beforeAll(async () => {
  const base = await createReferralWorld(db.owner);
  world = {
    ...base,
    people: {
      ...base.people,
      secondLead: await createUser(db.owner, base.agencies.hub, {
        role: "partnership_lead",
        name: "Lee Second-Lead",
      }),
      schoolLead: await createUser(db.owner, base.agencies.school, {
        role: "agency_lead",
        name: "Sue School-Lead",
      }),
    },
  };
});

/** Who was told of what about one record, by name: read past row-level security. */
async function told(recordId: string, kind: string): Promise<string[]> {
  const rows = await db.superuser
    .selectFrom("notifications")
    .innerJoin("users", "users.id", "notifications.user_id")
    .select("users.display_name")
    .where("notifications.kind", "=", kind)
    .where((eb) =>
      eb.or([
        eb("notifications.referral_id", "=", recordId),
        eb("notifications.record_id", "=", recordId),
      ]),
    )
    .orderBy("users.display_name")
    .execute();
  return rows.map((row) => row.display_name);
}

const names = (...users: User[]) => users.map((user) => user.display_name).sort();

/** Every event, the change that causes it, and exactly who must be told. */
const EVENTS: {
  event: string;
  kind: string;
  cause: (w: World) => Promise<string>;
  expected: (w: World) => User[];
}[] = [
  {
    event: "a referral submitted tells every partnership lead",
    kind: "referral_submitted",
    cause: async (w) => (await referralAt(db, w, "submitted")).id,
    expected: ({ people }) => [people.lead, people.secondLead],
  },
  {
    event: "a referral rated red tells the other partnership leads",
    kind: "referral_red_rated",
    cause: async (w) => (await referralAt(db, w, "screened", { rag: "red" })).id,
    expected: ({ people }) => [people.secondLead],
  },
  {
    event: "a referral routed tells the receiving agency's lead and practitioners",
    kind: "referral_routed",
    cause: async (w) => (await referralAt(db, w, "allocated")).id,
    expected: ({ people }) => [people.advocacyLead, people.advocacyPractitioner],
  },
  {
    event: "a referral accepted tells the referrer and their agency's lead",
    kind: "referral_accepted",
    cause: async (w) => (await referralAt(db, w, "active")).id,
    expected: ({ people }) => [people.schoolPractitioner, people.schoolLead],
  },
  {
    event: "a case allocated tells the person it is allocated to",
    kind: "case_allocated",
    cause: async (w) => (await referralAt(db, w, "active")).id,
    expected: ({ people }) => [people.advocacyPractitioner],
  },
  {
    event: "a referral declined tells the referrer, their agency's lead and the partnership leads",
    kind: "referral_declined",
    cause: async (w) => {
      const { id } = await referralAt(db, w, "allocated");
      await declineReferral(as(w.people.advocacyLead), id, {
        version: await referralVersion(db, id),
        reason: "No capacity this month.",
      });
      return id;
    },
    expected: ({ people }) => [
      people.schoolPractitioner,
      people.schoolLead,
      people.lead,
      people.secondLead,
    ],
  },
  {
    event: "a referral closed tells the referrer and their agency's lead (the closed loop)",
    kind: "referral_closed",
    cause: async (w) => {
      const { id } = await referralAt(db, w, "active");
      await closeReferral(as(w.people.advocacyPractitioner), id, {
        version: await referralVersion(db, id),
        outcome: "support_completed",
        summary: "Eight weeks of support; back in school full time.",
      });
      return id;
    },
    expected: ({ people }) => [people.schoolPractitioner, people.schoolLead],
  },
  {
    event: "an action assigned tells the agency's lead and the person the case is allocated to",
    kind: "action_assigned",
    cause: async (w) => {
      const { id } = await referralAt(db, w, "active");
      await addAction(as(w.people.lead), id, {
        description: "Arrange a mentor",
        assignedAgencyId: w.agencies.advocacy.id,
        dueOn: "2026-12-15",
      });
      return id;
    },
    expected: ({ people }) => [people.advocacyLead, people.advocacyPractitioner],
  },
  {
    event: "a shared note by another agency tells the people the case is allocated to",
    kind: "note_added",
    cause: async (w) => {
      const { id } = await referralAt(db, w, "active");
      await addNote(as(w.people.schoolPractitioner), id, {
        kind: "contact_in_person",
        visibility: "shared",
        occurredOn: "2026-11-20",
        body: "He was absent again on Monday.",
      });
      // A note kept within the writer's agency, and one by the allocated person, tell no one.
      await addNote(as(w.people.schoolPractitioner), id, {
        kind: "contact_in_person",
        visibility: "agency_only",
        occurredOn: "2026-11-20",
        body: "Internal: spoke to his form tutor.",
      });
      await addNote(as(w.people.advocacyPractitioner), id, {
        kind: "contact_in_person",
        visibility: "shared",
        occurredOn: "2026-11-21",
        body: "Met him at school.",
      });
      return id;
    },
    expected: ({ people }) => [people.advocacyPractitioner],
  },
  {
    event: "consent withdrawn tells every agency whose access relied on it",
    kind: "consent_withdrawn",
    cause: async (w) => {
      const { id } = await referralAt(db, w, "active");
      const previous = await db.superuser
        .selectFrom("decisions_to_share")
        .select("id")
        .where("referral_id", "=", id)
        .executeTakeFirstOrThrow();
      const referrer = as(w.people.schoolPractitioner);
      const { id: decisionId } = await recordDecisionToShare(referrer, id, {
        ...shareDecision([w.agencies.advocacy.id], {
          consentReliedOn: true,
          consentGivenBy: "young_person",
          consentScopeAgencyIds: [w.agencies.advocacy.id],
          consentScopePurposes: ["safeguarding"],
          consentForm: "verbal",
          consentNotSoughtReason: null,
        }),
        supersedesId: previous.id,
      });
      await withdrawConsent(referrer, id, decisionId, {
        withdrawnBy: "young_person",
        withdrawnAt: new Date(),
        note: null,
      });
      return id;
    },
    expected: ({ people }) => [people.advocacyLead, people.advocacyPractitioner],
  },
  {
    event: "an emergency access opened tells every partnership lead",
    kind: "emergency_access_opened",
    cause: async (w) => {
      const { youngPersonId } = await referralAt(db, w, "submitted");
      await openEmergencyAccess(as(w.people.healthPractitioner), youngPersonId, {
        reason: "missing_child",
        detail: "Reported missing overnight.",
      });
      const access = await db.superuser
        .selectFrom("emergency_accesses")
        .select("id")
        .where("young_person_id", "=", youngPersonId)
        .executeTakeFirstOrThrow();
      return access.id;
    },
    expected: ({ people }) => [people.lead, people.secondLead],
  },
];

describe("who is told", () => {
  it.each(EVENTS)("$event, and no one else", async ({ kind, cause, expected }) => {
    const recordId = await cause(world);
    expect(await told(recordId, kind)).toEqual(names(...expected(world)));
  });

  it("never tells a person of their own change", async () => {
    const { id } = await referralAt(db, world, "active");
    const ownKinds = await db.superuser
      .selectFrom("notifications")
      .select("kind")
      .where("referral_id", "=", id)
      .where("user_id", "=", world.people.schoolPractitioner.id)
      .execute();
    expect(ownKinds.map((row) => row.kind).sort()).toEqual(["referral_accepted"]);
  });

  it("says nothing of the young person or the narrative in any notification", async () => {
    const { id } = await referralAt(db, world, "active", {
      youngPerson: { givenName: "Tobias", familyName: "Quenby", dateOfBirth: "2011-02-03" },
    });
    await declineReferral(as(world.people.advocacyLead), id, {
      version: await referralVersion(db, id),
      reason: "Secret decline reason",
    }).catch(() => undefined);
    const rows = await db.superuser
      .selectFrom("notifications")
      .select(["reason", "link"])
      .where("referral_id", "=", id)
      .execute();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(`${row.reason} ${row.link}`).not.toMatch(/Tobias|Quenby|2011|Secret|cars/);
    }
  });
});

describe("a change that rolls back", () => {
  it("tells no one", async () => {
    const { id } = await referralAt(db, world, "allocated");
    const before = await db.superuser
      .selectFrom("notifications")
      .select(sql<string>`count(*)`.as("count"))
      .executeTakeFirstOrThrow();
    // The access log's event is the transaction's last write: make it fail, after notify ran.
    await sql
      .raw(
        `create function fail_accept() returns trigger language plpgsql as $$
         begin raise exception 'the access log is unavailable'; end $$;
         create trigger fail_accept before insert on audit_events for each row
           when (new.action = 'referral.accept') execute function fail_accept()`,
      )
      .execute(db.superuser);
    try {
      await expect(
        acceptReferral(as(world.people.advocacyLead), id, {
          version: await referralVersion(db, id),
          allocatedUserId: world.people.advocacyPractitioner.id,
        }),
      ).rejects.toThrow(/access log is unavailable/);
    } finally {
      await sql
        .raw(`drop trigger fail_accept on audit_events; drop function fail_accept()`)
        .execute(db.superuser);
    }
    const after = await db.superuser
      .selectFrom("notifications")
      .select(sql<string>`count(*)`.as("count"))
      .executeTakeFirstOrThrow();
    expect(after.count).toBe(before.count);
    expect(await told(id, "referral_accepted")).toEqual([]);
  });
});

describe("a person's notifications", () => {
  it("are theirs alone, unread first, and can be marked read one at a time or all together", async () => {
    const reader = await createUser(db.owner, world.agencies.hub, { role: "partnership_lead" });
    const first = await referralAt(db, world, "submitted");
    const second = await referralAt(db, world, "screened", { rag: "red" });
    const ctx = as(reader);
    let page = await listNotifications(ctx, { kind: null });
    expect(page.unread).toBe(3);
    expect(await unreadNotificationCount(ctx)).toBe(3);
    const submitted = page.notifications.find(
      (n) => n.kind === "referral_submitted" && n.link === `/referrals/${first.id}`,
    );
    expect(submitted).toBeDefined();

    // Someone else cannot mark it read: row-level security hides it from them.
    expect(await markNotificationsRead(as(world.people.lead), { id: submitted!.id })).toBe(0);
    expect(await markNotificationsRead(ctx, { id: submitted!.id })).toBe(1);
    page = await listNotifications(ctx, { kind: null });
    expect(page.unread).toBe(2);
    expect(page.notifications.at(-1)?.id).toBe(submitted!.id);

    const red = await listNotifications(ctx, { kind: "referral_red_rated" });
    expect(red.notifications.map((n) => n.link)).toEqual([`/referrals/${second.id}`]);
    expect(await markNotificationsRead(ctx, { all: true, kind: "referral_red_rated" })).toBe(1);
    expect(await unreadNotificationCount(ctx)).toBe(1);
    expect(await markNotificationsRead(ctx, { all: true, kind: null })).toBe(1);
    expect(await unreadNotificationCount(ctx)).toBe(0);
  });

  it("cannot be read or changed by the application role outside the person's own", async () => {
    const { id } = await referralAt(db, world, "submitted");
    await db.app.transaction().execute(async (trx) => {
      await sql`select set_config('app.partnership_id', ${world.partnership.id}, true)`.execute(
        trx,
      );
      await sql`select set_config('app.user_id', ${world.people.schoolPractitioner.id}, true)`.execute(
        trx,
      );
      const seen = await trx
        .selectFrom("notifications")
        .select("id")
        .where("referral_id", "=", id)
        .execute();
      expect(seen).toEqual([]);
    });
    await expect(
      db.app.transaction().execute(async (trx) => {
        await sql`select set_config('app.partnership_id', ${world.partnership.id}, true)`.execute(
          trx,
        );
        await sql`select set_config('app.user_id', ${world.people.lead.id}, true)`.execute(trx);
        await trx
          .updateTable("notifications")
          .set({ reason: "changed" } as never)
          .execute();
      }),
    ).rejects.toThrow(/permission denied/);
  });
});

describe("the home page's work waiting", () => {
  it("counts what is waiting for a partnership lead and for an agency lead", async () => {
    const leadBefore = await workWaitingFor(as(world.people.lead));
    const acceptBefore = await workWaitingFor(as(world.people.advocacyLead));
    await referralAt(db, world, "submitted");
    await referralAt(db, world, "allocated");
    const count = (work: { key: string; count: number }[], key: string) =>
      work.find((item) => item.key === key)?.count;
    const lead = await workWaitingFor(as(world.people.lead));
    expect(count(lead, "to_screen")).toBe((count(leadBefore, "to_screen") ?? 0) + 1);
    const advocacy = await workWaitingFor(as(world.people.advocacyLead));
    expect(count(advocacy, "to_accept")).toBe((count(acceptBefore, "to_accept") ?? 0) + 1);
    expect(advocacy.map((item) => item.key)).not.toContain("to_screen");
  });
});

describe("the email outbox", () => {
  it("is claimed once under a lease and settled, as the application role", async () => {
    await referralAt(db, world, "submitted");
    const claim = () =>
      sql<{
        id: string;
        attempts: number;
      }>`select * from notification_email_claim(500, 60)`.execute(db.app);
    const first = await claim();
    expect(first.rows.length).toBeGreaterThan(0);
    expect((await claim()).rows).toEqual([]);
    const one = first.rows[0]!;
    const settled = await sql<{
      ok: boolean;
    }>`select notification_email_settle(${one.id}, 'sent', null, null) as ok`.execute(db.app);
    expect(settled.rows[0]?.ok).toBe(true);
    const row = await db.superuser
      .selectFrom("notifications")
      .select(["email_state", "email_attempts"])
      .where("id", "=", one.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ email_state: "sent", email_attempts: 1 });
  });
});

describe("the caseload tabs", () => {
  const base = { sort: "due", page: 1 } as const;

  it("list for an agency lead what waits for their agency's acceptance, and what is overdue", async () => {
    const fresh = await createReferralWorld(db.owner);
    const lead = contextFor(db.app, fresh.people.advocacyLead);
    const { id } = await referralAt(db, fresh, "allocated");
    await referralAt(db, fresh, "active");
    const waiting = await listCaseload(lead, "acceptance", base);
    expect(waiting.rows.map((row) => row.id)).toEqual([id]);
    expect((await listCaseload(lead, "overdue", base)).total).toBe(0);

    await db.superuser
      .updateTable("referral_agencies")
      .set({ response_due_at: new Date(Date.now() - 60_000) })
      .where("referral_id", "=", id)
      .execute();
    expect((await listCaseload(lead, "overdue", base)).rows.map((row) => row.id)).toEqual([id]);
    const partnershipLead = contextFor(db.app, fresh.people.lead);
    expect((await listCaseload(partnershipLead, "overdue", base)).rows.map((r) => r.id)).toEqual([
      id,
    ]);
    // Someone else's agency's late answer is not the school's to act on.
    const school = contextFor(db.app, fresh.people.schoolPractitioner);
    expect((await listCaseload(school, "overdue", base)).total).toBe(0);
  });

  it("list for a practitioner the cases allocated to them with an action of their agency overdue", async () => {
    const fresh = await createReferralWorld(db.owner);
    const { id } = await referralAt(db, fresh, "active");
    const advocate = contextFor(db.app, fresh.people.advocacyPractitioner);
    await addAction(contextFor(db.app, fresh.people.lead), id, {
      description: "Arrange a mentor",
      assignedAgencyId: fresh.agencies.advocacy.id,
      dueOn: "2020-01-01",
    });
    expect((await listCaseload(advocate, "overdue", base)).rows.map((row) => row.id)).toEqual([id]);
    const advocacyHome = await workWaitingFor(advocate);
    expect(advocacyHome.find((item) => item.key === "overdue_actions")?.count).toBe(1);
  });
});

describe("the notifications page and the header", () => {
  async function cookieOf(user: User) {
    return signInCookie(db.app, user.email);
  }

  it("shows the unread count in the header of every signed-in page, and none signed out", async () => {
    const reader = await createUser(db.owner, world.agencies.hub, { role: "partnership_lead" });
    await referralAt(db, world, "submitted");
    const cookie = await cookieOf(reader);
    const frame = (await rootLoader({
      request: getRequest("/cases", cookie),
      params: {},
      context: loadContext(db.app),
    })) as { identity: { unreadNotifications: number } | null };
    expect(frame.identity?.unreadNotifications).toBe(1);
    const signedOut = (await rootLoader({
      request: getRequest("/cases"),
      params: {},
      context: loadContext(db.app),
    })) as { identity: unknown };
    expect(signedOut.identity).toBeNull();
  });

  it("lists, filters and marks read through forms, writing nothing to the access log", async () => {
    const reader = await createUser(db.owner, world.agencies.hub, { role: "partnership_lead" });
    const submitted = await referralAt(db, world, "submitted");
    await referralAt(db, world, "screened", { rag: "red" });
    const cookie = await cookieOf(reader);
    const events = () =>
      db.superuser
        .selectFrom("audit_events")
        .select(sql<string>`count(*)`.as("count"))
        .where("actor_user_id", "=", reader.id)
        .executeTakeFirstOrThrow();
    const before = await events();
    const load = async (path: string) =>
      await notificationsPage.loader({
        request: getRequest(path, cookie),
        params: {},
        context: loadContext(db.app),
      });

    const all = await load("/notifications");
    expect(all.unread).toBe(3);
    expect(all.notifications.every((n) => !n.read)).toBe(true);
    const red = await load("/notifications?kind=referral_red_rated");
    expect(red.notifications).toHaveLength(1);
    expect(
      statusOf(
        await settle(() =>
          notificationsPage.loader({
            request: getRequest("/notifications?kind=nonsense", cookie),
            params: {},
            context: loadContext(db.app),
          }),
        ),
      ),
    ).toBe(400);

    const one = all.notifications.find((n) => n.link === `/referrals/${submitted.id}`)!;
    const post = (fields: Record<string, string>) =>
      settle(() =>
        notificationsPage.action({
          request: formRequest("/notifications", fields, cookie),
          params: {},
          context: loadContext(db.app),
        }),
      );
    const marked = (await post({ intent: "read", id: one.id })) as Response;
    expect(marked.status).toBe(302);
    expect(marked.headers.get("Location")).toBe("/notifications?done=read");
    const after = await load("/notifications");
    expect(after.unread).toBe(2);
    expect(after.notifications.at(-1)).toMatchObject({ id: one.id, read: true });

    expect(statusOf(await post({ intent: "read", id: "not-an-id" }))).toBe(400);
    const allRead = (await post({ intent: "read-all", kind: "" })) as Response;
    expect(allRead.headers.get("Location")).toBe("/notifications?done=all-read");
    expect((await load("/notifications")).unread).toBe(0);
    expect(await events()).toEqual(before);
  });
});
