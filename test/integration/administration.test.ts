import { describe, expect, it } from "vitest";
import {
  checkSetPasswordLink,
  setPasswordWithLink,
} from "../../app/auth/set-password-links.server";
import {
  createAgency as createAgencyService,
  listAgencies,
  setAgencyActive,
  updateAgency,
} from "../../app/services/agencies.server";
import { AccessRefused, InvalidInput, RecordNotFound } from "../../app/services/errors";
import {
  amendSharingAgreement,
  getSharingAgreement,
  replaceSharingAgreement,
} from "../../app/services/sharing-agreement.server";
import {
  createUser as createUserService,
  deactivateUser,
  getUser,
  listUsers,
  reactivateUser,
  resetUser,
  updateUser,
} from "../../app/services/users.server";
import { useTestDatabase } from "../support/database";
import { contextFor, createAgency, createUser, createWorld } from "../support/factories";
import { openHome, signInCookie } from "../support/session";

const db = useTestDatabase();
const meta = { requestId: "test-request", clientAddress: "192.0.2.30" };

async function adminWorld() {
  const world = await createWorld(db.owner, "administrator");
  return { ...world, ctx: contextFor(db.app, world.user) };
}

async function eventsFor(recordId: string) {
  return db.superuser
    .selectFrom("audit_events")
    .selectAll()
    .where("record_id", "=", recordId)
    .orderBy("occurred_at")
    .execute();
}

describe("agencies", () => {
  it("are created, changed and deactivated, each change recorded with before and after", async () => {
    const { ctx } = await adminWorld();
    const { id } = await createAgencyService(ctx, {
      name: "Northside Youth Club",
      kind: "voluntary",
      contactName: null,
      contactEmail: null,
    });
    await updateAgency(ctx, id, {
      name: "Northside Youth Centre",
      kind: "voluntary",
      contactName: "Sam",
      contactEmail: "sam@club.test",
    });
    await setAgencyActive(ctx, id, false);
    const events = await eventsFor(id);
    expect(events.map((event) => event.action)).toEqual([
      "agency.create",
      "agency.update",
      "agency.deactivate",
    ]);
    expect(events[1]?.details).toMatchObject({
      before: { name: "Northside Youth Club", contactName: null },
      after: { name: "Northside Youth Centre", contactName: "Sam" },
    });
    expect(events[2]?.details).toEqual({ before: { isActive: true }, after: { isActive: false } });
    const listed = (await listAgencies(ctx)).find((agency) => agency.id === id);
    expect(listed).toMatchObject({ name: "Northside Youth Centre", isActive: false });
  });

  it("refuse a second agency with the same name", async () => {
    const { ctx, agency } = await adminWorld();
    await expect(
      createAgencyService(ctx, {
        name: agency.name.toUpperCase(),
        kind: "police",
        contactName: null,
        contactEmail: null,
      }),
    ).rejects.toBeInstanceOf(InvalidInput);
  });

  it("are managed by administrators only, and a refusal is recorded", async () => {
    const { partnership, agency } = await createWorld(db.owner);
    const lead = await createUser(db.owner, agency, { role: "partnership_lead" });
    const ctx = contextFor(db.app, lead);
    await expect(listAgencies(ctx)).rejects.toBeInstanceOf(AccessRefused);
    const refusals = await db.superuser
      .selectFrom("audit_events")
      .selectAll()
      .where("partnership_id", "=", partnership.id)
      .where("outcome", "=", "refused")
      .execute();
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({
      action: "agency.manage",
      actor_user_id: lead.id,
      reason: "As a partnership lead, you cannot create, edit and deactivate agencies",
    });
  });
});

describe("user accounts", () => {
  it("are created without a password, with a one-time link that works once", async () => {
    const { ctx, agency } = await adminWorld();
    const { id, link } = await createUserService(ctx, {
      displayName: "Rosa Diaz",
      email: "Rosa.Diaz@Example.test",
      role: "practitioner",
      agencyId: agency.id,
    });
    expect(link.expiresAt.getTime() - Date.now()).toBeGreaterThan(71 * 3_600_000);
    expect(await getUser(ctx, id)).toMatchObject({
      email: "rosa.diaz@example.test",
      hasPassword: false,
      linkPending: true,
    });
    expect(await checkSetPasswordLink(db.app, link.token)).toMatchObject({
      usable: true,
      displayName: "Rosa Diaz",
    });
    expect(await setPasswordWithLink(db.app, meta, link.token, "a long enough passphrase")).toBe(
      true,
    );
    expect(await setPasswordWithLink(db.app, meta, link.token, "a second passphrase try")).toBe(
      false,
    );
    expect(await checkSetPasswordLink(db.app, link.token)).toEqual({ usable: false });
    await expect(
      signInCookie(db.app, "rosa.diaz@example.test", "a long enough passphrase"),
    ).resolves.toMatch(/crosswalk_session=/);
  });

  it("store no token, only its hash, and never record a password", async () => {
    const { ctx, agency } = await adminWorld();
    const { id, link } = await createUserService(ctx, {
      displayName: "Kit",
      email: "kit@example.test",
      role: "auditor",
      agencyId: agency.id,
    });
    await setPasswordWithLink(db.app, meta, link.token, "kit's secret passphrase");
    const stored = await db.superuser
      .selectFrom("set_password_links")
      .selectAll()
      .where("user_id", "=", id)
      .execute();
    expect(JSON.stringify(stored)).not.toContain(link.token);
    const events = JSON.stringify(await eventsFor(id));
    expect(events).not.toContain("kit's secret passphrase");
    expect(events).not.toContain(link.token);
  });

  it("get a link that stops working after 72 hours", async () => {
    const { ctx, agency } = await adminWorld();
    const { id, link } = await createUserService(ctx, {
      displayName: "Late",
      email: "late@example.test",
      role: "practitioner",
      agencyId: agency.id,
    });
    await db.superuser
      .updateTable("set_password_links")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("user_id", "=", id)
      .execute();
    expect(await setPasswordWithLink(db.app, meta, link.token, "too late for this one")).toBe(
      false,
    );
  });

  it("refuse an email that already has an account", async () => {
    const { ctx, agency, user } = await adminWorld();
    await expect(
      createUserService(ctx, {
        displayName: "Twin",
        email: user.email,
        role: "practitioner",
        agencyId: agency.id,
      }),
    ).rejects.toBeInstanceOf(InvalidInput);
  });

  it("take a change of role on the person's very next request", async () => {
    const { ctx, agency } = await adminWorld();
    const person = await createUser(db.owner, agency, { role: "practitioner" });
    const cookie = await signInCookie(db.app, person.email);
    await updateUser(ctx, person.id, {
      displayName: person.display_name,
      role: "agency_lead",
      agencyId: agency.id,
    });
    const home = await openHome(db.app, cookie);
    expect(home).toMatchObject({ roleLabel: "Agency lead" });
    const [event] = (await eventsFor(person.id)).filter((entry) => entry.action === "user.update");
    expect(event?.details).toMatchObject({
      before: { role: "practitioner" },
      after: { role: "agency_lead" },
    });
  });

  it("end every session at once when deactivated, and can be reactivated", async () => {
    const { ctx, agency } = await adminWorld();
    const person = await createUser(db.owner, agency);
    const cookie = await signInCookie(db.app, person.email);
    await deactivateUser(ctx, person.id);
    const refused = await openHome(db.app, cookie);
    expect((refused as Response).status).toBe(302);
    await reactivateUser(ctx, person.id);
    await expect(signInCookie(db.app, person.email)).resolves.toBeTruthy();
    expect((await eventsFor(person.id)).map((event) => event.action)).toEqual(
      expect.arrayContaining(["user.deactivate", "user.reactivate"]),
    );
  });

  it("reset with a new link: the old password and sessions stop working", async () => {
    const { ctx, agency } = await adminWorld();
    const person = await createUser(db.owner, agency);
    const cookie = await signInCookie(db.app, person.email);
    const link = await resetUser(ctx, person.id);
    const after = await openHome(db.app, cookie);
    expect((after as Response).status).toBe(302);
    await expect(signInCookie(db.app, person.email)).rejects.toThrow();
    expect(await setPasswordWithLink(db.app, meta, link.token, "a brand new passphrase")).toBe(
      true,
    );
  });

  it("cannot be changed by the administrator themselves", async () => {
    const { ctx, user } = await adminWorld();
    await expect(deactivateUser(ctx, user.id)).rejects.toBeInstanceOf(AccessRefused);
  });

  it("in another partnership are not found", async () => {
    const { ctx } = await adminWorld();
    const elsewhere = await createWorld(db.owner);
    await expect(getUser(ctx, elsewhere.user.id)).rejects.toBeInstanceOf(RecordNotFound);
    await expect(deactivateUser(ctx, elsewhere.user.id)).rejects.toBeInstanceOf(RecordNotFound);
  });

  it("are listed by count: an administrator sees exactly their own partnership's accounts", async () => {
    const { ctx, partnership } = await adminWorld();
    const second = await createAgency(db.owner, partnership.id);
    await createUser(db.owner, second);
    await createUser(db.owner, second, { isActive: false });
    await createWorld(db.owner);
    expect(await listUsers(ctx)).toHaveLength(3);
  });
});

describe("the information sharing agreement", () => {
  it("is replaced as a whole and recorded with before and after", async () => {
    const { ctx, partnership } = await adminWorld();
    const next = {
      reviewDate: "2027-06-30",
      permissions: [
        {
          fromKind: "police" as const,
          toKind: "school" as const,
          purposes: ["safeguarding" as const],
        },
      ],
    };
    await replaceSharingAgreement(ctx, next);
    expect(await getSharingAgreement(ctx)).toEqual(next);
    const [event] = await eventsFor(partnership.id);
    expect(event).toMatchObject({ action: "agreement.update", record_type: "sharing_agreement" });
    expect(event?.details).toMatchObject({
      before: { reviewDate: null, permissions: [] },
      after: next,
    });
  });

  it("keeps both of two changes made at the same moment", async () => {
    const { ctx } = await adminWorld();
    await replaceSharingAgreement(ctx, {
      reviewDate: null,
      permissions: [{ fromKind: "school", toKind: "police", purposes: ["safeguarding"] }],
    });
    await Promise.all([
      amendSharingAgreement(ctx, {
        kind: "add",
        permission: { fromKind: "police", toKind: "school", purposes: ["safeguarding"] },
      }),
      amendSharingAgreement(ctx, {
        kind: "add",
        permission: { fromKind: "health", toKind: "advocacy", purposes: ["health_and_wellbeing"] },
      }),
    ]);
    const agreement = await getSharingAgreement(ctx);
    expect(agreement.permissions.map((p) => `${p.fromKind}>${p.toKind}`).sort()).toEqual([
      "health>advocacy",
      "police>school",
      "school>police",
    ]);
  });

  it("can be read by everyone signed in but changed only by an administrator", async () => {
    const { agency } = await createWorld(db.owner);
    const practitioner = contextFor(db.app, await createUser(db.owner, agency));
    await expect(getSharingAgreement(practitioner)).resolves.toEqual({
      reviewDate: null,
      permissions: [],
    });
    await expect(
      replaceSharingAgreement(practitioner, { reviewDate: null, permissions: [] }),
    ).rejects.toBeInstanceOf(AccessRefused);
  });
});
