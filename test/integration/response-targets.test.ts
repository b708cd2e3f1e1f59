import { describe, expect, it } from "vitest";
import * as emergencyPage from "../../app/routes/admin.emergency-access";
import * as targetsPage from "../../app/routes/admin.response-targets";
import { addWorkingDays, dueAfter } from "../../app/services/response-targets";
import type { User } from "../../db/types";
import { useTestDatabase } from "../support/database";
import { createReferralWorld, referralAt } from "../support/factories";
import { formRequest, loadContext, settle, statusOf } from "../support/remix";
import { signInCookie } from "../support/session";

const db = useTestDatabase();

async function post(user: User, fields: Record<string, string>) {
  const cookie = await signInCookie(db.app, user.email);
  return settle(() =>
    targetsPage.action({
      request: formRequest("/admin/response-targets", fields, cookie),
      params: {},
      context: loadContext(db.app),
    }),
  );
}

const TARGETS = {
  "red-amount": "2",
  "red-unit": "hours",
  "amber-amount": "8",
  "amber-unit": "hours",
  "green-amount": "5",
  "green-unit": "workingDays",
};

describe("response targets", () => {
  it("are set by an administrator, recorded with before and after, and date new referrals", async () => {
    const world = await createReferralWorld(db.owner);
    expect(statusOf(await post(world.people.administrator, TARGETS))).toBe(302);

    const event = await db.superuser
      .selectFrom("audit_events")
      .select(["details", "outcome"])
      .where("action", "=", "partnership.configure")
      .where("partnership_id", "=", world.partnership.id)
      .executeTakeFirstOrThrow();
    expect(event.details).toMatchObject({
      before: { responseTargets: { red: { hours: 4 } } },
      after: { responseTargets: { red: { hours: 2 }, green: { workingDays: 5 } } },
    });

    // A routine referral waits for screening no longer than the green target.
    const { id } = await referralAt(db, world, "submitted");
    const referral = await db.superuser
      .selectFrom("referrals")
      .select(["submitted_at", "screening_due_at"])
      .where("id", "=", id)
      .executeTakeFirstOrThrow();
    expect(referral.screening_due_at).toEqual(
      dueAfter(referral.submitted_at as Date, { workingDays: 5 }),
    );
  });

  it("show every wrong answer again with one error each", async () => {
    const world = await createReferralWorld(db.owner);
    const result = (await post(world.people.administrator, {
      ...TARGETS,
      "red-amount": "",
      "amber-amount": "999",
      "green-amount": "two",
    })) as { data: { errors: { field: string }[] } };
    expect(statusOf(result)).toBe(400);
    expect(result.data.errors.map((error) => error.field)).toEqual([
      "red-amount",
      "amber-amount",
      "green-amount",
    ]);
  });

  it("are refused to a partnership lead", async () => {
    const world = await createReferralWorld(db.owner);
    expect(statusOf(await post(world.people.lead, TARGETS))).toBe(403);
  });

  it("count working days as UK weekdays", () => {
    // Friday 27 November 2026, 3pm: one working day later is Monday.
    expect(addWorkingDays(new Date("2026-11-27T15:00:00Z"), 1).toISOString()).toBe(
      "2026-11-30T15:00:00.000Z",
    );
    // Saturday 10am: one working day later is Monday 10am.
    expect(addWorkingDays(new Date("2026-11-28T10:00:00Z"), 1).toISOString()).toBe(
      "2026-11-30T10:00:00.000Z",
    );
  });
});

describe("how long emergency access lasts", () => {
  async function postMinutes(user: User, minutes: string) {
    const cookie = await signInCookie(db.app, user.email);
    return settle(() =>
      emergencyPage.action({
        request: formRequest("/admin/emergency-access", { minutes }, cookie),
        params: {},
        context: loadContext(db.app),
      }),
    );
  }

  it("is set by an administrator and recorded with before and after", async () => {
    const world = await createReferralWorld(db.owner);
    expect(statusOf(await postMinutes(world.people.administrator, "30"))).toBe(302);
    const partnership = await db.superuser
      .selectFrom("partnerships")
      .select("emergency_access_minutes")
      .where("id", "=", world.partnership.id)
      .executeTakeFirstOrThrow();
    expect(partnership.emergency_access_minutes).toBe(30);
    const event = await db.superuser
      .selectFrom("audit_events")
      .select("details")
      .where("action", "=", "partnership.configure")
      .where("partnership_id", "=", world.partnership.id)
      .executeTakeFirstOrThrow();
    expect(event.details).toMatchObject({
      before: { emergencyAccessMinutes: 240 },
      after: { emergencyAccessMinutes: 30 },
    });
  });

  it.each(["", "4", "1441", "two hours"])(
    "refuses %j with a message, changing nothing",
    async (minutes) => {
      const world = await createReferralWorld(db.owner);
      const result = (await postMinutes(world.people.administrator, minutes)) as {
        data: { errors: { field: string }[] };
      };
      expect(statusOf(result)).toBe(400);
      expect(result.data.errors.map((error) => error.field)).toEqual(["minutes"]);
    },
  );

  it("is refused to a partnership lead", async () => {
    const world = await createReferralWorld(db.owner);
    expect(statusOf(await postMinutes(world.people.lead, "30"))).toBe(403);
  });
});
